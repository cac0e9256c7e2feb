// SPDX-License-Identifier: MIT
#include "fw/fdt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Devicetree Specification v0.4, 5.2 header: ten big-endian u32 */
#define FDT_MAGIC            0xd00dfeed
#define FDT_VERSION          17
#define FDT_LAST_COMP        16
#define FDT_HEADER_SIZE      40
#define FDT_OFF_TOTALSIZE    4
#define FDT_OFF_DT_STRUCT    8
#define FDT_OFF_DT_STRINGS   12
#define FDT_OFF_MEM_RSVMAP   16
#define FDT_OFF_VERSION      20
#define FDT_OFF_LAST_COMP    24
#define FDT_OFF_BOOT_CPUID   28
#define FDT_OFF_SIZE_STRINGS 32
#define FDT_OFF_SIZE_STRUCT  36
_Static_assert(FDT_OFF_SIZE_STRUCT + 4 == FDT_HEADER_SIZE, "5.2: the version 17 header is 40 bytes");
/* 5.4.1 structure block tokens */
#define FDT_BEGIN_NODE       1
#define FDT_END_NODE         2
#define FDT_PROP             3
#define FDT_END              9

/* Binding constants (include/dt-bindings/interrupt-controller/arm-gic.h, irq.h) */
#define GIC_SPI              0
#define GIC_PPI              1
#define IRQ_TYPE_EDGE_RISING 1
#define IRQ_TYPE_LEVEL_HIGH  4
#define GIC_PPI_FIRST        16
#define GIC_SPI_FIRST        32
#define GIC_SPI_END          1020
#define MPIDR_AFFINITY       0xff00ffffffULL

#define PHANDLE_GIC          1
#define PHANDLE_CLOCK        2

#define STRINGS_MAX          1024 /* property names: a few hundred bytes */

struct fdtw {
	uint8_t *buf;
	size_t cap, len;
	char strings[STRINGS_MAX];
	size_t strings_len;
	bool overflow;
};

