// SPDX-License-Identifier: MIT
/*
 * The guest's own CPU setup (it does not keep the VMM's boot structures): GDT with kernel
 * and user segments and a TSS, an IDT for all 256 vectors, page tables with one user
 * region, machine checks enabled, the local APIC and the IOAPIC route for the GED.
 */
#include "guest.h"

extern const char trap_vectors[]; /* start.S: 256 stubs, 16 bytes apart */

/* 64-bit TSS (SDM Vol. 3A 8.7): rsp0 at 4, the I/O map base at 102. */
static uint8_t tss[104] __attribute__((aligned(16)));
static uint64_t gdt[7];
static uint64_t idt[256 * 2];
static trap_handler handlers[256];
/* Page tables: PML4, PDPT, 4 PDs of 2 MiB pages for [0, 4 GiB); U only on the user region. */
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));
static uint8_t kernel_trap_stack[16384] __attribute__((aligned(16)));

#define PTE_P  0x1ULL
#define PTE_RW 0x2ULL
#define PTE_US 0x4ULL
#define PTE_PS 0x80ULL
#define CR4_MCE (1ULL << 6)
#define LAPIC_BASE 0xfee00000UL
#define IOAPIC_BASE 0xfec00000UL

struct __attribute__((packed)) table_ptr {
	uint16_t limit;
	uint64_t base;
};

static void set_gate(unsigned vector, uint64_t addr, unsigned dpl)
{
	/* SDM Vol. 3A 6.14.1: 64-bit interrupt gate, present, selector 0x08. */
	idt[2 * vector] = (addr & 0xffff) | (0x08ULL << 16) | ((0x8eULL | (uint64_t)dpl << 5) << 40) |
			  ((addr >> 16) & 0xffff) << 48;
	idt[2 * vector + 1] = addr >> 32;
}

static void build_tables(void)
{
	gdt[1] = 0x00af9b000000ffffULL; /* 0x08 kernel code */
	gdt[2] = 0x00cf93000000ffffULL; /* 0x10 kernel data */
	gdt[3] = 0x00affb000000ffffULL; /* 0x18 user code, DPL 3 */
	gdt[4] = 0x00cff3000000ffffULL; /* 0x20 user data, DPL 3 */
	uint64_t base = (uint64_t)tss, limit = sizeof(tss) - 1;
	gdt[5] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ULL << 40 | ((base >> 24) & 0xff) << 56;
	gdt[6] = base >> 32; /* 0x28: 64-bit TSS, available */
	uint64_t rsp0 = (uint64_t)(kernel_trap_stack + sizeof(kernel_trap_stack));
	for (int i = 0; i < 8; i++)
		tss[4 + i] = (uint8_t)(rsp0 >> (8 * i));
	tss[102] = sizeof(tss); /* no I/O permission map */
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, (uint64_t)(trap_vectors + 16 * v), v == SYSCALL_VECTOR ? 3 : 0);
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW | PTE_US;
	for (uint64_t g = 0; g < 4; g++) {
		pdpt[g] = (uint64_t)pd[g] | PTE_P | PTE_RW | PTE_US;
		for (uint64_t i = 0; i < 512; i++) {
			uint64_t a = (g << 30) | (i << 21);
			pd[g][i] = a | PTE_P | PTE_RW | PTE_PS | (a == USER_BASE ? PTE_US : 0);
		}
	}
}

void cpu_init_tables(uint64_t cpu)
{
	static volatile int ready;
	struct table_ptr g = { sizeof(gdt) - 1, (uint64_t)gdt };
	struct table_ptr i = { sizeof(idt) - 1, (uint64_t)idt };

	/* The first vCPU builds the shared tables; the others use them once complete. */
	int unclaimed = 0;
	if (__atomic_compare_exchange_n(&ready, &unclaimed, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		build_tables();
		__atomic_store_n(&ready, 2, __ATOMIC_RELEASE);
	}
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) != 2)
		cpu_relax();
	__asm__ volatile("lgdt %0\n\t"
			 "pushq $0x08\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl $0x10, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "lidt %1\n\t"
			 "movq %2, %%cr3"
			 :
			 : "m"(g), "m"(i), "r"((uint64_t)pml4)
			 : "rax", "memory");
	/* Only vCPU 0 runs user tasks, so only it needs the TSS (one TSS is busy per CPU). */
	if (cpu == 0) {
		__asm__ volatile("ltr %w0" ::"r"(TSS_SEL));
		/* The 8259s: KVM wires every ISA line to them, and a BIOS (SeaBIOS under QEMU)
		 * leaves them programmed with the timer on vector 8, where an exception lives.
		 * The guest uses the IOAPIC only, as any APIC-mode OS: mask them. */
		outb(0x21, 0xff);
		outb(0xa1, 0xff);
	}
	uint64_t cr4;
	ras_early(); /* the handler first (every vCPU: any may be first), then machine checks on */
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | CR4_MCE)); /* take machine checks */
	/* Local machine checks, as Linux's intel_init_lmce(): when the CPU offers them and the
	 * firmware allowed them, ask for them, so an error reaches only the CPU that hit it. */
	if ((rdmsr(MSR_IA32_MCG_CAP) & MCG_LMCE_P) &&
	    (rdmsr(MSR_IA32_FEATURE_CONTROL) & (FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_LMCE_ON)) ==
		    (FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_LMCE_ON))
		wrmsr(MSR_IA32_MCG_EXT_CTL, rdmsr(MSR_IA32_MCG_EXT_CTL) | MCG_EXT_CTL_LMCE_EN);
}

void trap_set_handler(unsigned vector, trap_handler h)
{
	if (vector < 256)
		handlers[vector] = h;
}

/* cpu_idle: sti; hlt; ret, the hlt labelled so trap_dispatch can recognise it. */
extern const char cpu_idle_hlt[];
__asm__(".text\n"
	".globl cpu_idle\n"
	"cpu_idle:\n"
	"\tsti\n"
	"cpu_idle_hlt:\n"
	"\thlt\n"
	"\tret\n");

void trap_dispatch(struct trap_frame *f)
{
	/* Interrupted before the hlt of cpu_idle (an NMI or #MC in the sti shadow): skip it,
	 * so the caller re-checks what the handler may just have changed. */
	if (f->rip == (uint64_t)(uintptr_t)cpu_idle_hlt)
		f->rip++; /* hlt is one byte */
	if (f->vector < 256 && handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	char msg[112];
	snprintf(msg, sizeof(msg), "unexpected exception %u (error code 0x%x) at rip 0x%lx cs 0x%x",
		 (unsigned)f->vector, (unsigned)f->error_code, f->rip, (unsigned)f->cs);
	ucall_assert(__FILE__, __LINE__, msg);
}

static void lapic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC_BASE + reg) = v;
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

void lapic_eoi(void)
{
	lapic_write(0xb0, 0);
}

static void spurious(struct trap_frame *f)
{
	(void)f; /* no EOI for spurious interrupts (SDM Vol. 3A 10.9) */
}

void irq_route(unsigned gsi, unsigned vector, trap_handler h)
{
	trap_set_handler(vector, h);
	trap_set_handler(SPURIOUS_VECTOR, spurious);
	lapic_write(0xf0, 0x100 | SPURIOUS_VECTOR); /* SVR: APIC software enable */
	/* IOAPIC redirection entry (82093AA 3.2.4): fixed, physical, edge, active high, to APIC 0. */
	ioapic_write(0x10 + 2 * gsi + 1, 0);
	ioapic_write(0x10 + 2 * gsi, vector);
}
