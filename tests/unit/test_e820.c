// SPDX-License-Identifier: MIT
/* Verifies guest RAM layout: regions around the MMIO hole, the e820 map, and that address
 * translation rejects every range that is not wholly inside RAM (including wrapping ones). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kvm/mem.h"
#include "rasvm/layout.h"
#include "rasvm/layout_arm64.h"

/* No RAM is touched: a fake host address is enough for layout and translation. */
static uint8_t *const HVA = (uint8_t *)0x7f0000000000ULL;

static void expect_entry(const struct e820_entry *e, uint64_t addr, uint64_t size, uint32_t type)
{
	assert_int_equal(e->addr, addr);
	assert_int_equal(e->size, size);
	assert_int_equal(e->type, type);
}

static void test_small_ram(void **state)
{
	struct guest_mem m;
	struct e820_entry e[8];
	(void)state;
	mem_layout(&m, HVA, 128ULL << 20);
	assert_int_equal(m.nregions, 1);
	assert_int_equal(mem_e820(&m, e, 8), 3);
	expect_entry(&e[0], 0, LAYOUT_LOW_RAM_END, E820_RAM);
	expect_entry(&e[1], LAYOUT_FW_RESERVED, 0x100000 - LAYOUT_FW_RESERVED, E820_RESERVED);
	expect_entry(&e[2], 0x100000, (128ULL << 20) - 0x100000, E820_RAM);
	/* The ACPI tables sit inside the reserved entry, where an OS leaves them alone. */
	assert_true(LAYOUT_ACPI_BASE >= e[1].addr && LAYOUT_ACPI_END <= e[1].addr + e[1].size);
}

static void test_ram_split_at_hole(void **state)
{
	struct guest_mem m;
	struct e820_entry e[8];
	(void)state;
	mem_layout(&m, HVA, 5ULL << 30);
	assert_int_equal(m.nregions, 2);
	assert_int_equal(m.region[0].size, LAYOUT_MMIO_HOLE);
	assert_int_equal(m.region[1].gpa, LAYOUT_HIGH_RAM);
	assert_int_equal(m.region[1].size, (5ULL << 30) - LAYOUT_MMIO_HOLE);
	assert_ptr_equal(m.region[1].hva, HVA + LAYOUT_MMIO_HOLE);
	assert_int_equal(mem_e820(&m, e, 8), 4);
	expect_entry(&e[2], 0x100000, LAYOUT_MMIO_HOLE - 0x100000, E820_RAM);
	expect_entry(&e[3], LAYOUT_HIGH_RAM, (5ULL << 30) - LAYOUT_MMIO_HOLE, E820_RAM);
	/* Exactly the hole's size needs no high region. */
	mem_layout(&m, HVA, LAYOUT_MMIO_HOLE);
	assert_int_equal(m.nregions, 1);
	assert_int_equal(mem_e820(&m, e, 8), 3);
	/* A short array is not overrun, and the count says how many were needed. */
	mem_layout(&m, HVA, 5ULL << 30);
	e[1].type = 99;
	assert_int_equal(mem_e820(&m, e, 1), 4);
	assert_int_equal(e[1].type, 99);
}

static void test_translation(void **state)
{
	struct guest_mem m;
	uint64_t gpa;
	(void)state;
	mem_layout(&m, HVA, 5ULL << 30);
	assert_ptr_equal(mem_gpa_to_hva(&m, 0x1000, 8), HVA + 0x1000);
	assert_ptr_equal(mem_gpa_to_hva(&m, LAYOUT_MMIO_HOLE - 8, 8), HVA + LAYOUT_MMIO_HOLE - 8);
	assert_null(mem_gpa_to_hva(&m, LAYOUT_MMIO_HOLE - 8, 9));   /* runs into the hole */
	assert_null(mem_gpa_to_hva(&m, LAYOUT_MMIO_HOLE, 1));       /* inside the hole */
	assert_null(mem_gpa_to_hva(&m, LAYOUT_LAPIC, 4));
	assert_ptr_equal(mem_gpa_to_hva(&m, LAYOUT_HIGH_RAM, 8), HVA + LAYOUT_MMIO_HOLE);
	assert_null(mem_gpa_to_hva(&m, LAYOUT_HIGH_RAM + (2ULL << 30), 1)); /* past the end */
	assert_null(mem_gpa_to_hva(&m, 0x1000, UINT64_MAX));               /* wraps */
	assert_null(mem_gpa_to_hva(&m, UINT64_MAX, 2));
	assert_true(mem_hva_to_gpa(&m, HVA + LAYOUT_MMIO_HOLE + 5, &gpa));
	assert_int_equal(gpa, LAYOUT_HIGH_RAM + 5);
	assert_true(mem_hva_to_gpa(&m, HVA, &gpa));
	assert_int_equal(gpa, 0);
	assert_false(mem_hva_to_gpa(&m, HVA + (5ULL << 30), &gpa));
	assert_false(mem_hva_to_gpa(&m, HVA - 1, &gpa));
}

