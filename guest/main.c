// SPDX-License-Identifier: MIT
/*
 * The test guest's scenarios. rasvm passes the scenario name in the boot-info page
 * (--scenario); every vCPU enters guest_main() and runs the same scenario function, which
 * decides what the boot vCPU (0) and the others do.
 */
#include "guest.h"
#include "rasvm/layout.h"
#include "lib/cper.h"

static struct boot_info bi;
static volatile uint32_t bi_ready;
static volatile uint32_t arrived;

int boot_info_read(const void *page, struct boot_info *out)
{
	const uint8_t *p = page;

	if (get_le(p + BOOTINFO_OFF_MAGIC, 4) != BOOTINFO_MAGIC ||
	    get_le(p + BOOTINFO_OFF_VERSION, 4) != BOOTINFO_VERSION)
		return -1;
	out->mcg_cap = (uint32_t)get_le(p + BOOTINFO_OFF_MCG_CAP, 4);
	out->cpus = (uint32_t)get_le(p + BOOTINFO_OFF_CPUS, 4);
	out->ram_size = get_le(p + BOOTINFO_OFF_RAM_SIZE, 8);
	memcpy(out->scenario, p + BOOTINFO_OFF_SCENARIO, sizeof(out->scenario));
	out->scenario[sizeof(out->scenario) - 1] = '\0';
	out->resets = (uint32_t)get_le(p + BOOTINFO_OFF_RESETS, 4);
	out->e820_count = (uint32_t)get_le(p + BOOTINFO_OFF_E820_COUNT, 4);
	if (out->e820_count > BOOTINFO_E820_MAX)
		return -1;
	for (uint32_t i = 0; i < out->e820_count; i++) {
		const uint8_t *e = p + BOOTINFO_OFF_E820 + i * BOOTINFO_E820_ENTRY_SIZE;
		out->e820[i].addr = get_le(e, 8);
		out->e820[i].size = get_le(e + 8, 8);
		out->e820[i].type = (uint32_t)get_le(e + 16, 4);
	}
	return out->cpus >= 1 && out->cpus <= GUEST_MAX_CPUS ? 0 : -1;
}

static void park(void) __attribute__((noreturn));
static void park(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* What rasvm promises every vCPU: its APIC id is its index, CPUID reports MCE and MCA, and
 * MCG_CAP has the banks, and reads what rasvm says in the boot info (KVM decides the recovery
 * bits: SVM clears SER_P, for one). Layout in docs/writing-a-guest.md. */
static void check_cpu(uint64_t cpu)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	GUEST_ASSERT((b >> 24) == cpu);
	GUEST_ASSERT(d & (1u << 7));  /* CPUID.01H:EDX.MCE */
	GUEST_ASSERT(d & (1u << 14)); /* CPUID.01H:EDX.MCA */
	uint64_t cap = rdmsr(MSR_IA32_MCG_CAP);
	GUEST_ASSERT((cap & 0xff) == 10);
	GUEST_ASSERT(!bi.mcg_cap || (uint32_t)cap == bi.mcg_cap); /* 0: a loader that cannot say */
	if (cpu == 0)
		printf("MCE: CPUID MCE and MCA set, MCG_CAP 0x%lx: %u banks, CTL_P %u, SER_P %u, LMCE_P %u\n",
		       cap, (unsigned)(cap & 0xff), (unsigned)(cap >> 8) & 1, (unsigned)(cap >> 24) & 1,
		       (unsigned)(cap >> 27) & 1);
}

/* Every vCPU checks in; the boot vCPU waits for all of them. */
static void rendezvous(uint64_t cpu)
{
	__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL);
	if (cpu != 0)
		park();
	while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < bi.cpus)
		cpu_relax();
}

