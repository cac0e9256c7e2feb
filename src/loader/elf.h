/* SPDX-License-Identifier: MIT */
/*
 * ELF64 loader for x86_64 executables: validates every header, offset and size against the
 * file and the guest's RAM before copying anything, so a rejected file leaves RAM untouched.
 */
#ifndef RASVM_LOADER_ELF_H
#define RASVM_LOADER_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "kvm/mem.h"

/*
 * Load the PT_LOAD segments of img into guest RAM at their physical addresses (p_paddr)
 * and store the entry point. Segments must lie in RAM at or above LAYOUT_KERNEL_MIN, below
 * the boot identity map, and not overlap each other; the entry must be inside an executable
 * segment. Returns 0, or -ENOEXEC with a one-line reason in err.
 */
int elf_load(const uint8_t *img, size_t len, struct guest_mem *mem, uint64_t *entry, char *err,
	     size_t errlen);

#endif
