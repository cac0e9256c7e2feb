/* SPDX-License-Identifier: MIT */
/*
 * The arm64 machine's firmware for a configuration, from include/rasvm/layout_arm64.h: the
 * ACPI tables, the EFI system table and memory map, and the device tree, each at its layout
 * address. No KVM: `rasvm acpi dump --arch arm64` writes it to files, and the arm64 boot
 * will write it into guest RAM.
 */
#ifndef RASVM_PLATFORM_ARM64_H
#define RASVM_PLATFORM_ARM64_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi/tables.h"
#include "config.h"
#include "fw/efi.h"
#include "fw/fdt.h"
#include "rasvm/layout_arm64.h"

/* Bytes from LAYOUT_ARM64_RAM that platform_arm64_build writes: ACPI, EFI, error region
 * (left zero: ghes_region_init's), device tree. */
#define ARM64_FIRMWARE_SIZE (LAYOUT_ARM64_DTB_END - LAYOUT_ARM64_RAM)

/* What the boot adds to /chosen. */
struct arm64_boot {
	const char *bootargs;      /* NULL: none */
	struct fdt_range initrd;   /* size 0: none */
	bool stub_tree;            /* only /chosen: Linux then uses ACPI without acpi=force */
};

/* Where things went, for the boot and for `acpi dump`. */
struct arm64_firmware {
	struct acpi_tables acpi;   /* offsets from LAYOUT_ARM64_ACPI; the RSDP is at its start */
	struct efi_tables efi;     /* GPAs for /chosen, offsets from LAYOUT_ARM64_EFI */
	size_t efi_len;            /* bytes written from LAYOUT_ARM64_EFI */
	size_t dtb_len;            /* bytes of the tree at LAYOUT_ARM64_DTB */
};

/*
 * The platforms the tables describe: vCPU i has KVM's default MPIDR (ARM64_KVM_MPIDR(i),
 * vcpu_id = i), interrupts and addresses are the layout's. mpidr has room for cfg->cpus.
 */
void platform_arm64_describe(const struct config *cfg, uint64_t *mpidr, struct acpi_platform *p,
			     struct fdt_machine *m);
/* The EFI memory map for cfg->memory bytes of RAM at LAYOUT_ARM64_RAM (3 ranges). */
unsigned platform_arm64_memmap(const struct config *cfg, struct efi_mem_range map[3]);
/*
 * Write the firmware into fw, the guest's RAM from LAYOUT_ARM64_RAM (ARM64_FIRMWARE_SIZE
 * bytes, zeroed by the caller). 0, -EINVAL for a configuration the machine cannot describe,
 * -ENOSPC when a table outgrows its area.
 */
int platform_arm64_build(const struct config *cfg, const struct arm64_boot *boot, uint8_t *fw,
			 struct arm64_firmware *out);

#endif