static void scenario_boot(uint64_t cpu)
{
	check_cpu(cpu);
	if (cpu == 0) {
		int tables = acpi_walk(1);
		GUEST_ASSERT(tables >= 4); /* XSDT, FADT, DSDT and MADT at least */
		printf("ACPI: %d tables verified\n", tables);
		ucall_sync(2, "acpi");
	}
	rendezvous(cpu);
	printf("rendezvous: %u of %u vCPUs\n", __atomic_load_n(&arrived, __ATOMIC_ACQUIRE), bi.cpus);
	ucall_sync(3, "rendezvous");
	ucall_done();
	power_off(0);
}

/* The number after "name:" in the scenario string (0 when there is none). */
static uint64_t scenario_number(void)
{
	const char *s = bi.scenario;
	uint64_t n = 0;

	while (*s && *s != ':')
		s++;
	for (s += *s == ':'; *s >= '0' && *s <= '9'; s++)
		n = n * 10 + (uint64_t)(*s - '0');
	return n;
}

/* exit:N - power off with code N at once (rasvm passes 0-63 on, rejects the rest). */
static void scenario_exit(uint64_t cpu)
{
	unsigned n = (unsigned)scenario_number();

	if (cpu != 0)
		park();
	printf("powering off with exit code %u\n", n);
	power_off((uint8_t)n);
}

static void scenario_assert(uint64_t cpu)
{
	if (cpu != 0)
		park();
	GUEST_ASSERT(cpu == 1); /* fails on purpose: shows how rasvm reports an assertion */
	power_off(0);
}

static void scenario_exception(uint64_t cpu)
{
	if (cpu != 0)
		park();
	__asm__ volatile("ud2"); /* the default trap handler reports it as an assertion */
	power_off(0);
}

static void scenario_triple_fault(uint64_t cpu)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} no_idt = { 0, 0 };

	if (cpu != 0)
		park();
	/* With no IDT an exception cannot be delivered: #UD -> #GP -> #DF -> shutdown. */
	__asm__ volatile("lidt %0; ud2" ::"m"(no_idt));
	power_off(0);
}

/* wait: idle with interrupts on until rasvm is stopped (for signals and, later, the socket). */
static void scenario_wait(uint64_t cpu)
{
	(void)cpu;
	printf("wait: idling until stopped\n");
	for (;;)
		__asm__ volatile("sti; hlt");
}

/* chatter: print numbered lines until stopped (a console nobody reads must not stall rasvm). */
static void scenario_chatter(uint64_t cpu)
{
	if (cpu != 0)
		park();
	for (uint64_t i = 0;; i++)
		printf("chatter: line %lu of a guest that never stops talking\n", i);
}

static void scenario_hang(uint64_t cpu)
{
	(void)cpu;
	park(); /* every vCPU halts with interrupts off: rasvm must notice and report */
}

/* Is [addr, addr+len) inside one e820 reserved (type 2) range? */
static int e820_reserved(uint64_t addr, uint64_t len)
{
	for (uint32_t i = 0; i < bi.e820_count; i++)
		if (bi.e820[i].type == 2 && addr >= bi.e820[i].addr &&
		    addr + len <= bi.e820[i].addr + bi.e820[i].size)
			return 1;
	return 0;
}

/* hest: read the HEST as Linux would, then every source's registers and block: the block
 * address lies in e820-reserved memory, the ack register says "free", the block is empty. */
static void scenario_hest(uint64_t cpu)
{
	static const char *const notify_names[] = { [0] = "polled", [3] = "SCI", [4] = "NMI" };
	struct ghes_source src[GHES_MAX];
	const char *why = "";

	if (cpu != 0)
		park();
	int n = hest_read(src, GHES_MAX, &why);
	if (n < 0)
		ucall_assert(__FILE__, __LINE__, why);
	printf("HEST: %d GHESv2 source(s)\n", n);
	for (int i = 0; i < n; i++) {
		GUEST_ASSERT(e820_reserved(src[i].address_reg, 8) && e820_reserved(src[i].ack_reg, 8));
		uint64_t block = *(volatile uint64_t *)(uintptr_t)src[i].address_reg;
		uint64_t ack = *(volatile uint64_t *)(uintptr_t)src[i].ack_reg;
		GUEST_ASSERT(e820_reserved(block, src[i].block_length));
		GUEST_ASSERT(ack == 1);
		struct gcper_result r;
		const char *cwhy = "";
		GUEST_ASSERT(gcper_read((const uint8_t *)(uintptr_t)block, src[i].block_length, &r, &cwhy) == 1);
		printf("HEST: source %u notify %s block 0x%lx length %u ack %lu empty\n", src[i].id,
		       notify_names[src[i].notify], block, src[i].block_length, ack);
		if (src[i].notify == 0)
			printf("HEST: source %u polls every %u ms\n", src[i].id, src[i].poll_ms);
	}
	ucall_sync(4, "hest");
	ucall_done();
	power_off(0);
}

