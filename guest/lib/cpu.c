// SPDX-License-Identifier: MIT
/* The guest's own GDT and IDT (it does not keep the VMM's boot GDT) and trap dispatch. */
#include "guest.h"

extern const char trap_vectors[]; /* start.S: 32 stubs, 16 bytes apart */

static const uint64_t gdt[] = {
	0,
	0x00af9b000000ffffULL, /* 0x08: 64-bit code, DPL0 */
	0x00cf93000000ffffULL, /* 0x10: data, DPL0 */
};

static uint64_t idt[32 * 2];
static trap_handler handlers[32];

struct __attribute__((packed)) table_ptr {
	uint16_t limit;
	uint64_t base;
};

static void set_gate(unsigned vector, uint64_t addr)
{
	/* Intel SDM Vol. 3A 6.14.1: 64-bit interrupt gate, present, DPL0, selector 0x08. */
	idt[2 * vector] = (addr & 0xffff) | (0x08ULL << 16) | (0x8eULL << 40) |
			  ((addr >> 16) & 0xffff) << 48;
	idt[2 * vector + 1] = addr >> 32;
}

void cpu_init_tables(void)
{
	static volatile int idt_ready;
	struct table_ptr g = { sizeof(gdt) - 1, (uint64_t)gdt };
	struct table_ptr i = { sizeof(idt) - 1, (uint64_t)idt };

	/* The first vCPU fills the IDT; the others use it once it is complete. */
	int unclaimed = 0;
	if (__atomic_compare_exchange_n(&idt_ready, &unclaimed, 1, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		for (unsigned v = 0; v < 32; v++)
			set_gate(v, (uint64_t)(trap_vectors + 16 * v));
		__atomic_store_n(&idt_ready, 2, __ATOMIC_RELEASE);
	}
	while (__atomic_load_n(&idt_ready, __ATOMIC_ACQUIRE) != 2)
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
			 "lidt %1"
			 :
			 : "m"(g), "m"(i)
			 : "rax", "memory");
}

void trap_set_handler(unsigned vector, trap_handler h)
{
	if (vector < 32)
		handlers[vector] = h;
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < 32 && handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	char msg[96];
	snprintf(msg, sizeof(msg), "unexpected exception %u (error code 0x%x) at rip 0x%lx",
		 (unsigned)f->vector, (unsigned)f->error_code, f->rip);
	ucall_assert(__FILE__, __LINE__, msg);
}
