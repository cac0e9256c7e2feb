/* SPDX-License-Identifier: MIT */
/*
 * The few instructions rasvm completes for a guest when KVM stops with an emulation failure
 * at CPL0 (hosts that emulate guest kernel code, kvm/x86/probe.h): INT3 and FWAIT, which no
 * CPUID bit can take away, and POPCNT where the CPUID bit cannot be hidden. The decoder is
 * pure (bytes in, a description out) and tested without KVM; machine.c does the rest.
 */
#ifndef RASVM_KVM_X86_INSN_H
#define RASVM_KVM_X86_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum insn_kind {
	INSN_UNKNOWN,
	INSN_INT3,    /* CC: #BP as a trap (the handler sees RIP after it) */
	INSN_FWAIT,   /* 9B: nothing, or #MF if an unmasked x87 exception is pending */
	INSN_POPCNT,  /* F3 [REX] 0F B8 /r */
	INSN_COUNT,
};

/* ModRM operand: a register, or memory at base + index * scale + disp (rip-relative: disp
 * from the next instruction). Register numbers 0-15 in the encoding's order (RAX RCX RDX RBX
 * RSP RBP RSI RDI R8..R15); -1 none. */
struct insn_operand {
	bool is_mem;
	int reg;
	int base, index;
	unsigned scale;
	int64_t disp;
	bool rip_relative;
	int seg;            /* 4 FS, 5 GS, -1 none (other overrides have base 0 in 64-bit mode) */
};

struct insn {
	enum insn_kind kind;
	unsigned len;       /* bytes, prefixes included */
	unsigned opsize;    /* 2, 4 or 8 */
	int reg;            /* ModRM.reg with REX.R: the destination */
	struct insn_operand rm;
};

/* Decode the 64-bit-mode instruction in b[0..n). Returns 0, or -EINVAL when it is none rasvm
 * completes (or is truncated). */
int insn_decode(const uint8_t *b, size_t n, struct insn *out);
const char *insn_name(enum insn_kind k);

#endif
