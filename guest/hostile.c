// SPDX-License-Identifier: MIT
/*
 * Hostile scenarios: the test guest as an attacker of rasvm. Each abuses one of rasvm's
 * guest-facing surfaces (the test port and its poison requests, the GHES register page and
 * status blocks, instructions KVM cannot emulate on MMIO, every I/O port and unclaimed MMIO)
 * while, in the KVM tests, a client injects errors through the control socket. rasvm must
 * neither crash nor stall; the guest checks that what rasvm promises still holds afterwards.
 */
#include "guest.h"
#include "rasvm/layout.h"

/* Survive what the control socket sends meanwhile: machine checks in kernel code resume at
 * the fixup, records are handled quietly. */
static void hostile_setup(void)
{
	ras.serving = 1;
	ras.quiet = 1;
	ras.kernel_fixup = (uint64_t)checked_read_fault;
	ras_setup();
}

/* A ucall block rasvm reads from guest memory; built here byte by byte to send nonsense. */
struct raw_ucall {
	uint32_t cmd, zero;
	uint64_t arg0, arg1, arg2;
};

#define SENTINEL 0x5a5a5a5a5a5a5a5aULL
#define EFAULT 14
#define EBUSY 16

static uint8_t self_page[4096] __attribute__((aligned(4096)));

/* UCALL_POISON of target with the answer word preset: what did rasvm write? */
static uint64_t poison_answer(volatile struct raw_ucall *u, uint64_t target)
{
	u->cmd = UCALL_POISON;
	u->zero = 0;
	u->arg0 = target;
	u->arg1 = 1; /* action optional */
	u->arg2 = SENTINEL;
	outl(PORT_TEST, (uint32_t)(uintptr_t)u);
	return u->arg2;
}

void scenario_hostile_testport(uint64_t cpu, uint64_t ram_size)
{
	static volatile struct raw_ucall u;

	if (cpu != 0)
		return;
	hostile_setup();
	/* Block addresses that are no block: page 0's neighbour of nothing, the top of the 32-bit
	 * space, straddling the end of RAM, the GHES registers, the APICs, the MMIO hole. */
	const uint32_t bad[] = { 0xfffffff0, 0xffffffff, (uint32_t)LAYOUT_ERROR_REGION,
				 0xfee00000, 0xfec00000, 0xc0000000,
				 (uint32_t)(ram_size < 0xc0000000 ? ram_size - 8 : 0xbffffff8) };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		outl(PORT_TEST, bad[i]);
	outb(PORT_TEST, 1);
	outw(PORT_TEST, 2);
	(void)inl(PORT_TEST);
	/* Blocks that are blocks but say nothing sensible. */
	u = (struct raw_ucall){ .cmd = 0xdead };
	outl(PORT_TEST, (uint32_t)(uintptr_t)&u);
	u = (struct raw_ucall){ .cmd = UCALL_SYNC, .arg0 = 1, .arg1 = ~0ULL };
	outl(PORT_TEST, (uint32_t)(uintptr_t)&u);
	u = (struct raw_ucall){ .cmd = UCALL_SYNC, .arg0 = 1, .arg1 = ram_size - 1 };
	outl(PORT_TEST, (uint32_t)(uintptr_t)&u);
	/* A flood: rasvm must not print a line for each. */
	for (unsigned i = 0; i < 20000; i++)
		outl(PORT_TEST, 0xfffffff0);
	printf("hostile-testport: bad blocks sent\n");

	/* Poison requests rasvm must refuse, each with an answer (0 or -errno), never silence. */
	const struct { uint64_t gpa; int64_t want; } req[] = {
		{ LAYOUT_ERROR_REGION, -EBUSY },               /* the GHES register page */
		{ LAYOUT_ERROR_REGION + 0x1000, -EBUSY },      /* a GHES status block */
		{ 0xfee00000, -EFAULT },                       /* the local APIC */
		{ ~0ULL, -EFAULT },                            /* the end of everything */
		{ ram_size < 0xc0000000 ? ram_size : 0xc0000000, -EFAULT }, /* just past RAM */
	};
	for (unsigned i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		uint64_t a = poison_answer(&u, req[i].gpa);
		printf("hostile-testport: poison 0x%lx answered %ld\n", req[i].gpa, (int64_t)a);
		GUEST_ASSERT(a != SENTINEL);
		GUEST_ASSERT((int64_t)a == req[i].want);
	}
	/* The page that holds the request itself: rasvm answers before the page goes bad, so it
	 * must not touch it afterwards. The guest cannot read the answer back (the page is gone);
	 * reading it is a kernel-mode machine check the fixup survives. */
	volatile struct raw_ucall *self = (volatile struct raw_ucall *)self_page;
	self->cmd = UCALL_POISON;
	self->arg0 = (uint64_t)(uintptr_t)self_page;
	self->arg1 = 1;
	self->arg2 = SENTINEL;
	outl(PORT_TEST, (uint32_t)(uintptr_t)self_page);
	uint64_t back = checked_read((const volatile uint64_t *)&self->arg2);
	printf("hostile-testport: own block's page poisoned; reading it gave 0x%lx\n", back);
	/* And the test port on the poisoned page: refused, not a crash. */
	outl(PORT_TEST, (uint32_t)(uintptr_t)self_page);
	printf("hostile-testport: done\n");
	ucall_done();
	power_off(0);
}

