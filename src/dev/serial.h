/* SPDX-License-Identifier: MIT */
/*
 * 8250/16550 UART on PORT_COM1, enough for a console: the registers a driver probes and
 * programs, transmit to a file descriptor, the transmit-empty interrupt on IRQ_COM1.
 * There is no receive path: LSR never reports data ready.
 */
#ifndef RASVM_DEV_SERIAL_H
#define RASVM_DEV_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define SERIAL_LINE_MAX 256

struct serial {
	pthread_mutex_t lock;
	int fd;            /* -1: output discarded */
	bool own_fd;       /* opened by rasvm (file:PATH), closed at exit */
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo_enabled;  /* FCR bit 0: IIR then reports FIFOs, as a 16550A does */
	bool thr_interrupt; /* THR-empty interrupt pending (cleared by reading IIR or writing THR) */
	bool irq_level;     /* what was last sent on the IRQ line */
	unsigned len;
	char line[SERIAL_LINE_MAX];
};

struct vm;
struct vcpu;

/* Register access at offset 0-7 from PORT_COM1; size is always 1 for an 8250. */
void serial_pio(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write, uint8_t *data,
		unsigned size);
void serial_flush(struct serial *s);

#endif
