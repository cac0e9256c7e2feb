// SPDX-License-Identifier: MIT
/*
 * The arm64 test guest's scenarios. rasvm passes the scenario in /chosen/bootargs
 * (rasvm.scenario=NAME rasvm.resets=N); the boot vCPU reads the firmware, starts the others
 * with PSCI CPU_ON, and every vCPU runs the same scenario function, which decides what the
 * boot vCPU (0) and the others do.
 */
#include "guest.h"
#include "lib/cper.h"

static volatile uint32_t arrived;

void secondary_entry(void);

static void park(void) __attribute__((noreturn));
static void park(void)
{
	for (;;)
		__asm__ volatile("msr daifset, #2; wfi" ::: "memory");
}

static void rendezvous(uint64_t cpu)
{
	(void)cpu;
	__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < bi.cpus)
		cpu_relax();
}

/* What rasvm promises every vCPU: MPIDR is KVM's default for its index (what the MADT's
 * GICC and the device tree say). */
static void check_cpu(uint64_t cpu)
{
	uint64_t mpidr;
	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	GUEST_ASSERT((mpidr & 0xffffff) == ((cpu & 0xf) | ((cpu >> 4) & 0xff) << 8));
	GUEST_ASSERT(cpu_index() == cpu);
}

static void scenario_boot(uint64_t cpu)
{
	check_cpu(cpu);
	rendezvous(cpu);
	if (cpu != 0)
		park();
	printf("boot: %u vCPU(s) at the rendezvous (PSCI CPU_ON), ACPI tables verified\n", bi.cpus);
	ucall_sync(1, "boot");
	ucall_done();
	power_off(0);
}

/* The number after "name:" in the scenario string (0 when there is none). */
static uint64_t scenario_number(void)
{
	const char *s = bi.scenario;
	while (*s && *s != ':')
		s++;
	uint64_t n = 0;
	if (*s == ':')
		for (s++; *s >= '0' && *s <= '9'; s++)
			n = n * 10 + (uint64_t)(*s - '0');
	return n;
}

static void scenario_exit(uint64_t cpu)
{
	if (cpu != 0)
		park();
	power_off((uint8_t)scenario_number());
}

static void scenario_assert(uint64_t cpu)
{
	if (cpu != 0)
		park();
	GUEST_ASSERT(1 == 2);
}

static void scenario_exception(uint64_t cpu)
{
	if (cpu != 0)
		park();
	__asm__ volatile("udf #0");
	power_off(0);
}

static void scenario_hang(uint64_t cpu)
{
	(void)cpu;
	park();
}

static void scenario_wait(uint64_t cpu)
{
	if (cpu != 0)
		park();
	ras_setup();
	printf("wait: idle with interrupts on\n");
	ucall_sync(2, "waiting");
	for (;;) {
		irq_off();
		cpu_idle();
	}
}

/* hest: read the HEST as Linux would, then every source's registers and block: the block lies
 * in the ACPI NVS range the EFI memory map gives, the ack register says "free", the block is
 * empty, the GSIV source's interrupt is the GED's. */
static void scenario_hest(uint64_t cpu)
{
	static const char *const names[] = { [0] = "polled", [8] = "SEA", [10] = "GSIV" };
	struct ghes_source src[GHES_MAX];
	const char *why = "";

	if (cpu != 0)
		park();
	int n = hest_read(src, GHES_MAX, &why);
	if (n < 0)
		ucall_assert(__FILE__, __LINE__, why);
	printf("HEST: %d GHESv2 source(s)\n", n);
	for (int i = 0; i < n; i++) {
		uint64_t block = mmio_read64(src[i].address_reg);
		uint64_t ack = mmio_read64(src[i].ack_reg);
		GUEST_ASSERT(src[i].address_reg >= bi.nvs_base && src[i].ack_reg + 8 <= bi.nvs_end);
		GUEST_ASSERT(block >= bi.nvs_base && block + src[i].block_length <= bi.nvs_end);
		GUEST_ASSERT(ack == 1);
		static struct gcper_result r; /* 17 KiB: not on a vCPU's stack */
		const char *cwhy = "";
		GUEST_ASSERT(gcper_read((const uint8_t *)(uintptr_t)block, src[i].block_length, &r, &cwhy) == 1);
		if (src[i].notify == NOTIFY_TYPE_GSIV)
			GUEST_ASSERT(src[i].vector == IRQ_ARM64_GED);
		printf("HEST: source %u notify %s block 0x%lx length %u ack %lu empty\n", src[i].id,
		       names[src[i].notify], block, src[i].block_length, ack);
		if (src[i].notify == NOTIFY_TYPE_GSIV)
			printf("HEST: source %u interrupt %u (the GED's)\n", src[i].id, src[i].vector);
		if (src[i].notify == NOTIFY_TYPE_POLLED)
			printf("HEST: source %u polls every %u ms\n", src[i].id, src[i].poll_ms);
	}
	ucall_sync(4, "hest");
	ucall_done();
	power_off(0);
}