/* Every offset and width of the GHES register page, read and written with garbage; then the
 * blocks and the ACPI tables overwritten. The registers must still say what the HEST says,
 * and an error afterwards must still arrive as a valid record. */
static volatile uint64_t hostile_seen;
static uint64_t hostile_page;
static void hostile_record(uint64_t addr)
{
	if ((addr & ~0xfffULL) == hostile_page)
		hostile_seen = 1;
}

void scenario_hostile_ghes(uint64_t cpu)
{
	uint64_t before[GHES_MAX];
	const uint64_t regs = LAYOUT_ERROR_REGION;

	if (cpu != 0)
		return;
	hostile_setup();
	for (int i = 0; i < ras.nsources; i++)
		before[i] = *(volatile uint64_t *)(uintptr_t)ras.sources[i].address_reg;
	uint64_t sum = 0;
	for (uint64_t off = 0; off < 4096; off++) {
		sum += *(volatile uint8_t *)(regs + off);
		if (off + 2 <= 4096)
			sum += *(volatile uint16_t *)(regs + off);
		if (off + 4 <= 4096)
			sum += *(volatile uint32_t *)(regs + off);
		if (off + 8 <= 4096)
			sum += *(volatile uint64_t *)(regs + off);
	}
	for (uint64_t off = 0; off < 4096; off++) {
		*(volatile uint8_t *)(regs + off) = 0xa5;
		if (off + 2 <= 4096)
			*(volatile uint16_t *)(regs + off) = 0xa5a5;
		if (off + 4 <= 4096)
			*(volatile uint32_t *)(regs + off) = 0xa5a5a5a5;
		if (off + 8 <= 4096)
			*(volatile uint64_t *)(regs + off) = 0xa5a5a5a5a5a5a5a5ULL;
	}
	printf("hostile-ghes: every offset and width of the register page read (sum 0x%lx) and written\n", sum);
	for (int i = 0; i < ras.nsources; i++) {
		uint64_t now = *(volatile uint64_t *)(uintptr_t)ras.sources[i].address_reg;
		GUEST_ASSERT(now == before[i]); /* the guest cannot move a block */
		memset((void *)(uintptr_t)now, 0x5a, ras.sources[i].block_length);
	}
	memset((void *)(uintptr_t)LAYOUT_ACPI_BASE, 0xff, LAYOUT_ACPI_END - LAYOUT_ACPI_BASE);
	printf("hostile-ghes: status blocks and ACPI tables overwritten\n");
	/* Acknowledge whatever garbage left pending, then one real error must come through. */
	for (int i = 0; i < ras.nsources; i++)
		*(volatile uint64_t *)(uintptr_t)ras.sources[i].ack_reg = 1;
	const struct ghes_source *s = ras_source(NOTIFY_TYPE_SCI);
	if (s) {
		hostile_page = 0x1f00000;
		ras.on_record = hostile_record;
		GUEST_ASSERT(ucall_poison(hostile_page, 1) == 0);
		for (;;) {
			__asm__ volatile("cli" ::: "memory");
			if (hostile_seen)
				break;
			cpu_idle();
		}
		__asm__ volatile("sti" ::: "memory");
		printf("hostile-ghes: an error after all that arrived as a valid record\n");
	}
	printf("hostile-ghes: done\n");
	ucall_done();
	power_off(0);
}

