/* SPDX-License-Identifier: MIT */
/*
 * Linux on x86: a vmlinux ELF, or a bzImage whose payload (a compressed vmlinux) rasvm
 * decompresses itself; entered by the 64-bit boot protocol with a zero page, or through the
 * PVH note with an hvm_start_info. Used by loader.c; pure code, no KVM.
 */
#ifndef RASVM_LOADER_LINUX_X86_H
#define RASVM_LOADER_LINUX_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/mem.h"
#include "loader/loader.h"

/* Linux's own limit on the command line when no setup header gives one: COMMAND_LINE_SIZE
 * (arch/x86/include/asm/setup.h) is 2048 bytes, the NUL included. */
#define LINUX_CMDLINE_DEFAULT_MAX 2047
/* initrd_addr_max when no setup header gives one: what arch/x86/boot/header.S declares. */
#define LINUX_INITRD_ADDR_MAX_DEFAULT 0x7fffffffu
/* Most e820 entries the zero page holds (bootparam.h E820_MAX_ENTRIES_ZEROPAGE). */
#define LINUX_E820_MAX 128

/* True when img has the bzImage setup header's "HdrS" magic (boot.rst: header, 0x202). */
bool linux_is_bzimage(const uint8_t *img, size_t len);

/* The memory map Linux gets: mem_e820() with the ACPI table area as ACPI data (type 3). */
unsigned linux_e820(const struct guest_mem *mem, struct e820_entry *e, unsigned max);

/* Load a vmlinux (when in->kernel is an ELF) or a bzImage: see loader_load(). */
int linux_load(const struct loader_input *in, struct guest_mem *mem, struct boot_plan *out,
	       char *err, size_t errlen);

#endif
