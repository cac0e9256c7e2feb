/* SPDX-License-Identifier: MIT */
/* Inside src/acpi: the tables and DSDT devices only one architecture has. tables.c builds
 * what both share (RSDP, XSDT, FADT, the DSDT's RAS devices, HEST) and calls these. */
#ifndef RASVM_ACPI_TABLES_ARCH_H
#define RASVM_ACPI_TABLES_ARCH_H

#include "acpi/tables.h"

/* 0, or -EINVAL when the arm64 fields cannot be described. */
int acpi_arm64_check(const struct acpi_platform *p);
/* Inside Scope(\_SB): the processors and the PL011. */
void acpi_arm64_dsdt_devices(const struct acpi_platform *p, struct acpi_buf *b);
/* Each returns the table's offset in b. */
size_t acpi_arm64_madt(const struct acpi_platform *p, struct acpi_buf *b);
size_t acpi_arm64_gtdt(const struct acpi_platform *p, struct acpi_buf *b);
size_t acpi_arm64_spcr(const struct acpi_platform *p, struct acpi_buf *b);

#endif