static uint8_t *reserve(struct fdtw *w, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

static void put_be(uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static void put32(struct fdtw *w, uint32_t v)
{
	uint8_t *p = reserve(w, 4);
	if (p)
		put_be(p, v, 4);
}

/* n bytes of data, then zeros to the next 4-byte boundary (5.4.1: tokens are aligned). */
static void put_padded(struct fdtw *w, const void *data, size_t n)
{
	size_t padded = (n + 3) & ~(size_t)3;
	uint8_t *p = reserve(w, padded);
	if (!p)
		return;
	if (n)
		memcpy(p, data, n);
	memset(p + n, 0, padded - n);
}

/* Offset of name in the strings block, adding it the first time (5.5). */
static uint32_t string_off(struct fdtw *w, const char *name)
{
	size_t n = strlen(name) + 1;

	for (size_t off = 0; off < w->strings_len; off += strlen(w->strings + off) + 1)
		if (!strcmp(w->strings + off, name))
			return (uint32_t)off;
	if (n > STRINGS_MAX - w->strings_len) {
		w->overflow = true;
		return 0;
	}
	memcpy(w->strings + w->strings_len, name, n);
	w->strings_len += n;
	return (uint32_t)(w->strings_len - n);
}

static void begin_node(struct fdtw *w, const char *name)
{
	put32(w, FDT_BEGIN_NODE);
	put_padded(w, name, strlen(name) + 1);
}

static void end_node(struct fdtw *w)
{
	put32(w, FDT_END_NODE);
}

static void prop(struct fdtw *w, const char *name, const void *value, size_t len)
{
	put32(w, FDT_PROP);
	put32(w, (uint32_t)len);
	put32(w, string_off(w, name));
	put_padded(w, value, len);
}

static void prop_empty(struct fdtw *w, const char *name)
{
	prop(w, name, NULL, 0);
}

static void prop_string(struct fdtw *w, const char *name, const char *s)
{
	prop(w, name, s, strlen(s) + 1);
}

/* A stringlist: the strings one after another, each NUL-terminated (2.2.4). */
static void prop_strings2(struct fdtw *w, const char *name, const char *a, const char *b)
{
	char v[64];
	size_t la = strlen(a) + 1, lb = strlen(b) + 1;

	if (la + lb > sizeof(v)) {
		w->overflow = true;
		return;
	}
	memcpy(v, a, la);
	memcpy(v + la, b, lb);
	prop(w, name, v, la + lb);
}

/* Big-endian cells: n u32 values. */
static void prop_cells(struct fdtw *w, const char *name, const uint32_t *cells, size_t n)
{
	uint8_t v[16 * 4];

	if (n > 16) {
		w->overflow = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		put_be(v + 4 * i, cells[i], 4);
	prop(w, name, v, 4 * n);
}

static void prop_u32(struct fdtw *w, const char *name, uint32_t v)
{
	prop_cells(w, name, &v, 1);
}

static void prop_u64(struct fdtw *w, const char *name, uint64_t v)
{
	uint32_t c[2] = { (uint32_t)(v >> 32), (uint32_t)v };
	prop_cells(w, name, c, 2);
}

/* reg = <address size>, two cells each (the root's #address-cells and #size-cells). */
static void prop_reg(struct fdtw *w, const struct fdt_range *r, unsigned n)
{
	uint32_t c[8];

	for (unsigned i = 0; i < n && i < 2; i++) {
		c[4 * i] = (uint32_t)(r[i].base >> 32);
		c[4 * i + 1] = (uint32_t)r[i].base;
		c[4 * i + 2] = (uint32_t)(r[i].size >> 32);
		c[4 * i + 3] = (uint32_t)r[i].size;
	}
	prop_cells(w, "reg", c, 4 * n);
}

/* One GIC interrupt specifier (arm,gic-v3.yaml: type, number, flags) from an INTID. */
static void gic_cells(uint32_t intid, uint32_t flags, uint32_t out[3])
{
	bool ppi = intid < GIC_SPI_FIRST;

	out[0] = ppi ? GIC_PPI : GIC_SPI;
	out[1] = intid - (ppi ? GIC_PPI_FIRST : GIC_SPI_FIRST);
	out[2] = flags;
}

static void prop_interrupt(struct fdtw *w, uint32_t intid, uint32_t flags)
{
	uint32_t c[3];
	gic_cells(intid, flags, c);
	prop_cells(w, "interrupts", c, 3);
}

static bool is_ppi(uint32_t i) { return i >= GIC_PPI_FIRST && i < GIC_SPI_FIRST; }
static bool is_spi(uint32_t i) { return i >= GIC_SPI_FIRST && i < GIC_SPI_END; }

static int check(const struct fdt_machine *m)
{
	if (m->chosen_only)
		return 0;
	if (!m->cpus || !m->mpidr || !m->ram.size || !m->gicd.size || !m->gicr.size ||
	    !m->uart.size || !is_spi(m->uart_intid) || !m->uart_clock_hz)
		return -EINVAL;
	for (uint32_t i = 0; i < m->cpus; i++)
		if (m->mpidr[i] & ~MPIDR_AFFINITY)
			return -EINVAL;
	for (int i = 0; i < 4; i++)
		if (!is_ppi(m->timer_intid[i]))
			return -EINVAL;
	if ((m->vgic_maint_intid && !is_ppi(m->vgic_maint_intid)) || (m->pmu_intid && !is_ppi(m->pmu_intid)))
		return -EINVAL;
	return 0;
}

static void node_name(char *out, size_t n, const char *base, uint64_t addr)
{
	snprintf(out, n, "%s@%llx", base, (unsigned long long)addr);
}

static void write_chosen(struct fdtw *w, const struct fdt_machine *m, const char *stdout_path)
{
	begin_node(w, "chosen");
	if (m->bootargs)
		prop_string(w, "bootargs", m->bootargs);
	if (stdout_path)
		prop_string(w, "stdout-path", stdout_path);
	if (m->initrd.size) {
		/* Linux reads either width; 64-bit cells for initrds above 4 GiB. */
		prop_u64(w, "linux,initrd-start", m->initrd.base);
		prop_u64(w, "linux,initrd-end", m->initrd.base + m->initrd.size);
	}
	if (m->efi) {
		/* Documentation/arm/uefi.rst; drivers/firmware/efi/fdtparams.c needs every one of
		 * them, linux,uefi-secure-boot included, or it ignores the system table. */
		prop_u64(w, "linux,uefi-system-table", m->efi_system_table);
		prop_u64(w, "linux,uefi-mmap-start", m->efi_mmap);
		prop_u32(w, "linux,uefi-mmap-size", m->efi_mmap_size);
		prop_u32(w, "linux,uefi-mmap-desc-size", m->efi_desc_size);
		prop_u32(w, "linux,uefi-mmap-desc-ver", m->efi_desc_version);
		prop_u32(w, "linux,uefi-secure-boot", 2); /* efi_secureboot_mode_disabled */
	}
	end_node(w);
}

static void write_machine(struct fdtw *w, const struct fdt_machine *m)
{
	char name[48], uart_path[48];
	bool wide = false;

	node_name(uart_path + 1, sizeof(uart_path) - 1, "pl011", m->uart.base);
	uart_path[0] = '/';
	prop_string(w, "compatible", "rasvm,virt");
	prop_string(w, "model", "rasvm arm64 virtual machine");
	prop_u32(w, "interrupt-parent", PHANDLE_GIC);
	write_chosen(w, m, uart_path);

	node_name(name, sizeof(name), "memory", m->ram.base);
	begin_node(w, name);
	prop_string(w, "device_type", "memory");
	prop_reg(w, &m->ram, 1);
	end_node(w);

	/* arm/cpus.yaml: reg is the MPIDR's affinity, one cell unless Aff3 is used. */
	for (uint32_t i = 0; i < m->cpus; i++)
		wide |= m->mpidr[i] >> 32 != 0;
	begin_node(w, "cpus");
	prop_u32(w, "#address-cells", wide ? 2 : 1);
	prop_u32(w, "#size-cells", 0);
	for (uint32_t i = 0; i < m->cpus; i++) {
		node_name(name, sizeof(name), "cpu", m->mpidr[i]);
		begin_node(w, name);
		prop_string(w, "device_type", "cpu");
		prop_string(w, "compatible", "arm,armv8");
		if (wide)
			prop_u64(w, "reg", m->mpidr[i]);
		else
			prop_u32(w, "reg", (uint32_t)m->mpidr[i]);
		prop_string(w, "enable-method", "psci");
		end_node(w);
	}
	end_node(w);

	/* arm/psci.yaml: PSCI 0.2 and later have standard function ids; KVM answers on HVC. */
	begin_node(w, "psci");
	prop_string(w, "compatible", "arm,psci-0.2");
	prop_string(w, "method", "hvc");
	end_node(w);

	node_name(name, sizeof(name), "intc", m->gicd.base);
	begin_node(w, name);
	prop_string(w, "compatible", "arm,gic-v3");
	prop_u32(w, "#interrupt-cells", 3);
	prop_u32(w, "#address-cells", 0); /* no children; dtc wants it on interrupt providers */
	prop_empty(w, "interrupt-controller");
	const struct fdt_range gic[2] = { m->gicd, m->gicr };
	prop_reg(w, gic, 2);
	if (m->vgic_maint_intid)
		prop_interrupt(w, m->vgic_maint_intid, IRQ_TYPE_LEVEL_HIGH);
	prop_u32(w, "phandle", PHANDLE_GIC);
	end_node(w);

	/* timer/arm,arch_timer.yaml: secure, non-secure, virtual, hypervisor, in that order;
	 * level, active high; always-on as in the GTDT (KVM keeps the timers running). */
	begin_node(w, "timer");
	prop_string(w, "compatible", "arm,armv8-timer");
	uint32_t t[12];
	for (int i = 0; i < 4; i++)
		gic_cells(m->timer_intid[i], IRQ_TYPE_LEVEL_HIGH, t + 3 * i);
	prop_cells(w, "interrupts", t, 12);
	prop_empty(w, "always-on");
	end_node(w);

	if (m->pmu_intid) {
		begin_node(w, "pmu");
		prop_string(w, "compatible", "arm,armv8-pmuv3");
		prop_interrupt(w, m->pmu_intid, IRQ_TYPE_LEVEL_HIGH);
		end_node(w);
	}

	/* serial/pl011.yaml: uartclk then apb_pclk; one fixed clock feeds both. */
	begin_node(w, "apb-pclk");
	prop_string(w, "compatible", "fixed-clock");
	prop_u32(w, "#clock-cells", 0);
	prop_u32(w, "clock-frequency", m->uart_clock_hz);
	prop_string(w, "clock-output-names", "apb_pclk");
	prop_u32(w, "phandle", PHANDLE_CLOCK);
	end_node(w);

	begin_node(w, uart_path + 1);
	prop_strings2(w, "compatible", "arm,pl011", "arm,primecell");
	prop_reg(w, &m->uart, 1);
	prop_interrupt(w, m->uart_intid, IRQ_TYPE_LEVEL_HIGH);
	const uint32_t clocks[2] = { PHANDLE_CLOCK, PHANDLE_CLOCK };
	prop_cells(w, "clocks", clocks, 2);
	prop_strings2(w, "clock-names", "uartclk", "apb_pclk");
	end_node(w);

	if (m->devices.size) {
		node_name(name, sizeof(name), "rasvm", m->devices.base);
		begin_node(w, name);
		prop_string(w, "compatible", "rasvm,devices");
		prop_reg(w, &m->devices, 1);
		end_node(w);
	}
}

int fdt_build(const struct fdt_machine *m, uint8_t *out, size_t cap, size_t *len)
{
	struct fdtw w = { .buf = out, .cap = cap };

	if (check(m))
		return -EINVAL;
	reserve(&w, FDT_HEADER_SIZE);

	/* 5.3 memory reservation block: u64 address, u64 size pairs, then a pair of zeros. */
	size_t rsvmap = w.len;
	unsigned reserved = m->chosen_only ? 0 : m->reserved_count;
	for (unsigned i = 0; i <= reserved; i++) {
		uint8_t *p = reserve(&w, 16);
		if (!p)
			break;
		put_be(p, i < reserved ? m->reserved[i].base : 0, 8);
		put_be(p + 8, i < reserved ? m->reserved[i].size : 0, 8);
	}

	size_t dt_struct = w.len;
	begin_node(&w, "");
	prop_u32(&w, "#address-cells", 2);
	prop_u32(&w, "#size-cells", 2);
	if (m->chosen_only)
		write_chosen(&w, m, NULL);
	else
		write_machine(&w, m);
	end_node(&w);
	put32(&w, FDT_END);
	size_t dt_strings = w.len;
	uint8_t *s = reserve(&w, w.strings_len);
	if (w.overflow)
		return -ENOSPC;
	memcpy(s, w.strings, w.strings_len);

	put_be(out, FDT_MAGIC, 4);
	put_be(out + FDT_OFF_TOTALSIZE, w.len, 4);
	put_be(out + FDT_OFF_DT_STRUCT, dt_struct, 4);
	put_be(out + FDT_OFF_DT_STRINGS, dt_strings, 4);
	put_be(out + FDT_OFF_MEM_RSVMAP, rsvmap, 4);
	put_be(out + FDT_OFF_VERSION, FDT_VERSION, 4);
	put_be(out + FDT_OFF_LAST_COMP, FDT_LAST_COMP, 4);
	put_be(out + FDT_OFF_BOOT_CPUID, m->chosen_only ? 0 : (uint32_t)m->mpidr[0], 4);
	put_be(out + FDT_OFF_SIZE_STRINGS, w.strings_len, 4);
	put_be(out + FDT_OFF_SIZE_STRUCT, dt_strings - dt_struct, 4);
	*len = w.len;
	return 0;
}
