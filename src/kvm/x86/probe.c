// SPDX-License-Identifier: MIT
/*
 * The CPL0 probe (probe.h): a scratch VM with 2 MiB of RAM, identity-mapped by one 2 MiB
 * page, a 64-bit code segment and an IDT whose 32 stubs report an exception's vector on a
 * port. Each test is a few instructions followed by `out %al, $0x80`; whatever else ends
 * KVM_RUN says why the feature cannot be used. Its vCPUs, each with its own CPUID table
 * (KVM takes a table only before a vCPU first runs):
 *   0  the table KVM supports: what would the guest see?
 *   1  the same plus what the guest sees anyway: the tests (so that KVM lets CR4 bits be set)
 *   2  the guest's table, failures cleared: did they go?
 *   3  with a lower highest basic leaf, when some did not: did that take?
 *
 * Scratch memory (guest physical):
 *   0x1000 GDT   0x2000 IDT   0x3000 PML4   0x4000 PDPT   0x5000 PD   0x6000 exception stubs
 *   0x8000 data (XSAVE area, CMPXCHG16B operand, CPUID results)   0x10000 code   0x20000 stack top
 */
#include "kvm/x86/probe.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define P_RAM   0x200000ULL
#define P_GDT   0x1000
#define P_IDT   0x2000
#define P_PML4  0x3000
#define P_PDPT  0x4000
#define P_PD    0x5000
#define P_STUBS 0x6000
#define P_DATA  0x8000
#define P_CODE  0x10000
#define P_STACK 0x20000
#define PORT_DONE  0x80
#define PORT_FAULT 0x81
#define NVCPUS 4
/* A test that has not finished after this long never will: a working instruction or
 * hypercall takes microseconds, even emulated. */
#define PROBE_TIMEOUT_MS 100

enum { EAX, EBX, ECX, EDX, NONE };

struct cpuid_bit {
	uint32_t leaf, subleaf;
	uint8_t reg, bit; /* reg NONE: every x86 CPU has it (no bit to clear) */
};

/* CPUID bits: Intel SDM Vol. 2A "CPUID"; KVM's Documentation/virt/kvm/x86/cpuid.rst. */
enum feat {
	F_INT3, F_FWAIT,
	F_XSAVE, F_OSXSAVE, F_XSAVEOPT, F_XSAVEC, F_XGETBV1, F_XSAVES, F_XFD,
	F_SMAP, F_POPCNT, F_CX16, F_RDRAND, F_RDSEED, F_CLFLUSHOPT, F_CLWB, F_RDPID, F_RDTSCP,
	F_FSGSBASE, F_INVPCID, F_PCID, F_PKU, F_OSPKE, F_SERIALIZE, F_WAITPKG, F_MOVBE,
	F_AES, F_PCLMULQDQ, F_SSSE3, F_SSE4_1, F_SSE4_2, F_SHA, F_GFNI, F_BMI2, F_ADX,
	F_AVX, F_FMA, F_F16C, F_AVX2, F_VAES, F_VPCLMULQDQ, F_AVX_VNNI,
	F_AVX512F, F_AVX512DQ, F_AVX512IFMA, F_AVX512CD, F_AVX512BW, F_AVX512VL, F_AVX512VBMI,
	F_AVX512_VBMI2, F_AVX512_VNNI, F_AVX512_BITALG, F_AVX512_VPOPCNTDQ, F_AVX512_FP16,
	F_AVX512_BF16, F_AMX_TILE, F_AMX_BF16, F_AMX_INT8,
	F_PV_UNHALT, F_PV_SEND_IPI, F_PV_SCHED_YIELD,
	F_COUNT
};

#define KVM_LEAF_FEATURES 0x40000001u

struct feature {
	const char *name;
	struct cpuid_bit bit;
	enum feat parent;        /* unusable without it (F_COUNT: none) */
	uint32_t enum_leaf;      /* the basic leaf that describes it, when not its own (0: none) */
	bool completed;          /* rasvm completes its instruction at CPL0 (machine.c) */
};

#define B1(r, b) { 1, 0, r, b }
#define B7(r, b) { 7, 0, r, b }
#define B71(r, b) { 7, 1, r, b }
#define BD1(r, b) { 0xd, 1, r, b }
#define NOBIT { 0, 0, NONE, 0 }

