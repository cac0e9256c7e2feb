// SPDX-License-Identifier: MIT
/*
 * Hostile scenarios: the arm64 test guest as an attacker of rasvm's guest-facing surfaces (the
 * test register and its poison requests, the GHES register page and status blocks, the PL011,
 * the device page, unclaimed MMIO, an access KVM cannot decode). rasvm must neither crash nor
 * stall; afterwards the guest checks that what rasvm promises still holds.
 */
#include "guest.h"

#define SENTINEL 0x5a5a5a5a5a5a5a5aULL
#define EFAULT 14
#define EBUSY 16

struct raw_ucall {
	uint32_t cmd, zero;
	uint64_t arg0, arg1, arg2;
};

/* Survive what comes meanwhile: kernel-mode SEAs resume at the fixup, records are quiet, an
 * access rasvm answers with an abort is skipped. */
static void hostile_setup(void)
{
	ras.serving = 1;
	ras.quiet = 1;
	ras.kernel_fixup = (uint64_t)(uintptr_t)checked_read_fault;
	ras_setup();
}

static uint64_t poison_answer(volatile struct raw_ucall *u, uint64_t target)
{
	u->cmd = UCALL_POISON;
	u->zero = 0;
	u->arg0 = target;
	u->arg1 = 1; /* action optional */
	u->arg2 = SENTINEL;
	mmio_write64(ARM64_DEV_TEST, (uint64_t)(uintptr_t)u);
	return u->arg2;
}

static uint8_t self_page[4096] __attribute__((aligned(4096)));

