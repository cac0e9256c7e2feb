// SPDX-License-Identifier: MIT
/* Verifies include/rasvm/layout.h is self-consistent: boot structures do not overlap each
 * other or the ACPI area, KVM's private pages and the APICs lie in the MMIO hole, the
 * boot and Linux GDTs and the page tables are what
 * the vCPUs use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "bytes.h"
#include "kvm/x86/cpu.h"
#include "rasvm/layout.h"

struct range { uint64_t start, end; const char *name; int in_hole; };

static void test_no_overlaps(void **state)
{
	const struct range r[] = {
		{ LAYOUT_BOOT_GDT, LAYOUT_BOOT_GDT + 0x1000, "gdt", 0 },
		{ LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO + 0x1000, "bootinfo", 0 },
		{ LAYOUT_BOOT_PML4, LAYOUT_BOOT_PML4 + 0x1000, "pml4", 0 },
		{ LAYOUT_BOOT_PDPT, LAYOUT_BOOT_PDPT + 0x1000, "pdpt", 0 },
		{ LAYOUT_BOOT_PD, LAYOUT_BOOT_PD + 0x4000, "pd", 0 },
		{ LAYOUT_LINUX_GDT, LAYOUT_LINUX_GDT + 0x1000, "linux gdt", 0 },
		{ LAYOUT_ZERO_PAGE, LAYOUT_ZERO_PAGE + 0x1000, "zero page", 0 },
		{ LAYOUT_PVH_START_INFO, LAYOUT_PVH_START_INFO + 0x1000, "pvh start_info", 0 },
		{ LAYOUT_CMDLINE, LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX, "cmdline", 0 },
		{ LAYOUT_BDA_EBDA_SEGMENT, LAYOUT_BDA_EBDA_SEGMENT + 2, "bda ebda segment", 0 },
		{ LAYOUT_BDA_BASE_MEMORY_KB, LAYOUT_BDA_BASE_MEMORY_KB + 2, "bda base memory", 0 },
		{ LAYOUT_MP_CONFIG, LAYOUT_EBDA, "mp configuration table", 0 },
		{ LAYOUT_EBDA, LAYOUT_EBDA + 0x400, "ebda", 0 },
		{ LAYOUT_ERROR_REGION, LAYOUT_ERROR_REGION_END, "error region", 0 },
		{ LAYOUT_ACPI_BASE, LAYOUT_ACPI_END, "acpi", 0 },
		{ LAYOUT_IOAPIC, LAYOUT_IOAPIC + 0x1000, "ioapic", 1 },
		{ LAYOUT_LAPIC, LAYOUT_LAPIC + 0x1000, "lapic", 1 },
		{ LAYOUT_KVM_IDENTITY_MAP, LAYOUT_KVM_IDENTITY_MAP + 0x1000, "idmap", 1 },
		{ LAYOUT_KVM_TSS, LAYOUT_KVM_TSS + 0x3000, "tss", 1 },
	};
	size_t n = sizeof(r) / sizeof(r[0]);
	(void)state;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (r[i].start < r[j].end && r[j].start < r[i].end)
				fail_msg("%s overlaps %s", r[i].name, r[j].name);
	/* Boot structures are in conventional RAM; tables in the reserved BIOS area. */
	assert_true(LAYOUT_BOOT_PD + 0x4000 <= LAYOUT_LOW_RAM_END);
	assert_true(LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX <= LAYOUT_LOW_RAM_END);
	/* Linux never hands out its first 64 KiB (memblock_reserve(0, SZ_64K) in
	 * arch/x86/kernel/setup.c): its boot data there is safe until Linux has copied it. */
	assert_true(LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX <= 0x10000);
	assert_true(LAYOUT_ACPI_BASE >= LAYOUT_FW_RESERVED && LAYOUT_ACPI_END <= LAYOUT_KERNEL_MIN);
	/* The MP table is reserved firmware memory; its floating pointer is where Linux looks
	 * second ([639 KiB, 640 KiB), arch/x86/kernel/mpparse.c), and the BDA says so. */
	assert_true(LAYOUT_MP_CONFIG >= LAYOUT_FW_RESERVED && LAYOUT_EBDA + 0x400 <= LAYOUT_ERROR_REGION);
	assert_true(LAYOUT_EBDA >= 639 * 1024 && LAYOUT_EBDA + 16 <= 640 * 1024);
	assert_true(LAYOUT_BDA_BASE_MEMORY_KB + 2 <= LAYOUT_BOOT_GDT);
	/* The error region is reserved firmware memory too, below the kernel. */
	assert_true(LAYOUT_ERROR_REGION >= LAYOUT_FW_RESERVED && LAYOUT_ERROR_REGION_END <= LAYOUT_KERNEL_MIN);
	/* Everything KVM and the APICs own sits in the hole between low and high RAM. */
	for (size_t i = 0; i < n; i++)
		if (r[i].in_hole && !(r[i].start >= LAYOUT_MMIO_HOLE && r[i].end <= LAYOUT_HIGH_RAM))
			fail_msg("%s is not in the MMIO hole", r[i].name);
	assert_true(LAYOUT_RAM_MIN > LAYOUT_KERNEL_MIN);
}

