// SPDX-License-Identifier: MIT
/* The mark port: the test guest's NMI and #MC handlers write it first thing, so rasvm can
 * time a host memory error from its SIGBUS to the guest's handler (make bench). */
#include "dev/device.h"
#include "ras/ras.h"
#include "rasvm/layout.h"
#include "vm.h"

static void mark_pio(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write,
		     uint8_t *data, unsigned size)
{
	uint64_t t = now_ns();

	(void)vcpu;
	(void)offset;
	if (!is_write) {
		pio_fill(data, size, 0xff);
		return;
	}
	if (vm->ras)
		ras_mark(vm, t);
}

const struct device_ops mark_device = {
	.name = "mark",
	.port = PORT_MARK,
	.nports = 1,
	.pio = mark_pio,
};