/* A punched page is not RAM to KVM or to translation, but e820 still reserves it. */
static void test_punch(void **state)
{
	struct guest_mem m;
	struct e820_entry e[8];
	(void)state;
	mem_layout(&m, HVA, 5ULL << 30);
	assert_int_equal(mem_punch(&m, LAYOUT_ERROR_REGION, 0x1000), 0);
	assert_int_equal(m.nregions, 3);
	assert_int_equal(m.region[0].size, LAYOUT_ERROR_REGION);
	assert_int_equal(m.region[1].gpa, LAYOUT_ERROR_REGION + 0x1000);
	assert_ptr_equal(m.region[1].hva, HVA + LAYOUT_ERROR_REGION + 0x1000);
	assert_int_equal(m.region[2].gpa, LAYOUT_HIGH_RAM);
	assert_null(mem_gpa_to_hva(&m, LAYOUT_ERROR_REGION + 8, 8));
	assert_null(mem_gpa_to_hva(&m, LAYOUT_ERROR_REGION - 8, 16)); /* straddles the hole */
	assert_ptr_equal(mem_gpa_to_hva(&m, LAYOUT_ERROR_REGION + 0x1000, 8),
			 HVA + LAYOUT_ERROR_REGION + 0x1000);
	assert_int_equal(mem_e820(&m, e, 8), 4); /* unchanged: the hole is inside reserved memory */
	assert_int_equal(e[2].size, LAYOUT_MMIO_HOLE - 0x100000);
	assert_int_equal(mem_punch(&m, LAYOUT_ERROR_REGION + 8, 0x1000), -EINVAL); /* unaligned */
	assert_int_equal(mem_punch(&m, LAYOUT_ERROR_REGION, 0x1000), -EINVAL);     /* not RAM any more */
	assert_int_equal(mem_punch(&m, 0, 0x1000), -EINVAL);                       /* at a region's start */
}

/* A host memory error names a granule of rasvm's mapping (an address rounded down to
 * 1 << lsb, up to 1 GiB); it is the same granule of guest physical memory only if every RAM
 * region starts at a 1 GiB boundary in both. */
static void test_ram_mapping_aligned(void **state)
{
	(void)state;
	assert_int_equal(LAYOUT_MMIO_HOLE % MEM_RAM_ALIGN, 0);
	assert_int_equal(LAYOUT_HIGH_RAM % MEM_RAM_ALIGN, 0);
	assert_int_equal(LAYOUT_ARM64_RAM % MEM_RAM_ALIGN, 0);
	for (uint64_t size = LAYOUT_RAM_MIN; size <= (5ULL << 30); size = size * 4 + 4096) {
		uint8_t *ram = mem_map_ram(size);
		assert_non_null(ram);
		assert_int_equal((uintptr_t)ram % MEM_RAM_ALIGN, 0);
		struct guest_mem m;
		mem_layout(&m, ram, size);
		for (unsigned i = 0; i < m.nregions; i++) {
			assert_int_equal(m.region[i].gpa % MEM_RAM_ALIGN, 0);
			assert_int_equal((uintptr_t)m.region[i].hva % MEM_RAM_ALIGN, 0);
		}
		ram[0] = 1;
		ram[size - 1] = 1; /* the whole size is mapped */
		mem_unmap_ram(ram, size);
	}
	assert_null(mem_map_ram(0));
	assert_null(mem_map_ram(UINT64_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_ram),
		cmocka_unit_test(test_ram_split_at_hole),
		cmocka_unit_test(test_translation),
		cmocka_unit_test(test_punch),
		cmocka_unit_test(test_ram_mapping_aligned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