/* Walk the boot page tables the way the MMU does for a few addresses. */
static uint64_t translate(const uint8_t *ram, uint64_t va)
{
	uint64_t pml4e = rd(ram + LAYOUT_BOOT_PML4 + 8 * ((va >> 39) & 511), 8);
	assert_true(pml4e & 1);
	uint64_t pdpte = rd(ram + (pml4e & ~0xfffULL) + 8 * ((va >> 30) & 511), 8);
	assert_true(pdpte & 1);
	uint64_t pde = rd(ram + (pdpte & ~0xfffULL) + 8 * ((va >> 21) & 511), 8);
	assert_true((pde & 0x83) == 0x83); /* present, writable, 2 MiB page */
	return (pde & ~0x1fffffULL) | (va & 0x1fffff);
}

static void test_boot_tables(void **state)
{
	struct guest_mem m;
	uint8_t *ram = calloc(1, LAYOUT_RAM_MIN);
	(void)state;
	mem_layout(&m, ram, LAYOUT_RAM_MIN);
	x86_write_boot_tables(&m);
	const uint64_t probes[] = { 0, 0x100000, 0x12345678, LAYOUT_LAPIC + 0x20, LAYOUT_BOOT_MAPPED - 1 };
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		assert_int_equal(translate(ram, probes[i]), probes[i]);
	assert_int_equal(rd(ram + LAYOUT_BOOT_GDT + ENTRY_SEL_CODE, 8), 0x00af9b000000ffffULL);
	assert_int_equal(rd(ram + LAYOUT_BOOT_GDT + ENTRY_SEL_DATA, 8), 0x00cf93000000ffffULL);
	/* Linux's: null, code32 (PVH), __BOOT_CS 0x10 (L=1), __BOOT_DS 0x18. */
	assert_int_equal(rd(ram + LAYOUT_LINUX_GDT, 8), 0);
	assert_int_equal(rd(ram + LAYOUT_LINUX_GDT + LINUX_SEL_CODE32, 8), 0x00cf9b000000ffffULL);
	assert_int_equal(LINUX_SEL_BOOT_CS, 0x10);
	assert_int_equal(LINUX_SEL_BOOT_DS, 0x18);
	assert_int_equal(rd(ram + LAYOUT_LINUX_GDT + LINUX_SEL_BOOT_CS, 8), 0x00af9b000000ffffULL);
	assert_int_equal(rd(ram + LAYOUT_LINUX_GDT + LINUX_SEL_BOOT_DS, 8), 0x00cf93000000ffffULL);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_overlaps),
		cmocka_unit_test(test_boot_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
