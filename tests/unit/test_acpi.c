// SPDX-License-Identifier: MIT
/*
 * Verifies the ACPI tables: RSDP checksums, every table's length and checksum, the pointers
 * between them, one MADT local APIC per vCPU, and the AML writer's encodings; for arm64 the
 * hardware-reduced FADT with PSCI over HVC, one GICC per vCPU with its MPIDR plus the GICD
 * and the redistributor region, the GTDT's timer interrupts and flags, the SPCR's PL011,
 * the DSDT's devices and the HEST's SEA and GSIV sources, and the platforms refused. Fields
 * are read back at their spec offsets, not through the builder's own constants.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"

#include "acpi/aml.h"
#include "acpi/buf.h"
#include "acpi/tables.h"

#define BASE 0xe0000
static uint8_t area[0x20000];



static const uint8_t *at(uint64_t gpa)
{
	assert_true(gpa >= BASE && gpa < BASE + sizeof(area));
	return area + (gpa - BASE);
}

/* Checks a table's signature and checksum and returns it. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
	const uint8_t *t = at(gpa);
	assert_memory_equal(t, sig, 4);
	assert_true(rd(t + 4, 4) >= 36);
	assert_int_equal(sum(t, rd(t + 4, 4)), 0);
	assert_memory_equal(t + 10, "RASVM ", 6); /* OEMID */
	return t;
}

static struct acpi_platform platform(uint32_t cpus)
{
	return (struct acpi_platform){ .cpus = cpus, .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000,
				       .ioapic_id = (uint8_t)cpus, .sci_irq = 9, .com1_port = 0x3f8,
				       .com1_irq = 4 };
}

static void build(uint32_t cpus)
{
	struct acpi_buf b;
	struct acpi_tables t;
	struct acpi_platform p = platform(cpus);
	memset(area, 0, sizeof(area));
	acpi_buf_init(&b, area, sizeof(area), BASE);
	assert_int_equal(acpi_build(&p, &b, &t), 0);
	assert_int_equal(t.rsdp_off, 0);
	assert_int_equal(t.count, 4);
}

static void check_all(uint32_t cpus)
{
	build(cpus);
	const uint8_t *rsdp = area;
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(rsdp, 20), 0);      /* ACPI 1.0 checksum */
	assert_int_equal(rsdp[15], 2);           /* revision */
	assert_int_equal(rd(rsdp + 20, 4), 36);  /* length */
	assert_int_equal(sum(rsdp, 36), 0);      /* extended checksum */
	assert_int_equal(rd(rsdp + 16, 4), 0);   /* no RSDT */

	const uint8_t *xsdt = table(rd(rsdp + 24, 8), "XSDT");
	assert_int_equal(rd(xsdt + 4, 4), 36 + 2 * 8);
	const uint8_t *fadt = table(rd(xsdt + 36, 8), "FACP");
	const uint8_t *madt = table(rd(xsdt + 44, 8), "APIC");

	assert_int_equal(rd(fadt + 4, 4), 276);
	assert_int_equal(fadt[8], 6);                      /* revision */
	assert_int_equal(fadt[131], 5);                    /* minor revision */
	assert_true(rd(fadt + 112, 4) & (1u << 20));       /* HW_REDUCED_ACPI */
	assert_int_equal(rd(fadt + 46, 2), 9);             /* SCI_INT */
	assert_int_equal(rd(fadt + 40, 4), rd(fadt + 140, 8)); /* DSDT == X_DSDT */
	const uint8_t *dsdt = table(rd(fadt + 140, 8), "DSDT");
	assert_non_null(memmem(dsdt + 36, rd(dsdt + 4, 4) - 36, "COM1", 4));

	assert_int_equal(rd(madt + 36, 4), 0xfee00000);
	assert_int_equal(rd(madt + 4, 4), 44 + 8 * cpus + 12 + 10 + 6);
	const uint8_t *e = madt + 44;
	for (uint32_t i = 0; i < cpus; i++, e += 8) {
		assert_int_equal(e[0], 0);             /* Processor Local APIC */
		assert_int_equal(e[1], 8);
		assert_int_equal(e[2], i);             /* processor UID */
		assert_int_equal(e[3], i);             /* APIC id */
		assert_int_equal(rd(e + 4, 4), 1);     /* enabled */
	}
	assert_int_equal(e[0], 1);                     /* I/O APIC */
	assert_int_equal(e[2], cpus);                  /* its id follows the LAPIC ids */
	assert_int_equal(rd(e + 4, 4), 0xfec00000);
	e += 12;
	assert_int_equal(e[0], 2);                     /* IRQ0 -> GSI 2 override */
	assert_int_equal(rd(e + 4, 4), 2);
	e += 10;
	assert_int_equal(e[0], 4);                     /* LAPIC NMI on LINT1 */
	assert_int_equal(e[5], 1);
}

