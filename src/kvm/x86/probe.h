/* SPDX-License-Identifier: MIT */
/*
 * What this host's KVM can really run at guest CPL0, found by running it. A scratch VM in
 * 64-bit mode reads the CPUID its guest would see, executes an instruction of each feature a
 * kernel uses at CPL0 that the guest sees (and the hypercall of each paravirtual feature
 * that is one), and whatever KVM cannot emulate, faults on, or never finishes is taken from
 * the guest's CPUID with the features that need it (no AVX without XSAVE). Then it checks
 * that the guest really lost each one: a KVM may pass the host's CPUID bits through whatever
 * the VMM sets. A feature that stays visible is hidden by lowering the highest basic leaf
 * below the leaf that describes it (CPUID.1 XSAVE is only usable with leaf 0xD), and what
 * lives in leaf 1 itself and cannot be hidden, rasvm completes when KVM stops on it (POPCNT;
 * INT3 and FWAIT, which every x86 CPU has: machine.c). On a host that runs guest kernels
 * natively every test passes and nothing changes.
 */
#ifndef RASVM_KVM_X86_PROBE_H
#define RASVM_KVM_X86_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_cpuid2;

enum probe_outcome {
	PROBE_RAN,          /* every instruction of the feature completed */
	PROBE_EMULATION,    /* KVM_EXIT_INTERNAL_ERROR, emulation failure */
	PROBE_FAULT,        /* an exception (vector in detail) */
	PROBE_HANG,         /* did not finish within the probe's time */
	PROBE_OTHER,        /* another exit (reason in detail) */
	PROBE_NEEDS,        /* not tested: needs a feature that is hidden */
};

/* What became of a feature the guest would have seen. */
enum probe_state {
	PROBE_KEPT,         /* it runs: offered */
	PROBE_HIDDEN,       /* cleared from the guest's CPUID, and the guest really lost it */
	PROBE_LEAF_CUT,     /* the guest still saw it, so its leaf is beyond the highest basic leaf now */
	PROBE_COMPLETED,    /* cannot be hidden: rasvm does the instruction when KVM cannot */
	PROBE_EXPOSED,      /* cannot be hidden nor completed: a guest using it at CPL0 stops */
};

#define PROBE_MAX 64

struct probe_feature {
	const char *name;        /* as Linux's /proc/cpuinfo spells it */
	const char *insn;        /* the instruction that failed (NULL when it ran) */
	enum probe_outcome outcome;
	uint32_t detail;         /* vector, exit reason, or the feature needed (PROBE_NEEDS) */
	enum probe_state state;
};

struct cpu_probe {
	bool done;               /* the scratch VM ran: what follows is real */
	unsigned count;
	struct probe_feature f[PROBE_MAX];
	uint32_t max_leaf_was, max_leaf; /* CPUID.0:EAX before and after */
	unsigned kept, hidden, cut, completed, exposed;
	double ms;               /* how long the probe took */
};

/* Probe KVM (kvm_fd) with the CPUID it supports (cpuid, from KVM_GET_SUPPORTED_CPUID) and
 * change cpuid as above. smp: also the paravirtual features only several vCPUs use.
 * 0, or -errno when no scratch VM could be made (then cpuid is unchanged, out->done false). */
int cpu_probe_run(int kvm_fd, struct kvm_cpuid2 *cpuid, bool smp, struct cpu_probe *out);
/* The features in state st, "xsave (xrstor: KVM cannot emulate it), smap (...)", for logs;
 * "" when there is none. */
void cpu_probe_describe(const struct cpu_probe *p, enum probe_state st, char *buf, size_t len);
const char *cpu_probe_outcome_name(enum probe_outcome o);

#endif
