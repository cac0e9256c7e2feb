// SPDX-License-Identifier: MIT
/*
 * x86 "info registers" (arch_vcpu_dump): QEMU's x86_cpu_dump_state text with the FPU, from
 * KVM's register state, read on the vCPU's own thread.
 */
#include "kvm/x86/regs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/arch.h"
#include "text.h"
#include "vm.h"


/* The descriptor's high dword, as QEMU keeps a segment's flags. */
static uint32_t seg_flags(const struct kvm_segment *s)
{
	return (uint32_t)s->type << 8 | (uint32_t)s->s << 12 | (uint32_t)s->dpl << 13 |
	       (uint32_t)s->present << 15 | (uint32_t)s->avl << 20 | (uint32_t)s->l << 21 |
	       (uint32_t)s->db << 22 | (uint32_t)s->g << 23;
}

static void seg(struct text *t, const char *name, const struct kvm_segment *s, bool cs64, bool lma,
		bool pe)
{
	static const char *const sys[2][16] = {
		{ "Reserved", "TSS16-avl", "LDT", "TSS16-busy", "CallGate16", "TaskGate", "IntGate16",
		  "TrapGate16", "Reserved", "TSS32-avl", "Reserved", "TSS32-busy", "CallGate32",
		  "Reserved", "IntGate32", "TrapGate32" },
		{ "<hiword>", "Reserved", "LDT", "Reserved", "Reserved", "Reserved", "Reserved",
		  "Reserved", "Reserved", "TSS64-avl", "Reserved", "TSS64-busy", "CallGate64",
		  "Reserved", "IntGate64", "TrapGate64" } };
	uint32_t f = seg_flags(s);

	if (cs64)
		text_printf(t, "%-3s=%04x %016llx %08x %08x", name, s->selector, (unsigned long long)s->base,
		    s->limit, f & 0x00ffff00);
	else
		text_printf(t, "%-3s=%04x %08x %08x %08x", name, s->selector, (uint32_t)s->base, s->limit,
		    f & 0x00ffff00);
	if (pe && s->present) {
		text_printf(t, " DPL=%d ", s->dpl);
		if (s->s) {
			if (s->type & 8) /* code */
				text_printf(t, "%s [%c%c", s->l ? "CS64" : s->db ? "CS32" : "CS16",
				    s->type & 4 ? 'C' : '-', s->type & 2 ? 'R' : '-');
			else
				text_printf(t, "%s [%c%c", s->db || lma ? "DS  " : "DS16", s->type & 4 ? 'E' : '-',
				    s->type & 2 ? 'W' : '-');
			text_printf(t, "%c]", s->type & 1 ? 'A' : '-');
		} else {
			text_printf(t, "%s", sys[lma][s->type & 15]);
		}
	}
	text_printf(t, "\n");
}

