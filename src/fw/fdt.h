/* SPDX-License-Identifier: MIT */
/*
 * The arm64 machine's flattened device tree (Devicetree Specification v0.4, chapter 5):
 * bytes in, bytes out, no KVM, no globals, no logging. It describes the machine for a guest
 * booted with a device tree, and in /chosen hands over the command line, the initrd and the
 * minimal UEFI system table and memory map through which arm64 Linux finds the ACPI tables.
 *
 * Written here rather than with libfdt so that both the static x86 binary and the arm64 one
 * can build it; the tests read it back with libfdt and dtc.
 */
#ifndef RASVM_FW_FDT_H
#define RASVM_FW_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fdt_range {
	uint64_t base, size;
};

/* What the tree describes. Interrupts are GIC INTIDs (16-31 PPIs, 32+ SPIs), as in ACPI. */
struct fdt_machine {
	/* Only /chosen (Linux's "stub" tree): with nothing else in the tree arm64 Linux turns to
	 * ACPI by itself, without acpi=force. The hardware fields below are then unused. */
	bool chosen_only;

	struct fdt_range ram;             /* /memory */
	const struct fdt_range *reserved; /* memory reservation block (/memreserve/) */
	unsigned reserved_count;
	uint32_t cpus;
	const uint64_t *mpidr;            /* cpus MPIDR affinity values, boot vCPU first */
	struct fdt_range gicd, gicr;      /* GICv3 distributor, redistributor region */
	uint32_t vgic_maint_intid;        /* 0 unless the guest has EL2 */
	uint32_t pmu_intid;               /* 0: no PMU node */
	uint32_t timer_intid[4];          /* secure, non-secure EL1 physical, virtual, EL2 physical */
	struct fdt_range uart;            /* PL011 */
	uint32_t uart_intid;
	uint32_t uart_clock_hz;
	struct fdt_range devices;         /* rasvm's device page; size 0: no node */

	/* /chosen */
	const char *bootargs;             /* NULL: no bootargs property */
	struct fdt_range initrd;          /* size 0: no initrd */
	bool efi;                         /* the linux,uefi-* properties */
	uint64_t efi_system_table;
	uint64_t efi_mmap;
	uint32_t efi_mmap_size, efi_desc_size, efi_desc_version;
};

/* Write the tree into out (cap bytes); *len gets its size. 0, -EINVAL for an impossible
 * machine (no vCPU, an interrupt of the wrong kind, an MPIDR with bits outside Aff3..Aff0),
 * -ENOSPC when cap is too small. */
int fdt_build(const struct fdt_machine *m, uint8_t *out, size_t cap, size_t *len);

#endif
