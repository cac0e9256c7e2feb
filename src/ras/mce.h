/* SPDX-License-Identifier: MIT */
/*
 * x86 machine-check records for host memory errors (values: RAS-FACTS.md; Intel SDM Vol. 3B
 * 16.3 and 16.10, AMD APM Vol. 2 9.3). Pure: injection, which must check the guest's state
 * first (KVM turns an uncorrected error the guest cannot take into a silent triple fault, and
 * drops one for a disabled bank), is the architecture's (kvm/x86/ras_ops.c).
 */
#ifndef RASVM_RAS_MCE_H
#define RASVM_RAS_MCE_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/x86/cpu.h" /* MCG_CAP bits */

/* IA32_MCi_STATUS (SDM 16.3.2.2) */
#define MCI_STATUS_VAL    (1ULL << 63)
#define MCI_STATUS_OVER   (1ULL << 62)
#define MCI_STATUS_UC     (1ULL << 61)
#define MCI_STATUS_EN     (1ULL << 60)
#define MCI_STATUS_MISCV  (1ULL << 59)
#define MCI_STATUS_ADDRV  (1ULL << 58)
#define MCI_STATUS_PCC    (1ULL << 57)
#define MCI_STATUS_S      (1ULL << 56)
#define MCI_STATUS_AR     (1ULL << 55)
#define MCI_STATUS_DEFERRED (1ULL << 44) /* AMD */
#define MCI_STATUS_POISON (1ULL << 43)   /* AMD */
#define MCACOD_DATA_LOAD  0x134 /* SRAR: data load (SDM Table 16-29) */
#define MCACOD_PATROL     0x0c0 /* SRAO: memory scrubbing (SDM Table 16-28) */
/* IA32_MCG_STATUS (SDM 16.3.1.2) */
#define MCG_STATUS_RIPV   (1ULL << 0)
#define MCG_STATUS_EIPV   (1ULL << 1)
#define MCG_STATUS_MCIP   (1ULL << 2)
#define MCG_STATUS_LMCES  (1ULL << 3) /* this machine check was signalled to this CPU only */
/* IA32_MCi_MISC address mode (SDM 16.3.2.4): physical address, LSB in bits 5:0 */
#define MCI_MISC_ADDR_PHYS (2ULL << 6)
#define MCE_BANK          9 /* the bank QEMU uses, so guests tuned for QEMU see the same */
#define MCE_BROADCAST_BANK 1

#define MSR_IA32_MCG_STATUS 0x17a
/* Local machine checks (SDM 16.3.1.5): delivered to one CPU only when MCG_CAP.LMCE_P is set,
 * firmware set and locked IA32_FEATURE_CONTROL.LMCE_ON (kvm/x86/cpu.h), and the OS set
 * IA32_MCG_EXT_CTL.LMCE_EN. */
#define MSR_IA32_MCG_EXT_CTL     0x4d0
#define MCG_EXT_CTL_LMCE_EN      (1ULL << 0)
#define MSR_IA32_MC0_STATUS 0x401 /* + 4 * bank */
#define CR4_MCE (1ULL << 6)

struct mce_record {
	unsigned bank;
	uint64_t status, mcg_status, addr, misc;
};

/* The record for a memory error at gpa, covering 2^lsb bytes. */
void mce_encode(bool action_required, bool amd, uint64_t gpa, unsigned lsb, struct mce_record *r);
/* What the other vCPUs of an Intel guest see when one takes a machine check. */
void mce_encode_broadcast(struct mce_record *r);

/* Whether a machine check goes to this CPU alone (pure; the three registers above). */
bool mce_lmce_enabled(uint64_t mcg_cap, uint64_t feature_control, uint64_t mcg_ext_ctl);

/* What the guest's CPUID says about machine checks: AMD-style encodings (AuthenticAMD and
 * HygonGenuine), and whether an Intel CPU broadcasts a machine check to every CPU (family 6
 * from model 14 on, and every later family: what Linux's mce_intel and QEMU assume).
 * vendor_ebx: CPUID.0:EBX; leaf1_eax: CPUID.1:EAX (family and model, SDM Vol. 2A CPUID). */
void mce_guest_cpu(uint32_t vendor_ebx, uint32_t leaf1_eax, bool *amd, bool *broadcast);

enum mce_result {
	MCE_INJECTED,
	MCE_BUSY,          /* MCG_STATUS.MCIP set: the guest is still handling one */
	MCE_DISABLED,      /* CR4.MCE clear: an uncorrected #MC now would shut the CPU down */
	MCE_BANK_DISABLED, /* MCG_CTL or the bank's MCi_CTL is off: KVM would drop it silently */
	MCE_FAILED,        /* KVM refused */
};

#define MSR_IA32_MCG_CTL 0x17b   /* SDM 16.3.1.3, present with MCG_CAP.CTL_P */
#define MSR_IA32_MC0_CTL 0x400   /* + 4 * bank (SDM 16.3.2.1) */

#endif
