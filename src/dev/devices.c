// SPDX-License-Identifier: MIT
/* The device table, in boot order. */
#include <string.h>

#include "dev/device.h"
#include "log.h"
#include "vm.h"

extern const struct device_ops serial_device;
extern const struct device_ops testport_device;
extern const struct device_ops power_device;
extern const struct device_ops reset_device;
extern const struct device_ops mark_device;

static const struct device_ops *const devices[] = {
	&serial_device,
	&testport_device,
	&power_device,
	&reset_device,
	&mark_device,
};
#define NDEVICES (sizeof(devices) / sizeof(devices[0]))

int devices_init(struct vm *vm)
{
	for (size_t i = 0; i < NDEVICES; i++) {
		int r = devices[i]->init ? devices[i]->init(vm) : 0;
		if (r) {
			while (i--)
				if (devices[i]->exit)
					devices[i]->exit(vm);
			return r;
		}
	}
	return 0;
}

void devices_exit(struct vm *vm)
{
	for (size_t i = NDEVICES; i--;)
		if (devices[i]->exit)
			devices[i]->exit(vm);
}

void devices_pio(struct vm *vm, struct vcpu *vcpu, uint16_t port, bool is_write, uint8_t *data,
		 unsigned size)
{
	for (size_t i = 0; i < NDEVICES; i++) {
		const struct device_ops *d = devices[i];
		if (port >= d->port && port - d->port < d->nports) {
			d->pio(vm, vcpu, (uint16_t)(port - d->port), is_write, data, size);
			return;
		}
	}
	/* Nothing decodes this port: reads float high, as on an ISA bus. */
	if (!is_write)
		pio_fill(data, size, 0xff);
	log_debug_rl("vcpu %u: %s of unclaimed port 0x%x ignored", vcpu->index,
		  is_write ? "write" : "read", port);
}