static const struct feature features[F_COUNT] = {
	[F_INT3] = { "int3", NOBIT, F_COUNT, 0, true },
	[F_FWAIT] = { "fwait", NOBIT, F_COUNT, 0, true },
	/* CPUID.1:ECX.XSAVE is unusable without leaf 0xD (sizes and offsets of the state);
	 * Linux's filter_cpuid_features() drops it when the highest basic leaf is below. */
	[F_XSAVE] = { "xsave", B1(ECX, 26), F_COUNT, 0xd, false },
	[F_OSXSAVE] = { "osxsave", B1(ECX, 27), F_XSAVE, 0, false },
	[F_XSAVEOPT] = { "xsaveopt", BD1(EAX, 0), F_XSAVE, 0, false },
	[F_XSAVEC] = { "xsavec", BD1(EAX, 1), F_XSAVE, 0, false },
	[F_XGETBV1] = { "xgetbv1", BD1(EAX, 2), F_XSAVE, 0, false },
	[F_XSAVES] = { "xsaves", BD1(EAX, 3), F_XSAVE, 0, false },
	[F_XFD] = { "xfd", BD1(EAX, 4), F_XSAVES, 0, false },
	[F_SMAP] = { "smap", B7(EBX, 20), F_COUNT, 0, false },
	[F_POPCNT] = { "popcnt", B1(ECX, 23), F_COUNT, 0, true },
	[F_CX16] = { "cx16", B1(ECX, 13), F_COUNT, 0, false },
	[F_RDRAND] = { "rdrand", B1(ECX, 30), F_COUNT, 0, false },
	[F_RDSEED] = { "rdseed", B7(EBX, 18), F_COUNT, 0, false },
	[F_CLFLUSHOPT] = { "clflushopt", B7(EBX, 23), F_COUNT, 0, false },
	[F_CLWB] = { "clwb", B7(EBX, 24), F_COUNT, 0, false },
	[F_RDPID] = { "rdpid", B7(ECX, 22), F_COUNT, 0, false },
	[F_RDTSCP] = { "rdtscp", { 0x80000001u, 0, EDX, 27 }, F_COUNT, 0, false },
	[F_FSGSBASE] = { "fsgsbase", B7(EBX, 0), F_COUNT, 0, false },
	[F_INVPCID] = { "invpcid", B7(EBX, 10), F_COUNT, 0, false },
	[F_PCID] = { "pcid", B1(ECX, 17), F_COUNT, 0, false },
	[F_PKU] = { "pku", B7(ECX, 3), F_XSAVE, 0, false },
	[F_OSPKE] = { "ospke", B7(ECX, 4), F_PKU, 0, false },
	[F_SERIALIZE] = { "serialize", B7(EDX, 14), F_COUNT, 0, false },
	[F_WAITPKG] = { "waitpkg", B7(ECX, 5), F_COUNT, 0, false },
	[F_MOVBE] = { "movbe", B1(ECX, 22), F_COUNT, 0, false },
	[F_AES] = { "aes", B1(ECX, 25), F_COUNT, 0, false },
	[F_PCLMULQDQ] = { "pclmulqdq", B1(ECX, 1), F_COUNT, 0, false },
	[F_SSSE3] = { "ssse3", B1(ECX, 9), F_COUNT, 0, false },
	[F_SSE4_1] = { "sse4_1", B1(ECX, 19), F_COUNT, 0, false },
	[F_SSE4_2] = { "sse4_2", B1(ECX, 20), F_COUNT, 0, false },
	[F_SHA] = { "sha_ni", B7(EBX, 29), F_COUNT, 0, false },
	[F_GFNI] = { "gfni", B7(ECX, 8), F_COUNT, 0, false },
	[F_BMI2] = { "bmi2", B7(EBX, 8), F_COUNT, 0, false },
	[F_ADX] = { "adx", B7(EBX, 19), F_COUNT, 0, false },
	[F_AVX] = { "avx", B1(ECX, 28), F_XSAVE, 0, false },
	[F_FMA] = { "fma", B1(ECX, 12), F_AVX, 0, false },
	[F_F16C] = { "f16c", B1(ECX, 29), F_AVX, 0, false },
	[F_AVX2] = { "avx2", B7(EBX, 5), F_AVX, 0, false },
	[F_VAES] = { "vaes", B7(ECX, 9), F_AVX, 0, false },
	[F_VPCLMULQDQ] = { "vpclmulqdq", B7(ECX, 10), F_AVX, 0, false },
	[F_AVX_VNNI] = { "avx_vnni", B71(EAX, 4), F_AVX2, 0, false },
	[F_AVX512F] = { "avx512f", B7(EBX, 16), F_AVX, 0, false },
	[F_AVX512DQ] = { "avx512dq", B7(EBX, 17), F_AVX512F, 0, false },
	[F_AVX512IFMA] = { "avx512ifma", B7(EBX, 21), F_AVX512F, 0, false },
	[F_AVX512CD] = { "avx512cd", B7(EBX, 28), F_AVX512F, 0, false },
	[F_AVX512BW] = { "avx512bw", B7(EBX, 30), F_AVX512F, 0, false },
	[F_AVX512VL] = { "avx512vl", B7(EBX, 31), F_AVX512F, 0, false },
	[F_AVX512VBMI] = { "avx512vbmi", B7(ECX, 1), F_AVX512F, 0, false },
	[F_AVX512_VBMI2] = { "avx512_vbmi2", B7(ECX, 6), F_AVX512F, 0, false },
	[F_AVX512_VNNI] = { "avx512_vnni", B7(ECX, 11), F_AVX512F, 0, false },
	[F_AVX512_BITALG] = { "avx512_bitalg", B7(ECX, 12), F_AVX512F, 0, false },
	[F_AVX512_VPOPCNTDQ] = { "avx512_vpopcntdq", B7(ECX, 14), F_AVX512F, 0, false },
	[F_AVX512_FP16] = { "avx512_fp16", B7(EDX, 23), F_AVX512F, 0, false },
	[F_AVX512_BF16] = { "avx512_bf16", B71(EAX, 5), F_AVX512F, 0, false },
	[F_AMX_TILE] = { "amx_tile", B7(EDX, 24), F_XFD, 0, false },
	[F_AMX_BF16] = { "amx_bf16", B7(EDX, 22), F_AMX_TILE, 0, false },
	[F_AMX_INT8] = { "amx_int8", B7(EDX, 25), F_AMX_TILE, 0, false },
	/* KVM's paravirtual features that are hypercalls (Documentation/virt/kvm/x86/hypercalls.rst) */
	[F_PV_UNHALT] = { "kvm-pv-unhalt", { KVM_LEAF_FEATURES, 0, EAX, 7 }, F_COUNT, 0, false },
	[F_PV_SEND_IPI] = { "kvm-pv-ipi", { KVM_LEAF_FEATURES, 0, EAX, 11 }, F_COUNT, 0, false },
	[F_PV_SCHED_YIELD] = { "kvm-pv-sched-yield", { KVM_LEAF_FEATURES, 0, EAX, 13 }, F_COUNT, 0, false },
};

