// SPDX-License-Identifier: MIT
/*
 * Verifies the arm64 device tree by reading it back with libfdt (code independent of the
 * writer): a valid header and memory reservation block; /chosen with the command line,
 * initrd and every linux,uefi-* property Linux requires, at the widths it reads; /memory;
 * one cpu per vCPU with its MPIDR and PSCI; the GICv3, timer, PL011 and its clock, and the
 * device page; the stub tree holding only /chosen; and refusals. tests/cli/golden.sh runs
 * dtc over the same tree.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "fw/fdt.h"

static uint8_t blob[16384];

static const uint64_t mpidr[2] = { 0x0, 0x1 };
static const struct fdt_range reserved[2] = { { 0x40000000, 0x40000 }, { 0x40040000, 0x40000 } };

static struct fdt_machine machine(void)
{
	return (struct fdt_machine){
		.ram = { 0x40000000, 0x8000000 }, .reserved = reserved, .reserved_count = 2,
		.cpus = 2, .mpidr = mpidr,
		.gicd = { 0x08000000, 0x10000 }, .gicr = { 0x080a0000, 0x40000 },
		.timer_intid = { 29, 30, 27, 26 },
		.uart = { 0x09000000, 0x1000 }, .uart_intid = 33, .uart_clock_hz = 24000000,
		.devices = { 0x09100000, 0x1000 },
		.bootargs = "console=ttyAMA0 efi=noruntime",
		.initrd = { 0x47e00000, 0x123456 },
		.efi = true, .efi_system_table = 0x40020000, .efi_mmap = 0x40021000,
		.efi_mmap_size = 3 * 40, .efi_desc_size = 40, .efi_desc_version = 1,
	};
}

static size_t build(const struct fdt_machine *m)
{
	size_t len = 0;
	memset(blob, 0xee, sizeof(blob));
	assert_int_equal(fdt_build(m, blob, sizeof(blob), &len), 0);
	assert_int_equal(fdt_check_header(blob), 0);
	assert_int_equal(fdt_totalsize(blob), len);
	assert_int_equal(fdt_version(blob), 17);
	return len;
}

static int node(const char *path)
{
	int off = fdt_path_offset(blob, path);
	if (off < 0)
		fail_msg("no node %s", path);
	return off;
}

/* A property's bytes; checks its length. */
static const uint8_t *prop(int off, const char *name, int want_len)
{
	int len = -1;
	const uint8_t *p = fdt_getprop(blob, off, name, &len);
	if (!p)
		fail_msg("no property %s", name);
	assert_int_equal(len, want_len);
	return p;
}

static uint32_t cell(const uint8_t *p, int i)
{
	return fdt32_ld((const fdt32_t *)(p + 4 * i));
}

static uint64_t u64(int off, const char *name)
{
	return fdt64_ld((const fdt64_t *)prop(off, name, 8));
}

static void want_string(int off, const char *name, const char *want)
{
	prop(off, name, (int)strlen(want) + 1);
	assert_string_equal(fdt_getprop(blob, off, name, NULL), want);
}

static void want_cells(int off, const char *name, const uint32_t *want, int n)
{
	const uint8_t *p = prop(off, name, 4 * n);
	for (int i = 0; i < n; i++)
		assert_int_equal(cell(p, i), want[i]);
}

