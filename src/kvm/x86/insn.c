// SPDX-License-Identifier: MIT
/* Decoding the instructions rasvm completes (insn.h); Intel SDM Vol. 2A chapter 2. */
#include "kvm/x86/insn.h"

#include <errno.h>
#include <string.h>

#define MAX_INSN 15 /* SDM Vol. 2A 2.3.11: longer raises #GP */

const char *insn_name(enum insn_kind k)
{
	switch (k) {
	case INSN_INT3: return "int3";
	case INSN_FWAIT: return "fwait";
	case INSN_POPCNT: return "popcnt";
	default: return "?";
	}
}

/* ModRM, SIB and displacement (SDM Vol. 2A 2.1.5, 2.2.1.3 for REX and rip-relative). */
static int decode_modrm(const uint8_t *b, size_t n, size_t *i, unsigned rex, int seg,
			struct insn *out)
{
	if (*i >= n)
		return -EINVAL;
	uint8_t modrm = b[(*i)++];
	unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
	struct insn_operand *o = &out->rm;

	out->reg = (int)(reg | (rex & 4 ? 8 : 0));
	*o = (struct insn_operand){ .reg = -1, .base = -1, .index = -1, .scale = 1, .seg = seg };
	if (mod == 3) {
		o->reg = (int)(rm | (rex & 1 ? 8 : 0));
		return 0;
	}
	o->is_mem = true;
	unsigned disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (rm == 4) {
		if (*i >= n)
			return -EINVAL;
		uint8_t sib = b[(*i)++];
		unsigned base = sib & 7, index = ((sib >> 3) & 7) | (rex & 2 ? 8 : 0);
		o->scale = 1u << (sib >> 6);
		if (index != 4)
			o->index = (int)index; /* 4 (RSP) without REX.X: no index */
		if (base == 5 && mod == 0)
			disp_bytes = 4; /* no base, disp32 */
		else
			o->base = (int)(base | (rex & 1 ? 8 : 0));
	} else if (rm == 5 && mod == 0) {
		o->rip_relative = true;
		disp_bytes = 4;
	} else {
		o->base = (int)(rm | (rex & 1 ? 8 : 0));
	}
	if (*i + disp_bytes > n)
		return -EINVAL;
	if (disp_bytes == 1) {
		o->disp = (int8_t)b[*i];
	} else if (disp_bytes == 4) {
		int32_t d;
		memcpy(&d, b + *i, 4);
		o->disp = d;
	}
	*i += disp_bytes;
	return 0;
}

int insn_decode(const uint8_t *b, size_t n, struct insn *out)
{
	size_t i = 0;
	unsigned rex = 0;
	bool opsize16 = false, rep = false, repne = false;
	int seg = -1;

	memset(out, 0, sizeof(*out));
	if (n > MAX_INSN)
		n = MAX_INSN;
	/* Legacy prefixes in any order, and REX, which counts only right before the opcode
	 * (SDM Vol. 2A 2.1.1, 2.2.1: a legacy prefix after it makes the CPU ignore it). */
	for (; i < n; i++) {
		uint8_t p = b[i];
		if ((p & 0xf0) == 0x40) {
			rex = p & 0xf;
			continue;
		}
		if (p == 0x66)
			opsize16 = true;
		else if (p == 0xf3)
			rep = true, repne = false;
		else if (p == 0xf2)
			repne = true, rep = false;
		else if (p == 0x64)
			seg = 4;
		else if (p == 0x65)
			seg = 5;
		else if (p != 0x2e && p != 0x36 && p != 0x3e && p != 0x26 && p != 0xf0 && p != 0x67)
			break; /* CS/SS/DS/ES have base 0 in 64-bit mode; LOCK; 0x67 (not used here) */
		rex = 0;
	}
	if (i >= n)
		return -EINVAL;
	out->opsize = rex & 8 ? 8 : opsize16 ? 2 : 4;
	uint8_t op = b[i++];
	if (op == 0xcc && !rex) {
		out->kind = INSN_INT3;
	} else if (op == 0x9b && !rex) {
		out->kind = INSN_FWAIT;
	} else if (op == 0x0f && i < n && b[i] == 0xb8 && rep && !repne) {
		i++;
		if (decode_modrm(b, n, &i, rex, seg, out))
			return -EINVAL;
		out->kind = INSN_POPCNT;
	} else {
		return -EINVAL;
	}
	out->len = (unsigned)i;
	return 0;
}
