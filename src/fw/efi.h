/* SPDX-License-Identifier: MIT */
/*
 * A minimal UEFI system table, configuration table and memory map for an arm64 guest booted
 * without firmware (UEFI 2.10): bytes in, bytes out, no KVM, no globals, no logging.
 *
 * arm64 Linux uses ACPI only when it booted "from UEFI": it takes the system table and the
 * memory map from the device tree's /chosen (src/fw/fdt.h), finds the RSDP through the
 * system table's ACPI 2.0 configuration table, and learns all of RAM, and how to map each
 * range, from the memory map. There are no boot services (Linux is entered directly, as
 * after ExitBootServices) and no runtime services: an EFI_RT_PROPERTIES_TABLE says so, and
 * the command line should still carry efi=noruntime for kernels that predate that table.
 */
#ifndef RASVM_FW_EFI_H
#define RASVM_FW_EFI_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/buf.h"

/* 7.2 EFI_MEMORY_TYPE: the types rasvm's map uses */
#define EFI_RESERVED_MEMORY_TYPE  0
#define EFI_LOADER_DATA           2
#define EFI_RUNTIME_SERVICES_DATA 6
#define EFI_CONVENTIONAL_MEMORY   7  /* RAM the OS may use */
#define EFI_ACPI_RECLAIM_MEMORY   9  /* ACPI tables: Linux keeps them reserved and in its linear map */
#define EFI_ACPI_MEMORY_NVS       10 /* firmware's, never the OS's: Linux keeps it out of RAM (nomap) */
/* 7.2 memory attributes */
#define EFI_MEMORY_UC             0x1ULL
#define EFI_MEMORY_WC             0x2ULL
#define EFI_MEMORY_WT             0x4ULL
#define EFI_MEMORY_WB             0x8ULL /* Linux maps a range cacheable only with this */
#define EFI_MEMORY_RUNTIME        0x8000000000000000ULL
#define EFI_PAGE_SIZE             4096
/* 7.2 EFI_MEMORY_DESCRIPTOR, version 1: 40 bytes */
#define EFI_MEMORY_DESCRIPTOR_VERSION 1
#define EFI_MEMDESC_SIZE          40

struct efi_mem_range {
	uint64_t base, size; /* EFI_PAGE_SIZE multiples */
	uint32_t type;       /* EFI_*_MEMORY... */
	uint64_t attribute;  /* EFI_MEMORY_* */
};

struct efi_firmware {
	uint64_t rsdp;                   /* ACPI 2.0 configuration table entry; 0: none */
	const struct efi_mem_range *map; /* ascending, disjoint, page-aligned */
	unsigned map_count;
};

/* Where efi_build put things: what the device tree's /chosen hands to Linux. */
struct efi_tables {
	uint64_t system_table;    /* linux,uefi-system-table */
	uint64_t mmap;            /* linux,uefi-mmap-start */
	uint32_t mmap_size;       /* linux,uefi-mmap-size */
	uint32_t desc_size;       /* linux,uefi-mmap-desc-size */
	uint32_t desc_version;    /* linux,uefi-mmap-desc-ver */
	size_t system_table_off;  /* offsets into the buffer */
	size_t mmap_off;
};

/*
 * Write the system table (with its header CRC32), the firmware vendor string, the
 * configuration tables (ACPI 2.0 -> rsdp, EFI_RT_PROPERTIES_TABLE: no runtime services) and
 * the memory map into b, whose b->gpa must be 8-byte aligned. 0, -EINVAL for a map that is
 * empty, unaligned, unsorted or overlapping, -ENOSPC when b is too small.
 */
int efi_build(const struct efi_firmware *f, struct acpi_buf *b, struct efi_tables *out);

/* The CRC32 of UEFI table headers (4.2): IEEE 802.3, the one zlib computes. */
uint32_t efi_crc32(const uint8_t *p, size_t n);

#endif