static void test_tables_1cpu(void **state) { (void)state; check_all(1); }
static void test_tables_4cpu(void **state) { (void)state; check_all(4); }
static void test_tables_254cpu(void **state) { (void)state; check_all(254); }

/* With RAS sources: a HEST in the XSDT, the Hardware Error Device and the GED in the DSDT. */
static void test_tables_with_ras(void **state)
{
	struct acpi_buf b;
	struct acpi_tables t;
	struct acpi_platform p = platform(2);
	(void)state;
	p.ras = (struct ras_sources){ RAS_SOURCES_DEFAULT, 4096, 1000, 0 };
	p.error_region = 0xa0000;
	p.ged_gsi = 11;
	memset(area, 0, sizeof(area));
	acpi_buf_init(&b, area, sizeof(area), BASE);
	assert_int_equal(acpi_build(&p, &b, &t), 0);
	assert_int_equal(t.count, 5);
	const uint8_t *xsdt = table(rd(area + 24, 8), "XSDT");
	assert_int_equal(rd(xsdt + 4, 4), 36 + 3 * 8);
	const uint8_t *hest = table(rd(xsdt + 52, 8), "HEST");
	assert_int_equal(rd(hest + 36, 4), 3);
	const uint8_t *fadt = table(rd(xsdt + 36, 8), "FACP");
	const uint8_t *dsdt = table(rd(fadt + 140, 8), "DSDT");
	size_t n = rd(dsdt + 4, 4);
	assert_non_null(memmem(dsdt, n, "HED_", 4));
	assert_non_null(memmem(dsdt, n, "\x41\xd0\x0c\x33", 4)); /* EISAID PNP0C33 */
	assert_non_null(memmem(dsdt, n, "ACPI0013", 8));
	assert_non_null(memmem(dsdt, n, "\x86\x5c\x2e_SB_HED_\x0a\x80", 13)); /* Notify(\_SB.HED, 0x80) */
	assert_non_null(memmem(dsdt, n, "\x89\x06\x00\x03\x01\x0b\x00\x00\x00", 9)); /* Interrupt GSI 11 */
	/* Without the async source there is no GED, but still the HED. */
	p.ras.mask = 1u << RAS_SOURCE_SYNC;
	acpi_buf_init(&b, area, sizeof(area), BASE);
	assert_int_equal(acpi_build(&p, &b, &t), 0);
	dsdt = table(rd(table(rd(table(rd(area + 24, 8), "XSDT") + 36, 8), "FACP") + 140, 8), "DSDT");
	assert_null(memmem(dsdt, rd(dsdt + 4, 4), "ACPI0013", 8));
	assert_non_null(memmem(dsdt, rd(dsdt + 4, 4), "HED_", 4));
	/* A bad block length is refused rather than published. */
	p.ras.block_length = 100;
	acpi_buf_init(&b, area, sizeof(area), BASE);
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
}

