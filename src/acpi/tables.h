/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables of a rasvm machine: RSDP, XSDT, FADT, MADT and DSDT, built once at boot
 * into one buffer whose first byte sits at a known guest physical address.
 */
#ifndef RASVM_ACPI_TABLES_H
#define RASVM_ACPI_TABLES_H

#include <stdint.h>

#include "acpi/buf.h"
#include "acpi/hest.h"

/* What the tables describe; filled by the VMM from its layout and configuration. */
struct acpi_platform {
	uint32_t cpus;         /* local APICs, ids 0..cpus-1 */
	uint64_t lapic_addr;
	uint64_t ioapic_addr;
	uint8_t ioapic_id;
	uint16_t sci_irq;
	uint16_t com1_port;
	uint8_t com1_irq;
	struct ras_sources ras;  /* mask 0: no HEST */
	uint64_t error_region;   /* guest physical base of the GHES error region */
	uint32_t ged_gsi;        /* interrupt of the Generic Event Device (async source) */
	uint16_t reset_port;     /* FADT RESET_REG (SystemIO), 0: none */
	uint8_t reset_value;
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
 * Generic Event Device that notifies it. The error region itself is ghes_region_init()'s.
 * Returns 0, -EINVAL for an unrepresentable platform (e.g. more CPUs than xAPIC ids),
 * or -ENOSPC when b is too small.
 */
int acpi_build(const struct acpi_platform *p, struct acpi_buf *b, struct acpi_tables *out);

#endif
