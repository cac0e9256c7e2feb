/* SPDX-License-Identifier: MIT */
/*
 * x86 vCPU and VM state for snapshots and migration (cpu_state.c): what KVM holds for each
 * vCPU (VCPU section) and for the VM (IRQC, PIT2, CLCK sections). Captured into plain images
 * first (a vCPU's on its own thread, through vcpu_call), written and read by the migration
 * code, applied to a new VM's vCPUs before their threads start.
 */
#ifndef RASVM_KVM_X86_CPU_STATE_H
#define RASVM_KVM_X86_CPU_STATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "state/stream.h"

#define TAG_VCPU STATE_TAG('V', 'C', 'P', 'U')
#define TAG_IRQC STATE_TAG('I', 'R', 'Q', 'C')
#define TAG_PIT2 STATE_TAG('P', 'I', 'T', '2')
#define TAG_CLCK STATE_TAG('C', 'L', 'C', 'K')
#define VCPU_VERSION 1
#define IRQC_VERSION 1
#define PIT2_VERSION 1
#define CLCK_VERSION 1

#define CPU_STATE_CPUID_MAX 256
#define CPU_STATE_MSRS_MAX  1024
#define CPU_STATE_XSAVE_MAX (1u << 20)

struct vm;
struct vcpu;

struct cpu_msr {
	uint32_t index;
	uint64_t data;
};

struct vcpu_image {
	uint32_t ncpuid;
	struct kvm_cpuid_entry2 cpuid[CPU_STATE_CPUID_MAX];
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint32_t xsave_len;            /* 0: no XSAVE, the FPU below instead */
	uint8_t *xsave;
	bool has_fpu, has_xcrs, has_debugregs;
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	uint32_t nmsrs;
	struct cpu_msr msr[CPU_STATE_MSRS_MAX];
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_debugregs debugregs;
	uint32_t tsc_khz;              /* 0: unknown */
};

struct vm_image {
	struct kvm_irqchip chip[3];    /* PIC master, PIC slave, IOAPIC */
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
};

/* The MSRs to carry: KVM_GET_MSR_INDEX_LIST and the machine-check banks (MCG_STATUS,
 * MCG_CTL, MCG_EXT_CTL, every MCi_CTL/STATUS/ADDR/MISC). Once per migration. */
struct cpu_msr_list {
	uint32_t n;
	uint32_t index[CPU_STATE_MSRS_MAX];
};
int cpu_state_msr_list(struct vm *vm, struct cpu_msr_list *l);

/* On the vCPU's own thread (vcpu_call): complete a pending I/O exit, then read everything. */
int cpu_state_capture(struct vcpu *v, const struct cpu_msr_list *msrs, struct vcpu_image *img);
void cpu_state_image_free(struct vcpu_image *img);
void cpu_state_write(struct state_out *o, unsigned index, const struct vcpu_image *img);
/* The VCPU section whose first record in_header() just read. */
int cpu_state_read(struct state_in *in, struct vcpu_image *img);
/* Before the vCPU's thread starts (the new VM's vCPUs exist). 0 or -errno, why says what. */
int cpu_state_apply(struct vcpu *v, const struct vcpu_image *img, char *why, size_t len);

/* VM-level: the interrupt controllers, the PIT, kvmclock. Any thread, vCPUs stopped. */
int vm_state_capture(struct vm *vm, struct vm_image *img);
void vm_state_write(struct state_out *o, const struct vm_image *img);
/* IRQC, PIT2 or CLCK, whichever in_header() just read. */
int vm_state_read(struct state_in *in, struct vm_image *img);
int vm_state_apply(struct vm *vm, const struct vm_image *img, char *why, size_t len);

/* What check-host and query-migrate-compat compare: the XSAVE size this host's KVM takes. */
uint32_t cpu_state_xsave_size(int fd);

#endif
