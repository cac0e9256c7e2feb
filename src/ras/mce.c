// SPDX-License-Identifier: MIT
#include "ras/mce.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>

void mce_encode(bool ar, bool amd, uint64_t gpa, unsigned lsb, struct mce_record *r)
{
	uint64_t status = MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN | MCI_STATUS_MISCV |
			  MCI_STATUS_ADDRV;
	uint64_t mcg = MCG_STATUS_MCIP;

	if (!amd) {
		status |= MCI_STATUS_S;
		if (ar) {
			status |= MCI_STATUS_AR | MCACOD_DATA_LOAD; /* 0xBD80000000000134 */
			mcg |= MCG_STATUS_EIPV | MCG_STATUS_RIPV;
		} else {
			status |= MCACOD_PATROL;                    /* 0xBD000000000000C0 */
			mcg |= MCG_STATUS_RIPV;
		}
	} else if (ar) {
		status |= MCI_STATUS_POISON;
		mcg |= MCG_STATUS_EIPV | MCG_STATUS_RIPV;
	} else {
		status |= MCI_STATUS_DEFERRED | MCI_STATUS_POISON;
	}
	*r = (struct mce_record){ .bank = MCE_BANK, .status = status, .mcg_status = mcg,
				  .addr = gpa & ~((1ULL << lsb) - 1), .misc = MCI_MISC_ADDR_PHYS | lsb };
}

void mce_encode_broadcast(struct mce_record *r)
{
	*r = (struct mce_record){ .bank = MCE_BROADCAST_BANK, .status = MCI_STATUS_VAL | MCI_STATUS_UC,
				  .mcg_status = MCG_STATUS_MCIP | MCG_STATUS_RIPV };
}

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

bool mce_lmce_enabled(uint64_t mcg_cap, uint64_t feature_control, uint64_t mcg_ext_ctl)
{
	const uint64_t on = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_LMCE_ON;

	return (mcg_cap & MCG_LMCE_P) && (feature_control & on) == on &&
	       (mcg_ext_ctl & MCG_EXT_CTL_LMCE_EN);
}

bool mce_vcpu_lmce_enabled(int fd, uint64_t mcg_cap)
{
	uint64_t feature_control, ext_ctl;

	/* Without LMCE_P the guest cannot have enabled it: spare the two ioctls. */
	if (!(mcg_cap & MCG_LMCE_P) || read_msr(fd, MSR_IA32_FEATURE_CONTROL, &feature_control) ||
	    read_msr(fd, MSR_IA32_MCG_EXT_CTL, &ext_ctl))
		return false;
	return mce_lmce_enabled(mcg_cap, feature_control, ext_ctl);
}

enum mce_result mce_inject(int fd, const struct mce_record *r, const char **why)
{
	uint64_t mcg_status = 0;
	struct kvm_sregs sregs;
	bool uc = r->status & MCI_STATUS_UC;
	bool ao = !(r->status & MCI_STATUS_AR) && !(r->mcg_status & MCG_STATUS_EIPV);

	if (read_msr(fd, MSR_IA32_MCG_STATUS, &mcg_status) || ioctl(fd, KVM_GET_SREGS, &sregs) < 0)
		return MCE_FAILED;
	if (mcg_status & MCG_STATUS_MCIP) {
		if (ao)
			return MCE_DROPPED_BUSY;
		if (uc) {
			*why = "an uncorrected machine check arrived while the guest was still handling one (MCG_STATUS.MCIP set): the CPU would shut down";
			return MCE_NEEDS_RESET;
		}
	}
	if (uc && !(sregs.cr4 & CR4_MCE)) {
		*why = "an uncorrected machine check arrived while the guest had machine checks disabled (CR4.MCE clear): the CPU would shut down";
		return MCE_NEEDS_RESET;
	}
	struct kvm_x86_mce m = { .status = r->status, .addr = r->addr, .misc = r->misc,
				 .mcg_status = r->mcg_status, .bank = (uint8_t)r->bank };
	if (ioctl(fd, KVM_X86_SET_MCE, &m) < 0)
		return MCE_FAILED;
	/* A machine check takes a CPU out of HLT, but KVM leaves a halted vCPU blocked with the
	 * exception queued: make it runnable, so the handler runs now and returns after HLT. */
	struct kvm_mp_state mp;
	if (uc && ioctl(fd, KVM_GET_MP_STATE, &mp) == 0 && mp.mp_state == KVM_MP_STATE_HALTED) {
		mp.mp_state = KVM_MP_STATE_RUNNABLE;
		ioctl(fd, KVM_SET_MP_STATE, &mp);
	}
	return MCE_INJECTED;
}