static void test_bad_platform(void **state)
{
	struct acpi_buf b;
	struct acpi_tables t;
	struct acpi_platform p = platform(255);
	(void)state;
	acpi_buf_init(&b, area, sizeof(area), BASE);
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL); /* xAPIC ids stop at 254 */
	p = platform(0);
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
	p = platform(4);
	p.ioapic_id = 2; /* collides with a local APIC id */
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
	p = platform(4);
	acpi_buf_init(&b, area, sizeof(area), BASE + 8); /* RSDP must be 16-byte aligned */
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
}

static void test_buffer_too_small(void **state)
{
	struct acpi_buf b;
	struct acpi_tables t;
	struct acpi_platform p = platform(4);
	(void)state;
	acpi_buf_init(&b, area, sizeof(area), BASE);
	assert_int_equal(acpi_build(&p, &b, &t), 0);
	const size_t need = b.len;
	/* Every capacity that cuts a table short: nothing is written past it. */
	for (size_t cap = 0; cap < need; cap += 3) {
		memset(area, 0xee, 2048);
		acpi_buf_init(&b, area, cap, BASE);
		assert_int_equal(acpi_build(&p, &b, &t), -ENOSPC);
		for (size_t i = cap; i < 2048; i++)
			assert_int_equal(area[i], 0xee);
	}
}

#define ARM_BASE 0x40000000
static const uint64_t mpidr[3] = { 0x0, 0x1, 0x2 };

static struct acpi_platform arm64_platform(void)
{
	return (struct acpi_platform){
		.arch = ACPI_ARCH_ARM64, .cpus = 3,
		.ras = { RAS_SOURCES_DEFAULT, 4096, 1000, 0 }, .error_region = 0x40040000, .ged_gsi = 41,
		.arm64 = { .mpidr = mpidr, .gicd_base = 0x08000000, .gicr_base = 0x080a0000,
			   .gicr_size = 0xf60000, .timer_phys_gsiv = 30, .timer_virt_gsiv = 27,
			   .timer_hyp_gsiv = 26, .uart_base = 0x09000000, .uart_size = 0x1000,
			   .uart_gsiv = 33 },
	};
}

static const uint8_t *arm_at(uint64_t gpa)
{
	assert_true(gpa >= ARM_BASE && gpa < ARM_BASE + sizeof(area));
	return area + (gpa - ARM_BASE);
}

static const uint8_t *arm_table(uint64_t gpa, const char *sig)
{
	const uint8_t *t = arm_at(gpa);
	assert_memory_equal(t, sig, 4);
	assert_int_equal(sum(t, rd(t + 4, 4)), 0);
	return t;
}

