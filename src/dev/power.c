// SPDX-License-Identifier: MIT
/* The power-off port: one byte, the guest's exit code, becomes rasvm's exit code.
 * The reset port (the FADT's RESET_REG): RESET_VALUE boots the guest again.
 * The sleep control and status registers (the FADT's, for hardware-reduced ACPI): SLP_EN with
 * \_S5's SLP_TYP powers off, as Linux's acpi_power_off() does it; exit code 0. */
#include "acpi/spec.h"
#include "dev/device.h"
#include "log.h"
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

static void sleep_pio(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write,
		      uint8_t *data, unsigned size)
{
	if (!is_write) {
		/* Status: no wake event ever (WAK_STS clear); control reads back 0. */
		pio_fill(data, size, 0);
		return;
	}
	if (offset != 0 || !(data[0] & SLEEP_CONTROL_SLP_EN))
		return; /* a write-one-to-clear of WAK_STS, or no sleep asked */
	unsigned type = (data[0] & SLEEP_CONTROL_SLP_TYP_MASK) >> SLEEP_CONTROL_SLP_TYP_SHIFT;
	if (type == S5_SLEEP_TYPE)
		vm_end(vm, VM_POWER_OFF, 0, "guest powered off through ACPI S5 (vcpu %u)", vcpu->index);
	else
		log_warn_rl("vcpu %u: the guest asked for sleep type %u; only S5 (%u) is offered", vcpu->index,
			    type, S5_SLEEP_TYPE);
}

const struct device_ops sleep_device = {
	.name = "sleep",
	.port = PORT_SLEEP_CONTROL,
	.nports = 2,
	.pio = sleep_pio,
};

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