static void wait_until(volatile uint64_t *v, uint64_t want)
{
	for (;;) {
		irq_off();
		if (*v >= want)
			break;
		cpu_idle();
	}
	irq_on();
}

/* An EL0 task dirties its page, the page goes bad under it, the task reads it: the SEA
 * carries the record, the page goes out of use, the task is killed, the kernel carries on.
 * bare: --ras mce, an SEA without a record: the task is killed, nothing is recovered. */
static void poisoned_task(uint64_t cpu, int bare)
{
	if (cpu != 0)
		park();
	ras_setup();
	printf("task: running at EL0, data page 0x%lx\n", USER_DATA);
	int status = task_run();
	if (status != TASK_KILLED)
		printf("task: exited normally having read 0x%lx: the error never reached it\n", ras.task_value);
	GUEST_ASSERT(status == TASK_KILLED);
	GUEST_ASSERT(ras.seas == 1 && ras.last_far == USER_DATA);
	if (bare) {
		GUEST_ASSERT(ras.seas_unclaimed == 1 && ras.ghes_records == 0);
		GUEST_ASSERT(!page_is_offline(USER_DATA));
		printf("task: killed by an SEA without a record (FAR 0x%lx, its own address); nothing recovered\n",
		       ras.last_far);
	} else {
		GUEST_ASSERT(ras.ghes_records == 1 && ras.acks == 1 && page_is_offline(USER_DATA));
		printf("task: the SEA's record recovered page 0x%lx and killed the task (FAR 0x%lx, its own address); the kernel carries on\n",
		       USER_DATA, ras.last_far);
	}
	ucall_sync(5, "recovered");
}

static void scenario_sea(uint64_t cpu)
{
	poisoned_task(cpu, 0);
	ucall_done();
	power_off(0);
}

/* --ras mce: the CPU's own exceptions, no firmware records. */
static void scenario_sea_bare(uint64_t cpu)
{
	poisoned_task(cpu, 1);
	GUEST_ASSERT(ucall_poison(AO_PAGE, 1) == 0);
	wait_until(&ras.serrors, 1);
	printf("serror: the action-optional error came as an SError with a syndrome; nothing to recover\n");
	ucall_done();
	power_off(0);
}

static void scenario_ghes_gsiv(uint64_t cpu)
{
	if (cpu != 0)
		park();
	ras_setup();
	GUEST_ASSERT(ras_source(NOTIFY_TYPE_GSIV));
	irq_on();
	GUEST_ASSERT(ucall_poison(AO_PAGE, 1) == 0);
	wait_until(&ras.acks, 1);
	GUEST_ASSERT(ras.gsivs >= 1 && ras.last_addr == AO_PAGE && page_is_offline(AO_PAGE));
	printf("GED interrupt: page 0x%lx recovered, record acknowledged\n", AO_PAGE);
	ucall_sync(6, "gsiv");
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
	GUEST_ASSERT(ras.last_addr == AO_PAGE && page_is_offline(AO_PAGE));
	printf("polled source %u: record found after %lu polls, page 0x%lx recovered\n", s->id, polls, AO_PAGE);
	ucall_sync(6, "polled");
	ucall_done();
	power_off(0);
}

static void scenario_demo(uint64_t cpu)
{
	if (cpu != 0)
		park();
	printf("\n== 1/2: the page under a running task goes bad (the host reports it action required)\n");
	poisoned_task(cpu, 0);
	printf("\n== 2/2: the host finds a bad page first (action optional): a GHES record, the GED interrupt\n");
	uint64_t acks = ras.acks;
	irq_on();
	GUEST_ASSERT(ucall_poison(AO_PAGE, 1) == 0);
	if (ras_source(NOTIFY_TYPE_GSIV))
		wait_until(&ras.acks, acks + 1);
	printf("\n== the guest survived both errors: %lu page(s) offlined, %lu task killed; powering off\n\n",
	       ras.offlined, ras.tasks_killed);
	ucall_done();
	power_off(0);
}