static void test_arm64_tables(void **state)
{
	struct acpi_buf b;
	struct acpi_tables t;
	struct acpi_platform p = arm64_platform();
	(void)state;
	memset(area, 0, sizeof(area));
	acpi_buf_init(&b, area, sizeof(area), ARM_BASE);
	assert_int_equal(acpi_build(&p, &b, &t), 0);
	assert_int_equal(t.count, 7);
	assert_int_equal(sum(area, 20), 0);
	assert_int_equal(sum(area, 36), 0);

	/* XSDT: FADT, MADT, GTDT, SPCR, HEST. */
	const uint8_t *xsdt = arm_table(rd(area + 24, 8), "XSDT");
	assert_int_equal(rd(xsdt + 4, 4), 36 + 5 * 8);
	const uint8_t *fadt = arm_table(rd(xsdt + 36, 8), "FACP");
	const uint8_t *madt = arm_table(rd(xsdt + 44, 8), "APIC");
	const uint8_t *gtdt = arm_table(rd(xsdt + 52, 8), "GTDT");
	const uint8_t *spcr = arm_table(rd(xsdt + 60, 8), "SPCR");
	const uint8_t *hest = arm_table(rd(xsdt + 68, 8), "HEST");

	/* FADT (5.2.9): revision 6.5, hardware-reduced, PSCI over HVC, nothing x86. */
	assert_int_equal(rd(fadt + 4, 4), 276);
	assert_int_equal(fadt[8], 6);
	assert_int_equal(fadt[131], 5);
	assert_int_equal(rd(fadt + 112, 4), 1u << 20);      /* only HW_REDUCED_ACPI */
	assert_int_equal(rd(fadt + 129, 2), 3);             /* PSCI_COMPLIANT | PSCI_USE_HVC */
	assert_int_equal(rd(fadt + 46, 2), 0);              /* no SCI */
	assert_int_equal(rd(fadt + 109, 2), 0);             /* no IA-PC boot flags */
	assert_int_equal(rd(fadt + 116, 8) | rd(fadt + 124, 4), 0); /* no RESET_REG (12 bytes) */
	assert_int_equal(rd(fadt + 36, 4), 0);              /* no FACS */
	assert_int_equal(rd(fadt + 40, 4), rd(fadt + 140, 8));
	const uint8_t *dsdt = arm_table(rd(fadt + 140, 8), "DSDT");

	/* MADT: GICC x3 (80 bytes), GICD (24), GICR (16). */
	assert_int_equal(madt[8], 5);
	assert_int_equal(rd(madt + 4, 4), 44 + 3 * 80 + 24 + 16);
	assert_int_equal(rd(madt + 36, 4), 0);
	assert_int_equal(rd(madt + 40, 4), 0);
	const uint8_t *e = madt + 44;
	for (unsigned i = 0; i < 3; i++, e += 80) {
		assert_int_equal(e[0], 0x0b);
		assert_int_equal(e[1], 80);
		assert_int_equal(rd(e + 4, 4), i);           /* CPU interface number */
		assert_int_equal(rd(e + 8, 4), i);           /* ACPI processor UID */
		assert_int_equal(rd(e + 12, 4), 1);          /* enabled */
		assert_int_equal(rd(e + 16, 4), 0);          /* no parking protocol */
		assert_int_equal(rd(e + 20, 4), 0);          /* no PMU */
		assert_int_equal(rd(e + 32, 8), 0);          /* GICv3: no memory-mapped CPU interface */
		assert_int_equal(rd(e + 56, 4), 0);          /* no vGIC maintenance interrupt */
		assert_int_equal(rd(e + 60, 8), 0);          /* redistributors are in the GICR entry */
		assert_int_equal(rd(e + 68, 8), mpidr[i]);
	}
	assert_int_equal(e[0], 0x0c);
	assert_int_equal(e[1], 24);
	assert_int_equal(rd(e + 8, 8), 0x08000000);
	assert_int_equal(rd(e + 16, 4), 0);
	assert_int_equal(e[20], 3);                          /* GICv3 */
	e += 24;
	assert_int_equal(e[0], 0x0e);
	assert_int_equal(e[1], 16);
	assert_int_equal(rd(e + 4, 8), 0x080a0000);
	assert_int_equal(rd(e + 12, 4), 3 * 0x20000);        /* the three vCPUs' redistributors */

	/* GTDT (5.2.25) revision 2: no secure timer, level, active high, always-on. */
	assert_int_equal(gtdt[8], 2);
	assert_int_equal(rd(gtdt + 4, 4), 96);
	assert_int_equal(rd(gtdt + 36, 8), 0xffffffffffffffffULL);
	assert_int_equal(rd(gtdt + 48, 4), 0);
	assert_int_equal(rd(gtdt + 52, 4), 0);
	assert_int_equal(rd(gtdt + 56, 4), 30);
	assert_int_equal(rd(gtdt + 60, 4), 4);
	assert_int_equal(rd(gtdt + 64, 4), 27);
	assert_int_equal(rd(gtdt + 68, 4), 4);
	assert_int_equal(rd(gtdt + 72, 4), 26);
	assert_int_equal(rd(gtdt + 76, 4), 4);
	assert_int_equal(rd(gtdt + 80, 8), 0xffffffffffffffffULL);
	assert_int_equal(rd(gtdt + 88, 4), 0);

	/* SPCR revision 2: PL011, 32-bit MMIO, GIC interrupt, 115200. */
	assert_int_equal(spcr[8], 2);
	assert_int_equal(rd(spcr + 4, 4), 80);
	assert_int_equal(spcr[36], 3);
	assert_memory_equal(spcr + 40, "\x00\x20\x00\x03", 4); /* SystemMemory, 32 bits, DWORD */
	assert_int_equal(rd(spcr + 44, 8), 0x09000000);
	assert_int_equal(spcr[52], 8);
	assert_int_equal(rd(spcr + 54, 4), 33);
	assert_int_equal(spcr[58], 7);
	assert_int_equal(rd(spcr + 64, 4), 0xffffffff);

	/* HEST: SEA, GSIV on the GED's interrupt, polled; the ids and addresses as on x86. */
	assert_int_equal(rd(hest + 36, 4), 3);
	assert_int_equal(hest[40 + 32], 8);
	assert_int_equal(hest[40 + 92 + 32], 10);
	assert_int_equal(rd(hest + 40 + 92 + 40, 4), 41);
	assert_int_equal(hest[40 + 2 * 92 + 32], 0);
	assert_int_equal(rd(hest + 40 + 24, 8), 0x40040000);

	/* DSDT: processors, PL011 with its registers and level interrupt, HED, GED, _OSC. */
	size_t n = rd(dsdt + 4, 4);
	assert_non_null(memmem(dsdt, n, "C002", 4));
	assert_non_null(memmem(dsdt, n, "ACPI0007", 8));
	assert_non_null(memmem(dsdt, n, "ARMH0011", 8));
	assert_non_null(memmem(dsdt, n, "\x86\x09\x00\x01\x00\x00\x00\x09\x00\x10\x00\x00", 12));
	assert_non_null(memmem(dsdt, n, "\x89\x06\x00\x01\x01\x21\x00\x00\x00", 9)); /* level, 33 */
	assert_non_null(memmem(dsdt, n, "\x89\x06\x00\x03\x01\x29\x00\x00\x00", 9)); /* edge, 41 */
	assert_non_null(memmem(dsdt, n, "\x41\xd0\x0c\x33", 4));  /* PNP0C33 */
	assert_non_null(memmem(dsdt, n, "\x86\x5c\x2e_SB_HED_\x0a\x80", 13));
	assert_non_null(memmem(dsdt, n, "_OSC", 4));
	assert_null(memmem(dsdt, n, "COM1", 4));

	/* Without RAS sources: no HEST, HED, GED or _OSC. */
	p.ras.mask = 0;
	memset(area, 0, sizeof(area));
	acpi_buf_init(&b, area, sizeof(area), ARM_BASE);
	assert_int_equal(acpi_build(&p, &b, &t), 0);
	assert_int_equal(t.count, 6);
	xsdt = arm_table(rd(area + 24, 8), "XSDT");
	assert_int_equal(rd(xsdt + 4, 4), 36 + 4 * 8);
	dsdt = arm_table(rd(arm_table(rd(xsdt + 36, 8), "FACP") + 140, 8), "DSDT");
	n = rd(dsdt + 4, 4);
	assert_null(memmem(dsdt, n, "HED_", 4));
	assert_null(memmem(dsdt, n, "_OSC", 4));
	assert_non_null(memmem(dsdt, n, "ARMH0011", 8));
}

