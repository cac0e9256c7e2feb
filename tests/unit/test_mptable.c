// SPDX-License-Identifier: MIT
/* Verifies the MP table (src/fw/mptable.c) by reading it back as Linux does
 * (arch/x86/kernel/mpparse.c): the floating pointer found by a 16-byte scan of [639 KiB,
 * 640 KiB) with its checks, the configuration table's signature, checksum, version and local
 * APIC address, then every entry walked by its type's size: one processor per vCPU with only
 * vCPU 0 the bootstrap processor, the ISA bus, the I/O APIC, ISA IRQs on the pins the MADT
 * says (IRQ 0 on pin 2, no cascade), LINT0 ExtINT and LINT1 NMI; and the limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "fw/mptable.h"
#include "kvm/mem.h"
#include "le.h"
#include "platform.h"
#include "rasvm/layout.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static struct acpi_platform platform(uint32_t cpus)
{
	struct config c = { .cpus = cpus };
	struct acpi_platform p;
	platform_describe(&c, &p);
	return p;
}

/* What the walk found. */
struct seen {
	unsigned cpus, boot_cpus, buses, ioapics, io_ints, local_ints;
	int pin_of_irq[16];
	unsigned extint_lint, nmi_lint;
};

/* Linux's smp_check_mpc and smp_read_mpc, in checks. */
static struct seen walk(const uint8_t *t, const struct acpi_platform *p)
{
	struct seen s = { 0 };
	memset(s.pin_of_irq, -1, sizeof(s.pin_of_irq));
	assert_memory_equal(t, "PCMP", 4);
	size_t len = le_get(t + 4, 2);
	assert_int_equal(sum(t, len), 0);
	assert_true(t[6] == 1 || t[6] == 4);
	assert_memory_equal(t + 8, "RASVM   ", 8);
	assert_int_equal(le_get(t + 36, 4), p->lapic_addr);
	assert_int_equal(le_get(t + 40, 2), 0); /* no extended table */
	unsigned entries = (unsigned)le_get(t + 34, 2), last_type = 0;
	size_t off = 44;
	for (unsigned i = 0; i < entries; i++) {
		const uint8_t *e = t + off;
		assert_true(off < len);
		assert_true(e[0] >= last_type); /* 4.3: entries sorted by type */
		last_type = e[0];
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], s.cpus); /* APIC ids 0..n-1, as the MADT */
			assert_int_not_equal(e[2], 0);  /* Linux warns of version 0 */
			assert_true(e[3] & 1);
			s.boot_cpus += (e[3] & 2) != 0;
			if (e[3] & 2)
				assert_int_equal(e[1], 0);
			s.cpus++;
			off += 20;
			break;
		case 1:
			assert_memory_equal(e + 2, "ISA   ", 6);
			s.buses++;
			off += 8;
			break;
		case 2:
			assert_int_equal(e[1], p->ioapic_id);
			assert_true(e[3] & 1);
			assert_int_equal(le_get(e + 4, 4), p->ioapic_addr);
			s.ioapics++;
			off += 8;
			break;
		case 3:
			assert_int_equal(e[1], 0); /* mp_INT */
			assert_int_equal(e[4], 0); /* the ISA bus */
			assert_int_equal(e[6], p->ioapic_id);
			assert_true(e[5] < 16);
			assert_int_equal(s.pin_of_irq[e[5]], -1);
			s.pin_of_irq[e[5]] = e[7];
			s.io_ints++;
			off += 8;
			break;
		case 4:
			assert_int_equal(e[6], 0xff);
			if (e[1] == 3)
				s.extint_lint = e[7];
			else if (e[1] == 1)
				s.nmi_lint = e[7];
			else
				fail_msg("local interrupt type %u", e[1]);
			s.local_ints++;
			off += 8;
			break;
		default:
			fail_msg("entry type %u at %zu", e[0], off);
		}
	}
	assert_int_equal(off, len); /* BASE TABLE LENGTH covers exactly the entries */
	return s;
}

