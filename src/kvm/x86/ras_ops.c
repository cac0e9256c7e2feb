// SPDX-License-Identifier: MIT
/*
 * The x86 part of guest RAS (struct ras_ops): machine checks with KVM_X86_SET_MCE, NMIs,
 * interrupt lines. Each runs on the vCPU's own thread (KVM wants vCPU ioctls there).
 */
#include "kvm/arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "ras/ras.h"
#include "vm.h"

static int read_msr(int fd, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };

	if (ioctl(fd, KVM_GET_MSRS, &m) != 1)
		return -1;
	*value = m.e.data;
	return 0;
}

/* KVM drops an uncorrected error silently when MCG_CTL (if present) or the bank's MCi_CTL is
 * not all ones (x86.c, kvm_vcpu_ioctl_x86_set_mce): say so instead of counting a delivery. */
static bool bank_enabled(int fd, uint64_t mcg_cap, unsigned bank)
{
	uint64_t ctl;

	if ((mcg_cap & MCG_CTL_P) && (read_msr(fd, MSR_IA32_MCG_CTL, &ctl) || ctl != ~0ULL))
		return false;
	return !read_msr(fd, MSR_IA32_MC0_CTL + 4 * bank, &ctl) && ctl == ~0ULL;
}

static enum mce_result inject_mce(struct vcpu *v, const struct mce_record *r)
{
	uint64_t mcg_status = 0;
	struct kvm_sregs sregs;
	bool uc = r->status & MCI_STATUS_UC;

	if (!uc) {
		/* A corrected or deferred error only lands in the bank: nothing can go wrong. */
	} else if (read_msr(v->fd, MSR_IA32_MCG_STATUS, &mcg_status) || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
		return MCE_FAILED;
	} else if (mcg_status & MCG_STATUS_MCIP) {
		return MCE_BUSY;
	} else if (!(sregs.cr4 & CR4_MCE)) {
		return MCE_DISABLED;
	} else if (!bank_enabled(v->fd, atomic_load(&v->vm->mcg_cap), r->bank)) {
		return MCE_BANK_DISABLED;
	}
	struct kvm_x86_mce m = { .status = r->status, .addr = r->addr, .misc = r->misc,
				 .mcg_status = r->mcg_status, .bank = (uint8_t)r->bank };
	if (ioctl(v->fd, KVM_X86_SET_MCE, &m) < 0)
		return MCE_FAILED;
	/* A machine check takes a CPU out of HLT, but KVM leaves a halted vCPU blocked with the
	 * exception queued: make it runnable, so the handler runs now and returns after HLT. */
	struct kvm_mp_state mp;
	if (uc && ioctl(v->fd, KVM_GET_MP_STATE, &mp) == 0 && mp.mp_state == KVM_MP_STATE_HALTED) {
		mp.mp_state = KVM_MP_STATE_RUNNABLE;
		if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
			return MCE_FAILED;
	}
	return MCE_INJECTED;
}

static bool lmce_enabled(struct vcpu *v)
{
	uint64_t cap = atomic_load(&v->vm->mcg_cap), feature_control, ext_ctl;

	/* Without LMCE_P the guest cannot have enabled it: spare the two ioctls. */
	if (!(cap & MCG_LMCE_P) || read_msr(v->fd, MSR_IA32_FEATURE_CONTROL, &feature_control) ||
	    read_msr(v->fd, MSR_IA32_MCG_EXT_CTL, &ext_ctl))
		return false;
	return mce_lmce_enabled(cap, feature_control, ext_ctl);
}

static int nmi(struct vcpu *v)
{
	return ioctl(v->fd, KVM_NMI, 0) < 0 ? -errno : 0;
}

static int irq_pulse(struct vm *vm, unsigned gsi)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = 1 };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	irq.level = 0;
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

static int rip(struct vcpu *v, uint64_t *out)
{
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return -errno;
	*out = regs.rip;
	return 0;
}

/* CPUID vendor, family and model decide the machine-check encoding and the broadcast. */
static void guest_cpu(struct vm *vm, bool *amd, bool *broadcast)
{
	const struct kvm_cpuid2 *c = vm->cpuid;
	uint32_t vendor = 0, leaf1 = 0;

	for (unsigned i = 0; c && i < c->nent; i++) {
		if (c->entries[i].function == 0)
			vendor = c->entries[i].ebx;
		if (c->entries[i].function == 1)
			leaf1 = c->entries[i].eax;
	}
	mce_guest_cpu(vendor, leaf1, amd, broadcast);
}

const struct ras_ops arch_ras_ops = {
	.inject_mce = inject_mce,
	.lmce_enabled = lmce_enabled,
	.nmi = nmi,
	.notify_sync = nmi, /* the sync source is notified by NMI (HEST type 4) */
	.irq_pulse = irq_pulse,
	.rip = rip,
	.guest_cpu = guest_cpu,
	.machine_checks = true,
	.ghes_sync_precise = false, /* Linux handles x86 GHES NMI records asynchronously */
};