/* One instruction (or short sequence) of a feature. RDI = the data area, RSP = a stack. */
struct test {
	enum feat f;
	const char *insn;
	const uint8_t *code;
	uint8_t len;
	uint64_t rax, rbx, rcx, rdx, rsi;
	bool xsave_mask; /* RDX:RAX = the test XCR0 (XSETBV's value, XSAVE*'s mask) */
	bool hypercall;  /* code: VMCALL or VMMCALL, the host vendor's */
	bool smp_only;   /* only guests with several vCPUs use it */
};

#define CODE(...) .code = (const uint8_t[]){ __VA_ARGS__ }, .len = sizeof((const uint8_t[]){ __VA_ARGS__ })
/* mov %cr4,%rax; bts $bit,%rax; mov %rax,%cr4 */
#define SET_CR4(bit) 0x0f, 0x20, 0xe0, 0x48, 0x0f, 0xba, 0xe8, bit, 0x0f, 0x22, 0xe0

static const struct test tests[] = {
	/* INT3 would need a handler that returns: the stub reports vector 3, which is success. */
	{ F_INT3, "int3", CODE(0xcc) },
	{ F_FWAIT, "fwait", CODE(0x9b) },
	/* What Linux's FPU code does: fpu__init_cpu_xstate, every context switch, signals. */
	{ F_XSAVE, "xsetbv", CODE(0x31, 0xc9, 0x0f, 0x01, 0xd1), .xsave_mask = true },
	{ F_XSAVE, "xgetbv", CODE(0x31, 0xc9, 0x0f, 0x01, 0xd0) },
	{ F_XSAVE, "xsave", CODE(0x48, 0x0f, 0xae, 0x27), .xsave_mask = true },
	{ F_XSAVE, "xrstor", CODE(0x48, 0x0f, 0xae, 0x27, 0x48, 0x0f, 0xae, 0x2f), .xsave_mask = true },
	{ F_XSAVEOPT, "xsaveopt", CODE(0x48, 0x0f, 0xae, 0x37), .xsave_mask = true },
	{ F_XSAVEC, "xsavec", CODE(0x48, 0x0f, 0xc7, 0x27), .xsave_mask = true },
	{ F_XSAVES, "xsaves", CODE(0x48, 0x0f, 0xc7, 0x2f), .xsave_mask = true },
	{ F_XSAVES, "xrstors", CODE(0x48, 0x0f, 0xc7, 0x2f, 0x48, 0x0f, 0xc7, 0x1f), .xsave_mask = true },
	/* stac; clac: every user access in the kernel */
	{ F_SMAP, "stac", CODE(0x0f, 0x01, 0xcb) },
	{ F_SMAP, "clac", CODE(0x0f, 0x01, 0xca) },
	{ F_POPCNT, "popcnt", CODE(0xf3, 0x48, 0x0f, 0xb8, 0xc7) },
	{ F_CX16, "cmpxchg16b", CODE(0x48, 0x0f, 0xc7, 0x0f) },
	{ F_RDRAND, "rdrand", CODE(0x48, 0x0f, 0xc7, 0xf0) },
	{ F_RDSEED, "rdseed", CODE(0x48, 0x0f, 0xc7, 0xf8) },
	{ F_CLFLUSHOPT, "clflushopt", CODE(0x66, 0x0f, 0xae, 0x3f) },
	{ F_CLWB, "clwb", CODE(0x66, 0x0f, 0xae, 0x37) },
	/* rdpid: the percpu base in paranoid_entry (NMI, #MC) once FSGSBASE is on */
	{ F_RDPID, "rdpid", CODE(0xf3, 0x0f, 0xc7, 0xf8) },
	{ F_RDTSCP, "rdtscp", CODE(0x0f, 0x01, 0xf9) },
	{ F_FSGSBASE, "cr4.fsgsbase", CODE(SET_CR4(16)) },
	{ F_FSGSBASE, "rdgsbase", CODE(0xf3, 0x48, 0x0f, 0xae, 0xc8) },
	{ F_FSGSBASE, "wrgsbase", CODE(0xf3, 0x48, 0x0f, 0xae, 0xc8, 0xf3, 0x48, 0x0f, 0xae, 0xd8) },
	/* invpcid (%rdi),%rax, type 2: everything, globals included */
	{ F_INVPCID, "invpcid", CODE(0x66, 0x0f, 0x38, 0x82, 0x07), .rax = 2 },
	/* CR4.PCIDE, mov %cr3 with bit 63 (keep the TLB), CR4.PCIDE off again */
	{ F_PCID, "cr4.pcide", CODE(SET_CR4(17), 0x0f, 0x20, 0xd8, 0x48, 0x0f, 0xba, 0xe8, 0x3f,
				   0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xe0, 0x48, 0x0f, 0xba, 0xf0, 0x11,
				   0x0f, 0x22, 0xe0) },
	{ F_PKU, "cr4.pke", CODE(SET_CR4(22)) },
	{ F_PKU, "wrpkru", CODE(0x31, 0xc0, 0x31, 0xc9, 0x31, 0xd2, 0x0f, 0x01, 0xef) },
	{ F_PKU, "rdpkru", CODE(0x31, 0xc9, 0x0f, 0x01, 0xee) },
	{ F_SERIALIZE, "serialize", CODE(0x0f, 0x01, 0xe8) },
	/* tpause %ecx with a deadline in the past (delay loops) */
	{ F_WAITPKG, "tpause", CODE(0x66, 0x0f, 0xae, 0xf1) },
	{ F_MOVBE, "movbe", CODE(0x48, 0x0f, 0x38, 0xf0, 0x07) },
	/* What the kernel's crypto and checksums use between kernel_fpu_begin/end. */
	{ F_AES, "aesenc", CODE(0x66, 0x0f, 0x38, 0xdc, 0xc0) },
	{ F_PCLMULQDQ, "pclmulqdq", CODE(0x66, 0x0f, 0x3a, 0x44, 0xc0, 0x00) },
	{ F_SSSE3, "pshufb", CODE(0x66, 0x0f, 0x38, 0x00, 0xc0) },
	{ F_SSE4_1, "ptest", CODE(0x66, 0x0f, 0x38, 0x17, 0xc0) },
	{ F_SSE4_2, "crc32", CODE(0xf2, 0x48, 0x0f, 0x38, 0xf1, 0xc0) },
	{ F_SHA, "sha1nexte", CODE(0x0f, 0x38, 0xc8, 0xc0) },
	{ F_GFNI, "gf2p8mulb", CODE(0x66, 0x0f, 0x38, 0xcf, 0xc0) },
	{ F_BMI2, "shlx", CODE(0xc4, 0xe2, 0xf9, 0xf7, 0xc0) },
	{ F_ADX, "adcx", CODE(0x66, 0x48, 0x0f, 0x38, 0xf6, 0xc0) },
	{ F_AVX, "vxorps", CODE(0xc5, 0xfc, 0x57, 0xc0) },
	{ F_FMA, "vfmadd213pd", CODE(0xc4, 0xe2, 0xf9, 0xa8, 0xc0) },
	{ F_F16C, "vcvtph2ps", CODE(0xc4, 0xe2, 0x79, 0x13, 0xc0) },
	{ F_AVX2, "vpaddd", CODE(0xc5, 0xfd, 0xfe, 0xc0) },
	{ F_VAES, "vaesenc", CODE(0xc4, 0xe2, 0x7d, 0xdc, 0xc0) },
	{ F_VPCLMULQDQ, "vpclmulqdq", CODE(0xc4, 0xe3, 0x7d, 0x44, 0xc0, 0x00) },
	{ F_AVX512F, "vxorps-zmm", CODE(0x62, 0xf1, 0x7c, 0x48, 0x57, 0xc0) },
	/* Hypercalls aimed at this vCPU itself (APIC id 0). KVM_HC_KICK_CPU 5; KVM_HC_SEND_IPI 10:
	 * bitmap 1 from APIC id 0, a fixed IPI, vector 0xf0, left pending (interrupts are off);
	 * KVM_HC_SCHED_YIELD 11. */
	{ F_PV_UNHALT, "hypercall 5", .rax = 5, .hypercall = true, .smp_only = true },
	{ F_PV_SEND_IPI, "hypercall 10", .rax = 10, .rbx = 1, .rsi = 0xf0, .hypercall = true,
	  .smp_only = true },
	{ F_PV_SCHED_YIELD, "hypercall 11", .rax = 11, .hypercall = true, .smp_only = true },
};