/* What Linux would skip or cannot be written is refused instead of published. */
static void test_arm64_refused(void **state)
{
	struct acpi_buf b;
	struct acpi_tables t;
	struct acpi_platform p;
	static const uint64_t twice[3] = { 0x0, 0x1, 0x1 };
	static const uint64_t res1[3] = { 0x0, 0x1, 0x80000002 };
	(void)state;
	acpi_buf_init(&b, area, sizeof(area), ARM_BASE);
	p = arm64_platform();
	p.arm64.mpidr = NULL;
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
	p = arm64_platform();
	p.arm64.mpidr = twice;
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
	p.arm64.mpidr = res1; /* bit 31 is not an affinity field */
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
	p = arm64_platform();
	p.arm64.gicr_size = 2 * 0x20000; /* no room for the third redistributor */
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
	p = arm64_platform();
	p.arm64.uart_gsiv = 27; /* a PPI */
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
	p = arm64_platform();
	p.ged_gsi = 33; /* the UART's */
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
	p.ras.mask = 1u << RAS_SOURCE_SYNC; /* no GED without the async source */
	assert_int_equal(acpi_build(&p, &b, &t), 0);
	p = arm64_platform();
	p.arm64.timer_virt_gsiv = 0;
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
	p = arm64_platform();
	p.arch = 7;
	assert_int_equal(acpi_build(&p, &b, &t), -EINVAL);
	p = arm64_platform();
	acpi_buf_init(&b, area, sizeof(area), ARM_BASE);
	assert_int_equal(acpi_build(&p, &b, &t), 0);
	const size_t need = b.len;
	for (size_t cap = 0; cap < need; cap += 3) {
		memset(area, 0xee, 4096);
		acpi_buf_init(&b, area, cap, ARM_BASE);
		assert_int_equal(acpi_build(&p, &b, &t), -ENOSPC);
		for (size_t i = cap; i < 4096; i++)
			assert_int_equal(area[i], 0xee);
	}
}

