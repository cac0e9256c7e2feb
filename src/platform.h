/* SPDX-License-Identifier: MIT */
/* What the firmware tables describe for a configuration: one place, used by `run` (the
 * tables a guest gets) and `acpi dump` (the same tables, written to files). */
#ifndef RASVM_PLATFORM_H
#define RASVM_PLATFORM_H

#include "acpi/tables.h"
#include "config.h"
#include "kvm/mem.h"

void platform_describe(const struct config *cfg, struct acpi_platform *p);
/* Build the tables into area (LAYOUT_ACPI_END - LAYOUT_ACPI_BASE bytes, at LAYOUT_ACPI_BASE). */
int platform_build_acpi(const struct config *cfg, uint8_t *area, struct acpi_tables *t);
/* Write the MP table (fw/mptable.h) at LAYOUT_MP_CONFIG, its floating pointer at LAYOUT_EBDA,
 * and the BIOS data area words that place them, into guest RAM. 0 or -errno. */
int platform_write_mptable(const struct config *cfg, struct guest_mem *mem);

#endif
