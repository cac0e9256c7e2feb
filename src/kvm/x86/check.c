// SPDX-License-Identifier: MIT
#include "host/check.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "kvm/dirty.h"
#include "kvm/probe.h"
#include "kvm/kvm.h"
#include "kvm/x86/cpu.h"
#include "log.h"
#include "ras/hwpoison.h"

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

/* Machine-check status for the injection probe: valid, corrected (no UC), so KVM only
 * records it in the bank and injects nothing (Intel SDM Vol. 3B 16.3.2.2). */
#define MCI_STATUS_VAL (1ULL << 63)
#define PROBE_CODE     0x1000
/* Guest speed above this many million instructions per second counts as hardware speed. */
#define HW_SPEED_MIPS  200.0

struct report {
	int api;
	int mce_banks;
	uint64_t mcg_cap;
	uint64_t guest_mcg_cap; /* what a vCPU's MCG_CAP reads after KVM_X86_SETUP_MCE (0: not probed) */
	int set_mce;       /* 1 injection accepted, 0 refused, -1 not probed */
	int user_nmi, irqchip, vcpu_events, sync_regs, memory_fault_info;
	unsigned max_vcpus;
	int valid_regs_einval, dirty_regs_einval; /* 1 yes, 0 no, -1 not probed */
	const char *hwpoison;                     /* "works", "not built in (EINVAL)", ... */
	double cpl0_mips;                         /* 0: not measured */
	int dirty_log;                            /* KVM logs a guest's writes: 1 yes, 0 no, -1 unknown */
	char dirty_why[96];
	int dirty_ring;                           /* KVM_CAP_DIRTY_LOG_RING: the largest ring, bytes */
};

/* The probe VM (kvm/probe.c) with RAM at 0, and the TSS address Intel's KVM wants before a
 * vCPU runs (rasvm's own VMs set the same, kvm/x86/machine.c). */
static int x86_probe_vm(int kvm, struct probe_vm *p)
{
	int r = probe_vm_create(kvm, p, 0, 0);

	if (!r && ioctl(p->vm, KVM_SET_TSS_ADDR, (unsigned long)0xfffbd000) < 0) {
		r = -errno;
		probe_vm_destroy(p);
	}
	return r;
}

/* KVM must refuse kvm_valid_regs / kvm_dirty_regs bits it does not define (the rule the
 * s390 series in the seeds adds; x86 checks it in kvm_arch_vcpu_ioctl_run). immediate_exit
 * keeps the guest from running if the check is missing: KVM_RUN then fails with EINTR. */
static int probe_sync_regs(struct probe_vm *p, int valid_fields, int dirty)
{
	uint64_t bad = 1ULL << 31;

	if ((unsigned)valid_fields & bad)
		return -1;
	p->run->kvm_valid_regs = dirty ? 0 : bad;
	p->run->kvm_dirty_regs = dirty ? bad : 0;
	p->run->immediate_exit = 1;
	int r = ioctl(p->vcpu, KVM_RUN, 0);
	int err = errno;
	p->run->kvm_valid_regs = p->run->kvm_dirty_regs = 0;
	p->run->immediate_exit = 0;
	return r < 0 && err == EINVAL;
}

/* Set up the banks as rasvm does, read back what the guest really gets (KVM keeps only the
 * MCG_CAP bits it emulates for this CPU: SVM clears SER_P whatever it says it supports), and
 * try an injection. */
static int probe_set_mce(struct probe_vm *p, uint64_t mcg_cap, uint64_t *guest_cap)
{
	struct kvm_x86_mce mce = { .status = MCI_STATUS_VAL, .bank = 0 };
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_MCG_CAP };

	if ((mcg_cap & MCG_CAP_COUNT_MASK) == 0 || ioctl(p->vcpu, KVM_X86_SETUP_MCE, &mcg_cap) < 0)
		return 0;
	if (ioctl(p->vcpu, KVM_GET_MSRS, &m) == 1)
		*guest_cap = m.e.data;
	return ioctl(p->vcpu, KVM_X86_SET_MCE, &mce) == 0;
}

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Time a real-mode loop (CPL0): mov ecx, N; 1: dec ecx; jnz 1b; hlt. */
static double probe_cpl0_mips(struct probe_vm *p)
{
	struct kvm_sregs sregs;

	for (uint32_t n = 10000; n && n <= (1u << 28); n *= 4) {
		static const uint8_t loop[] = { 0x66, 0xb9, 0, 0, 0, 0, 0x66, 0x49, 0x75, 0xfc, 0xf4 };
		memcpy(p->ram + PROBE_CODE, loop, sizeof(loop));
		memcpy(p->ram + PROBE_CODE + 2, &n, 4);
		if (ioctl(p->vcpu, KVM_GET_SREGS, &sregs) < 0)
			return 0;
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		struct kvm_regs regs = { .rip = PROBE_CODE, .rflags = 2 };
		if (ioctl(p->vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(p->vcpu, KVM_SET_REGS, &regs) < 0)
			return 0;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int r;
		do {
			r = ioctl(p->vcpu, KVM_RUN, 0);
		} while (r < 0 && errno == EINTR);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r < 0 || p->run->exit_reason != KVM_EXIT_HLT)
			return 0;
		double s = elapsed_s(&t0, &t1);
		if (s >= 0.05)
			return 2.0 * n / s / 1e6; /* two instructions per iteration */
	}
	return 0;
}


