// SPDX-License-Identifier: MIT
/*
 * Verifies the HEST and the error region: one 92-byte GHESv2 entry per enabled source with
 * the values Linux checks (GAS encodings, notification types and vectors as the caller
 * chose them for x86 or arm64, block length, read-ack preserve/write), ids fixed whatever
 * subset is enabled, the region's registers (block
 * address, ack = 1), and the parsing and limits of the source options.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"

#include "acpi/buf.h"
#include "acpi/hest.h"

#define REGION 0xa0000ULL

/* What x86 publishes: NMI, SCI, polled. */
static const struct hest_notify x86[RAS_SOURCES_MAX] = { { 4, 0 }, { 3, 0 }, { 0, 0 } };


static void expect_gas(const uint8_t *g, uint64_t address)
{
	assert_int_equal(g[0], 0);  /* SystemMemory */
	assert_int_equal(g[1], 64); /* bit width */
	assert_int_equal(g[2], 0);  /* bit offset */
	assert_int_equal(g[3], 4);  /* QWORD access: Linux rejects 0 */
	assert_int_equal(rd(g + 4, 8), address);
}

static void test_hest_entries(void **state)
{
	uint8_t t[1024];
	struct acpi_buf b;
	struct ras_sources s = { RAS_SOURCES_DEFAULT, 4096, 250, 0 };
	static const uint8_t notify[3] = { 4, 3, 0 }; /* NMI, SCI, polled */
	(void)state;
	acpi_buf_init(&b, t, sizeof(t), 0xe0000);
	assert_int_equal(hest_build(&b, &s, x86, REGION), 0);
	assert_int_equal(acpi_buf_error(&b), 0);
	assert_memory_equal(t, "HEST", 4);
	assert_int_equal(rd(t + 4, 4), 40 + 3 * 92);
	assert_int_equal(sum(t, 40 + 3 * 92), 0);
	assert_int_equal(rd(t + 36, 4), 3);
	for (unsigned id = 0; id < 3; id++) {
		const uint8_t *e = t + 40 + 92 * id;
		assert_int_equal(rd(e, 2), 10);      /* GHESv2 */
		assert_int_equal(rd(e + 2, 2), id);  /* source id */
		assert_int_equal(rd(e + 4, 2), 0xffff);
		assert_int_equal(e[7], 1);           /* enabled */
		assert_int_equal(rd(e + 12, 4), (4096 - 20) / 152); /* records_max 0: as many as fit */
		expect_gas(e + 20, REGION + 8 * id);
		assert_int_equal(e[32], notify[id]);
		assert_int_equal(e[33], 28);
		assert_int_equal(rd(e + 36, 4), id == 2 ? 250 : 0); /* poll interval */
		assert_int_equal(rd(e + 40, 4), 0);  /* vector */
		assert_int_equal(rd(e + 60, 4), 4096);
		expect_gas(e + 64, REGION + 0x100 + 8 * id);
		assert_int_equal(rd(e + 76, 8), 0xfffffffffffffffeULL);
		assert_int_equal(rd(e + 84, 8), 1);
	}
}

static void test_ids_are_fixed(void **state)
{
	uint8_t t[1024];
	struct acpi_buf b;
	struct ras_sources s = { 1u << RAS_SOURCE_POLLED, 8192, 1000, 0 };
	(void)state;
	acpi_buf_init(&b, t, sizeof(t), 0);
	hest_build(&b, &s, x86, REGION);
	assert_int_equal(rd(t + 36, 4), 1);
	assert_int_equal(rd(t + 40 + 2, 2), RAS_SOURCE_POLLED); /* still id 2 when alone */
	expect_gas(t + 40 + 20, REGION + 16);
	assert_int_equal(ghes_block(REGION, &s, 2), REGION + 0x1000 + 2 * 8192);
}

/* The caller picks each source's notification: arm64 notifies the synchronous source by SEA
 * (type 8, the one Linux handles as synchronous) and the asynchronous one by GSIV (type 10,
 * the interrupt in Vector); the same ids, addresses and poll interval as on x86. */