size_t x86_format_regs(const struct x86_regs *r, unsigned cpu, char *out, size_t outlen)
{
	const struct kvm_regs *g = &r->regs;
	const struct kvm_sregs *s = &r->sregs;
	bool lma = s->efer & (1u << 10), cs64 = lma && s->cs.l, pe = s->cr0 & 1;
	uint32_t fl = (uint32_t)g->rflags;
	struct text t = { 0 };
	char flags[8] = { fl & 0x400 ? 'D' : '-', fl & 0x800 ? 'O' : '-', fl & 0x80 ? 'S' : '-',
			  fl & 0x40 ? 'Z' : '-', fl & 0x10 ? 'A' : '-', fl & 0x04 ? 'P' : '-',
			  fl & 0x01 ? 'C' : '-', 0 };
	int cpl = s->ss.dpl, ii = r->events.interrupt.shadow != 0, smm = r->events.smi.smm;
	int hlt = r->mp.mp_state == KVM_MP_STATE_HALTED;

	(void)cpu;
	if (cs64) {
		text_printf(&t, "RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n", g->rax, g->rbx, g->rcx, g->rdx);
		text_printf(&t, "RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n", g->rsi, g->rdi, g->rbp, g->rsp);
		text_printf(&t, "R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n", g->r8, g->r9, g->r10, g->r11);
		text_printf(&t, "R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n", g->r12, g->r13, g->r14, g->r15);
		text_printf(&t, "RIP=%016llx RFL=%08x [%s] CPL=%d II=%d A20=1 SMM=%d HLT=%d\n", g->rip, fl, flags,
		    cpl, ii, smm, hlt);
	} else {
		text_printf(&t, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", (uint32_t)g->rax, (uint32_t)g->rbx,
		    (uint32_t)g->rcx, (uint32_t)g->rdx);
		text_printf(&t, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", (uint32_t)g->rsi, (uint32_t)g->rdi,
		    (uint32_t)g->rbp, (uint32_t)g->rsp);
		text_printf(&t, "EIP=%08x EFL=%08x [%s] CPL=%d II=%d A20=1 SMM=%d HLT=%d\n", (uint32_t)g->rip, fl,
		    flags, cpl, ii, smm, hlt);
	}
	seg(&t, "ES", &s->es, cs64, lma, pe);
	seg(&t, "CS", &s->cs, cs64, lma, pe);
	seg(&t, "SS", &s->ss, cs64, lma, pe);
	seg(&t, "DS", &s->ds, cs64, lma, pe);
	seg(&t, "FS", &s->fs, cs64, lma, pe);
	seg(&t, "GS", &s->gs, cs64, lma, pe);
	seg(&t, "LDT", &s->ldt, cs64, lma, pe);
	seg(&t, "TR", &s->tr, cs64, lma, pe);
	if (lma) {
		text_printf(&t, "GDT=     %016llx %08x\n", s->gdt.base, s->gdt.limit);
		text_printf(&t, "IDT=     %016llx %08x\n", s->idt.base, s->idt.limit);
		text_printf(&t, "CR0=%08x CR2=%016llx CR3=%016llx CR4=%08x\n", (uint32_t)s->cr0, s->cr2, s->cr3,
		    (uint32_t)s->cr4);
	} else {
		text_printf(&t, "GDT=     %08x %08x\n", (uint32_t)s->gdt.base, s->gdt.limit);
		text_printf(&t, "IDT=     %08x %08x\n", (uint32_t)s->idt.base, s->idt.limit);
		text_printf(&t, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", (uint32_t)s->cr0, (uint32_t)s->cr2,
		    (uint32_t)s->cr3, (uint32_t)s->cr4);
	}
	for (int i = 0; i < 4; i++)
		text_printf(&t, "DR%d=%016llx ", i, r->dregs.db[i]);
	text_printf(&t, "\nDR6=%016llx DR7=%016llx\n", r->dregs.dr6, r->dregs.dr7);
	text_printf(&t, "EFER=%016llx\n", s->efer);
	const struct kvm_fpu *f = &r->fpu;
	text_printf(&t, "FCW=%04x FSW=%04x [ST=%d] FTW=%02x MXCSR=%08x\n", f->fcw, f->fsw, (f->fsw >> 11) & 7,
	    f->ftwx, f->mxcsr);
	for (int i = 0; i < 8; i++) {
		uint64_t lo = 0;
		for (int b = 7; b >= 0; b--)
			lo = lo << 8 | f->fpr[i][b];
		text_printf(&t, "FPR%d=%016llx %04x%s", i, (unsigned long long)lo,
		    (unsigned)(f->fpr[i][8] | f->fpr[i][9] << 8), i & 1 ? "\n" : " ");
	}
	for (int i = 0; i < (cs64 ? 16 : 8); i++) {
		uint64_t q[2] = { 0, 0 };
		for (int h = 0; h < 2; h++)
			for (int b = 7; b >= 0; b--)
				q[h] = q[h] << 8 | f->xmm[i][h * 8 + b];
		text_printf(&t, "XMM%02d=%016llx %016llx%s", i, (unsigned long long)q[1], (unsigned long long)q[0],
		    i & 1 ? "\n" : " ");
	}
	size_t n = t.len;
	if (outlen) {
		size_t c = t.p ? (n < outlen ? n : outlen - 1) : 0;
		if (c)
			memcpy(out, t.p, c);
		out[c] = '\0';
	}
	free(t.p);
	return n;
}

int arch_vcpu_dump(struct vcpu *v, char *out, size_t len)
{
	struct x86_regs r;

	memset(&r, 0, sizeof(r));
	if (ioctl(v->fd, KVM_GET_REGS, &r.regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &r.sregs) < 0)
		return -errno;
	/* What the rest of the dump shows; a vCPU that cannot say keeps zeros there. */
	if (ioctl(v->fd, KVM_GET_DEBUGREGS, &r.dregs) < 0)
		memset(&r.dregs, 0, sizeof(r.dregs));
	if (ioctl(v->fd, KVM_GET_FPU, &r.fpu) < 0)
		memset(&r.fpu, 0, sizeof(r.fpu));
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &r.events) < 0)
		memset(&r.events, 0, sizeof(r.events));
	if (ioctl(v->fd, KVM_GET_MP_STATE, &r.mp) < 0)
		memset(&r.mp, 0, sizeof(r.mp));
	x86_format_regs(&r, v->index, out, len);
	return 0;
}

int arch_vcpu_translate(struct vcpu *v, uint64_t gva, uint64_t *gpa)
{
	struct kvm_translation t = { .linear_address = gva & ~0xfffULL };

	if (ioctl(v->fd, KVM_TRANSLATE, &t) < 0)
		return -errno;
	if (!t.valid)
		return -EFAULT;
	*gpa = t.physical_address + (gva & 0xfff);
	return 0;
}