/* Wait with interrupts on until *v reaches want: cli, test, then cpu_idle(), so nothing
 * that arrives between the test and the hlt is slept through. */
static void wait_until(volatile uint64_t *v, uint64_t want)
{
	for (;;) {
		__asm__ volatile("cli" ::: "memory");
		if (*v >= want)
			break;
		cpu_idle();
	}
	__asm__ volatile("sti" ::: "memory");
}

/* A user task dirties its page, the page goes bad under it, the task reads it. The task must
 * be killed, its page taken out of use, and the kernel carry on. By machine check that is
 * one report; by GHES NMI (asynchronous on x86, as in Linux) the record recovers the page but
 * the task goes back to the same load, and rasvm tells it again by machine check, which kills
 * it. expect_mce: 1 machine check alone, 0 GHES NMI first, -1 either (the demo). */
static void poisoned_task(uint64_t cpu, int expect_mce)
{
	if (cpu != 0)
		park();
	ras_setup();
	printf("task: running at CPL3, data page 0x%lx\n", USER_DATA);
	int status = task_run();
	if (status != TASK_KILLED)
		printf("task: exited normally having read 0x%lx: the error never reached it\n", ras.task_value);
	GUEST_ASSERT(status == TASK_KILLED);
	GUEST_ASSERT(page_is_offline(USER_DATA >> 12));
	if (expect_mce < 0)
		expect_mce = ras.ghes_records == 0;
	GUEST_ASSERT(ras.machine_checks == 1);
	if (!expect_mce)
		GUEST_ASSERT(ras.nmis >= 1 && ras.ghes_records == 1 && ras.acks == 1);
	if (expect_mce)
		printf("task: killed by the machine check; page 0x%lx offlined; the kernel carries on\n",
		       USER_DATA);
	else
		printf("task: the GHES NMI record recovered page 0x%lx without killing (asynchronous on x86); the repeated access was told by machine check, which killed the task; the kernel carries on\n",
		       USER_DATA);
	ucall_sync(5, "recovered");
}

static void scenario_mce(uint64_t cpu)
{
	poisoned_task(cpu, 1);
	ucall_done();
	power_off(0);
}

static void scenario_ghes_nmi(uint64_t cpu)
{
	poisoned_task(cpu, 0);
	ucall_done();
	power_off(0);
}

/* The host finds a bad page first (action optional); with the page's owner not running,
 * the report comes through a GHES source: the GED's interrupt, or by polling. */
#define AO_PAGE 0x500000UL

static void scenario_ghes_sci(uint64_t cpu)
{
	if (cpu != 0)
		park();
	ras_setup();
	GUEST_ASSERT(ras_source(NOTIFY_TYPE_SCI));
	GUEST_ASSERT(ucall_poison(AO_PAGE, 1) == 0);
	wait_until(&ras.acks, 1);
	GUEST_ASSERT(ras.scis >= 1 && ras.last_addr == AO_PAGE && page_is_offline(AO_PAGE >> 12));
	printf("GED interrupt: page 0x%lx recovered, record acknowledged\n", AO_PAGE);
	ucall_sync(6, "sci");
	ucall_done();
	power_off(0);
}