static void test_checksum_and_gas(void **state)
{
	uint8_t d[12] = { 1, 2, 3, 0 };
	struct acpi_buf b;
	(void)state;
	d[3] = acpi_checksum(d, 4);
	assert_int_equal(sum(d, 4), 0);
	acpi_buf_init(&b, d, sizeof(d), 0);
	acpi_put_gas(&b, 0, 64, 0, 4, 0x1122334455667788ULL);
	assert_int_equal(acpi_buf_error(&b), 0);
	assert_int_equal(d[0], 0);
	assert_int_equal(d[1], 64);
	assert_int_equal(d[3], 4);
	assert_int_equal(rd(d + 4, 8), 0x1122334455667788ULL);
	acpi_put8(&b, 1);
	assert_int_equal(acpi_buf_error(&b), -ENOSPC);
}

static void test_aml_encodings(void **state)
{
	uint8_t d[8192];
	struct acpi_buf b;
	uint32_t id;
	(void)state;

	assert_int_equal(aml_eisaid("PNP0501", &id), 0);
	assert_int_equal(id, 0x0105d041); /* the value iasl emits for EISAID("PNP0501") */
	assert_int_equal(aml_eisaid("PNP0C33", &id), 0);
	assert_int_equal(id, 0x330cd041);
	assert_int_equal(aml_eisaid("pnp0501", &id), -EINVAL);
	assert_int_equal(aml_eisaid("PNP05", &id), -EINVAL);
	assert_int_equal(aml_eisaid("PNP050G", &id), -EINVAL);

	/* PkgLength (ACPI 20.2.4): 1 byte below 64, 2 bytes up to 4095, 3 bytes beyond. */
	size_t sizes[] = { 10, 100, 5000 };
	size_t lead_bytes[] = { 1, 2, 3 };
	for (int i = 0; i < 3; i++) {
		acpi_buf_init(&b, d, sizeof(d), 0);
		size_t pkg = aml_scope_begin(&b, "\\_SB");
		acpi_put_zeros(&b, sizes[i]);
		aml_end(&b, pkg);
		assert_int_equal(acpi_buf_error(&b), 0);
		size_t n = lead_bytes[i];
		size_t total = n + 5 + sizes[i]; /* PkgLength + "\_SB_" + body */
		assert_int_equal(b.len, 1 + total);
		assert_int_equal(d[1] >> 6, n - 1);
		uint64_t decoded = n == 1 ? d[1] : (d[1] & 0xf) | (rd(d + 2, (int)n - 1) << 4);
		assert_int_equal(decoded, total);
		assert_memory_equal(d + 1 + n, "\\_SB_", 5);
	}
	/* Integers use the shortest encoding. */
	acpi_buf_init(&b, d, sizeof(d), 0);
	aml_name_int(&b, "_UID", 0);
	aml_name_int(&b, "_ADR", 0x1234);
	assert_memory_equal(d, "\x08_UID\x00\x08_ADR\x0b\x34\x12", 13);

	/* 6.4.3.4 Memory32Fixed(ReadWrite, base, length). */
	acpi_buf_init(&b, d, sizeof(d), 0);
	aml_res_mem32_fixed(&b, 0x09000000, 0x1000);
	assert_int_equal(b.len, 12);
	assert_memory_equal(d, "\x86\x09\x00\x01\x00\x00\x00\x09\x00\x10\x00\x00", 12);
}

