// SPDX-License-Identifier: MIT
#include "ras/mce.h"

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
		/* A deferred error (AMD APM Vol. 2 9.3.1.1): not uncorrected, the program can go on.
		 * KVM only logs it in the bank (no #MC); the guest finds it when it polls. */
		status &= ~MCI_STATUS_UC;
		status |= MCI_STATUS_DEFERRED | MCI_STATUS_POISON;
		mcg = MCG_STATUS_RIPV;
	}
	*r = (struct mce_record){ .bank = MCE_BANK, .status = status, .mcg_status = mcg,
				  .addr = gpa & ~((1ULL << lsb) - 1), .misc = MCI_MISC_ADDR_PHYS | lsb };
}

void mce_encode_broadcast(struct mce_record *r)
{
	*r = (struct mce_record){ .bank = MCE_BROADCAST_BANK, .status = MCI_STATUS_VAL | MCI_STATUS_UC,
				  .mcg_status = MCG_STATUS_MCIP | MCG_STATUS_RIPV };
}

bool mce_lmce_enabled(uint64_t mcg_cap, uint64_t feature_control, uint64_t mcg_ext_ctl)
{
	const uint64_t on = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_LMCE_ON;

	return (mcg_cap & MCG_LMCE_P) && (feature_control & on) == on &&
	       (mcg_ext_ctl & MCG_EXT_CTL_LMCE_EN);
}

#define CPUID_VENDOR_INTEL 0x756e6547 /* "Genu"ineIntel */
#define CPUID_VENDOR_AMD   0x68747541 /* "Auth"enticAMD */
#define CPUID_VENDOR_HYGON 0x6f677948 /* "Hygo"nGenuine */

void mce_guest_cpu(uint32_t vendor_ebx, uint32_t eax, bool *amd, bool *broadcast)
{
	/* SDM Vol. 2A, CPUID leaf 1 EAX: family 11:8 (+ extended 27:20 when 0xF), model 7:4
	 * (+ extended 19:16 << 4 for families 6 and 0xF). */
	unsigned family = (eax >> 8) & 0xf, model = (eax >> 4) & 0xf;
	if (family == 0xf)
		family += (eax >> 20) & 0xff;
	if (family == 6 || family >= 0xf)
		model += ((eax >> 16) & 0xf) << 4;
	*amd = vendor_ebx == CPUID_VENDOR_AMD || vendor_ebx == CPUID_VENDOR_HYGON;
	*broadcast = vendor_ebx == CPUID_VENDOR_INTEL && ((family == 6 && model >= 14) || family > 6);
}
