/* SPDX-License-Identifier: MIT */
/* x86 "info registers": the state KVM gives, and QEMU's text for it (regs.c). */
#ifndef RASVM_KVM_X86_REGS_H
#define RASVM_KVM_X86_REGS_H

#include <linux/kvm.h>
#include <stddef.h>

struct x86_regs {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_debugregs dregs;
	struct kvm_fpu fpu;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
};

/* QEMU's "info registers" text for one vCPU (x86_cpu_dump_state with the FPU), into out (at
 * most outlen bytes, NUL-terminated); returns the length it needed. */
size_t x86_format_regs(const struct x86_regs *r, unsigned cpu, char *out, size_t outlen);

#endif
