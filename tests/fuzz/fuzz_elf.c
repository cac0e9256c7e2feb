// SPDX-License-Identifier: MIT
/* libFuzzer target: any byte string as a kernel image. The loader must reject or load it
 * without reading outside the input or writing outside guest RAM (ASan watches both; the
 * RAM is surrounded by the allocator's redzones). */
#include <stdint.h>
#include <stdlib.h>

#include "loader/elf.h"

#define RAM_SIZE (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static struct guest_mem mem;
	char err[256];
	uint64_t entry;

	if (!ram) {
		ram = malloc(RAM_SIZE);
		mem_layout(&mem, ram, RAM_SIZE);
	}
	if (elf_load(data, size, &mem, &entry, err, sizeof(err)) == 0 &&
	    !mem_gpa_to_hva(&mem, entry, 1))
		abort(); /* an accepted image must enter inside RAM */
	return 0;
}
