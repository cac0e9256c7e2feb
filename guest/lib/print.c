// SPDX-License-Identifier: MIT
/* Formatted output to COM1 (the formatting is format.c's). Lines are built in a buffer and
 * written under a spinlock so the lines of different vCPUs never interleave. */
#include "guest.h"
#include "rasvm/layout.h"

#define UART_LSR 5
#define LSR_THRE 0x20

/* Holder's APIC id + 1, or 0. A machine check or NMI that interrupts a print on the same
 * CPU prints right away instead of waiting for itself. */
static volatile int print_lock;

void serial_init(void)
{
	outb(PORT_COM1 + 3, 0x03); /* LCR: 8 data bits, no parity, 1 stop bit */
}

static void put_raw(const char *s, size_t n)
{
	int me = (int)ras_cpu() + 1, free = 0;
	int nested = __atomic_load_n(&print_lock, __ATOMIC_ACQUIRE) == me;

	while (!nested && !__atomic_compare_exchange_n(&print_lock, &free, me, 0, __ATOMIC_ACQUIRE,
						       __ATOMIC_RELAXED)) {
		free = 0;
		cpu_relax();
	}
	for (size_t i = 0; i < n; i++) {
		while (!(inb(PORT_COM1 + UART_LSR) & LSR_THRE))
			cpu_relax();
		outb(PORT_COM1, (uint8_t)s[i]);
	}
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