void scenario_hostile_testport(uint64_t cpu)
{
	static volatile struct raw_ucall u;

	if (cpu != 0)
		return;
	hostile_setup();
	/* Block addresses that are no block: below RAM, the GIC, the GHES registers (not RAM),
	 * straddling the end of RAM, the top of the address space. */
	const uint64_t bad[] = { 0, 0x1000, LAYOUT_ARM64_GICD, LAYOUT_ARM64_ERROR_REGION,
				 bi.ram_end - 8, bi.ram_end, ~0ULL, ~0ULL - 16 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		mmio_write64(ARM64_DEV_TEST, bad[i]);
	mmio_write8(ARM64_DEV_TEST, 1);
	__asm__ volatile("strh %w0, [%1]" ::"r"(2), "r"(ARM64_DEV_TEST) : "memory");
	(void)mmio_read64(ARM64_DEV_TEST);
	/* Blocks that are blocks but say nothing sensible. */
	u = (struct raw_ucall){ .cmd = 0xdead };
	mmio_write64(ARM64_DEV_TEST, (uint64_t)(uintptr_t)&u);
	u = (struct raw_ucall){ .cmd = UCALL_SYNC, .arg0 = 1, .arg1 = ~0ULL };
	mmio_write64(ARM64_DEV_TEST, (uint64_t)(uintptr_t)&u);
	u = (struct raw_ucall){ .cmd = UCALL_SYNC, .arg0 = 1, .arg1 = bi.ram_end - 1 };
	mmio_write64(ARM64_DEV_TEST, (uint64_t)(uintptr_t)&u);
	u = (struct raw_ucall){ .cmd = UCALL_ASSERT + 100, .arg0 = LAYOUT_ARM64_ERROR_REGION };
	mmio_write64(ARM64_DEV_TEST, (uint64_t)(uintptr_t)&u);
	for (unsigned i = 0; i < 2000; i++)
		mmio_write64(ARM64_DEV_TEST, ~0ULL);
	printf("hostile-testport: bad blocks sent\n");

	/* Poison requests rasvm must refuse, each with an answer (0 or -errno), never silence. */
	const struct { uint64_t gpa; int64_t want; } req[] = {
		{ LAYOUT_ARM64_ERROR_REGION, -EBUSY },          /* the GHES register page */
		{ LAYOUT_ARM64_ERROR_REGION + 0x1000, -EBUSY }, /* a GHES status block */
		{ LAYOUT_ARM64_GICD, -EFAULT },                 /* the GIC */
		{ ~0ULL, -EFAULT },                             /* the end of everything */
		{ bi.ram_end, -EFAULT },                        /* just past RAM */
	};
	for (unsigned i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		uint64_t a = poison_answer(&u, req[i].gpa);
		printf("hostile-testport: poison 0x%lx answered %ld\n", req[i].gpa, (int64_t)a);
		GUEST_ASSERT(a != SENTINEL);
		GUEST_ASSERT((int64_t)a == req[i].want);
	}
	/* The page holding the request itself: rasvm answers before the page goes bad and must
	 * not touch it afterwards; reading it back is a kernel-mode SEA the fixup survives. */
	volatile struct raw_ucall *self = (volatile struct raw_ucall *)self_page;
	self->cmd = UCALL_POISON;
	self->arg0 = (uint64_t)(uintptr_t)self_page;
	self->arg1 = 1;
	self->arg2 = SENTINEL;
	mmio_write64(ARM64_DEV_TEST, (uint64_t)(uintptr_t)self_page);
	uint64_t back = checked_read((const volatile uint64_t *)&self->arg2);
	printf("hostile-testport: own block's page poisoned; reading it gave 0x%lx\n", back);
	mmio_write64(ARM64_DEV_TEST, (uint64_t)(uintptr_t)self_page); /* on a poisoned page: refused */
	printf("hostile-testport: done\n");
	ucall_done();
	power_off(0);
}

static volatile uint64_t hostile_seen;
static uint64_t hostile_page;
static void hostile_record(uint64_t addr)
{
	if ((addr & ~0xfffULL) == hostile_page)
		hostile_seen = 1;
}

/* Every aligned offset and width of the GHES register page, read and written with garbage; a
 * few unaligned accesses and a load pair KVM cannot decode; then the blocks overwritten. The registers must still say what the
 * HEST says, and an error afterwards must still arrive as a valid record. */
void scenario_hostile_ghes(uint64_t cpu)
{
	uint64_t before[GHES_MAX];
	const uint64_t regs = LAYOUT_ARM64_ERROR_REGION;

	if (cpu != 0)
		return;
	hostile_setup();
	for (int i = 0; i < ras.nsources; i++)
		before[i] = mmio_read64(ras.sources[i].address_reg);
	uint64_t sum = 0, v;
	for (uint64_t a = regs; a < regs + 4096; a++) {
		__asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
		sum += v;
		if (a % 2 == 0 && a + 2 <= regs + 4096) {
			__asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
			sum += v;
		}
		if (a % 4 == 0 && a + 4 <= regs + 4096) {
			__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
			sum += v;
		}
		if (a % 8 == 0 && a + 8 <= regs + 4096) {
			__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
			sum += v;
		}
	}
	for (uint64_t a = regs; a < regs + 4096; a++) {
		__asm__ volatile("strb %w0, [%1]" ::"r"(0xa5), "r"(a) : "memory");
		if (a % 2 == 0 && a + 2 <= regs + 4096)
			__asm__ volatile("strh %w0, [%1]" ::"r"(0xa5a5), "r"(a) : "memory");
		if (a % 4 == 0 && a + 4 <= regs + 4096)
			__asm__ volatile("str %w0, [%1]" ::"r"(0xa5a5a5a5u), "r"(a) : "memory");
		if (a % 8 == 0 && a + 8 <= regs + 4096)
			__asm__ volatile("str %0, [%1]" ::"r"(0xa5a5a5a5a5a5a5a5ULL), "r"(a) : "memory");
	}
	printf("hostile-ghes: every offset and width of the register page read (sum 0x%lx) and written\n", sum);
	/* Unaligned: no syndrome either (KVM hands them to rasvm as the load pair below); one
	 * of each width is enough, every offset would be thousands of aborts. */
	uint64_t aborts = ras.seas;
	__asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(regs + 1) : "memory");
	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(regs + 2) : "memory");
	__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(regs + 4) : "memory");
	__asm__ volatile("str %0, [%1]" ::"r"(~0ULL), "r"(regs + 12) : "memory");
	printf("hostile-ghes: 4 unaligned accesses, %lu answered with an external abort\n", ras.seas - aborts);
	/* A load pair has no syndrome: KVM hands it to rasvm, which answers with an abort. */
	uint64_t seas = ras.seas, p0, p1;
	__asm__ volatile("ldp %0, %1, [%2]" : "=r"(p0), "=r"(p1) : "r"(regs) : "memory");
	printf("hostile-ghes: a load pair on the register page: %s\n",
	       ras.seas == seas + 1 ? "answered with an external abort" : "KVM decoded it");
	for (int i = 0; i < ras.nsources; i++) {
		uint64_t now = mmio_read64(ras.sources[i].address_reg);
		GUEST_ASSERT(now == before[i]); /* the guest cannot move a block */
		memset((void *)(uintptr_t)now, 0x5a, ras.sources[i].block_length);
	}
	printf("hostile-ghes: status blocks overwritten\n");
	/* Acknowledge whatever garbage left pending, then one real error must come through. */
	for (int i = 0; i < ras.nsources; i++)
		mmio_write64(ras.sources[i].ack_reg, 1);
	const struct ghes_source *s = ras_source(NOTIFY_TYPE_GSIV);
	if (s) {
		for (int i = 0; i < ras.nsources; i++) /* the garbage is no record */
			memset((void *)(uintptr_t)before[i], 0, ras.sources[i].block_length);
		hostile_page = AO_PAGE;
		ras.on_record = hostile_record;
		irq_on();
		GUEST_ASSERT(ucall_poison(hostile_page, 1) == 0);
		for (;;) {
			irq_off();
			if (hostile_seen)
				break;
			cpu_idle();
		}
		irq_on();
		printf("hostile-ghes: an error after all that arrived as a valid record\n");
	}
	printf("hostile-ghes: done\n");
	ucall_done();
	power_off(0);
}