static void print_text(const struct report *r, bool ok)
{
	printf("KVM API version:              %d\n", r->api);
	printf("machine-check banks (MCE):    %d\n", r->mce_banks);
	printf("supported MCG_CAP:            0x%llx (CTL_P %s, SER_P %s, LMCE_P %s)\n",
	       (unsigned long long)r->mcg_cap, check_yn(!!(r->mcg_cap & MCG_CTL_P)),
	       check_yn(!!(r->mcg_cap & MCG_SER_P)), check_yn(!!(r->mcg_cap & MCG_LMCE_P)));
	if (r->guest_mcg_cap)
		printf("guest MCG_CAP (read back):    0x%llx (CTL_P %s, SER_P %s, LMCE_P %s)%s\n",
		       (unsigned long long)r->guest_mcg_cap, check_yn(!!(r->guest_mcg_cap & MCG_CTL_P)),
		       check_yn(!!(r->guest_mcg_cap & MCG_SER_P)), check_yn(!!(r->guest_mcg_cap & MCG_LMCE_P)),
		       (r->mcg_cap & ~r->guest_mcg_cap & MCG_SER_P)
			       ? ": KVM drops SER_P here, so an Intel-style guest treats uncorrected errors as fatal"
			       : "");
	else
		printf("guest MCG_CAP (read back):    not probed\n");
	printf("MCE injection (X86_SET_MCE):  %s\n", check_yn(r->set_mce));
	printf("NMI injection (USER_NMI):     %s\n", check_yn(r->user_nmi));
	printf("in-kernel irqchip:            %s\n", check_yn(r->irqchip));
	printf("vcpu events:                  %s\n", check_yn(r->vcpu_events));
	printf("sync regs:                    %s (fields 0x%x)\n", check_yn(r->sync_regs > 0), r->sync_regs);
	printf("memory-fault info:            %s\n", check_yn(r->memory_fault_info));
	printf("max vCPUs per VM:             %u\n", r->max_vcpus);
	printf("rejects bad kvm_valid_regs:   %s\n", check_yn(r->valid_regs_einval));
	printf("rejects bad kvm_dirty_regs:   %s\n", check_yn(r->dirty_regs_einval));
	printf("MADV_HWPOISON:                %s\n", r->hwpoison);
	printf("dirty page log:               %s (%s): live migration %s\n", check_yn(r->dirty_log), r->dirty_why,
	       r->dirty_log > 0 ? "pre-copies with it" : "tracks changed pages by content hashes");
	printf("dirty page ring:              %s\n", r->dirty_ring > 0 ? "offered (not used)" : "no");
	if (r->cpl0_mips > 0)
		printf("guest kernel (CPL0) speed:    %.0f M instructions/s: %s\n", r->cpl0_mips,
		       r->cpl0_mips >= HW_SPEED_MIPS ? "hardware speed"
						      : "emulated (expect slow guest kernels)");
	else
		printf("guest kernel (CPL0) speed:    not measured\n");
	printf("verdict:                      %s\n",
	       ok ? "rasvm can run guests with RAS here" : "missing a capability rasvm needs");
}

