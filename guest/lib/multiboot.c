// SPDX-License-Identifier: MIT
/*
 * When a multiboot loader (QEMU's -kernel) starts the test guest, there is no rasvm boot-info
 * page: make one from the multiboot information (Multiboot Specification 0.6.96, 3.3) so the
 * rest of the guest runs unchanged. One vCPU (a multiboot loader starts only the BSP); the
 * scenario is the last word of the command line (QEMU passes "KERNEL APPEND...").
 */
#include "guest.h"

#define MBI_MEM     (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MMAP    (1u << 6)

static void put(uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void multiboot_boot_info(uint32_t mbi_addr)
{
	const uint8_t *mbi = (const uint8_t *)(uintptr_t)mbi_addr;
	uint8_t *bi = (uint8_t *)LAYOUT_BOOT_INFO;
	uint32_t flags = (uint32_t)get_le(mbi, 4), n = 0;
	uint64_t ram = 0;
	const char *scenario = "boot";

	memset(bi, 0, 4096);
	put(bi + BOOTINFO_OFF_MAGIC, BOOTINFO_MAGIC, 4);
	put(bi + BOOTINFO_OFF_VERSION, BOOTINFO_VERSION, 4);
	put(bi + BOOTINFO_OFF_CPUS, 1, 4);
	if (flags & MBI_CMDLINE) {
		const char *c = (const char *)(uintptr_t)get_le(mbi + 16, 4);
		for (const char *p = c; *p; p++)
			if (*p == ' ' && p[1] && p[1] != ' ')
				scenario = p + 1;
		if (scenario != c && strlen(scenario) >= BOOTINFO_SCENARIO_LEN)
			scenario = "boot";
	}
	memcpy(bi + BOOTINFO_OFF_SCENARIO, scenario, strlen(scenario));
	if (flags & MBI_MMAP) {
		uint32_t len = (uint32_t)get_le(mbi + 44, 4);
		const uint8_t *e = (const uint8_t *)(uintptr_t)get_le(mbi + 48, 4), *end = e + len;
		/* Entries: u32 size (not counting itself), u64 base, u64 length, u32 type. */
		for (; e < end && n < BOOTINFO_E820_MAX; e += get_le(e, 4) + 4, n++) {
			uint8_t *o = bi + BOOTINFO_OFF_E820 + n * BOOTINFO_E820_ENTRY_SIZE;
			uint64_t base = get_le(e + 4, 8), size = get_le(e + 12, 8);
			uint32_t type = (uint32_t)get_le(e + 20, 4);
			put(o, base, 8);
			put(o + 8, size, 8);
			put(o + 16, type, 4);
			if (type == 1)
				ram += size;
		}
	} else if (flags & MBI_MEM) {
		ram = (get_le(mbi + 8, 4) + 1024) * 1024; /* KiB below 1 MiB is folded in */
	}
	put(bi + BOOTINFO_OFF_E820_COUNT, n, 4);
	put(bi + BOOTINFO_OFF_RAM_SIZE, ram, 8);
}
