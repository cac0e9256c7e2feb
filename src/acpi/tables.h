/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables of a rasvm machine, built once at boot into one buffer whose first byte
 * sits at a known guest physical address. x86: RSDP, XSDT, FADT, MADT (local APICs, IOAPIC)
 * and DSDT. arm64: the same with a hardware-reduced FADT for PSCI over HVC, a GICv3 MADT, a
 * GTDT and an SPCR. Both: the HEST and its DSDT devices when there are RAS sources.
 */
#ifndef RASVM_ACPI_TABLES_H
#define RASVM_ACPI_TABLES_H

#include <stdint.h>

#include "acpi/buf.h"
#include "acpi/hest.h"

enum acpi_arch {
	ACPI_ARCH_X86 = 0,
	ACPI_ARCH_ARM64 = 1,
};

/* What the arm64 tables describe beyond the common fields. Interrupts are GSIVs (GIC INTIDs). */
struct acpi_arm64 {
	const uint64_t *mpidr;   /* cpus MPIDR affinity values (no bit 31), in vCPU order */
	uint64_t gicd_base;      /* GICv3 distributor */
	uint64_t gicr_base;      /* redistributor region, GICR_FRAMES_SIZE bytes per vCPU */
	uint32_t gicr_size;      /* at least cpus * GICR_FRAMES_SIZE */
	uint32_t vgic_maint_gsiv; /* 0 unless the guest has EL2 */
	uint32_t pmu_gsiv;       /* 0 unless the vCPUs have a PMU */
	uint32_t timer_sec_gsiv; /* 0: not provided (a guest has no secure state) */
	uint32_t timer_phys_gsiv; /* non-secure EL1 physical timer */
	uint32_t timer_virt_gsiv; /* virtual timer */
	uint32_t timer_hyp_gsiv; /* non-secure EL2 physical timer */
	uint64_t uart_base;      /* PL011 */
	uint32_t uart_size;
	uint32_t uart_gsiv;
};

/* What the tables describe; filled by the VMM from its layout and configuration. */
struct acpi_platform {
	enum acpi_arch arch;   /* 0: x86 */
	uint32_t cpus;         /* x86: local APICs, ids 0..cpus-1; arm64: GICCs, UIDs 0..cpus-1 */
	uint64_t lapic_addr;     /* x86 only, like every field down to com1_irq */
	uint64_t ioapic_addr;
	uint8_t ioapic_id;
	uint16_t sci_irq;
	uint16_t com1_port;
	uint8_t com1_irq;
	struct ras_sources ras;  /* mask 0: no HEST */
	uint64_t error_region;   /* guest physical base of the GHES error region */
	uint32_t ged_gsi;        /* interrupt of the Generic Event Device (async source); arm64: an SPI's GSIV */
	uint16_t reset_port;     /* x86: FADT RESET_REG (SystemIO), 0: none */
	uint8_t reset_value;
	uint16_t sleep_control_port; /* x86: FADT SLEEP_CONTROL_REG and \_S5 (power-off), 0: none */
	uint16_t sleep_status_port;  /* x86: FADT SLEEP_STATUS_REG */
	uint8_t s5_type;             /* the SLP_TYP of \_S5 */
	struct acpi_arm64 arm64; /* arm64 only */
};

#define ACPI_MAX_TABLES 8

struct acpi_table_ref {
	char sig[5];
	size_t off; /* into the buffer */
	size_t len;
};

/* Where build put things, so the VMM and `acpi dump` need not re-parse the bytes. */
struct acpi_tables {
	size_t rsdp_off;
	unsigned count;
	struct acpi_table_ref table[ACPI_MAX_TABLES];
};

/*
 * Build every table into b, RSDP first (b->gpa must be 16-byte aligned). With RAS sources,
 * also the HEST, and in the DSDT the Hardware Error Device plus, for the async source, the
 * Generic Event Device that notifies it; on arm64 also \_SB._OSC granting APEI support. The
 * HEST's notifications are the architecture's: x86 NMI, SCI, polled; arm64 SEA, GSIV (the
 * GED's interrupt), polled. The error region itself is ghes_region_init()'s.
 * Returns 0, -EINVAL for an unrepresentable platform (e.g. more CPUs than xAPIC ids, an
 * MPIDR twice), or -ENOSPC when b is too small.
 */
int acpi_build(const struct acpi_platform *p, struct acpi_buf *b, struct acpi_tables *out);

#endif
