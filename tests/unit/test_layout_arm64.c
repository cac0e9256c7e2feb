// SPDX-License-Identifier: MIT
/* Verifies include/rasvm/layout_arm64.h is self-consistent: MMIO frames below RAM and apart,
 * the redistributor region holds LAYOUT_ARM64_MAX_CPUS, the firmware areas in RAM are in
 * order, 64 KiB aligned, below the 2 MiB-aligned kernel base and large enough for what goes
 * there, the interrupt numbers are PPIs and SPIs, and KVM's MPIDR numbering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "acpi/hest.h"
#include "rasvm/layout_arm64.h"

struct range { uint64_t start, end; const char *name; };

static void test_mmio(void **state)
{
	const struct range r[] = {
		{ LAYOUT_ARM64_GICD, LAYOUT_ARM64_GICD + LAYOUT_ARM64_GICD_SIZE, "gicd" },
		{ LAYOUT_ARM64_GICR, LAYOUT_ARM64_GICR_END, "gicr" },
		{ LAYOUT_ARM64_UART, LAYOUT_ARM64_UART + LAYOUT_ARM64_UART_SIZE, "uart" },
		{ LAYOUT_ARM64_DEVICES, LAYOUT_ARM64_DEVICES + LAYOUT_ARM64_DEVICES_SIZE, "devices" },
	};
	size_t n = sizeof(r) / sizeof(r[0]);
	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].end <= LAYOUT_ARM64_RAM);
		assert_int_equal(r[i].start % 0x10000, 0); /* 64 KiB frames, as the GIC needs */
		for (size_t j = i + 1; j < n; j++)
			if (r[i].start < r[j].end && r[j].start < r[i].end)
				fail_msg("%s overlaps %s", r[i].name, r[j].name);
	}
	assert_true(LAYOUT_ARM64_GICR + LAYOUT_ARM64_MAX_CPUS * LAYOUT_ARM64_GICR_STRIDE <= LAYOUT_ARM64_GICR_END);
	assert_true(LAYOUT_ARM64_GICR + (LAYOUT_ARM64_MAX_CPUS + 1) * LAYOUT_ARM64_GICR_STRIDE > LAYOUT_ARM64_GICR_END);
	assert_true(ARM64_DEV_TEST >= LAYOUT_ARM64_DEVICES && ARM64_DEV_MARK + 8 <= LAYOUT_ARM64_DEVICES + LAYOUT_ARM64_DEVICES_SIZE);
	assert_int_equal(ARM64_DEV_TEST % 8, 0); /* a 64-bit register */
}

static void test_ram(void **state)
{
	const uint64_t a[] = { LAYOUT_ARM64_RAM, LAYOUT_ARM64_ACPI, LAYOUT_ARM64_ACPI_END, LAYOUT_ARM64_EFI,
			       LAYOUT_ARM64_EFI_END, LAYOUT_ARM64_ERROR_REGION, LAYOUT_ARM64_ERROR_REGION_END,
			       LAYOUT_ARM64_DTB, LAYOUT_ARM64_DTB_END, LAYOUT_ARM64_KERNEL };
	(void)state;
	for (size_t i = 0; i + 1 < sizeof(a) / sizeof(a[0]); i++) {
		assert_true(a[i] <= a[i + 1]);
		assert_int_equal(a[i] % 0x10000, 0);
	}
	assert_int_equal(LAYOUT_ARM64_ACPI, LAYOUT_ARM64_RAM);
	assert_int_equal(LAYOUT_ARM64_ACPI_END, LAYOUT_ARM64_EFI); /* one ACPI-reclaim range */
	/* The largest error region (64 KiB blocks) fits. */
	struct ras_sources s = { RAS_SOURCES_DEFAULT, GHES_BLOCK_MAX, 1000, 0 };
	assert_true(LAYOUT_ARM64_ERROR_REGION + ghes_region_size(&s) <= LAYOUT_ARM64_ERROR_REGION_END);
	/* booting.rst: the kernel's base is 2 MiB aligned; the DTB at most 2 MiB, 8-byte aligned. */
	assert_int_equal(LAYOUT_ARM64_KERNEL % 0x200000, 0);
	assert_true(LAYOUT_ARM64_DTB_END - LAYOUT_ARM64_DTB <= 0x200000);
	assert_int_equal(LAYOUT_ARM64_INITRD_ALIGN % 0x10000, 0);
	assert_true(LAYOUT_ARM64_RAM_MIN > LAYOUT_ARM64_KERNEL - LAYOUT_ARM64_RAM);
}

static void test_interrupts(void **state)
{
	const unsigned ppi[] = { IRQ_ARM64_PMU, IRQ_ARM64_VGIC_MAINT, IRQ_ARM64_TIMER_HYP,
				 IRQ_ARM64_TIMER_VIRT, IRQ_ARM64_TIMER_SEC, IRQ_ARM64_TIMER_PHYS };
	(void)state;
	for (size_t i = 0; i < sizeof(ppi) / sizeof(ppi[0]); i++)
		assert_true(ppi[i] >= IRQ_ARM64_PPI_BASE && ppi[i] < IRQ_ARM64_SPI_BASE);
	assert_true(IRQ_ARM64_UART >= IRQ_ARM64_SPI_BASE && IRQ_ARM64_GED >= IRQ_ARM64_SPI_BASE);
	assert_true(IRQ_ARM64_UART != IRQ_ARM64_GED);
}

static void test_mpidr(void **state)
{
	(void)state;
	assert_int_equal(ARM64_KVM_MPIDR(0), 0);
	assert_int_equal(ARM64_KVM_MPIDR(15), 0xf);
	assert_int_equal(ARM64_KVM_MPIDR(16), 0x100);
	assert_int_equal(ARM64_KVM_MPIDR(LAYOUT_ARM64_MAX_CPUS - 1), 0x70a);
	assert_int_equal(ARM64_KVM_MPIDR(4096 + 17), 0x10101);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmio),
		cmocka_unit_test(test_ram),
		cmocka_unit_test(test_interrupts),
		cmocka_unit_test(test_mpidr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
