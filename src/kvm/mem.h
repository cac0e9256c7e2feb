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
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_MAX_REGIONS 4

/* A bit per 4 KiB page of guest RAM (by offset into the host mapping), set and tested
 * without locks: vCPU threads test it on every unclaimed MMIO exit and device access. */
struct page_bits {
	_Atomic uint64_t *word; /* mmap'd lazily: only words in use become resident */
	uint64_t pages;
	size_t bytes;
};

int page_bits_init(struct page_bits *b, uint64_t pages);
void page_bits_free(struct page_bits *b);
bool page_bits_test(const struct page_bits *b, uint64_t page);
/* Returns whether the bit was set before. */
bool page_bits_set(struct page_bits *b, uint64_t page);
void page_bits_clear_all(struct page_bits *b);
/* The next set bit at or after page, or b->pages when there is none. */
uint64_t page_bits_next(const struct page_bits *b, uint64_t page);

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
	/* Pages rasvm must not touch itself: known poisoned (a host error named them) or taken
	 * away by the simulator. A read of one would raise SIGBUS in rasvm (docs/ras.md). */
	struct page_bits bad;
	/* Pages rasvm itself wrote with mem_write() while a migration asks (track_written): KVM's
	 * dirty log only sees the guest's own writes (state/dirty.c). */
	struct page_bits written;
	atomic_bool track_written;
	/* The host mapping is private and anonymous (rasvm's own RAM, not a test's buffer):
	 * pages it gives back with MADV_DONTNEED read as zeros afterwards (mem_zero). */
	bool anon_private;
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

/* The host mapping of guest RAM is aligned to this (1 GiB, si_addr_lsb 30: the largest host
 * memory error granule, a 1 GiB huge page). Every region starts at a multiple of it in guest
 * physical space and in the mapping, so a granule of the host's (an address rounded down to
 * 1 << lsb, which is how rasvm reads every signal) is also a granule of the guest's. The
 * kernel's signals name the right pages either way (rasvm maps the host granule back page by
 * page); the simulator's do only so (it poisons a granule of guest physical memory and
 * signals one address with its lsb), and KVM can map guest huge pages with host ones. */
#define MEM_RAM_ALIGN (1ULL << 30)

/* Reserve size bytes of guest RAM (private, anonymous, not reserved in swap: only what the
 * guest touches becomes resident) at a MEM_RAM_ALIGN boundary. NULL with errno set. */
uint8_t *mem_map_ram(uint64_t size);
void mem_unmap_ram(uint8_t *hva, uint64_t size);

/* Split size bytes of RAM at hva into guest regions (the x86 machine's: below the MMIO hole,
 * the rest from 4 GiB). No allocation. */
void mem_layout(struct guest_mem *m, uint8_t *hva, uint64_t size);
/* All of RAM as one region at gpa (the arm64 machine's, at 1 GiB). */
void mem_layout_at(struct guest_mem *m, uint8_t *hva, uint64_t size, uint64_t gpa);
/* Take [gpa, gpa+len) out of the regions: the guest sees MMIO there (KVM gets no slot for
 * it), while the host mapping stays. Page-aligned, inside one region; -EINVAL otherwise. */
int mem_punch(struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Host pointer for [gpa, gpa+len) when it lies inside one RAM region, else NULL. */
void *mem_gpa_to_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Guest physical address of a host pointer into RAM; false when it is not guest RAM. */
bool mem_hva_to_gpa(const struct guest_mem *m, const void *hva, uint64_t *gpa);
/* The bad-page and written-page maps (after mem_layout; allocates). 0 or -ENOMEM. */
int mem_track_init(struct guest_mem *m);
void mem_track_free(struct guest_mem *m);
void mem_mark_bad(struct guest_mem *m, uint64_t gpa);
/* Does [gpa, gpa+len) touch a bad page? (len 0: false) */
bool mem_is_bad(const struct guest_mem *m, uint64_t gpa, uint64_t len);
void mem_clear_bad(struct guest_mem *m);
/* Copy between guest RAM and rasvm, for devices: -EFAULT when [gpa, gpa+len) is not in one
 * RAM region, -EHWPOISON when it touches a bad page (nothing is copied then). */
int mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, size_t len);
int mem_write(struct guest_mem *m, uint64_t gpa, const void *src, size_t len);
/* Zero [hva, hva+len) of guest RAM (a kernel's BSS): whole pages are given back to the host
 * kernel where the mapping allows (anon_private), so a page never touched stays untouched
 * (cheaper than faulting it in to write zeros: 2.4 MiB of the test guest's stacks cost about
 * 1.5 ms of start-up on nested KVM), the partial pages at either end are written. */
void mem_zero(const struct guest_mem *m, uint8_t *hva, size_t len);

/* Fill at most max entries; returns how many the map needs (may exceed max). */
unsigned mem_e820(const struct guest_mem *m, struct e820_entry *e, unsigned max);

#endif