static void check_machine(uint32_t cpus)
{
	struct acpi_platform p = platform(cpus);
	size_t cap = LAYOUT_EBDA - LAYOUT_MP_CONFIG;
	uint8_t *config = malloc(cap), floating[MP_FLOATING_SIZE];
	assert_non_null(config);
	long len = mptable_build(&p, config, cap, LAYOUT_MP_CONFIG, floating);
	assert_int_equal(len, mptable_config_size(cpus));
	/* smp_scan_config: signature, length 1, checksum, version 1 or 4 */
	assert_memory_equal(floating, "_MP_", 4);
	assert_int_equal(floating[8], 1);
	assert_int_equal(sum(floating, MP_FLOATING_SIZE), 0);
	assert_int_equal(floating[9], 4);
	assert_int_equal(le_get(floating + 4, 4), LAYOUT_MP_CONFIG);
	assert_int_equal(floating[11], 0); /* not a default configuration: the table is there */
	struct seen s = walk(config, &p);
	assert_int_equal(s.cpus, cpus);
	assert_int_equal(s.boot_cpus, 1);
	assert_int_equal(s.buses, 1);
	assert_int_equal(s.ioapics, 1);
	assert_int_equal(s.io_ints, 15);
	assert_int_equal(s.pin_of_irq[0], 2);
	assert_int_equal(s.pin_of_irq[2], -1);
	for (int irq = 1; irq < 16; irq++)
		if (irq != 2)
			assert_int_equal(s.pin_of_irq[irq], irq);
	assert_int_equal(s.local_ints, 2);
	assert_int_equal(s.extint_lint, 0);
	assert_int_equal(s.nmi_lint, 1);
	free(config);
}

static void test_one_cpu(void **state)
{
	(void)state;
	check_machine(1);
}

static void test_four_cpus(void **state)
{
	(void)state;
	check_machine(4);
}

/* Every vCPU count rasvm accepts (--cpus 254) fits below the EBDA. */
static void test_most_cpus_fit(void **state)
{
	(void)state;
	assert_true(mptable_config_size(254) <= LAYOUT_EBDA - LAYOUT_MP_CONFIG);
	check_machine(254);
}

static void test_refused(void **state)
{
	uint8_t config[8192], floating[MP_FLOATING_SIZE];
	(void)state;
	struct acpi_platform p = platform(255);
	assert_int_equal(mptable_build(&p, config, sizeof(config), LAYOUT_MP_CONFIG, floating), -EINVAL);
	p = platform(0);
	assert_int_equal(mptable_build(&p, config, sizeof(config), LAYOUT_MP_CONFIG, floating), -EINVAL);
	p = platform(2);
	p.ioapic_id = 1; /* would share vCPU 1's APIC id */
	assert_int_equal(mptable_build(&p, config, sizeof(config), LAYOUT_MP_CONFIG, floating), -EINVAL);
	p = platform(2);
	assert_int_equal(mptable_build(&p, config, sizeof(config), 0xfffff000ULL, floating), -EINVAL);
	/* Too small a buffer: -ENOSPC, nothing written. */
	memset(config, 0xaa, sizeof(config));
	memset(floating, 0xaa, sizeof(floating));
	assert_int_equal(mptable_build(&p, config, mptable_config_size(2) - 1, LAYOUT_MP_CONFIG, floating),
			 -ENOSPC);
	assert_int_equal(config[0], 0xaa);
	assert_int_equal(floating[0], 0xaa);
}

/* In guest RAM: the scan Linux does finds the floating pointer at its first step of
 * [639 KiB, 640 KiB), and the BIOS data area agrees with the e820 map. */
static void test_in_guest_ram(void **state)
{
	(void)state;
	size_t ram = LAYOUT_RAM_MIN;
	uint8_t *hva = calloc(1, ram);
	assert_non_null(hva);
	struct guest_mem m;
	mem_layout(&m, hva, ram);
	struct config c = { .cpus = 2 };
	assert_int_equal(platform_write_mptable(&c, &m), 0);
	uint64_t found = 0;
	for (uint64_t a = 639 * 1024; a < 640 * 1024 && !found; a += 16)
		if (!memcmp(hva + a, "_MP_", 4) && hva[a + 8] == 1 && sum(hva + a, 16) == 0)
			found = a;
	assert_int_equal(found, LAYOUT_EBDA);
	assert_int_equal(le_get(hva + LAYOUT_BDA_EBDA_SEGMENT, 2) << 4, LAYOUT_EBDA);
	assert_int_equal(le_get(hva + LAYOUT_BDA_BASE_MEMORY_KB, 2) << 10, LAYOUT_LOW_RAM_END);
	struct e820_entry e[8];
	assert_true(mem_e820(&m, e, 8) >= 2);
	assert_int_equal(e[0].addr + e[0].size, LAYOUT_LOW_RAM_END); /* RAM ends where the table starts */
	assert_true(e[1].type == E820_RESERVED && e[1].addr <= LAYOUT_MP_CONFIG);
	struct acpi_platform p = platform(2);
	struct seen s = walk(hva + le_get(hva + LAYOUT_EBDA + 4, 4), &p);
	assert_int_equal(s.cpus, 2);
	free(hva);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_cpu),
		cmocka_unit_test(test_four_cpus),
		cmocka_unit_test(test_most_cpus_fit),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_in_guest_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