/* The leaves the features live in, read back from inside the scratch VM. */
static const struct {
	uint32_t leaf, subleaf;
} queried[] = { { 0, 0 }, { 1, 0 }, { 7, 0 }, { 7, 1 }, { 0xd, 1 }, { 0x80000001u, 0 },
		{ KVM_LEAF_FEATURES, 0 } };
#define NQUERIED (sizeof(queried) / sizeof(queried[0]))

struct view {
	uint32_t r[NQUERIED][4];
};

static struct kvm_cpuid_entry2 *leaf_of(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == fn && (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == idx))
			return e;
	}
	return NULL;
}

static uint32_t *reg_of(struct kvm_cpuid_entry2 *e, unsigned reg)
{
	return reg == EAX ? &e->eax : reg == EBX ? &e->ebx : reg == ECX ? &e->ecx : &e->edx;
}

static void table_set(struct kvm_cpuid2 *c, const struct cpuid_bit *b, bool on)
{
	struct kvm_cpuid_entry2 *e = b->reg == NONE ? NULL : leaf_of(c, b->leaf, b->subleaf);
	if (e)
		*reg_of(e, b->reg) = on ? *reg_of(e, b->reg) | 1u << b->bit : *reg_of(e, b->reg) & ~(1u << b->bit);
}