static void scenario_ghes_polled(uint64_t cpu)
{
	const struct ghes_source *s;
	uint64_t polls = 0;

	if (cpu != 0)
		park();
	ras_setup();
	GUEST_ASSERT((s = ras_source(NOTIFY_TYPE_POLLED)) != 0);
	GUEST_ASSERT(ucall_poison(AO_PAGE, 1) == 0);
	while (!ghes_process(s, 0, 0))
		polls++, cpu_relax();
	GUEST_ASSERT(ras.last_addr == AO_PAGE && page_is_offline(AO_PAGE >> 12));
	printf("polled source %u: record found after %lu polls, page 0x%lx recovered\n", s->id, polls,
	       AO_PAGE);
	ucall_sync(6, "polled");
	ucall_done();
	power_off(0);
}

/* demo: what `rasvm demo` shows: both kinds of host memory error, reported, decoded and
 * recovered from, the guest carrying on. */
static void scenario_demo(uint64_t cpu)
{
	if (cpu != 0)
		park();
	printf("\n== 1/2: the page under a running task goes bad (the host reports it action required)\n");
	poisoned_task(cpu, -1);
	printf("\n== 2/2: the host finds a bad page first (action optional): a GHES record, the GED interrupt\n");
	uint64_t acks = ras.acks;
	GUEST_ASSERT(ucall_poison(AO_PAGE, 1) == 0);
	if (ras_source(NOTIFY_TYPE_SCI))
		wait_until(&ras.acks, acks + 1);
	else
		printf("(no async GHES source published: the host reports what it can)\n");
	printf("\n== the guest survived both errors: %lu page(s) offlined, %lu task killed; powering off\n\n",
	       ras.offlined, ras.tasks_killed);
	ucall_done();
	power_off(0);
}

/* serve: keep running and handle every error sent (through rasvm's control socket), until a
 * bare NMI (inject-nmi) says stop. */
static void scenario_serve(uint64_t cpu)
{
	if (cpu != 0)
		park();
	ras.serving = 1;
	ras_setup();
	printf("serve: ready; send errors through the control socket, inject-nmi to stop\n");
	ucall_sync(11, "serving");
	uint64_t seen = 0;
	for (;;) {
		/* Errors handled before this point (even during the lines above) count too. */
		__asm__ volatile("cli" ::: "memory");
		uint64_t now = ras.machine_checks + ras.ghes_records + ras.ghes_invalid;
		if (now == seen) {
			cpu_idle();
			continue;
		}
		printf("serve: %lu error(s) handled so far (%lu by machine check, %lu GHES records, %lu invalid)\n",
		       now, ras.machine_checks, ras.ghes_records, ras.ghes_invalid);
		seen = now;
	}
}

/* storm: every vCPU has 250 distinct pages poisoned back to back (action optional); vCPU 0
 * takes the GED interrupts and must see each page exactly once. */
#define STORM_PER_CPU 250
#define STORM_BASE    0x600000UL
static uint8_t storm_seen[STORM_PER_CPU * 64];
static volatile uint64_t storm_received, storm_dups, storm_strays;
static volatile uint32_t storm_go;

static void storm_record(uint64_t addr)
{
	uint64_t i = (addr - STORM_BASE) >> 12;
	if (addr < STORM_BASE || i >= STORM_PER_CPU * bi.cpus) {
		storm_strays++;
		return;
	}
	if (storm_seen[i]++)
		storm_dups++;
	else
		storm_received++;
}

static void scenario_storm(uint64_t cpu)
{
	uint64_t total = (uint64_t)STORM_PER_CPU * bi.cpus;

	if (cpu == 0) {
		GUEST_ASSERT(bi.cpus <= 64 && bi.ram_size >= STORM_BASE + total * 4096);
		ras.quiet = 1;
		ras.on_record = storm_record;
		ras_setup();
		GUEST_ASSERT(ras_source(NOTIFY_TYPE_SCI));
		__atomic_store_n(&storm_go, 1, __ATOMIC_RELEASE);
		__asm__ volatile("sti");
	}
	while (!__atomic_load_n(&storm_go, __ATOMIC_ACQUIRE))
		cpu_relax();
	for (uint64_t i = 0; i < STORM_PER_CPU; i++)
		GUEST_ASSERT(ucall_poison(STORM_BASE + (cpu * STORM_PER_CPU + i) * 4096, 1) == 0);
	if (cpu != 0)
		park();
	wait_until(&storm_received, total);
	printf("storm: %lu errors from %u vCPUs, %lu received once each, %lu duplicates, %lu strays, %lu blocks acknowledged\n",
	       total, bi.cpus, storm_received, storm_dups, storm_strays, ras.acks);
	GUEST_ASSERT(storm_received == total && storm_dups == 0 && storm_strays == 0);
	ucall_sync(8, "storm");
	ucall_done();
	power_off(0);
}

