/* SPDX-License-Identifier: MIT */
/*
 * What rasvm can boot. Each format is a function from a file to "what to put where and where
 * to start": the embedded test guest and other rasvm ELF64 guests (loader/elf.c), a Linux
 * vmlinux entered by the 64-bit boot protocol or through its PVH note, and a bzImage whose
 * payload rasvm decompresses on the host (loader/linux_x86.c, loader/decompress.c).
 *
 * Pure code: no KVM, no logging, no globals. Everything is validated before the first byte
 * goes into guest RAM, so a rejected file leaves RAM as it was.
 */
#ifndef RASVM_LOADER_LOADER_H
#define RASVM_LOADER_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "kvm/mem.h"

/* How a Linux kernel is entered (--boot). rasvm ELF guests have one way only. */
enum loader_boot {
	LOADER_BOOT_DEFAULT, /* --boot not given: LOADER_BOOT_64 */
	LOADER_BOOT_64,      /* boot.rst "64-bit Boot Protocol": startup_64, RSI = zero page */
	LOADER_BOOT_PVH,     /* XEN_ELFNOTE_PHYS32_ENTRY: 32-bit, paging off, EBX = start_info */
};

struct loader_input {
	const uint8_t *kernel;   /* the --kernel file (or the embedded guest) */
	size_t kernel_len;
	const uint8_t *initrd;   /* --initrd, NULL without */
	size_t initrd_len;
	const char *cmdline;     /* --cmdline bytes, no NUL needed; NULL without */
	size_t cmdline_len;
	uint64_t rsdp;           /* guest physical address of the ACPI RSDP */
	enum loader_boot boot;
};

/* Where the vCPUs start. Everything else the guest needs is in its RAM. */
struct boot_plan {
	enum boot_entry {
		ENTRY_RASVM_ELF64, /* every vCPU in 64-bit mode at entry, RSI = LAYOUT_BOOT_INFO */
		ENTRY_LINUX_64,    /* vCPU 0 in 64-bit mode at entry (startup_64), RSI = zero page */
		ENTRY_LINUX_PVH32, /* vCPU 0 in 32-bit protected mode at entry, EBX = start_info */
		ENTRY_ARM64_IMAGE, /* vCPU 0 at EL1 at entry, MMU off, x0 = device tree (booting.rst) */
	} mode;
	uint64_t entry;           /* RIP (EIP, PC) of the first instruction */
	uint64_t boot_params_gpa; /* RSI (64-bit entries), EBX (PVH) or x0 (arm64: the device tree) */
	uint64_t kernel_start;    /* [start, end): RAM the kernel occupies (init_size included) */
	uint64_t kernel_end;
	uint64_t initrd_gpa;      /* 0 without an initrd */
	uint64_t initrd_size;
	char format[48];          /* what was loaded, for a log line: "bzImage (zstd payload)" */
};

/*
 * Detect the kernel's format (rasvm ELF64 guest, Linux vmlinux, bzImage), validate it with the
 * initrd and command line against guest RAM, then write kernel, initrd, command line and boot
 * parameters into RAM and describe the entry in *out. Returns 0, or -ENOEXEC (the kernel,
 * initrd or command line is unusable) or -ENOMEM with a one-line reason in err.
 */
int loader_load(const struct loader_input *in, struct guest_mem *mem, struct boot_plan *out,
		char *err, size_t errlen);

/*
 * Map a kernel or initrd file read-only for the life of the VM. what names the option in the
 * message ("--kernel"). The file must be a non-empty regular file of at most max bytes.
 * Returns 0; -ENOENT (or another open/map errno) when it cannot be read, -ENOEXEC when it is
 * empty or larger than max. Unmap with loader_unmap_file().
 */
int loader_map_file(const char *what, const char *path, uint64_t max, const uint8_t **data,
		    size_t *len, char *err, size_t errlen);
void loader_unmap_file(const uint8_t *data, size_t len);
/* Once a file is copied into guest RAM: give back the pages reading it made resident (they
 * stay in the page cache; a reset's reload faults them in again). A Linux vmlinux kept
 * about 10 MiB resident beyond guest RAM otherwise. */
void loader_release_file(const uint8_t *data, size_t len);

#endif
