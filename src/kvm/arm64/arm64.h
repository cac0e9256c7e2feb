/* SPDX-License-Identifier: MIT */
/*
 * The arm64 machine's own helpers (src/kvm/arm64/): register access through KVM_GET/SET_ONE_REG,
 * the vCPU's exception state, and the architectural constants they use (Arm ARM DDI 0487).
 */
#ifndef RASVM_KVM_ARM64_ARM64_H
#define RASVM_KVM_ARM64_ARM64_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;
struct vm;

/* A core register (struct kvm_regs, arch/arm64/include/uapi/asm/kvm.h) as a ONE_REG id. */
#define ARM64_CORE_REG(x) \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(x))
#define ARM64_REG_X(n)    ARM64_CORE_REG(regs.regs[n])
#define ARM64_REG_SP_EL0  ARM64_CORE_REG(regs.sp)
#define ARM64_REG_PC      ARM64_CORE_REG(regs.pc)
#define ARM64_REG_PSTATE  ARM64_CORE_REG(regs.pstate)
#define ARM64_REG_SP_EL1  ARM64_CORE_REG(sp_el1)
#define ARM64_REG_ELR_EL1 ARM64_CORE_REG(elr_el1)
/* System registers (op0, op1, CRn, CRm, op2) */
#define ARM64_REG_MPIDR_EL1   ARM64_SYS_REG(3, 0, 0, 0, 5)
#define ARM64_REG_PFR0_EL1    ARM64_SYS_REG(3, 0, 0, 4, 0)  /* ID_AA64PFR0_EL1 */
#define ARM64_REG_SCTLR_EL1   ARM64_SYS_REG(3, 0, 1, 0, 0)
#define ARM64_REG_ESR_EL1     ARM64_SYS_REG(3, 0, 5, 2, 0)
#define ARM64_REG_FAR_EL1     ARM64_SYS_REG(3, 0, 6, 0, 0)
#define ARM64_REG_VBAR_EL1    ARM64_SYS_REG(3, 0, 12, 0, 0)

/* PSTATE (C5.2.18 SPSR_EL1): mode and interrupt masks */
#define PSTATE_MODE_MASK  0xfULL
#define PSTATE_EL1H       0x5ULL
#define PSTATE_F          (1ULL << 6)
#define PSTATE_I          (1ULL << 7)
#define PSTATE_A          (1ULL << 8)
#define PSTATE_D          (1ULL << 9)
#define SCTLR_M           (1ULL << 0) /* stage 1 MMU on */
#define ARM64_INSN_WFI    0xd503207fu
/* ID_AA64PFR0_EL1.RAS, bits 31:28 (D19.2.64): 0 none, 1 FEAT_RAS, 2 FEAT_RASv1p1 */
#define PFR0_RAS_SHIFT    28

/* ESR_ELx ISS of an SError (D17.2.40, ISS encoding for an SError interrupt): AET, bits 12:10,
 * the error's severity; DFSC 0x11, an asynchronous SError. KVM_SET_VCPU_EVENTS takes the ISS
 * alone (24 bits). */
#define SERROR_AET_SHIFT  10
#define SERROR_AET_UEU    1 /* uncorrected, unrecoverable: Linux panics */
#define SERROR_AET_UEO    2 /* uncorrected, restartable, not yet consumed: Linux carries on */
#define SERROR_AET_UER    3 /* uncorrected, recoverable */
#define SERROR_DFSC_ASYNC 0x11

int arm64_get_reg(int vcpu_fd, uint64_t id, uint64_t *value);
int arm64_set_reg(int vcpu_fd, uint64_t id, uint64_t value);
/* KVM_IRQ_LINE for an SPI by its INTID (32-1019). */
int arm64_spi_line(struct vm *vm, unsigned intid, int level);
/* KVM_SET_VCPU_EVENTS: a synchronous external abort (ext_dabt_pending), or a virtual SError
 * with an ESR ISS. On the vCPU's thread. 0 or -errno. */
int arm64_inject_sea(struct vcpu *v);
int arm64_inject_serror(struct vcpu *v, uint32_t iss);

#endif
