// SPDX-License-Identifier: MIT
/*
 * Verifies the arm64 machine's firmware as platform_arm64_build lays it out in guest RAM:
 * the RSDP at LAYOUT_ARM64_ACPI reached through the EFI system table's ACPI 2.0 entry, the
 * EFI memory map covering RAM (reclaim for the tables, NVS write-back for the error region,
 * conventional for the rest), the device tree's /chosen naming the system table and map, the
 * HEST pointing into the error region, the stub tree, and the configurations refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "bytes.h"

#include "config.h"
#include "platform_arm64.h"

static uint8_t *fw;

static struct config config(unsigned cpus, uint64_t memory)
{
	return (struct config){ .cpus = cpus, .memory = memory,
				.ras = { RAS_SOURCES_DEFAULT, 4096, 1000, 0 }, .arch = ACPI_ARCH_ARM64 };
}

static const uint8_t *at(uint64_t gpa)
{
	assert_true(gpa >= LAYOUT_ARM64_RAM && gpa < LAYOUT_ARM64_RAM + ARM64_FIRMWARE_SIZE);
	return fw + (gpa - LAYOUT_ARM64_RAM);
}

static uint64_t chosen_u64(const void *dtb, const char *name)
{
	int len;
	const void *p = fdt_getprop(dtb, fdt_path_offset(dtb, "/chosen"), name, &len);
	assert_non_null(p);
	return len == 8 ? fdt64_ld(p) : fdt32_ld(p);
}

static void test_layout_in_ram(void **state)
{
	struct config c = config(4, 256ULL << 20);
	struct arm64_boot boot = { .bootargs = "console=ttyAMA0", .initrd = { 0x4f000000, 0x100000 } };
	struct arm64_firmware out;
	(void)state;
	memset(fw, 0, ARM64_FIRMWARE_SIZE);
	assert_int_equal(platform_arm64_build(&c, &boot, fw, &out), 0);

	/* /chosen -> EFI system table -> ACPI 2.0 configuration table -> RSDP. */
	const uint8_t *dtb = at(LAYOUT_ARM64_DTB);
	assert_int_equal(fdt_check_header(dtb), 0);
	assert_int_equal(fdt_totalsize(dtb), out.dtb_len);
	uint64_t st = chosen_u64(dtb, "linux,uefi-system-table");
	assert_int_equal(st, LAYOUT_ARM64_EFI);
	const uint8_t *ct = at(rd(at(st) + 112, 8));
	assert_int_equal(rd(ct + 16, 8), LAYOUT_ARM64_ACPI);
	assert_memory_equal(at(LAYOUT_ARM64_ACPI), "RSD PTR ", 8);
	assert_int_equal(chosen_u64(dtb, "linux,initrd-start"), 0x4f000000);
	assert_int_equal(chosen_u64(dtb, "linux,initrd-end"), 0x4f100000);

	/* The memory map covers RAM exactly, in three ranges, all write-back. */
	uint64_t mmap = chosen_u64(dtb, "linux,uefi-mmap-start");
	uint64_t size = chosen_u64(dtb, "linux,uefi-mmap-size");
	assert_int_equal(chosen_u64(dtb, "linux,uefi-mmap-desc-size"), 40);
	assert_int_equal(size, 3 * 40);
	assert_true(mmap >= LAYOUT_ARM64_EFI && mmap + size <= LAYOUT_ARM64_EFI_END);
	static const uint32_t types[3] = { 9, 10, 7 };   /* ACPI reclaim, ACPI NVS, conventional */
	const uint64_t bases[4] = { LAYOUT_ARM64_RAM, LAYOUT_ARM64_ERROR_REGION, LAYOUT_ARM64_DTB,
				    LAYOUT_ARM64_RAM + c.memory };
	for (int i = 0; i < 3; i++) {
		const uint8_t *d = at(mmap + 40 * i);
		assert_int_equal(rd(d, 4), types[i]);
		assert_int_equal(rd(d + 8, 8), bases[i]);
		assert_int_equal(rd(d + 8, 8) + 4096 * rd(d + 24, 8), bases[i + 1]); /* no gap, no overlap */
		assert_int_equal(rd(d + 32, 8), 0x8);                                 /* write-back */
	}

	/* The HEST's first error status address is the error region's first register. */
	const uint8_t *xsdt = at(rd(at(LAYOUT_ARM64_ACPI) + 24, 8));
	const uint8_t *hest = at(rd(xsdt + 36 + 8 * 4, 8));
	assert_memory_equal(hest, "HEST", 4);
	assert_int_equal(rd(hest + 40 + 24, 8), LAYOUT_ARM64_ERROR_REGION);
	/* The MADT names vCPU 3 with KVM's MPIDR and GICR covers 4 redistributors. */
	const uint8_t *madt = at(rd(xsdt + 36 + 8, 8));
	assert_int_equal(rd(madt + 44 + 3 * 80 + 68, 8), ARM64_KVM_MPIDR(3));
	assert_int_equal(rd(madt + 44 + 4 * 80 + 24 + 12, 4), 4 * LAYOUT_ARM64_GICR_STRIDE);

	/* The stub tree: /chosen alone. */
	boot.stub_tree = true;
	memset(fw, 0, ARM64_FIRMWARE_SIZE);
	assert_int_equal(platform_arm64_build(&c, &boot, fw, &out), 0);
	int n = 0, sub;
	fdt_for_each_subnode(sub, dtb, 0)
		n++;
	assert_int_equal(n, 1);
	assert_int_equal(chosen_u64(dtb, "linux,uefi-system-table"), LAYOUT_ARM64_EFI);
}

static void test_refused(void **state)
{
	struct arm64_firmware out;
	struct arm64_boot boot = { 0 };
	struct config c;
	(void)state;
	c = config(LAYOUT_ARM64_MAX_CPUS, 128ULL << 20);
	assert_int_equal(platform_arm64_build(&c, &boot, fw, &out), 0);
	c.cpus = LAYOUT_ARM64_MAX_CPUS + 1;
	assert_int_equal(platform_arm64_build(&c, &boot, fw, &out), -EINVAL);
	c = config(1, 32ULL << 20);
	assert_int_equal(platform_arm64_build(&c, &boot, fw, &out), -EINVAL);
	c = config(1, (128ULL << 20) + 4096);
	assert_int_equal(platform_arm64_build(&c, &boot, fw, &out), -EINVAL);
	c = config(1, 128ULL << 20);
	boot.initrd = (struct fdt_range){ LAYOUT_ARM64_DTB, 0x1000 }; /* over the firmware */
	assert_int_equal(platform_arm64_build(&c, &boot, fw, &out), -EINVAL);
	boot.initrd = (struct fdt_range){ LAYOUT_ARM64_RAM + (128ULL << 20) - 0x1000, 0x2000 }; /* past RAM */
	assert_int_equal(platform_arm64_build(&c, &boot, fw, &out), -EINVAL);
}

static int setup(void **state)
{
	(void)state;
	fw = calloc(1, ARM64_FIRMWARE_SIZE);
	return fw ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(fw);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_in_ram),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