/* The PL011 and the device page at every offset and width, unclaimed MMIO below and above
 * RAM, then a console line must still come out and the guest still power off cleanly. */
void scenario_hostile_mmio(uint64_t cpu)
{
	uint64_t v, n = 0;

	if (cpu != 0)
		return;
	hostile_setup();
	for (uint64_t a = LAYOUT_ARM64_UART; a < LAYOUT_ARM64_UART + 0x1000; a += 4, n++) {
		__asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
		__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
		if (a == LAYOUT_ARM64_UART) /* the data register: a byte on the console */
			continue;
		__asm__ volatile("str %w0, [%1]" ::"r"(0xffffffffu), "r"(a) : "memory");
		__asm__ volatile("str %0, [%1]" ::"r"(~0ULL), "r"(a) : "memory");
	}
	/* The UART as Linux left it: enabled, interrupts masked and cleared. */
	mmio_write32(LAYOUT_ARM64_UART + 0x38, 0);
	mmio_write32(LAYOUT_ARM64_UART + 0x44, 0x7ff);
	mmio_write32(LAYOUT_ARM64_UART + 0x30, 0x301);
	printf("hostile-mmio: the PL011 read and written at every register and width\n");
	for (uint64_t a = LAYOUT_ARM64_DEVICES + 0x18; a < LAYOUT_ARM64_DEVICES + 0x1000; a += 8, n++) {
		__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
		__asm__ volatile("str %0, [%1]" ::"r"(~0ULL), "r"(a) : "memory");
		__asm__ volatile("strb %w0, [%1]" ::"r"(0xff), "r"(a + 1) : "memory");
	}
	const uint64_t unclaimed[] = { 0x1000, 0x04000000, 0x09001000, 0x09200000, 0x0a000000,
				       0x3ffff000, bi.ram_end, bi.ram_end + 0x100000, 0xfffff000 };
	for (unsigned i = 0; i < sizeof(unclaimed) / sizeof(unclaimed[0]); i++) {
		for (uint64_t off = 0; off < 64; off += 8, n++) {
			uint64_t a = unclaimed[i] + off;
			if (a >= 0x100000000ULL) /* not mapped by the guest's tables */
				continue;
			__asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
			__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
			__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
			__asm__ volatile("strb %w0, [%1]" ::"r"(0xa5), "r"(a) : "memory");
			__asm__ volatile("str %0, [%1]" ::"r"(0xa5a5a5a5a5a5a5a5ULL), "r"(a) : "memory");
		}
	}
	printf("hostile-mmio: %lu places read and written; the console still works\n", n);
	printf("hostile-mmio: done\n");
	ucall_done();
	power_off(0);
}
