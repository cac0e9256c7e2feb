// SPDX-License-Identifier: MIT
/*
 * The x86 machine (kvm/arch.h): the in-kernel PIC/IOAPIC/LAPIC and PIT, ACPI tables at
 * LAYOUT_ACPI_BASE, the loader's boot protocols, port I/O exits, and the devices on ports.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bootinfo.h"
#include "dev/device.h"
#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "kvm/x86/cpu.h"
#include "loader/loader.h"
#include "log.h"
#include "platform.h"
#include "rasvm/layout.h"
#include "vm.h"

#define RFLAGS_IF (1ULL << 9) /* SDM Vol. 1 3.4.3 */

/* What the x86 machine needs of KVM beyond the common set. */
static const struct {
	long cap;
	const char *name;
} machine_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel interrupt controllers)" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2 (in-kernel PIT)" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_MCE, "KVM_CAP_MCE (machine-check banks)" },
};

const struct arch_machine arch_machine = {
	.name = "x86_64",
	.acpi_arch = ACPI_ARCH_X86,
	.error_region = LAYOUT_ERROR_REGION,
	.error_region_end = LAYOUT_ERROR_REGION_END,
	.ged_irq = IRQ_GED,
	.console = "ttyS0",
};

int arch_mem_layout(const struct config *cfg, struct guest_mem *m, uint8_t *hva)
{
	mem_layout(m, hva, cfg->memory);
	/* The GHES register page traps to rasvm (see ras/ghes.c): not RAM for KVM. */
	return cfg->ras.mask ? mem_punch(m, LAYOUT_ERROR_REGION, 4096) : 0;
}

int arch_vm_create(struct vm *vm)
{
	for (size_t i = 0; i < sizeof(machine_caps) / sizeof(machine_caps[0]); i++)
		if (kvm_require(vm->kvm_fd, machine_caps[i].cap, machine_caps[i].name))
			return -ENOTSUP;
	/* Intel VMX needs these pages for real-mode emulation; they sit in the MMIO hole. */
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	const char *what = NULL;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		what = "KVM_SET_IDENTITY_MAP_ADDR";
	else if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0)
		what = "KVM_SET_TSS_ADDR";
	else if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		what = "KVM_CREATE_IRQCHIP";
	else if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &(struct kvm_pit_config){ .flags = 0 }) < 0)
		what = "KVM_CREATE_PIT2";
	if (!what)
		return 0;
	int err = errno;
	log_err("%s failed: %s", what, strerror(err));
	return -err;
}

int arch_vcpus_created(struct vm *vm)
{
	/* The test guest checks every vCPU's MCG_CAP against what KVM really gave vCPU 0. */
	return bootinfo_set_mcg_cap(&vm->mem, atomic_load(&vm->mcg_cap));
}

int arch_load_guest(struct vm *vm, struct loader_input *in, char *err, size_t errlen)
{
	const struct config *cfg = vm->cfg;
	uint8_t *area = mem_gpa_to_hva(&vm->mem, LAYOUT_ACPI_BASE, LAYOUT_ACPI_END - LAYOUT_ACPI_BASE);
	struct acpi_tables t;
	int r = platform_build_acpi(cfg, area, &t);

	if (r) {
		snprintf(err, errlen, "building the ACPI tables failed: %s", strerror(-r));
		return r == -ENOEXEC ? -EINVAL : r;
	}
	in->rsdp = LAYOUT_ACPI_BASE + t.rsdp_off;
	if ((r = loader_load(in, &vm->mem, &vm->boot, err, errlen)))
		return r;
	x86_write_boot_tables(&vm->mem);
	if ((r = bootinfo_write(&vm->mem, vm->ncpus, cfg->scenario, in->rsdp, vm->resets))) {
		snprintf(err, errlen, "the boot-info page does not fit");
		return r == -ENOEXEC ? -EINVAL : r;
	}
	return 0;
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* KVM bounds data_offset and size to the kvm_run page; string I/O repeats count times. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		devices_pio(v->vm, v, run->io.port, is_write, data, run->io.size);
}

bool arch_handle_exit(struct vcpu *v, bool *stop)
{
	*stop = false;
	if (v->run->exit_reason != KVM_EXIT_IO)
		return false;
	handle_io(v);
	return true;
}

int arch_vcpu_halted_masked(struct vcpu *v, bool *halted, uint64_t *pc)
{
	struct kvm_mp_state mp;
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0 || ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return -errno;
	*halted = mp.mp_state == KVM_MP_STATE_HALTED && !(regs.rflags & RFLAGS_IF);
	*pc = regs.rip;
	return 0;
}

bool arch_pc_gpa(struct vcpu *v, uint64_t *gpa)
{
	struct kvm_regs regs;
	struct kvm_translation tr;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return false;
	tr = (struct kvm_translation){ .linear_address = regs.rip };
	if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return false;
	*gpa = tr.physical_address;
	return true;
}

void arch_vcpu_describe(struct vcpu *v, char *buf, size_t len)
{
	static const char *const states[] = { "runnable", "uninitialized", "init-received",
					      "halted", "sipi-received", "stopped",
					      "check-stop", "operating", "load" };
	struct kvm_regs regs;
	struct kvm_mp_state mp;

	if (v->fd < 0 || ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0) {
		snprintf(buf, len, "state unknown");
		return;
	}
	snprintf(buf, len, "rip 0x%llx rsp 0x%llx rflags 0x%llx %s", (unsigned long long)regs.rip,
		 (unsigned long long)regs.rsp, (unsigned long long)regs.rflags,
		 mp.mp_state < sizeof(states) / sizeof(states[0]) ? states[mp.mp_state] : "?");
}

extern const struct device_ops serial_device, testport_device, power_device, reset_device, mark_device;

const struct device_ops *const arch_devices[] = {
	&serial_device, &testport_device, &power_device, &reset_device, &mark_device, NULL,
};
