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
	out->cpus = (uint32_t)get_le(p + BOOTINFO_OFF_CPUS, 4);
	out->ram_size = get_le(p + BOOTINFO_OFF_RAM_SIZE, 8);
	memcpy(out->scenario, p + BOOTINFO_OFF_SCENARIO, sizeof(out->scenario));
	out->scenario[sizeof(out->scenario) - 1] = '\0';
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
 * MCG_CAP has the banks and recovery bits (layout in docs/writing-a-guest.md). */
static void check_cpu(uint64_t cpu)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	GUEST_ASSERT((b >> 24) == cpu);
	GUEST_ASSERT(d & (1u << 7));  /* CPUID.01H:EDX.MCE */
	GUEST_ASSERT(d & (1u << 14)); /* CPUID.01H:EDX.MCA */
	uint64_t cap = rdmsr(MSR_IA32_MCG_CAP);
	GUEST_ASSERT((cap & 0xff) == 10);
	GUEST_ASSERT(cap & (1u << 24)); /* MCG_SER_P */
	if (cpu == 0)
		printf("MCE: CPUID MCE and MCA set, MCG_CAP 0x%lx: %u banks, CTL_P %u, SER_P %u\n", cap,
		       (unsigned)(cap & 0xff), (unsigned)(cap >> 8) & 1, (unsigned)(cap >> 24) & 1);
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

/* exit:N - power off with code N at once (rasvm passes 0-63 on, rejects the rest). */
static void scenario_exit(uint64_t cpu)
{
	unsigned n = 0;

	if (cpu != 0)
		park();
	for (const char *s = bi.scenario + 5; *s >= '0' && *s <= '9'; s++)
		n = n * 10 + (unsigned)(*s - '0');
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

static void scenario_list(uint64_t cpu);
static void print_scenarios(void);

static const struct scenario {
	const char *name;
	void (*run)(uint64_t cpu);
	const char *what;
} scenarios[] = {
	{ "boot", scenario_boot, "verify ACPI tables, bring every vCPU to a rendezvous, power off 0" },
	{ "hest", scenario_hest, "read the HEST as Linux does; check each source's registers and empty block" },
	{ "exit:", scenario_exit, "exit:N - power off with exit code N" },
	{ "assert", scenario_assert, "fail a GUEST_ASSERT (exit 82)" },
	{ "exception", scenario_exception, "take an unexpected #UD (exit 82)" },
	{ "triple-fault", scenario_triple_fault, "triple fault (exit 80)" },
	{ "hang", scenario_hang, "halt every vCPU with interrupts off (exit 81)" },
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
	cpu_init_tables();
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