/* no-ack: a guest that never acknowledges: errors keep coming, rasvm queues what it may. */
static void scenario_no_ack(uint64_t cpu)
{
	if (cpu != 0)
		park();
	ras.no_ack = 1;
	ras_setup();
	for (uint64_t i = 0; i < 60; i++)
		GUEST_ASSERT(ucall_poison(STORM_BASE + i * 4096, 1) == 0);
	printf("no-ack: 60 errors requested, none acknowledged\n");
	ucall_sync(9, "no-ack");
	ucall_done();
	power_off(0);
}

/* reset: a task's page is poisoned and the task killed; after the guest resets, the page is
 * back, healthy and zeroed. */
static void scenario_reset(uint64_t cpu)
{
	if (bi.resets == 0) {
		poisoned_task(cpu, 1);
		printf("reset: asking for a reset\n");
		outb(PORT_RESET, RESET_VALUE);
		park();
	}
	if (cpu != 0)
		park();
	ras_setup();
	volatile uint64_t *p = (volatile uint64_t *)USER_DATA;
	for (unsigned i = 0; i < 512; i++)
		GUEST_ASSERT(p[i] == 0);
	p[0] = 0x1234;
	GUEST_ASSERT(p[0] == 0x1234 && ras.machine_checks == 0);
	printf("reset: after %u reset(s) page 0x%lx is healthy and zeroed\n", bi.resets, USER_DATA);
	ucall_sync(7, "healthy");
	ucall_done();
	power_off(0);
}

/* Kernel reads of poisoned pages, survived through the machine-check fixup or (with --ras
 * ghes) reported by NMI after the read. */
static void kernel_touch_setup(int quiet)
{
	ras.quiet = quiet;
	ras.kernel_fixup = (uint64_t)checked_read_fault;
	ras_setup();
}

/* repeat: the same poisoned page read twice by the kernel, each read reported. A kernel read
 * ends in the machine check's fixup (as Linux's machine-check-safe copies do), or, on hosts
 * that emulate guest kernel code, completes with all ones before the report comes. With
 * --ras ghes a GHES record alone cannot end a read (it is asynchronous, as in Linux): the read
 * repeats and rasvm tells it again by machine check. */
static void scenario_repeat(uint64_t cpu)
{
	const uint64_t page = 0x700000;

	if (cpu != 0)
		park();
	kernel_touch_setup(0);
	GUEST_ASSERT(ucall_poison(page, 0) == 0);
	uint64_t a = checked_read((const volatile uint64_t *)page);
	uint64_t b = checked_read((const volatile uint64_t *)page);
	uint64_t reports = ras.machine_checks + ras.ghes_records;
	printf("repeat: page 0x%lx read twice, both reads reported (%lu GHES record(s), %lu machine check(s))\n",
	       page, ras.ghes_records, ras.machine_checks);
	GUEST_ASSERT(a == ~0ULL && b == ~0ULL);
	GUEST_ASSERT(reports >= 2 && ras.machine_checks >= 1);
	ucall_sync(10, "repeat");
	ucall_done();
	power_off(0);
}

/* latency:N - N distinct pages poisoned and read one after the other; rasvm times each
 * from its SIGBUS to the handler's first instruction (--stats). */