/* Does the guest see the feature? Leaves beyond the highest basic (or KVM) leaf read as absent,
 * as an OS that follows CPUID.0:EAX never asks for them. */
static bool visible(const struct view *v, const struct cpuid_bit *b)
{
	if (b->reg == NONE)
		return true;
	if (b->leaf < 0x40000000u && b->leaf > v->r[0][0])
		return false;
	for (unsigned i = 0; i < NQUERIED; i++)
		if (queried[i].leaf == b->leaf && queried[i].subleaf == b->subleaf)
			return v->r[i][b->reg] >> b->bit & 1;
	return false;
}

/* ---- the scratch VM ---- */

struct scratch {
	int vm, vcpu[NVCPUS];
	struct kvm_run *run[NVCPUS];
	uint8_t *ram;
	size_t run_size;
	timer_t timer;
	bool has_timer;
	uint64_t xcr0;
	bool amd;
};

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void scratch_memory(uint8_t *ram)
{
	/* GDT: null, code64 0x08, data 0x10 (SDM Vol. 3A 3.4.5). */
	put64(ram + P_GDT + 8, 0x00af9b000000ffffULL);
	put64(ram + P_GDT + 16, 0x00cf93000000ffffULL);
	/* Page tables: one 2 MiB page at 0, present, writable. */
	put64(ram + P_PML4, P_PDPT | 3);
	put64(ram + P_PDPT, P_PD | 3);
	put64(ram + P_PD, 0x83);
	/* IDT: 32 interrupt gates (SDM Vol. 3A 6.14.1), each to a stub that reports its vector:
	 * mov $v,%al; out %al,$0x81; hlt; jmp .-1 */
	for (unsigned v = 0; v < 32; v++) {
		uint64_t stub = P_STUBS + 8 * v;
		uint8_t *g = ram + P_IDT + 16 * v;
		const uint8_t code[8] = { 0xb0, (uint8_t)v, 0xe6, PORT_FAULT, 0xf4, 0xeb, 0xfd, 0x90 };
		memcpy(ram + stub, code, sizeof(code));
		memset(g, 0, 16);
		g[0] = (uint8_t)stub, g[1] = (uint8_t)(stub >> 8);
		g[2] = 0x08;             /* selector */
		g[5] = 0x8e;             /* present, DPL 0, 64-bit interrupt gate */
		g[6] = (uint8_t)(stub >> 16), g[7] = (uint8_t)(stub >> 24);
	}
}

static void scratch_destroy(struct scratch *s)
{
	if (s->has_timer)
		timer_delete(s->timer);
	for (unsigned i = 0; i < NVCPUS; i++) {
		if (s->run[i])
			munmap(s->run[i], s->run_size);
		if (s->vcpu[i] >= 0)
			close(s->vcpu[i]);
	}
	if (s->vm >= 0)
		close(s->vm);
	if (s->ram)
		munmap(s->ram, P_RAM);
}