/* An instruction KVM cannot emulate, on the trapped register page: KVM gives up, and rasvm
 * must say so and end (exit 84), not crash. */
void scenario_hostile_insn(uint64_t cpu)
{
	uint64_t r;

	if (cpu != 0)
		return;
	printf("hostile-insn: popcnt on the GHES register page\n");
	__asm__ volatile("popcnt (%1), %0" : "=r"(r) : "r"(LAYOUT_ERROR_REGION) : "memory");
	printf("hostile-insn: KVM emulated it (0x%lx); nothing to prove on this host\n", r);
	ucall_done();
	power_off(0);
}

static int skip_port(unsigned p)
{
	/* The guest's own power and reset ports end the run; the interrupt controllers and the
	 * timer are KVM's and would take the guest's interrupts away; COM1 keeps its console. */
	return p == PORT_POWER || p == PORT_RESET || p == PORT_TEST || (p >= 0x20 && p <= 0x21) ||
	       (p >= 0xa0 && p <= 0xa1) || (p >= 0x40 && p <= 0x43) || p == 0x61 ||
	       (p >= 0x4d0 && p <= 0x4d1) || (p >= PORT_COM1 && p < PORT_COM1 + 8) || p == 0xcf9;
}

/* I/O ports and unclaimed MMIO, read and written at every width. */
void scenario_hostile_sweep(uint64_t cpu, uint64_t ram_size)
{
	if (cpu != 0)
		return;
	hostile_setup();
	unsigned ports = 0;
	for (unsigned p = 0; p < 0x10000; p += p < 0x1000 ? 1 : 0x101) {
		if (skip_port(p))
			continue;
		(void)inb((uint16_t)p);
		(void)inw((uint16_t)p);
		(void)inl((uint16_t)p);
		outb((uint16_t)p, 0xa5);
		outw((uint16_t)p, 0xa5a5);
		outl((uint16_t)p, 0xa5a5a5a5);
		ports++;
	}
	printf("hostile-sweep: %u ports read and written\n", ports);
	uint64_t mmio[] = { 0xc0000000, 0xd0000000, 0xe0000000, 0xfe000000, 0xfed00000,
			    0xfeb00000, 0xfffff000, ram_size < 0xc0000000 ? ram_size : 0xbfff0000 };
	unsigned n = 0;
	for (unsigned i = 0; i < sizeof(mmio) / sizeof(mmio[0]); i++) {
		for (uint64_t off = 0; off < 64; off += 8, n++) {
			volatile uint8_t *b = (volatile uint8_t *)(uintptr_t)(mmio[i] + off);
			(void)*b;
			(void)*(volatile uint32_t *)b;
			(void)*(volatile uint64_t *)b;
			*b = 0xa5;
			*(volatile uint32_t *)b = 0xa5a5a5a5;
			*(volatile uint64_t *)b = 0xa5a5a5a5a5a5a5a5ULL;
		}
	}
	printf("hostile-sweep: %u unclaimed MMIO places read and written\n", n);
	printf("hostile-sweep: done\n");
	ucall_done();
	power_off(0);
}
