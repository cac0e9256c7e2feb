// SPDX-License-Identifier: MIT
/* Formatted output to the console UART (the formatting is format.c's; the UART is guest.h's
 * console_putc(): COM1 on x86, the PL011 on arm64). Lines are built in a buffer and written
 * under a spinlock so the lines of different vCPUs never interleave. */
#include "guest.h"

/* Holder's console_cpu() (APIC id, vCPU index) + 1, or 0. A machine check, NMI or other
 * exception that interrupts a print on the same CPU prints right away instead of waiting for
 * itself. */
static volatile int print_lock;

static void put_raw(const char *s, size_t n)
{
	int me = (int)console_cpu() + 1, free = 0;
	int nested = __atomic_load_n(&print_lock, __ATOMIC_ACQUIRE) == me;

	while (!nested && !__atomic_compare_exchange_n(&print_lock, &free, me, 0, __ATOMIC_ACQUIRE,
						       __ATOMIC_RELAXED)) {
		free = 0;
		cpu_relax();
	}
	for (size_t i = 0; i < n; i++)
		console_putc((uint8_t)s[i]);
	if (!nested)
		__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

void printf(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	put_raw(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
