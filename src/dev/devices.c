// SPDX-License-Identifier: MIT
/* Dispatch to the machine's device table (arch_devices, in boot order). */
#include <string.h>

#include "dev/device.h"
#include "kvm/arch.h"
#include "log.h"
#include "vm.h"

int devices_init(struct vm *vm)
{
	for (size_t i = 0; arch_devices[i]; i++) {
		int r = arch_devices[i]->init ? arch_devices[i]->init(vm) : 0;
		if (r) {
			while (i--)
				if (arch_devices[i]->exit)
					arch_devices[i]->exit(vm);
			return r;
		}
	}
	return 0;
}

void devices_exit(struct vm *vm)
{
	size_t n = 0;
	while (arch_devices[n])
		n++;
	while (n--)
		if (arch_devices[n]->exit)
			arch_devices[n]->exit(vm);
}

void devices_reset(struct vm *vm)
{
	for (size_t i = 0; arch_devices[i]; i++)
		if (arch_devices[i]->reset)
			arch_devices[i]->reset(vm);
}

void devices_pio(struct vm *vm, struct vcpu *vcpu, uint16_t port, bool is_write, uint8_t *data,
		 unsigned size)
{
	for (size_t i = 0; arch_devices[i]; i++) {
		const struct device_ops *d = arch_devices[i];
		if (d->pio && port >= d->port && port - d->port < d->nports) {
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

bool devices_mmio(struct vm *vm, struct vcpu *vcpu, uint64_t gpa, bool is_write, uint8_t *data,
		  unsigned size)
{
	for (size_t i = 0; arch_devices[i]; i++) {
		const struct device_ops *d = arch_devices[i];
		if (d->mmio && gpa >= d->mmio_base && gpa - d->mmio_base < d->mmio_len) {
			d->mmio(vm, vcpu, gpa - d->mmio_base, is_write, data, size);
			return true;
		}
	}
	return false;
}
