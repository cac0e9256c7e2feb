/* SPDX-License-Identifier: MIT */
/*
 * What differs between x86 and arm64, behind one small interface: src/kvm/x86/ implements it,
 * src/kvm/arm64/ the same functions for the arm64 binary (the Makefile's ARCH picks one).
 * Everything else -- the lifecycle, vCPU threads, devices' dispatch, the loader's formats,
 * RAS (poison table, policy, GHES queue and ack gate, CPER, HEST), QMP, the simulator -- is
 * compiled for both.
 */
#ifndef RASVM_KVM_ARCH_H
#define RASVM_KVM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi/tables.h"

struct config;
struct guest_mem;
struct vm;
struct vcpu;
struct loader_input;
struct ras_ops;
struct device_ops;

/* The machine's guest-visible facts that arch-neutral code needs (x86: include/rasvm/layout.h,
 * arm64: include/rasvm/layout_arm64.h). */
struct arch_machine {
	const char *name;          /* QEMU's target name (query-target): "x86_64", "aarch64" */
	enum acpi_arch acpi_arch;  /* which firmware `acpi dump` and `run` build by default */
	uint64_t error_region;     /* the GHES error region; its first page (the registers) traps */
	uint64_t error_region_end;
	unsigned ged_irq;          /* the interrupt the GED raises for the async source (irq_pulse) */
	const char *console;       /* the console device Linux names (console=...) */
};
extern const struct arch_machine arch_machine;

/* Before KVM is opened: lay out cfg->memory bytes of guest RAM at hva as this machine's RAM
 * regions, with the GHES register page punched out (it traps to rasvm). 0 or -EINVAL. */
int arch_mem_layout(const struct config *cfg, struct guest_mem *m, uint8_t *hva);

/* Once per run, /dev/kvm open, before any thread: what the guest CPU will be (x86: CPUID,
 * machine-check capabilities). 0 or -errno (logged). */
int arch_init(struct vm *vm);
void arch_exit(struct vm *vm);

/* Per boot, after KVM_CREATE_VM (vm_fd) and the memory slots: the capabilities the machine
 * needs, interrupt controllers, timers. 0 or -errno (logged; -ENOTSUP for a missing
 * capability). The first boot's runs on kvm_vm_prepare's helper thread: of struct vm it
 * reads only kvm_fd, and the arch state it keeps (arm64: the vGIC's fd) is not used before
 * the helper is joined. */
int arch_vm_create(struct vm *vm, int vm_fd);
/* Per boot, each vCPU in index order: its registers for the entry the loader chose. */
int arch_vcpu_init(struct vm *vm, struct vcpu *v);
/* Per boot, once every vCPU exists (x86: the boot info learns the real MCG_CAP). */
int arch_vcpus_created(struct vm *vm);

/* Per boot: firmware tables, the kernel (in->kernel, initrd, cmdline; the loader fills in the
 * rest) and what the boot protocol needs, into guest RAM; vm->boot says where to start.
 * 0, -ENOEXEC (a bad kernel, initrd or command line: err says why), -ENOMEM, or -errno. */
int arch_load_guest(struct vm *vm, struct loader_input *in, char *err, size_t errlen);

/* An exit only this architecture has (x86: port I/O). false when the reason is not one of
 * its own; else true, with *stop set when the vCPU must stop. */
bool arch_handle_exit(struct vcpu *v, bool *stop);
/* Hang probe, on the vCPU's thread: halted with interrupts masked (only an NMI or a machine
 * check could wake it)? pc: where. -errno when KVM cannot say. */
int arch_vcpu_halted_masked(struct vcpu *v, bool *halted, uint64_t *pc);
/* The guest physical address of the instruction at the vCPU's pc; false when unknown. */
bool arch_pc_gpa(struct vcpu *v, uint64_t *gpa);
/* A stopped vCPU's state in one line (pc, stack, flags, run state), for failure reports. */
void arch_vcpu_describe(struct vcpu *v, char *buf, size_t len);
/* On the vCPU's own thread: QEMU's "info registers" text for it (x86_cpu_dump_state,
 * aarch64_cpu_dump_state), NUL-terminated in out; 0 or -errno when KVM cannot say. */
int arch_vcpu_dump(struct vcpu *v, char *out, size_t len);
/* On the vCPU's own thread: the guest physical address gva maps to through the guest's page
 * tables now (HMP gva2gpa). 0, -EFAULT when unmapped, -ENOTSUP where KVM cannot say (arm64). */
int arch_vcpu_translate(struct vcpu *v, uint64_t gva, uint64_t *gpa);

/* How host memory errors are raised in the guest (x86: machine checks, NMIs, interrupt lines). */
extern const struct ras_ops arch_ras_ops;
/* This machine's devices, in boot order, NULL-terminated. */
extern const struct device_ops *const arch_devices[];

#endif
