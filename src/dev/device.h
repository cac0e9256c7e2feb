/* SPDX-License-Identifier: MIT */
/*
 * Devices are an explicit table of ops listed in boot order (arch_devices, in the machine's
 * arch code), each owning a range of I/O ports (x86) or of MMIO. No constructors and no
 * hidden ordering.
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
	uint64_t mmio_base; /* first guest physical address of its MMIO range */
	uint64_t mmio_len;  /* 0: none */
	/* Called in boot order before any vCPU runs; 0 or -errno. */
	int (*init)(struct vm *vm);
	/* Called in reverse order after every vCPU has stopped. */
	void (*exit)(struct vm *vm);
	/* At every boot, before the vCPUs start: registers as after power-on. */
	void (*reset)(struct vm *vm);
	/* One port access at port - ops->port; data holds size bytes, little-endian. */
	void (*pio)(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write, uint8_t *data,
		    unsigned size);
	/* One MMIO access at gpa - mmio_base (size 1-8); data little-endian. */
	void (*mmio)(struct vm *vm, struct vcpu *vcpu, uint64_t offset, bool is_write, uint8_t *data,
		     unsigned size);
};

/* What a read of a register without a value returns. */
static inline void pio_fill(uint8_t *data, unsigned size, uint8_t value)
{
	for (unsigned i = 0; i < size; i++)
		data[i] = value;
}

/* The test protocol (testport.c): the guest handed over the GPA of a UCALL_SIZE-byte block
 * (x86: PORT_TEST, arm64: ARM64_DEV_TEST). */
void testport_call(struct vm *vm, struct vcpu *vcpu, uint64_t gpa);
/* The guest's power-off with its exit code (power.c). */
void power_off_request(struct vm *vm, struct vcpu *vcpu, unsigned code);

/* Initialise every device in order; on failure undo the ones done. */
int devices_init(struct vm *vm);
void devices_exit(struct vm *vm);
/* Every device's reset, at each boot. */
void devices_reset(struct vm *vm);
/* Route an MMIO access; false when no device claims gpa. */
bool devices_mmio(struct vm *vm, struct vcpu *vcpu, uint64_t gpa, bool is_write, uint8_t *data,
		  unsigned size);
/* Route a port access; unknown ports read as all ones and ignore writes. */
void devices_pio(struct vm *vm, struct vcpu *vcpu, uint16_t port, bool is_write, uint8_t *data,
		 unsigned size);

#endif
