// SPDX-License-Identifier: MIT
/* Guest side of the test port and the power-off port (x86: PORT_TEST and PORT_POWER; arm64:
 * ARM64_DEV_TEST and ARM64_DEV_POWER of the device page), reached through guest.h's
 * test_port_write() and power_port_write(). */
#include "guest.h"
#include "rasvm/layout.h"

struct ucall {
	uint32_t cmd, zero;
	uint64_t arg0, arg1, arg2;
};
_Static_assert(sizeof(struct ucall) == UCALL_SIZE, "layout.h UCALL_SIZE");

/* The block lives on the caller's stack, so vCPUs never share one; identity mapping makes
 * its address a GPA. */
static void ucall(uint32_t cmd, uint64_t a0, uint64_t a1, uint64_t a2)
{
	volatile struct ucall u = { .cmd = cmd, .arg0 = a0, .arg1 = a1, .arg2 = a2 };
	test_port_write((uint64_t)(uintptr_t)&u);
}

void ucall_sync(uint64_t stage, const char *label)
{
	ucall(UCALL_SYNC, stage, (uintptr_t)label, 0);
}

int64_t ucall_poison(uint64_t gpa, int action_optional)
{
	volatile struct ucall u = { .cmd = UCALL_POISON, .arg0 = gpa, .arg1 = (uint64_t)action_optional,
				    .arg2 = (uint64_t)-1 };
	test_port_write((uint64_t)(uintptr_t)&u);
	return (int64_t)u.arg2;
}

void ucall_done(void)
{
	ucall(UCALL_DONE, 0, 0, 0);
}

void power_off(uint8_t code)
{
	power_port_write(code);
	for (;;)
		cpu_stop();
}

void ucall_assert(const char *file, unsigned line, const char *msg)
{
	printf("ASSERT %s:%u: %s\n", file, line, msg);
	ucall(UCALL_ASSERT, (uintptr_t)file, line, (uintptr_t)msg);
	power_off(1); /* only reached if the host ignored the assertion */
}