static void scenario_latency(uint64_t cpu)
{
	uint64_t n = scenario_number();

	if (cpu != 0)
		park();
	GUEST_ASSERT(n >= 1 && 0x800000 + n * 4096 <= bi.ram_size);
	kernel_touch_setup(1);
	for (uint64_t i = 0; i < n; i++) {
		const volatile uint64_t *p = (const volatile uint64_t *)(0x800000 + i * 4096);
		GUEST_ASSERT(ucall_poison((uint64_t)p, 0) == 0);
		checked_read(p);
	}
	uint64_t reports = ras.machine_checks + ras.ghes_records;
	printf("latency: %lu errors, %lu reported (%lu by machine check, %lu by GHES)\n", n, reports,
	       ras.machine_checks, ras.ghes_records);
	GUEST_ASSERT(reports == n);
	ucall_done();
	power_off(0);
}

/* Bare NMIs (inject-nmi) counted, as cues for the scenarios below. */
static volatile uint64_t cues;
static void count_cue(void)
{
	__atomic_add_fetch(&cues, 1, __ATOMIC_ACQ_REL);
}

/* Wait with interrupts on for the next cue; returns how many came. */
static uint64_t next_cue(uint64_t seen)
{
	wait_until(&cues, seen + 1);
	return cues;
}

/* Read every GHES source until all are empty (a guest that stopped acknowledging catches
 * up: the notifications came while it was not listening). */
static void ghes_catch_up(void)
{
	/* Interrupts off: the GED handler takes the same per-source lock. */
	__asm__ volatile("cli" ::: "memory");
	for (int more = 1; more;) {
		more = 0;
		for (int i = 0; i < ras.nsources; i++)
			more |= ghes_process(&ras.sources[i], 0, 0);
	}
	__asm__ volatile("sti" ::: "memory");
}

/* hold: for snapshots with errors in every state. Serves errors (as serve) until the first
 * bare NMI; then leaves every GHES record unacknowledged (the block stays busy, more records
 * queue in rasvm) until the second; then catches up and acknowledges all; at the third reads
 * HOLD_TOUCH (a page rasvm should hold poisoned: the read is reported again by machine
 * check and survived); the fourth powers off. After a reset it checks the pages it used are
 * healthy and zeroed. */
#define HOLD_BASE  0x700000UL
#define HOLD_TOUCH 0x702000UL
static void scenario_hold(uint64_t cpu)
{
	if (cpu != 0)
		park();
	ras.serving = 1;
	ras.on_bare_nmi = count_cue;
	ras_setup();
	if (bi.resets) {
		for (uint64_t p = HOLD_BASE; p < HOLD_BASE + 16 * 4096; p += 8)
			GUEST_ASSERT(*(volatile uint64_t *)p == 0);
		printf("hold: after %u reset(s) pages 0x%lx-0x%lx are healthy and zeroed\n", bi.resets,
		       HOLD_BASE, HOLD_BASE + 16 * 4096 - 1);
		ucall_sync(16, "healthy");
		ucall_done();
		power_off(0);
	}
	printf("hold: serving; the next inject-nmi stops acknowledging\n");
	ucall_sync(11, "serving");
	uint64_t c = next_cue(0);
	ras.no_ack = 1;
	printf("hold: not acknowledging; the next inject-nmi catches up\n");
	ucall_sync(12, "holding");
	c = next_cue(c);
	ras.no_ack = 0;
	ghes_catch_up();
	printf("hold: caught up: %lu GHES record(s), %lu machine check(s), %lu acknowledgement(s)\n",
	       ras.ghes_records, ras.machine_checks, ras.acks);
	ucall_sync(13, "caught-up");
	c = next_cue(c);
	ras.serving = 0;
	ras.kernel_fixup = (uint64_t)checked_read_fault;
	uint64_t before = ras.machine_checks;
	uint64_t v = checked_read((const volatile uint64_t *)HOLD_TOUCH);
	printf("hold: read 0x%lx: 0x%lx, %lu machine check(s) for it\n", HOLD_TOUCH, v, ras.machine_checks - before);
	GUEST_ASSERT(v == ~0ULL && ras.machine_checks > before);
	ras.serving = 1;
	ucall_sync(14, "touched");
	next_cue(c);
	ucall_done();
	power_off(0);
}