/* The _OSC method: its UUIDs as wire bytes (ToUUID's order, first three groups
 * little-endian), the fields it creates over Arg3 and the APEI bit it keeps. iasl reads the
 * whole method back in tests/cli/golden.sh. */
static void test_osc(void **state)
{
	static const uint8_t platform[16] = { 0x6e, 0xb0, 0x11, 0x08, 0x27, 0x4a, 0xf9, 0x44,
					      0x8d, 0x60, 0x3c, 0xbb, 0xc2, 0x2e, 0x7b, 0x48 };
	static const uint8_t whea[16] = { 0x0c, 0x5e, 0x85, 0xed, 0x90, 0x6c, 0xbf, 0x47,
					  0xa6, 0x2a, 0x26, 0xde, 0x0f, 0xc5, 0xad, 0x5c };
	uint8_t d[512];
	struct acpi_buf b;
	(void)state;

	acpi_buf_init(&b, d, sizeof(d), 0);
	aml_osc_apei(&b);
	assert_int_equal(acpi_buf_error(&b), 0);
	assert_int_equal(d[0], 0x14);                                  /* MethodOp */
	assert_int_equal(d[1] >> 6, 1);                                /* two-byte PkgLength */
	assert_int_equal((d[1] & 0xf) | d[2] << 4, b.len - 1);
	assert_memory_equal(d + 3, "_OSC\x04", 5);                     /* 4 args, not serialized */
	assert_memory_equal(d + 8, "\x8a\x6b\x00" "CDW1", 7);          /* CreateDWordField(Arg3, 0) */
	assert_non_null(memmem(d, b.len, platform, 16));
	assert_non_null(memmem(d, b.len, whea, 16));
	assert_non_null(memmem(d, b.len, "\x8a\x6b\x0a\x04" "CDW2", 8)); /* CreateDWordField(Arg3, 4) */
	assert_non_null(memmem(d, b.len, "\x7b" "CDW2" "\x0a\x10\x60", 8)); /* Local0 = CDW2 & 0x10 */
	assert_non_null(memmem(d, b.len, "\x7d" "CDW1" "\x0a\x04" "CDW1", 11)); /* CDW1 |= 4 */
	assert_memory_equal(d + b.len - 2, "\xa4\x6b", 2);             /* Return (Arg3) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_1cpu),
		cmocka_unit_test(test_tables_4cpu),
		cmocka_unit_test(test_tables_254cpu),
		cmocka_unit_test(test_tables_with_ras),
		cmocka_unit_test(test_bad_platform),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_arm64_tables),
		cmocka_unit_test(test_arm64_refused),
		cmocka_unit_test(test_checksum_and_gas),
		cmocka_unit_test(test_aml_encodings),
		cmocka_unit_test(test_osc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