/* serve: handle every error sent through the control socket until rasvm is stopped. */
static void scenario_serve(uint64_t cpu)
{
	if (cpu != 0)
		park();
	ras.serving = 1;
	ras.kernel_fixup = (uint64_t)(uintptr_t)checked_read_fault;
	ras_setup();
	printf("serve: ready; send errors through the control socket\n");
	ucall_sync(11, "serving");
	uint64_t seen = 0;
	for (;;) {
		irq_off();
		uint64_t now = ras.seas + ras.ghes_records + ras.ghes_invalid + ras.serrors;
		if (now == seen) {
			cpu_idle();
			continue;
		}
		irq_on();
		printf("serve: %lu error(s) handled so far (%lu GHES records, %lu SEAs, %lu SErrors, %lu invalid)\n",
		       now, ras.ghes_records, ras.seas, ras.serrors, ras.ghes_invalid);
		seen = now;
	}
}

/* storm: every vCPU has 250 distinct pages poisoned back to back (action optional); vCPU 0
 * takes the GED interrupts and must see each page exactly once. */
#define STORM_PER_CPU 250
static uint8_t storm_seen[STORM_PER_CPU * GUEST_MAX_CPUS];
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
		GUEST_ASSERT(bi.ram_end >= STORM_BASE + total * 4096);
		ras.quiet = 1;
		ras.on_record = storm_record;
		ras_setup();
		GUEST_ASSERT(ras_source(NOTIFY_TYPE_GSIV));
		__atomic_store_n(&storm_go, 1, __ATOMIC_RELEASE);
		irq_on();
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

static void scenario_no_ack(uint64_t cpu)
{
	if (cpu != 0)
		park();
	ras.no_ack = 1;
	ras_setup();
	irq_on();
	for (uint64_t i = 0; i < 60; i++)
		GUEST_ASSERT(ucall_poison(STORM_BASE + i * 4096, 1) == 0);
	printf("no-ack: 60 errors requested, none acknowledged\n");
	ucall_sync(9, "no-ack");
	ucall_done();
	power_off(0);
}

/* reset: a task's page is poisoned and the task killed; after PSCI SYSTEM_RESET the page is
 * back, healthy and zeroed. */
static void scenario_reset(uint64_t cpu)
{
	if (bi.resets == 0) {
		poisoned_task(cpu, 0);
		printf("reset: asking for a reset (PSCI SYSTEM_RESET)\n");
		psci_reset();
	}
	if (cpu != 0)
		park();
	ras_setup();
	volatile uint64_t *p = (volatile uint64_t *)USER_DATA;
	for (unsigned i = 0; i < 512; i++)
		GUEST_ASSERT(p[i] == 0);
	p[0] = 0x1234;
	GUEST_ASSERT(p[0] == 0x1234 && ras.seas == 0);
	printf("reset: after %u reset(s) page 0x%lx is healthy and zeroed\n", bi.resets, USER_DATA);
	ucall_sync(7, "healthy");
	ucall_done();
	power_off(0);
}

/* repeat: the same poisoned page read twice by the kernel, each read an SEA with its record
 * (the kernel survives through its fixup, as Linux's machine-check-safe copies would). */
static void scenario_repeat(uint64_t cpu)
{
	if (cpu != 0)
		park();
	ras.kernel_fixup = (uint64_t)(uintptr_t)checked_read_fault;
	ras_setup();
	GUEST_ASSERT(ucall_poison(REPEAT_PAGE, 0) == 0);
	uint64_t a = checked_read((const volatile uint64_t *)REPEAT_PAGE);
	uint64_t b = checked_read((const volatile uint64_t *)REPEAT_PAGE);
	printf("repeat: page 0x%lx read twice, both reads reported (%lu SEAs, %lu GHES record(s))\n",
	       REPEAT_PAGE, ras.seas, ras.ghes_records);
	GUEST_ASSERT(a == ~0ULL && b == ~0ULL);
	GUEST_ASSERT(ras.seas == 2 && ras.ghes_records == 2);
	ucall_sync(10, "repeat");
	ucall_done();
	power_off(0);
}

/* latency:N - N distinct pages poisoned and read one after the other by the kernel; rasvm
 * times each from its SIGBUS to the SEA handler's first instruction (--stats). */
static void scenario_latency(uint64_t cpu)
{
	uint64_t n = scenario_number();

	if (cpu != 0)
		park();
	GUEST_ASSERT(n >= 1 && LATENCY_BASE + n * 4096 <= bi.ram_end);
	ras.quiet = 1;
	ras.kernel_fixup = (uint64_t)(uintptr_t)checked_read_fault;
	ras_setup();
	for (uint64_t i = 0; i < n; i++) {
		const volatile uint64_t *p = (const volatile uint64_t *)(LATENCY_BASE + i * 4096);
		GUEST_ASSERT(ucall_poison((uint64_t)(uintptr_t)p, 0) == 0);
		checked_read(p);
	}
	printf("latency: %lu errors, %lu reported (%lu SEAs with a record)\n", n, ras.ghes_records, ras.seas);
	GUEST_ASSERT(ras.ghes_records == n);
	ucall_done();
	power_off(0);
}

