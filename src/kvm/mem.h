/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM: one host mapping split into the regions the guest sees (below the MMIO hole,
 * and above 4 GiB when RAM is larger than the hole allows), the e820 map that describes
 * them, and bounds-checked translation between guest physical and host virtual addresses.
 * Nothing here calls KVM, so the loader and its tests can use it on any machine.
 */
#ifndef RASVM_KVM_MEM_H
#define RASVM_KVM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_MAX_REGIONS 4

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	uint64_t size;     /* total RAM in bytes */
	uint64_t low_size; /* RAM below the MMIO hole, holes punched in it included */
	uint8_t *hva;      /* start of the single host mapping */
	unsigned nregions;
	struct mem_region region[MEM_MAX_REGIONS];
};

/* e820 types (ACPI 6.5 15.1, Table 15.1) */
#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3 /* ACPI data: tables the OS may reclaim once it has read them */

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Split size bytes of RAM at hva into guest regions. No allocation. */
void mem_layout(struct guest_mem *m, uint8_t *hva, uint64_t size);
/* Take [gpa, gpa+len) out of the regions: the guest sees MMIO there (KVM gets no slot for
 * it), while the host mapping stays. Page-aligned, inside one region; -EINVAL otherwise. */
int mem_punch(struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Host pointer for [gpa, gpa+len) when it lies inside one RAM region, else NULL. */
void *mem_gpa_to_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Guest physical address of a host pointer into RAM; false when it is not guest RAM. */
bool mem_hva_to_gpa(const struct guest_mem *m, const void *hva, uint64_t *gpa);
/* Fill at most max entries; returns how many the map needs (may exceed max). */
unsigned mem_e820(const struct guest_mem *m, struct e820_entry *e, unsigned max);

#endif
