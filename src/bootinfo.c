// SPDX-License-Identifier: MIT
#include "bootinfo.h"

#include <errno.h>
#include <string.h>

#include "le.h"
#include "rasvm/layout.h"

int bootinfo_write(struct guest_mem *mem, unsigned cpus, const char *scenario, uint64_t rsdp,
		   unsigned resets)
{
	uint8_t *p = mem_gpa_to_hva(mem, LAYOUT_BOOT_INFO, 4096);
	struct e820_entry e820[BOOTINFO_E820_MAX];
	unsigned n = mem_e820(mem, e820, BOOTINFO_E820_MAX);

	_Static_assert(BOOTINFO_OFF_E820 + BOOTINFO_E820_MAX * BOOTINFO_E820_ENTRY_SIZE <= 4096,
		       "the e820 copy fits the boot-info page");
	_Static_assert(BOOTINFO_OFF_RSDP + 8 <= BOOTINFO_OFF_SCENARIO &&
			       BOOTINFO_OFF_SCENARIO + BOOTINFO_SCENARIO_LEN <= BOOTINFO_OFF_RESETS &&
			       BOOTINFO_OFF_RESETS + 4 <= BOOTINFO_OFF_MCG_CAP &&
			       BOOTINFO_OFF_MCG_CAP + 4 <= BOOTINFO_OFF_E820,
		       "scenario, then resets, MCG_CAP, then the e820 copy");
	if (!p || n > BOOTINFO_E820_MAX || strlen(scenario) >= BOOTINFO_SCENARIO_LEN)
		return -EINVAL;
	memset(p, 0, 4096);
	le_put(p + BOOTINFO_OFF_MAGIC, BOOTINFO_MAGIC, 4);
	le_put(p + BOOTINFO_OFF_VERSION, BOOTINFO_VERSION, 4);
	le_put(p + BOOTINFO_OFF_CPUS, cpus, 4);
	le_put(p + BOOTINFO_OFF_E820_COUNT, n, 4);
	le_put(p + BOOTINFO_OFF_RAM_SIZE, mem->size, 8);
	le_put(p + BOOTINFO_OFF_RSDP, rsdp, 8);
	le_put(p + BOOTINFO_OFF_RESETS, resets, 4);
	memcpy(p + BOOTINFO_OFF_SCENARIO, scenario, strlen(scenario));
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = p + BOOTINFO_OFF_E820 + i * BOOTINFO_E820_ENTRY_SIZE;
		le_put(e, e820[i].addr, 8);
		le_put(e + 8, e820[i].size, 8);
		le_put(e + 16, e820[i].type, 4);
	}
	return 0;
}

int bootinfo_set_mcg_cap(struct guest_mem *mem, uint64_t mcg_cap)
{
	uint8_t *p = mem_gpa_to_hva(mem, LAYOUT_BOOT_INFO + BOOTINFO_OFF_MCG_CAP, 4);

	if (!p)
		return -EINVAL;
	le_put(p, (uint32_t)mcg_cap, 4); /* bits 63:32 of MCG_CAP are reserved (SDM 16.3.1.1) */
	return 0;
}