/* dirty:N - write N MiB (default 64) from DIRTY_BASE in a loop, one word per page, each pass
 * its number, checking first (from the second pass on) that the page still holds the previous
 * pass's: a migration that lost a write fails the assertion. Serves errors meanwhile; a bare NMI ends the pass, then
 * the canary pages (written once, at DIRTY_CANARY) are read back, a poisoned one reported and
 * survived, and the guest powers off. */
#define DIRTY_BASE   0x1000000UL
#define DIRTY_CANARY 0x700000UL
static void scenario_dirty(uint64_t cpu)
{
	uint64_t mib = scenario_number() ? scenario_number() : 64;
	uint64_t end = DIRTY_BASE + (mib << 20);

	if (cpu != 0)
		park();
	GUEST_ASSERT(end <= bi.ram_size && end <= 0xc0000000UL);
	ras.serving = 1;
	ras.on_bare_nmi = count_cue;
	ras_setup();
	for (uint64_t i = 0; i < 16; i++)
		*(volatile uint64_t *)(DIRTY_CANARY + i * 4096) = 0xc0ffee00 + i;
	printf("dirty: writing %lu MiB at 0x%lx in a loop; inject-nmi to stop\n", mib, DIRTY_BASE);
	ucall_sync(12, "dirtying");
	__asm__ volatile("sti" ::: "memory"); /* errors are served while the loop runs */
	uint64_t pass;
	for (pass = 1; !cues; pass++) {
		for (uint64_t p = DIRTY_BASE; p < end; p += 4096) {
			volatile uint64_t *w = (volatile uint64_t *)p;
			/* The first pass writes only: RAM keeps what it held across a reset. */
			if (pass > 1 && *w != pass - 1) {
				printf("dirty: page 0x%lx holds %lu in pass %lu: a write was lost\n", p, *w, pass);
				GUEST_ASSERT(0);
			}
			*w = pass;
		}
		if (pass % 4 == 0)
			printf("dirty: pass %lu\n", pass);
	}
	ras.serving = 0;
	ras.kernel_fixup = (uint64_t)checked_read_fault;
	unsigned lost = 0;
	for (uint64_t i = 0; i < 16; i++) {
		uint64_t v = checked_read((const volatile uint64_t *)(DIRTY_CANARY + i * 4096));
		if (v == ~0ULL)
			lost++;
		else
			GUEST_ASSERT(v == 0xc0ffee00 + i);
	}
	printf("dirty: %lu passes over %lu MiB, every page as written; %u canary page(s) poisoned, %lu machine check(s)\n",
	       pass - 1, mib, lost, ras.machine_checks);
	ucall_sync(15, "dirty-done");
	ucall_done();
	power_off(0);
}

static void hostile_testport(uint64_t cpu) { scenario_hostile_testport(cpu, bi.ram_size); }
static void hostile_sweep(uint64_t cpu) { scenario_hostile_sweep(cpu, bi.ram_size); }

static void scenario_list(uint64_t cpu);
static void print_scenarios(void);