static int scratch_create(int kvm, struct scratch *s)
{
	s->vm = ioctl(kvm, KVM_CREATE_VM, 0);
	s->ram = mmap(NULL, P_RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->vm < 0 || s->ram == MAP_FAILED) {
		s->ram = NULL;
		return -errno;
	}
	scratch_memory(s->ram);
	struct kvm_userspace_memory_region r = { .memory_size = P_RAM, .userspace_addr = (uintptr_t)s->ram };
	/* The in-kernel local APIC: the hypercalls need one, as a guest has. */
	if (ioctl(s->vm, KVM_SET_TSS_ADDR, (unsigned long)0xfffbd000) < 0 ||
	    ioctl(s->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0 || ioctl(s->vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return -errno;
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return -errno;
	s->run_size = (size_t)size;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM };
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	s->has_timer = timer_create(CLOCK_MONOTONIC, &sev, &s->timer) == 0;
	return s->has_timer ? 0 : -errno;
}

/* vCPU i in 64-bit mode with the CPUID table c. */
static int scratch_vcpu(struct scratch *s, unsigned i, struct kvm_cpuid2 *c, uint64_t xcr0)
{
	int fd = ioctl(s->vm, KVM_CREATE_VCPU, (unsigned long)i);
	if (fd < 0)
		return -errno;
	s->vcpu[i] = fd;
	s->run[i] = mmap(NULL, s->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s->run[i] == MAP_FAILED) {
		s->run[i] = NULL;
		return -errno;
	}
	/* With the in-kernel local APIC, every vCPU but 0 would wait for INIT/SIPI. */
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	if (ioctl(fd, KVM_SET_CPUID2, c) < 0 || ioctl(fd, KVM_SET_MP_STATE, &mp) < 0)
		return -errno;
	struct kvm_sregs sr;
	if (ioctl(fd, KVM_GET_SREGS, &sr) < 0)
		return -errno;
	sr.cs = (struct kvm_segment){ .limit = 0xffffffff, .selector = 0x08, .type = 0xb, .present = 1,
				      .s = 1, .l = 1, .g = 1 };
	sr.ds = (struct kvm_segment){ .limit = 0xffffffff, .selector = 0x10, .type = 0x3, .present = 1,
				      .s = 1, .db = 1, .g = 1 };
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt = (struct kvm_dtable){ .base = P_GDT, .limit = 23 };
	sr.idt = (struct kvm_dtable){ .base = P_IDT, .limit = 32 * 16 - 1 };
	sr.cr3 = P_PML4;
	/* PAE, OSFXSR, OSXMMEXCPT, and OSXSAVE when testing XSAVE (SDM Vol. 3A 2.5). */
	sr.cr4 = (1 << 5) | (1 << 9) | (1 << 10) | (xcr0 ? 1 << 18 : 0);
	sr.cr0 = (1u << 0) | (1u << 1) | (1u << 4) | (1u << 5) | (1u << 16) | (1u << 31);
	sr.efer = (1 << 8) | (1 << 10); /* LME, LMA */
	if (ioctl(fd, KVM_SET_SREGS, &sr) < 0)
		return -errno;
	if (xcr0) {
		struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = xcr0 } } };
		if (ioctl(fd, KVM_SET_XCRS, &x) < 0)
			return -errno;
	}
	return 0;
}

/* Run code on vCPU i until it reports; outcome and detail as in struct probe_feature. */
static enum probe_outcome scratch_run(struct scratch *s, unsigned i, const uint8_t *code, size_t len,
				      const struct kvm_regs *regs_in, uint32_t *detail)
{
	uint8_t *p = s->ram + P_CODE;
	struct kvm_regs regs = *regs_in;

	memcpy(p, code, len);
	p[len] = 0xe6, p[len + 1] = PORT_DONE; /* out %al,$0x80 */
	p[len + 2] = 0xf4;                     /* hlt */
	regs.rip = P_CODE;
	regs.rsp = P_STACK;
	regs.rflags = 2;
	*detail = 0;
	if (ioctl(s->vcpu[i], KVM_SET_REGS, &regs) < 0)
		return PROBE_OTHER;

	struct itimerspec its = { .it_value = { .tv_nsec = PROBE_TIMEOUT_MS * 1000000L } }, off = { 0 };
	timed_out = 0;
	timer_settime(s->timer, 0, &its, NULL);
	int r;
	do {
		r = ioctl(s->vcpu[i], KVM_RUN, 0);
	} while (r < 0 && errno == EINTR && !timed_out);
	int err = errno;
	timer_settime(s->timer, 0, &off, NULL);
	if (r < 0) {
		*detail = (uint32_t)err;
		return timed_out ? PROBE_HANG : PROBE_OTHER;
	}
	struct kvm_run *run = s->run[i];
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.port == PORT_DONE)
			return PROBE_RAN;
		if (run->io.port == PORT_FAULT) {
			*detail = *((uint8_t *)run + run->io.data_offset);
			return PROBE_FAULT;
		}
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		*detail = run->internal.suberror;
		return run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? PROBE_EMULATION : PROBE_OTHER;
	case KVM_EXIT_SHUTDOWN:
		*detail = 8; /* a fault the IDT could not take */
		return PROBE_FAULT;
	default:
		break;
	}
	*detail = run->exit_reason;
	return PROBE_OTHER;
}

/* What the guest of vCPU i sees in the queried leaves. */
static int read_view(struct scratch *s, unsigned i, struct view *v)
{
	/* cpuid; mov %eax,(%rdi); mov %ebx,4(%rdi); mov %ecx,8(%rdi); mov %edx,12(%rdi) */
	static const uint8_t code[] = { 0x0f, 0xa2, 0x89, 0x07, 0x89, 0x5f, 0x04, 0x89, 0x4f, 0x08,
					0x89, 0x57, 0x0c };
	for (unsigned q = 0; q < NQUERIED; q++) {
		struct kvm_regs regs = { .rax = queried[q].leaf, .rcx = queried[q].subleaf, .rdi = P_DATA };
		uint32_t detail;
		enum probe_outcome o_ = scratch_run(s, i, code, sizeof(code), &regs, &detail); if (o_ != PROBE_RAN) fprintf(stderr, "view %u q %u: %d %u\n", i, q, o_, detail);
		if (o_ != PROBE_RAN)
			return -EIO;
		memcpy(v->r[q], s->ram + P_DATA, 16);
	}
	return 0;
}

