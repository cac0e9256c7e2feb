/* SPDX-License-Identifier: MIT */
/*
 * x86 vCPU state at power-on: CPUID, machine-check banks, local APIC LVTs and the entry
 * state (GDTs and identity page tables from include/rasvm/layout.h).
 */
#ifndef RASVM_KVM_X86_CPU_H
#define RASVM_KVM_X86_CPU_H

#include <stdint.h>

#include "kvm/mem.h"

/* Intel SDM Vol. 3B 16.3.1.1 IA32_MCG_CAP */
#define MSR_IA32_MCG_CAP   0x179
#define MCG_CAP_COUNT_MASK 0xffULL     /* bits 7:0, number of banks */
#define MCG_CTL_P          (1ULL << 8) /* IA32_MCG_CTL present */
#define MCG_SER_P          (1ULL << 24) /* software error recovery: required for any recovery */
#define MCG_LMCE_P         (1ULL << 27) /* local machine check */
#define RASVM_MCE_BANKS    10          /* as QEMU: errors go into bank 9 */
/* IA32_FEATURE_CONTROL (Intel SDM Vol. 4 Table 2-2), set by firmware: rasvm sets it */
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define FEATURE_CONTROL_LOCKED   (1ULL << 0)
#define FEATURE_CONTROL_LMCE_ON  (1ULL << 20) /* local machine checks allowed */

/* CPUID.01H:EDX feature bits (Intel SDM Vol. 2A, Table 3-11) */
#define CPUID_1_EDX_MCE    (1u << 7)
#define CPUID_1_EDX_MCA    (1u << 14)
#define CPUID_1_EDX_HTT    (1u << 28) /* EBX[23:16] is valid */
#define CPUID_1_ECX_HYPERVISOR (1u << 31)

struct vm;
struct vcpu;

/* Write the boot GDT, the Linux GDT and the page tables into guest RAM (pure: no KVM). */
void x86_write_boot_tables(struct guest_mem *mem);
/* Fetch KVM_GET_SUPPORTED_CPUID and the supported MCG_CAP, once per run. */
int x86_vm_init(struct vm *vm);
void x86_vm_exit(struct vm *vm);
/* Program one vCPU: CPUID, MCE banks, LAPIC, and the entry registers vm->boot describes
 * (a Linux guest's vCPUs other than 0 are left waiting for INIT/SIPI). */
int x86_vcpu_init(struct vm *vm, struct vcpu *vcpu);
/* -v: how many instructions rasvm completed for the guest (machine.c), once at the end. */
void x86_insn_report(void);

#endif