static const struct scenario {
	const char *name;
	void (*run)(uint64_t cpu);
	const char *what;
} scenarios[] = {
	{ "boot", scenario_boot, "verify ACPI tables, bring every vCPU to a rendezvous, power off 0" },
	{ "hest", scenario_hest, "read the HEST as Linux does; check each source's registers and empty block" },
	{ "mce", scenario_mce, "a task reads a page that goes bad: machine check, task killed (needs --guest-poison)" },
	{ "ghes-nmi", scenario_ghes_nmi, "the same reported by GHES over NMI (--ras ghes --guest-poison)" },
	{ "ghes-sci", scenario_ghes_sci, "an action-optional error through the GED interrupt (--guest-poison)" },
	{ "ghes-polled", scenario_ghes_polled, "an action-optional error found by polling (--ras-sources sync,polled)" },
	{ "serve", scenario_serve, "handle every error sent through the control socket until inject-nmi (--qmp)" },
	{ "demo", scenario_demo, "what rasvm demo shows: an action-required and an action-optional error (--guest-poison)" },
	{ "storm", scenario_storm, "250 errors per vCPU back to back, each seen exactly once (--guest-poison)" },
	{ "no-ack", scenario_no_ack, "60 errors never acknowledged (--guest-poison)" },
	{ "reset", scenario_reset, "a killed task's page is healthy and zeroed after a reset (--guest-poison)" },
	{ "repeat", scenario_repeat, "one poisoned page read twice is reported twice (--guest-poison)" },
	{ "hold", scenario_hold, "serve; stop acknowledging, catch up, touch a poisoned page on each inject-nmi (snapshot tests)" },
	{ "dirty:", scenario_dirty, "dirty:N - rewrite N MiB in a loop, checking every page, until inject-nmi (migration tests)" },
	{ "latency:", scenario_latency, "latency:N - N poisoned pages read in turn, for make bench (--guest-poison)" },
	{ "exit:", scenario_exit, "exit:N - power off with exit code N" },
	{ "assert", scenario_assert, "fail a GUEST_ASSERT (exit 82)" },
	{ "exception", scenario_exception, "take an unexpected #UD (exit 82)" },
	{ "triple-fault", scenario_triple_fault, "triple fault (exit 80)" },
	{ "hang", scenario_hang, "halt every vCPU with interrupts off (exit 81)" },
	{ "wait", scenario_wait, "idle with interrupts on until rasvm is stopped" },
	{ "chatter", scenario_chatter, "print numbered lines until rasvm is stopped" },
	{ "hostile-testport", hostile_testport, "bad test-port blocks, a flood, poison requests rasvm must refuse, its own block's page (--guest-poison)" },
	{ "hostile-ghes", scenario_hostile_ghes, "every offset and width of the GHES registers, garbage over blocks and tables, then a real error (--guest-poison)" },
	{ "hostile-insn", scenario_hostile_insn, "an instruction KVM cannot emulate on the GHES register page (exit 84)" },
	{ "hostile-sweep", hostile_sweep, "every I/O port and unclaimed MMIO places read and written at each width" },
	{ "list", scenario_list, "print this list" },
};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static void print_scenarios(void)
{
	for (unsigned i = 0; i < NSCENARIOS; i++)
		printf("  %-13s %s\n", scenarios[i].name, scenarios[i].what);
}

static void scenario_list(uint64_t cpu)
{
	if (cpu != 0)
		park();
	print_scenarios();
	power_off(0);
}

static const struct scenario *find(const char *name)
{
	for (unsigned i = 0; i < NSCENARIOS; i++) {
		size_t n = strlen(scenarios[i].name);
		/* A name ending in ':' takes an argument. */
		if (scenarios[i].name[n - 1] == ':' ? !strncmp(name, scenarios[i].name, n)
						     : !strcmp(name, scenarios[i].name))
			return &scenarios[i];
	}
	return 0;
}

void guest_main(uint64_t cpu, const void *boot_info)
{
	cpu_init_tables(cpu);
	if (cpu == 0) {
		serial_init();
		if (boot_info_read(boot_info, &bi) != 0)
			ucall_assert(__FILE__, __LINE__, "boot-info page missing or malformed");
		printf("rasvm test guest: %u vCPU(s), %u MiB RAM, scenario '%s'\n", bi.cpus,
		       (unsigned)(bi.ram_size >> 20), bi.scenario);
		ucall_sync(1, "bootinfo");
		__atomic_store_n(&bi_ready, 1, __ATOMIC_RELEASE);
	}
	while (!__atomic_load_n(&bi_ready, __ATOMIC_ACQUIRE))
		cpu_relax();

	const struct scenario *s = find(bi.scenario);
	if (!s) {
		if (cpu == 0) {
			printf("unknown scenario '%s'; the test guest has:\n", bi.scenario);
			print_scenarios();
			power_off(GUEST_EXIT_UNKNOWN_SCENARIO);
		}
		park();
	}
	s->run(cpu);
	park();
}
