/* SPDX-License-Identifier: MIT */
/*
 * ELF64 loader for x86_64 executables: validates every header, offset and size against the
 * file and the guest's RAM before copying anything, so a rejected file leaves RAM untouched.
 * rasvm's own guests are linked with virtual = physical addresses; a Linux vmlinux is linked
 * at __START_KERNEL_map and loaded at its physical addresses, with ELF notes that say so.
 */
#ifndef RASVM_LOADER_ELF_H
#define RASVM_LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/mem.h"

/* What elf_parse() learnt from an image it accepted. */
struct elf_info {
	uint64_t entry;     /* e_entry: a physical address inside an executable segment */
	uint64_t lo, hi;    /* the PT_LOAD segments lie in [lo, hi) */
	bool pvh;           /* a XEN_ELFNOTE_PHYS32_ENTRY note is present (vmlinux only) */
	bool pvh_ok;        /* ... and its address is inside an executable segment */
	uint64_t pvh_entry; /* the note's address */
};

/*
 * True when img is a Linux vmlinux rather than a rasvm guest: it carries an ELF note owned by
 * "Linux" or "Xen", or its first PT_LOAD segment is linked at its physical address plus
 * __START_KERNEL_map. Malformed files are not Linux (elf_parse() then says what is wrong).
 */
bool elf_is_vmlinux(const uint8_t *img, size_t len);

/*
 * Validate img: PT_LOAD segments in RAM at or above LAYOUT_KERNEL_MIN, below the boot identity
 * map, inside the file, not overlapping each other; the entry inside an executable segment.
 * rasvm guests (vmlinux false) must have p_vaddr == p_paddr; for a vmlinux p_vaddr is ignored
 * and its notes are read. Returns 0, or -ENOEXEC with a one-line reason in err.
 */
int elf_parse(const uint8_t *img, size_t len, const struct guest_mem *mem, bool vmlinux,
	      struct elf_info *info, char *err, size_t errlen);

/* Copy an image elf_parse() accepted into RAM: file bytes, then zeros up to each memsz. */
void elf_copy(const uint8_t *img, size_t len, struct guest_mem *mem);

/*
 * Load the PT_LOAD segments of a rasvm guest into guest RAM at their physical addresses
 * (p_paddr) and store the entry point: elf_parse() (vmlinux false), then elf_copy().
 * Returns 0, or -ENOEXEC with a one-line reason in err.
 */
int elf_load(const uint8_t *img, size_t len, struct guest_mem *mem, uint64_t *entry, char *err,
	     size_t errlen);

#endif
