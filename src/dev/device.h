/* SPDX-License-Identifier: MIT */
/*
 * Devices are an explicit table of ops listed in boot order (src/dev/devices.c), each
 * owning a range of I/O ports. No constructors and no hidden ordering.
 */
#ifndef RASVM_DEV_DEVICE_H
#define RASVM_DEV_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

struct device_ops {
	const char *name;
	uint16_t port;   /* first I/O port */
	uint16_t nports;
	/* Called in boot order before any vCPU runs; 0 or -errno. */
	int (*init)(struct vm *vm);
	/* Called in reverse order after every vCPU has stopped. */
	void (*exit)(struct vm *vm);
	/* One port access at port - ops->port; data holds size bytes, little-endian. */
	void (*pio)(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write, uint8_t *data,
		    unsigned size);
};

/* What a read of a register without a value returns. */
static inline void pio_fill(uint8_t *data, unsigned size, uint8_t value)
{
	for (unsigned i = 0; i < size; i++)
		data[i] = value;
}

/* Initialise every device in order; on failure undo the ones done. */
int devices_init(struct vm *vm);
void devices_exit(struct vm *vm);
/* Route a port access; unknown ports read as all ones and ignore writes. */
void devices_pio(struct vm *vm, struct vcpu *vcpu, uint16_t port, bool is_write, uint8_t *data,
		 unsigned size);

#endif
