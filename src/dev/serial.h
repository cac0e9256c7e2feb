/* SPDX-License-Identifier: MIT */
/*
 * 8250/16550 UART on PORT_COM1, enough for a console: the registers a driver probes and
 * programs, transmit to a file descriptor (through a writer thread, shared with arm64's PL011),
 * the transmit-empty interrupt on IRQ_COM1.
 * There is no receive path: LSR never reports data ready.
 */
#ifndef RASVM_DEV_SERIAL_H
#define RASVM_DEV_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Output waits here for the writer thread; a reader that stops reading costs the guest its
 * console output beyond this (counted), never a stalled vCPU. */
#define SERIAL_BUFFER (64u * 1024)

struct serial {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* the writer waits for output; serial_exit waits for it to drain */
	pthread_t writer;
	bool writer_started, stop, writing;
	int fd;            /* -1: output discarded */
	bool own_fd;       /* opened by rasvm (file:PATH), closed at exit */
	/* Registers: reset at every boot (the interrupt controller is new then too). */
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo_enabled;  /* FCR bit 0: IIR then reports FIFOs, as a 16550A does */
	bool thr_interrupt; /* THR-empty interrupt pending (cleared by reading IIR or writing THR) */
	bool irq_level;     /* what was last sent on the IRQ line */
	uint32_t head, len; /* ring of SERIAL_BUFFER bytes */
	uint64_t dropped;   /* bytes the guest sent while the ring was full */
	char buf[SERIAL_BUFFER];
};

struct vm;
struct vcpu;

/* The console behind the machine's UART (the 8250 here, arm64's PL011): the ring and its
 * writer thread as --serial says; the UART's registers are the device's own. */
int serial_console_init(struct vm *vm);
void serial_console_exit(struct vm *vm);
/* One byte out, with s->lock held (a full ring counts it dropped). */
void serial_console_put(struct serial *s, uint8_t c);

/* Register access at offset 0-7 from PORT_COM1; size is always 1 for an 8250. */
void serial_pio(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write, uint8_t *data,
		unsigned size);

/* Snapshots and migration: the registers and the interrupt line (SERL section). Output not
 * yet written is not carried: the source writes it out. */
#define SERL_VERSION 1
struct state_out;
struct state_in;
void serial_state_save(struct serial *s, struct state_out *o);
/* The SERL section whose first record in_header() just read. 0 or -1 (in->why). */
int serial_state_load(struct serial *s, struct state_in *in);

#endif