static void test_chosen(void **state)
{
	struct fdt_machine m = machine();
	(void)state;
	build(&m);
	int c = node("/chosen");
	want_string(c, "bootargs", "console=ttyAMA0 efi=noruntime");
	want_string(c, "stdout-path", "/pl011@9000000");
	assert_int_equal(u64(c, "linux,initrd-start"), 0x47e00000);
	assert_int_equal(u64(c, "linux,initrd-end"), 0x47e00000 + 0x123456);
	/* drivers/firmware/efi/fdtparams.c: 8 bytes read as u64, 4 bytes as u32. */
	assert_int_equal(u64(c, "linux,uefi-system-table"), 0x40020000);
	assert_int_equal(u64(c, "linux,uefi-mmap-start"), 0x40021000);
	want_cells(c, "linux,uefi-mmap-size", (uint32_t[]){ 120 }, 1);
	want_cells(c, "linux,uefi-mmap-desc-size", (uint32_t[]){ 40 }, 1);
	want_cells(c, "linux,uefi-mmap-desc-ver", (uint32_t[]){ 1 }, 1);
	want_cells(c, "linux,uefi-secure-boot", (uint32_t[]){ 2 }, 1); /* disabled */

	/* Without them: no such properties. */
	m.bootargs = NULL;
	m.initrd.size = 0;
	m.efi = false;
	build(&m);
	c = node("/chosen");
	assert_null(fdt_getprop(blob, c, "bootargs", NULL));
	assert_null(fdt_getprop(blob, c, "linux,initrd-start", NULL));
	assert_null(fdt_getprop(blob, c, "linux,uefi-system-table", NULL));
	assert_null(fdt_getprop(blob, c, "linux,uefi-secure-boot", NULL));
	want_string(c, "stdout-path", "/pl011@9000000");
}

static void test_machine(void **state)
{
	struct fdt_machine m = machine();
	uint64_t a, s;
	(void)state;
	build(&m);
	want_cells(0, "#address-cells", (uint32_t[]){ 2 }, 1);
	want_cells(0, "#size-cells", (uint32_t[]){ 2 }, 1);
	assert_int_equal(fdt_boot_cpuid_phys(blob), 0);
	assert_int_equal(fdt_num_mem_rsv(blob), 2);
	assert_int_equal(fdt_get_mem_rsv(blob, 1, &a, &s), 0);
	assert_int_equal(a, 0x40040000);
	assert_int_equal(s, 0x40000);

	int mem = node("/memory@40000000");
	want_string(mem, "device_type", "memory");
	want_cells(mem, "reg", (uint32_t[]){ 0, 0x40000000, 0, 0x8000000 }, 4);

	int cpus = node("/cpus");
	want_cells(cpus, "#address-cells", (uint32_t[]){ 1 }, 1);
	want_cells(cpus, "#size-cells", (uint32_t[]){ 0 }, 1);
	for (int i = 0; i < 2; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/cpus/cpu@%d", i);
		int cpu = node(path);
		want_string(cpu, "device_type", "cpu");
		want_string(cpu, "enable-method", "psci");
		want_cells(cpu, "reg", (uint32_t[]){ (uint32_t)i }, 1);
	}
	int psci = node("/psci");
	want_string(psci, "compatible", "arm,psci-0.2");
	want_string(psci, "method", "hvc");

	int gic = node("/intc@8000000");
	want_string(gic, "compatible", "arm,gic-v3");
	want_cells(gic, "#interrupt-cells", (uint32_t[]){ 3 }, 1);
	prop(gic, "interrupt-controller", 0);
	want_cells(gic, "reg", (uint32_t[]){ 0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x40000 }, 8);
	assert_null(fdt_getprop(blob, gic, "interrupts", NULL)); /* no EL2, no maintenance interrupt */
	want_cells(0, "interrupt-parent", (uint32_t[]){ fdt_get_phandle(blob, gic) }, 1);
	assert_int_equal(fdt_node_offset_by_phandle(blob, fdt_get_phandle(blob, gic)), gic);

	int timer = node("/timer");
	want_string(timer, "compatible", "arm,armv8-timer");
	want_cells(timer, "interrupts", (uint32_t[]){ 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 }, 12);
	prop(timer, "always-on", 0);
	assert_true(fdt_path_offset(blob, "/pmu") < 0);

	int uart = node("/pl011@9000000");
	assert_int_equal(fdt_node_check_compatible(blob, uart, "arm,pl011"), 0);
	assert_int_equal(fdt_node_check_compatible(blob, uart, "arm,primecell"), 0);
	want_cells(uart, "reg", (uint32_t[]){ 0, 0x09000000, 0, 0x1000 }, 4);
	want_cells(uart, "interrupts", (uint32_t[]){ 0, 1, 4 }, 3); /* SPI 1, level high */
	assert_int_equal(fdt_stringlist_get(blob, uart, "clock-names", 0, NULL) != NULL, 1);
	assert_string_equal(fdt_stringlist_get(blob, uart, "clock-names", 0, NULL), "uartclk");
	assert_string_equal(fdt_stringlist_get(blob, uart, "clock-names", 1, NULL), "apb_pclk");
	const uint8_t *clocks = prop(uart, "clocks", 8);
	int clk = fdt_node_offset_by_phandle(blob, cell(clocks, 0));
	assert_true(clk >= 0);
	assert_int_equal(cell(clocks, 1), cell(clocks, 0));
	assert_int_equal(fdt_node_check_compatible(blob, clk, "fixed-clock"), 0);
	want_cells(clk, "clock-frequency", (uint32_t[]){ 24000000 }, 1);
	want_cells(clk, "#clock-cells", (uint32_t[]){ 0 }, 1);

	int dev = node("/rasvm@9100000");
	want_cells(dev, "reg", (uint32_t[]){ 0, 0x09100000, 0, 0x1000 }, 4);

	/* Optional pieces: the vGIC maintenance interrupt and a PMU. */
	m.vgic_maint_intid = 25;
	m.pmu_intid = 23;
	build(&m);
	want_cells(node("/intc@8000000"), "interrupts", (uint32_t[]){ 1, 9, 4 }, 3);
	want_cells(node("/pmu"), "interrupts", (uint32_t[]){ 1, 7, 4 }, 3);
}