static void clear_events(int fd)
{
	struct kvm_vcpu_events ev;

	/* A fault or a queued IPI of an earlier test must not leak into the next one. */
	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &ev) == 0) {
		ev.exception.injected = ev.exception.pending = 0;
		ev.nmi.injected = ev.nmi.pending = 0;
		ev.interrupt.injected = 0;
		ioctl(fd, KVM_SET_VCPU_EVENTS, &ev);
	}
}

static enum probe_outcome run_test(struct scratch *s, const struct test *t, uint32_t *detail)
{
	uint8_t code[64];
	size_t len = t->len;
	struct kvm_regs regs = { .rdi = P_DATA, .rax = t->rax, .rbx = t->rbx, .rcx = t->rcx,
				 .rdx = t->rdx, .rsi = t->rsi };

	if (t->hypercall) {
		/* vmcall (Intel) / vmmcall (AMD): what Linux's kvm_hypercall*() use on this vendor. */
		code[0] = 0x0f, code[1] = 0x01, code[2] = s->amd ? 0xd9 : 0xc1;
		len = 3;
	} else {
		memcpy(code, t->code, len);
	}
	if (t->xsave_mask) {
		regs.rax = (uint32_t)s->xcr0;
		regs.rdx = s->xcr0 >> 32;
	}
	memset(s->ram + P_DATA, 0, 0x4000);
	clear_events(s->vcpu[1]);
	enum probe_outcome o = scratch_run(s, 1, code, len, &regs, detail);
	/* INT3 ran when its handler was reached with the return address after it. */
	if (t->f == F_INT3 && o == PROBE_FAULT && *detail == 3)
		return PROBE_RAN;
	return o;
}

static bool is_amd(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = leaf_of(c, 0, 0);
	/* "AuthenticAMD" / "HygonGenuine": EBX "Auth" / "Hygo" */
	return e && (e->ebx == 0x68747541 || e->ebx == 0x6f677948);
}

static struct probe_feature *note(struct cpu_probe *out, enum feat f)
{
	for (unsigned i = 0; i < out->count; i++)
		if (out->f[i].name == features[f].name)
			return &out->f[i];
	if (out->count == PROBE_MAX)
		return NULL;
	struct probe_feature *p = &out->f[out->count++];
	*p = (struct probe_feature){ .name = features[f].name, .outcome = PROBE_RAN, .state = PROBE_KEPT };
	return p;
}

static void fail(bool *failed, struct cpu_probe *out, enum feat f, enum probe_outcome o,
		 const char *insn, uint32_t detail)
{
	failed[f] = true;
	struct probe_feature *p = note(out, f);
	if (p && p->outcome == PROBE_RAN)
		p->outcome = o, p->insn = insn, p->detail = detail;
	/* Whatever needs it goes with it. */
	for (unsigned g = 0; g < F_COUNT; g++)
		if (features[g].parent == f && !failed[g])
			fail(failed, out, (enum feat)g, PROBE_NEEDS, NULL, f);
}

static struct kvm_cpuid2 *table_copy(const struct kvm_cpuid2 *c)
{
	size_t size = sizeof(*c) + c->nent * sizeof(c->entries[0]);
	struct kvm_cpuid2 *n = malloc(size);
	if (n)
		memcpy(n, c, size);
	return n;
}

