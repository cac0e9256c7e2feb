// SPDX-License-Identifier: MIT
/* Verifies the boot-info page: every field at its BOOTINFO_* offset, the e820 copy, and
 * refusal of a scenario name that does not fit. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"

#include "bootinfo.h"
#include "rasvm/layout.h"

static void test_fields(void **state)
{
	uint8_t *ram = calloc(1, 16 << 20);
	struct guest_mem m;
	(void)state;
	mem_layout(&m, ram, 16 << 20);
	assert_int_equal(bootinfo_write(&m, 3, "exit:5", 0xe0000, 2), 0);
	const uint8_t *p = ram + LAYOUT_BOOT_INFO;
	assert_int_equal(rd(p + 0, 4), 0x56534152);
	assert_memory_equal(p, "RASV", 4);
	assert_int_equal(rd(p + 4, 4), 3);
	assert_int_equal(rd(p + 8, 4), 3);
	assert_int_equal(rd(p + 12, 4), 3);             /* e820 entries for 16 MiB */
	assert_int_equal(rd(p + 16, 8), 16 << 20);
	assert_int_equal(rd(p + 24, 8), 0xe0000);
	assert_string_equal((const char *)p + 32, "exit:5");
	assert_int_equal(rd(p + 96, 4), 2);             /* resets */
	assert_int_equal(rd(p + 100, 4), 0);            /* MCG_CAP: unknown until the vCPUs exist */
	assert_int_equal(bootinfo_set_mcg_cap(&m, 0x1000100), 0);
	assert_int_equal(rd(p + 100, 4), 0x1000100);
	assert_int_equal(rd(p + 96, 4), 2);             /* its neighbours unchanged */
	assert_int_equal(rd(p + 104, 8), 0);
	const uint8_t *e = p + 104 + 2 * 24;             /* third entry: RAM from 1 MiB */
	assert_int_equal(rd(e, 8), 0x100000);
	assert_int_equal(rd(e + 8, 8), (16 << 20) - 0x100000);
	assert_int_equal(rd(e + 16, 4), 1);
	free(ram);
}

static void test_scenario_too_long(void **state)
{
	uint8_t *ram = calloc(1, 16 << 20);
	struct guest_mem m;
	char name[65];
	(void)state;
	memset(name, 'a', 64);
	name[64] = '\0';
	mem_layout(&m, ram, 16 << 20);
	assert_int_equal(bootinfo_write(&m, 1, name, 0, 0), -EINVAL);
	name[63] = '\0';
	assert_int_equal(bootinfo_write(&m, 1, name, 0, 0), 0);
	assert_int_equal(ram[LAYOUT_BOOT_INFO + 32 + 63], 0); /* still NUL-terminated */
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_scenario_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