static void test_arm64_notifications(void **state)
{
	uint8_t t[1024];
	struct acpi_buf b;
	struct ras_sources s = { RAS_SOURCES_DEFAULT, 4096, 500, 0 };
	static const struct hest_notify arm64[RAS_SOURCES_MAX] = { { 8, 0 }, { 10, 41 }, { 0, 0 } };
	(void)state;
	acpi_buf_init(&b, t, sizeof(t), 0x40000000);
	assert_int_equal(hest_build(&b, &s, arm64, 0x40040000), 0);
	assert_int_equal(acpi_buf_error(&b), 0);
	assert_int_equal(sum(t, rd(t + 4, 4)), 0);
	const uint8_t *e = t + 40;
	assert_int_equal(e[32], 8);                        /* SEA */
	assert_int_equal(rd(e + 36, 4), 0);
	assert_int_equal(rd(e + 40, 4), 0);
	expect_gas(e + 20, 0x40040000);
	e += 92;
	assert_int_equal(rd(e + 2, 2), 1);
	assert_int_equal(e[32], 10);                       /* GSIV */
	assert_int_equal(e[33], 28);
	assert_int_equal(rd(e + 36, 4), 0);
	assert_int_equal(rd(e + 40, 4), 41);               /* the GED's interrupt */
	expect_gas(e + 64, 0x40040000 + 0x108);
	e += 92;
	assert_int_equal(e[32], 0);                        /* polled */
	assert_int_equal(rd(e + 36, 4), 500);
}

static void test_region_map(void **state)
{
	struct ras_sources s = { (1u << RAS_SOURCE_SYNC) | (1u << RAS_SOURCE_POLLED), 4096, 1000, 0 };
	(void)state;
	assert_int_equal(ghes_region_size(&s), 0x1000 + 3 * 4096); /* slots for every id */
	assert_int_equal(ghes_address_register(REGION, 2), REGION + 16);
	assert_int_equal(ghes_ack_register(REGION, 1), REGION + 0x108);
	assert_int_equal(ghes_block(REGION, &s, 0), REGION + 0x1000);
	assert_int_equal(ghes_block(REGION, &s, 2), REGION + 0x1000 + 2 * 4096);
	/* The largest blocks still fit the layout's 256 KiB region. */
	s.block_length = 65536;
	assert_true(ghes_region_size(&s) <= 0x40000);
}

static void test_source_options(void **state)
{
	uint32_t m;
	const char *why;
	(void)state;
	assert_int_equal(ras_sources_parse("sync,async,polled", &m), 0);
	assert_int_equal(m, 7);
	assert_int_equal(ras_sources_parse("polled", &m), 0);
	assert_int_equal(m, 4);
	assert_int_equal(ras_sources_parse("none", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(ras_sources_parse("sync,", &m), -EINVAL);
	assert_int_equal(ras_sources_parse("nmi", &m), -EINVAL);
	assert_int_equal(ras_sources_parse("", &m), -EINVAL);
	assert_int_equal(ras_sources_parse("sync,,async", &m), -EINVAL);
	assert_string_equal(ras_source_name(1), "async");
	struct ras_sources s = { 7, 4096, 1000, 0 };
	assert_int_equal(ras_sources_check(&s, &why), 0);
	s.block_length = 512;
	assert_int_equal(ras_sources_check(&s, &why), -EINVAL);
	s.block_length = 65536 + 8;
	assert_int_equal(ras_sources_check(&s, &why), -EINVAL);
	s.block_length = 4100;
	assert_int_equal(ras_sources_check(&s, &why), -EINVAL);
	s.block_length = 4096;
	s.poll_ms = 0;
	assert_int_equal(ras_sources_check(&s, &why), -EINVAL);
	assert_non_null(strstr(why, "poll interval"));
	/* Records per block: at most what fits ((4096 - 20) / (72 + 80) = 26); the HEST's Max
	 * Sections Per Record says how many rasvm writes. */
	s.poll_ms = 1000;
	s.records_max = 26;
	assert_int_equal(ras_sources_check(&s, &why), 0);
	assert_int_equal(ghes_records_per_block(&s), 26);
	s.records_max = 27;
	assert_int_equal(ras_sources_check(&s, &why), -EINVAL);
	s.records_max = 1;
	assert_int_equal(ghes_records_per_block(&s), 1);
	uint8_t t[1024];
	struct acpi_buf b;
	acpi_buf_init(&b, t, sizeof(t), 0xe0000);
	assert_int_equal(hest_build(&b, &s, x86, REGION), 0);
	for (unsigned id = 0; id < 3; id++)
		assert_int_equal(rd(t + 40 + 92 * id + 12, 4), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hest_entries),
		cmocka_unit_test(test_ids_are_fixed),
		cmocka_unit_test(test_arm64_notifications),
		cmocka_unit_test(test_region_map),
		cmocka_unit_test(test_source_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