/* MPIDRs with Aff3 need two address cells; unit names follow reg. */
static void test_wide_mpidr(void **state)
{
	static const uint64_t aff3[2] = { 0x0, 0x100000000ULL };
	struct fdt_machine m = machine();
	(void)state;
	m.mpidr = aff3;
	build(&m);
	want_cells(node("/cpus"), "#address-cells", (uint32_t[]){ 2 }, 1);
	want_cells(node("/cpus/cpu@100000000"), "reg", (uint32_t[]){ 1, 0 }, 2);
}

/* The stub tree: /chosen alone, so arm64 Linux prefers ACPI without acpi=force. */
static void test_chosen_only(void **state)
{
	struct fdt_machine m = machine();
	(void)state;
	m.chosen_only = true;
	m.mpidr = NULL; /* the hardware is not described */
	build(&m);
	int n = 0, sub;
	fdt_for_each_subnode(sub, blob, 0)
		n++;
	assert_int_equal(n, 1);
	int c = node("/chosen");
	assert_int_equal(u64(c, "linux,uefi-system-table"), 0x40020000);
	assert_null(fdt_getprop(blob, c, "stdout-path", NULL));
	assert_int_equal(fdt_num_mem_rsv(blob), 0);
}

static void test_refused(void **state)
{
	struct fdt_machine m = machine();
	static const uint64_t bit31[2] = { 0x0, 0x80000001 };
	size_t len;
	uint8_t small[200];
	(void)state;
	memset(small, 0xee, sizeof(small));
	assert_int_equal(fdt_build(&m, small, sizeof(small) - 8, &len), -ENOSPC);
	assert_int_equal(small[sizeof(small) - 8], 0xee);
	m.mpidr = bit31;
	assert_int_equal(fdt_build(&m, blob, sizeof(blob), &len), -EINVAL);
	m = machine();
	m.uart_intid = 27; /* a PPI */
	assert_int_equal(fdt_build(&m, blob, sizeof(blob), &len), -EINVAL);
	m = machine();
	m.timer_intid[2] = 40; /* an SPI */
	assert_int_equal(fdt_build(&m, blob, sizeof(blob), &len), -EINVAL);
	m = machine();
	m.cpus = 0;
	assert_int_equal(fdt_build(&m, blob, sizeof(blob), &len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chosen),
		cmocka_unit_test(test_machine),
		cmocka_unit_test(test_wide_mpidr),
		cmocka_unit_test(test_chosen_only),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
