// SPDX-License-Identifier: MIT
/* The power-off port: one byte, the guest's exit code, becomes rasvm's exit code.
 * The reset port (the FADT's RESET_REG): RESET_VALUE boots the guest again. */
#include "dev/device.h"
#include "rasvm/layout.h"
#include "vm.h"

static void power_pio(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write,
		      uint8_t *data, unsigned size)
{
	(void)offset;
	if (!is_write) {
		pio_fill(data, size, 0xff);
		return;
	}
	power_off_request(vm, vcpu, data[0]);
}

void power_off_request(struct vm *vm, struct vcpu *vcpu, unsigned code)
{
	if (code > GUEST_EXIT_MAX)
		vm_end(vm, VM_BAD_EXIT_CODE, 0,
		       "vcpu %u powered off with exit code %u; guest codes are 0-%u", vcpu->index, code,
		       GUEST_EXIT_MAX);
	else
		vm_end(vm, VM_POWER_OFF, (int)code, "guest powered off with exit code %u (vcpu %u)",
		       code, vcpu->index);
}

static void reset_pio(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write,
		      uint8_t *data, unsigned size)
{
	(void)offset;
	if (!is_write) {
		pio_fill(data, size, 0);
		return;
	}
	if (data[0] == RESET_VALUE)
		vm_reset(vm, VM_RESET_GUEST, "the guest asked for a reset (vcpu %u)", vcpu->index);
}

const struct device_ops reset_device = {
	.name = "reset",
	.port = PORT_RESET,
	.nports = 1,
	.pio = reset_pio,
};

const struct device_ops power_device = {
	.name = "power",
	.port = PORT_POWER,
	.nports = 1,
	.pio = power_pio,
};
