// SPDX-License-Identifier: MIT
/* libFuzzer target: any byte string as the --kernel file, with a small initrd and command
 * line, entered by the 64-bit protocol or by PVH (the input's length decides). The loader
 * must reject or load it (bzImage header, decompression, vmlinux ELF, zero page, start_info)
 * without reading outside the input, writing outside guest RAM or allocating without bound
 * (ASan watches all three), and what it accepts must make sense. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "rasvm/layout.h"

#define RAM_SIZE (32u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram, initrd[4096];
	static struct guest_mem mem;
	struct boot_plan plan;
	char err[256];
	const char cmdline[] = "console=ttyS0 quiet";

	if (!ram) {
		ram = malloc(RAM_SIZE);
		mem_layout(&mem, ram, RAM_SIZE);
		memset(initrd, 0x17, sizeof(initrd));
	}
	struct loader_input in = {
		.kernel = data, .kernel_len = size, .initrd = initrd, .initrd_len = sizeof(initrd),
		.cmdline = cmdline, .cmdline_len = strlen(cmdline), .rsdp = LAYOUT_ACPI_BASE,
		.boot = size & 1 ? LOADER_BOOT_PVH : LOADER_BOOT_64,
	};
	if (loader_load(&in, &mem, &plan, err, sizeof(err)))
		return 0;
	/* Accepted (only Linux takes an initrd): the entry, the kernel and the initrd are RAM,
	 * the initrd lies above the kernel's init_size range, page aligned. */
	if (plan.mode == ENTRY_RASVM_ELF64 || !mem_gpa_to_hva(&mem, plan.entry, 1) ||
	    !mem_gpa_to_hva(&mem, plan.boot_params_gpa, 4096) ||
	    !mem_gpa_to_hva(&mem, plan.kernel_start, plan.kernel_end - plan.kernel_start) ||
	    !mem_gpa_to_hva(&mem, plan.initrd_gpa, plan.initrd_size) ||
	    plan.initrd_gpa < plan.kernel_end || plan.initrd_gpa % 4096 ||
	    plan.initrd_size != sizeof(initrd))
		abort();
	return 0;
}