static void scenario_list(uint64_t cpu);

static const struct scenario {
	const char *name;
	void (*run)(uint64_t cpu);
	const char *what;
} scenarios[] = {
	{ "boot", scenario_boot, "verify the firmware (device tree, EFI, ACPI), start every vCPU with PSCI, power off 0" },
	{ "hest", scenario_hest, "read the HEST as Linux does; check each source's registers and empty block" },
	{ "sea", scenario_sea, "an EL0 task reads a page that goes bad: SEA with its record, task killed (--guest-poison)" },
	{ "sea-bare", scenario_sea_bare, "the same with --ras mce: a bare SEA, then an SError for an action-optional error" },
	{ "ghes-gsiv", scenario_ghes_gsiv, "an action-optional error through the GED interrupt (--guest-poison)" },
	{ "ghes-polled", scenario_ghes_polled, "an action-optional error found by polling (--ras-sources sync,polled)" },
	{ "serve", scenario_serve, "handle every error sent through the control socket until stopped (--qmp)" },
	{ "demo", scenario_demo, "an action-required and an action-optional error (--guest-poison)" },
	{ "storm", scenario_storm, "250 errors per vCPU back to back, each seen exactly once (--guest-poison)" },
	{ "no-ack", scenario_no_ack, "60 errors never acknowledged (--guest-poison)" },
	{ "reset", scenario_reset, "a killed task's page is healthy and zeroed after a reset (--guest-poison)" },
	{ "repeat", scenario_repeat, "one poisoned page read twice by the kernel is reported twice (--guest-poison)" },
	{ "latency:", scenario_latency, "latency:N - N poisoned pages read in turn, for the figures (--guest-poison)" },
	{ "exit:", scenario_exit, "exit:N - power off with exit code N" },
	{ "assert", scenario_assert, "fail a GUEST_ASSERT (exit 82)" },
	{ "exception", scenario_exception, "take an unexpected exception (exit 82)" },
	{ "hang", scenario_hang, "wait for interrupts on every vCPU with them masked (exit 81)" },
	{ "wait", scenario_wait, "idle with interrupts on until rasvm is stopped" },
	{ "hostile-testport", scenario_hostile_testport, "bad test-register blocks and poison requests (--guest-poison)" },
	{ "hostile-ghes", scenario_hostile_ghes, "every offset and width of the GHES registers, garbage over blocks, then a real error (--guest-poison)" },
	{ "hostile-mmio", scenario_hostile_mmio, "the PL011, the device page and unclaimed MMIO at every width, an undecodable access" },
	{ "list", scenario_list, "print this list" },
};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static void print_scenarios(void)
{
	for (unsigned i = 0; i < NSCENARIOS; i++)
		printf("  %-16s %s\n", scenarios[i].name, scenarios[i].what);
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
		if (scenarios[i].name[n - 1] == ':' ? !strncmp(name, scenarios[i].name, n)
						     : !strcmp(name, scenarios[i].name))
			return &scenarios[i];
	}
	return 0;
}

void guest_main(uint64_t cpu)
{
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

void secondary_main(uint64_t cpu);
void secondary_main(uint64_t cpu)
{
	mmu_enable();
	gic_init_cpu((unsigned)cpu);
	guest_main(cpu);
}

void boot_main(const void *dtb);
void boot_main(const void *dtb)
{
	const char *why = "";

	mmu_init();
	ucall_sync(0, "start"); /* the guest runs: the start-up figure's mark */
	if (firmware_read(dtb, &why))
		ucall_assert(__FILE__, __LINE__, why);
	if (acpi_walk(0) < 0)
		ucall_assert(__FILE__, __LINE__, "the ACPI tables are not what an arm64 OS needs");
	GUEST_ASSERT(bi.cpus >= 1 && bi.cpus <= GUEST_MAX_CPUS);
	printf("rasvm arm64 test guest: %u vCPU(s), %lu MiB RAM, scenario '%s'%s\n", bi.cpus,
	       (unsigned long)((bi.ram_end - LAYOUT_ARM64_RAM) >> 20), bi.scenario,
	       bi.resets ? " (after a reset)" : "");
	gic_init_dist();
	gic_init_cpu(0);
	for (unsigned i = 1; i < bi.cpus; i++) {
		uint64_t mpidr = (i & 0xf) | ((uint64_t)(i >> 4) & 0xff) << 8;
		int64_t r = psci_cpu_on(mpidr, (uint64_t)(uintptr_t)secondary_entry, i);
		if (r)
			printf("PSCI CPU_ON of vCPU %u failed: %ld\n", i, r);
		GUEST_ASSERT(r == 0);
	}
	guest_main(0);
}