int cpu_probe_run(int kvm_fd, struct kvm_cpuid2 *cpuid, bool smp, struct cpu_probe *out)
{
	struct timespec t0, t1;
	struct scratch s = { .vm = -1, .vcpu = { -1, -1, -1, -1 }, .amd = is_amd(cpuid) };
	struct sigaction sa = { .sa_handler = on_alarm }, old_sa;
	sigset_t alrm, old_mask;
	bool failed[F_COUNT] = { false };
	struct view seen, after;
	struct kvm_cpuid2 *wide = table_copy(cpuid), *guest = table_copy(cpuid);
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(out, 0, sizeof(*out));
	if (!wide || !guest) {
		free(wide);
		free(guest);
		return -ENOMEM;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old_sa);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &alrm, &old_mask);

	/* 0: what would the guest see? */
	if ((r = scratch_create(kvm_fd, &s)) || (r = scratch_vcpu(&s, 0, cpuid, 0)) ||
	    (r = read_view(&s, 0, &seen)))
		goto out;
	out->max_leaf_was = out->max_leaf = seen.r[0][0];

	/* 1: the tests, with KVM told of everything the guest sees (CR4 bits need it). */
	for (unsigned f = 0; f < F_COUNT; f++)
		if (visible(&seen, &features[f].bit))
			table_set(wide, &features[f].bit, true);
	struct kvm_cpuid_entry2 *d = leaf_of(cpuid, 0xd, 0);
	if (visible(&seen, &features[F_XSAVE].bit) && d)
		s.xcr0 = (d->eax | (uint64_t)d->edx << 32) & 0xe7; /* x87, SSE, YMM, AVX-512 */
	if ((r = scratch_vcpu(&s, 1, wide, s.xcr0)))
		goto out;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		const struct test *t = &tests[i];
		uint32_t detail;
		if (failed[t->f] || !visible(&seen, &features[t->f].bit) || (t->smp_only && !smp))
			continue;
		struct probe_feature *p = note(out, t->f);
		enum probe_outcome o = run_test(&s, t, &detail);
		if (p && o != PROBE_RAN)
			fail(failed, out, t->f, o, t->insn, detail);
	}

	/* 2: the guest's table without what failed; did it go? */
	for (unsigned f = 0; f < F_COUNT; f++)
		if (failed[f])
			table_set(guest, &features[f].bit, false);
	if ((r = scratch_vcpu(&s, 2, guest, 0)) || (r = read_view(&s, 2, &after)))
		goto out;
	uint32_t cut = out->max_leaf + 1;
	for (unsigned f = 0; f < F_COUNT; f++) {
		const struct feature *ft = &features[f];
		uint32_t leaf = ft->enum_leaf ? ft->enum_leaf : ft->bit.leaf;
		if (failed[f] && !ft->completed && visible(&after, &ft->bit) && leaf >= 2 &&
		    leaf < 0x40000000u && leaf < cut)
			cut = leaf;
	}
	if (cut <= out->max_leaf) {
		/* 3: what stays visible goes with its leaf: the highest basic leaf below it. */
		struct view cutv;
		struct kvm_cpuid_entry2 *l0 = leaf_of(guest, 0, 0);
		if (!l0) {
			r = -EINVAL;
			goto out;
		}
		l0->eax = cut - 1;
		if ((r = scratch_vcpu(&s, 3, guest, 0)) || (r = read_view(&s, 3, &cutv)))
			goto out;
		if (cutv.r[0][0] == cut - 1) {
			out->max_leaf = cut - 1;
			after = cutv;
		} else {
			l0->eax = out->max_leaf_was; /* KVM here does not let the VMM lower it */
		}
	}
	for (unsigned i = 0; i < out->count; i++) {
		struct probe_feature *p = &out->f[i];
		unsigned f = 0;
		while (f < F_COUNT && features[f].name != p->name)
			f++;
		const struct feature *ft = &features[f];
		uint32_t leaf = ft->enum_leaf ? ft->enum_leaf : ft->bit.leaf;
		if (!failed[f]) {
			p->state = PROBE_KEPT;
			out->kept++;
		} else if (ft->bit.reg != NONE && leaf >= 2 && leaf < 0x40000000u && leaf > out->max_leaf) {
			p->state = PROBE_LEAF_CUT;
			out->cut++;
		} else if (!visible(&after, &ft->bit)) {
			p->state = PROBE_HIDDEN;
			out->hidden++;
		} else if (ft->completed) {
			p->state = PROBE_COMPLETED;
			out->completed++;
		} else {
			p->state = PROBE_EXPOSED;
			out->exposed++;
		}
	}
	memcpy(cpuid, guest, sizeof(*guest) + guest->nent * sizeof(guest->entries[0]));
	out->done = true;
out:
	scratch_destroy(&s);
	free(wide);
	free(guest);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGALRM, &old_sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	return r;
}

const char *cpu_probe_outcome_name(enum probe_outcome o)
{
	switch (o) {
	case PROBE_RAN: return "runs";
	case PROBE_EMULATION: return "KVM cannot emulate it";
	case PROBE_FAULT: return "faults";
	case PROBE_HANG: return "never returns";
	case PROBE_OTHER: return "unexpected exit";
	case PROBE_NEEDS: return "needs";
	}
	return "?";
}

void cpu_probe_describe(const struct cpu_probe *p, enum probe_state st, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned i = 0; i < p->count && n + 1 < len; i++) {
		const struct probe_feature *f = &p->f[i];
		int w;
		if (f->state != st)
			continue;
		const char *sep = n ? ", " : "";
		if (f->outcome == PROBE_RAN)
			w = snprintf(buf + n, len - n, "%s%s", sep, f->name);
		else if (f->outcome == PROBE_NEEDS)
			w = snprintf(buf + n, len - n, "%s%s (needs %s)", sep, f->name, features[f->detail].name);
		else if (f->outcome == PROBE_FAULT)
			w = snprintf(buf + n, len - n, "%s%s (%s: faults, vector %u)", sep, f->name, f->insn, f->detail);
		else
			w = snprintf(buf + n, len - n, "%s%s (%s: %s)", sep, f->name, f->insn,
				     cpu_probe_outcome_name(f->outcome));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}