static void print_json(const struct report *r, bool ok)
{
	printf("{\"kvm_api_version\": %d, \"mce_banks\": %d, \"mcg_cap\": %llu, "
	       "\"mcg_ctl_p\": %s, \"mcg_ser_p\": %s, \"mcg_lmce_p\": %s, \"guest_mcg_cap\": %llu, "
	       "\"guest_mcg_ser_p\": %s, \"guest_mcg_lmce_p\": %s, \"x86_set_mce\": %s, "
	       "\"user_nmi\": %s, \"irqchip\": %s, \"vcpu_events\": %s, \"sync_regs\": %d, "
	       "\"memory_fault_info\": %s, \"max_vcpus\": %u, \"valid_regs_einval\": %s, "
	       "\"dirty_regs_einval\": %s, \"madv_hwpoison\": \"%s\", \"cpl0_mips\": %.1f, "
	       "\"cpl0_hardware_speed\": %s, \"dirty_log\": %s, \"dirty_ring_bytes\": %d, \"ok\": %s}\n",
	       r->api, r->mce_banks, (unsigned long long)r->mcg_cap,
	       r->mcg_cap & MCG_CTL_P ? "true" : "false", r->mcg_cap & MCG_SER_P ? "true" : "false",
	       r->mcg_cap & MCG_LMCE_P ? "true" : "false", (unsigned long long)r->guest_mcg_cap,
	       r->guest_mcg_cap & MCG_SER_P ? "true" : "false",
	       r->guest_mcg_cap & MCG_LMCE_P ? "true" : "false", r->set_mce > 0 ? "true" : "false",
	       r->user_nmi ? "true" : "false", r->irqchip ? "true" : "false",
	       r->vcpu_events ? "true" : "false", r->sync_regs,
	       r->memory_fault_info ? "true" : "false", r->max_vcpus,
	       r->valid_regs_einval > 0 ? "true" : "false",
	       r->dirty_regs_einval > 0 ? "true" : "false", r->hwpoison, r->cpl0_mips,
	       r->cpl0_mips >= HW_SPEED_MIPS ? "true" : "false", r->dirty_log > 0 ? "true" : "false",
	       r->dirty_ring, ok ? "true" : "false");
}

int host_check(bool json)
{
	struct report r = { .set_mce = -1, .valid_regs_einval = -1, .dirty_regs_einval = -1 };
	struct probe_vm p;
	int kvm = kvm_open();

	if (kvm < 0)
		return EXIT_NO_KVM;
	r.api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	r.mce_banks = kvm_check_extension(kvm, KVM_CAP_MCE);
	if (r.mce_banks > 0)
		ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, &r.mcg_cap);
	r.user_nmi = kvm_check_extension(kvm, KVM_CAP_USER_NMI);
	r.irqchip = kvm_check_extension(kvm, KVM_CAP_IRQCHIP);
	r.vcpu_events = kvm_check_extension(kvm, KVM_CAP_VCPU_EVENTS);
	r.sync_regs = kvm_check_extension(kvm, KVM_CAP_SYNC_REGS);
	r.memory_fault_info = kvm_check_extension(kvm, KVM_CAP_MEMORY_FAULT_INFO);
	r.max_vcpus = kvm_max_vcpus(kvm);
	r.hwpoison = hwpoison_probe_describe();
	r.dirty_log = kvm_dirty_log_probe(kvm, r.dirty_why, sizeof(r.dirty_why));
	r.dirty_ring = kvm_check_extension(kvm, KVM_CAP_DIRTY_LOG_RING);
	if (x86_probe_vm(kvm, &p) == 0) {
		if (r.sync_regs > 0) {
			r.valid_regs_einval = probe_sync_regs(&p, r.sync_regs, 0);
			r.dirty_regs_einval = probe_sync_regs(&p, r.sync_regs, 1);
		}
		r.cpl0_mips = probe_cpl0_mips(&p);
		unsigned banks = r.mce_banks > RASVM_MCE_BANKS ? RASVM_MCE_BANKS : (unsigned)r.mce_banks;
		r.set_mce = probe_set_mce(&p, banks | (r.mcg_cap & (MCG_CTL_P | MCG_SER_P | MCG_LMCE_P)),
					  &r.guest_mcg_cap);
		probe_vm_destroy(&p);
	} else {
		log_warn("could not create a probe VM: %s", strerror(errno));
	}
	close(kvm);

	/* SER_P is not required: AMD guests never look at it, and where KVM drops it an Intel
	 * guest still gets its errors (by GHES by default), only not recovered by machine check. */
	bool ok = r.mce_banks > 0 && r.set_mce > 0 && r.user_nmi && r.irqchip && r.vcpu_events;
	if (json)
		print_json(&r, ok);
	else
		print_text(&r, ok);
	return ok ? 0 : EXIT_NO_KVM;
}
