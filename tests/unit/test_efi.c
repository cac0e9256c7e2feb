// SPDX-License-Identifier: MIT
/*
 * Verifies the minimal UEFI tables for arm64 guests: the system table's header (signature,
 * revision, size, CRC32 over the table with the CRC field zero) and fields, the vendor
 * string, the configuration tables (ACPI 2.0 GUID -> RSDP, EFI_RT_PROPERTIES_TABLE with no
 * runtime services), the version 1 memory descriptors, and the maps refused. Offsets and
 * GUID bytes are the UEFI 2.10 specification's, written out here, not the builder's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"

#include "fw/efi.h"

#define BASE 0x40020000ULL
static uint8_t area[0x20000];

static const struct efi_mem_range map[3] = {
	{ 0x40000000, 0x40000, 9, 0x8 },             /* ACPI reclaim, WB */
	{ 0x40040000, 0x40000, 10, 0x8 },            /* ACPI NVS, WB */
	{ 0x40080000, 0x8000000 - 0x80000, 7, 0x8 }, /* conventional, WB */
};

static const uint8_t *at(uint64_t gpa)
{
	assert_true(gpa >= BASE && gpa < BASE + sizeof(area));
	return area + (gpa - BASE);
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(efi_crc32((const uint8_t *)"123456789", 9), 0xcbf43926); /* the check value */
	assert_int_equal(efi_crc32((const uint8_t *)"a", 1), 0xe8b7be43);
	assert_int_equal(efi_crc32(NULL, 0), 0);
}

static void test_tables(void **state)
{
	static const uint8_t acpi20[16] = { 0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
					    0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 };
	static const uint8_t rtprop[16] = { 0x8a, 0x91, 0x66, 0xeb, 0xef, 0x7e, 0x2a, 0x40,
					    0x84, 0x2e, 0x93, 0x1d, 0x21, 0xc3, 0x8a, 0xe9 };
	struct efi_firmware f = { .rsdp = 0x40000000, .map = map, .map_count = 3 };
	struct efi_tables t;
	struct acpi_buf b;
	(void)state;
	memset(area, 0xee, sizeof(area));
	acpi_buf_init(&b, area, sizeof(area), BASE);
	assert_int_equal(efi_build(&f, &b, &t), 0);
	assert_int_equal(t.system_table, BASE);
	assert_int_equal(t.mmap_size, 3 * 40);
	assert_int_equal(t.desc_size, 40);
	assert_int_equal(t.desc_version, 1);
	assert_int_equal(t.mmap % 8, 0);

	/* 4.3: "IBI SYST", revision 2.80, 120 bytes, CRC32 of the table with the field zeroed. */
	const uint8_t *st = at(t.system_table);
	assert_memory_equal(st, "IBI SYST", 8);
	assert_int_equal(rd(st + 8, 4), (2 << 16) | 80);
	assert_int_equal(rd(st + 12, 4), 120);
	assert_int_equal(rd(st + 20, 4), 0);
	uint8_t copy[120];
	memcpy(copy, st, 120);
	memset(copy + 16, 0, 4);
	assert_int_equal(rd(st + 16, 4), efi_crc32(copy, 120));
	const uint8_t *vendor = at(rd(st + 24, 8));
	assert_memory_equal(vendor, "r\0a\0s\0v\0m\0\0\0", 12); /* CHAR16 "rasvm" */
	for (int off = 40; off < 104; off += 8)
		assert_int_equal(rd(st + off, 8), 0); /* no console, runtime or boot services */
	assert_int_equal(rd(st + 104, 8), 2);     /* NumberOfTableEntries */

	/* 4.6: ACPI 2.0 table -> RSDP; EFI_RT_PROPERTIES_TABLE -> version 1, 8 bytes, none. */
	const uint8_t *ct = at(rd(st + 112, 8));
	assert_memory_equal(ct, acpi20, 16);
	assert_int_equal(rd(ct + 16, 8), 0x40000000);
	assert_memory_equal(ct + 24, rtprop, 16);
	const uint8_t *rt = at(rd(ct + 40, 8));
	assert_int_equal(rd(rt, 2), 1);
	assert_int_equal(rd(rt + 2, 2), 8);
	assert_int_equal(rd(rt + 4, 4), 0);

	/* 7.2: Type, PhysicalStart, VirtualStart, NumberOfPages, Attribute. */
	const uint8_t *d = at(t.mmap);
	for (int i = 0; i < 3; i++, d += 40) {
		assert_int_equal(rd(d, 4), map[i].type);
		assert_int_equal(rd(d + 4, 4), 0);
		assert_int_equal(rd(d + 8, 8), map[i].base);
		assert_int_equal(rd(d + 16, 8), 0);
		assert_int_equal(rd(d + 24, 8), map[i].size / 4096);
		assert_int_equal(rd(d + 32, 8), 0x8);
	}
	assert_int_equal(area[b.len], 0xee); /* nothing written past what it says it used */
	assert_int_equal(t.mmap + t.mmap_size, BASE + b.len);

	/* Without an RSDP only the runtime properties table. */
	f.rsdp = 0;
	acpi_buf_init(&b, area, sizeof(area), BASE);
	assert_int_equal(efi_build(&f, &b, &t), 0);
	st = at(t.system_table);
	assert_int_equal(rd(st + 104, 8), 1);
	assert_memory_equal(at(rd(st + 112, 8)), rtprop, 16);
}

static void test_refused(void **state)
{
	struct efi_mem_range m[2] = { map[0], map[1] };
	struct efi_firmware f = { .rsdp = 0x40000000, .map = m, .map_count = 2 };
	struct efi_tables t;
	struct acpi_buf b;
	(void)state;
	acpi_buf_init(&b, area, sizeof(area), BASE + 4); /* the tables need 8-byte alignment */
	assert_int_equal(efi_build(&f, &b, &t), -EINVAL);
	acpi_buf_init(&b, area, sizeof(area), BASE);
	m[1].base = 0x40030000; /* overlaps the first */
	assert_int_equal(efi_build(&f, &b, &t), -EINVAL);
	m[1] = map[1];
	m[0].base = 0x40000800; /* not page-aligned */
	assert_int_equal(efi_build(&f, &b, &t), -EINVAL);
	m[0] = map[1];
	m[1] = map[0]; /* descending */
	assert_int_equal(efi_build(&f, &b, &t), -EINVAL);
	m[0] = map[0];
	m[1] = map[1];
	m[1].size = 0;
	assert_int_equal(efi_build(&f, &b, &t), -EINVAL);
	f.map_count = 0;
	assert_int_equal(efi_build(&f, &b, &t), -EINVAL);
	f.map_count = 1;
	memset(area, 0xee, 200);
	acpi_buf_init(&b, area, 150, BASE);
	assert_int_equal(efi_build(&f, &b, &t), -ENOSPC);
	assert_int_equal(area[150], 0xee);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
