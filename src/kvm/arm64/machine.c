// SPDX-License-Identifier: MIT
/*
 * The arm64 machine (kvm/arch.h), QEMU's virt where they share a device: RAM at 1 GiB, an
 * in-kernel vGICv3, the architected timer, PSCI 0.2 from KVM (CPU_ON, SYSTEM_OFF and
 * SYSTEM_RESET, the last two back here as system events), a PL011 and rasvm's device page
 * (devices.c). Guests are arm64 Images (the test guest is one too), entered at EL1 with the
 * MMU off and x0 = the device tree, which hands over the EFI system table and memory map
 * through which Linux finds the ACPI tables (platform_arm64_build).
 */
#include "kvm/arm64/arm64.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dev/device.h"
#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "loader/arm64_image.h"
#include "log.h"
#include "platform_arm64.h"
#include "rasvm/layout_arm64.h"
#include "vm.h"

/* INTIDs the vGIC gets: the 32 private ones and 64 SPIs (the UART's and the GED's among them). */
#define GIC_NR_IRQS 96

const struct arch_machine arch_machine = {
	.name = "aarch64",
	.acpi_arch = ACPI_ARCH_ARM64,
	.error_region = LAYOUT_ARM64_ERROR_REGION,
	.error_region_end = LAYOUT_ARM64_ERROR_REGION_END,
	.ged_irq = IRQ_ARM64_GED,
	.console = "ttyAMA0",
};

/* Per run: what KVM prefers for vCPUs, whether it hands unsyndromed MMIO aborts back to us.
 * Per boot: the vGIC's device fd until it is initialised (closing it then keeps the device). */
static struct kvm_vcpu_init preferred;
static int gic_fd = -1;
static bool nisv_to_user;

int arm64_get_reg(int vcpu_fd, uint64_t id, uint64_t *value)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)value };
	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &r) < 0 ? -errno : 0;
}

int arm64_set_reg(int vcpu_fd, uint64_t id, uint64_t value)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&value };
	return ioctl(vcpu_fd, KVM_SET_ONE_REG, &r) < 0 ? -errno : 0;
}

int arm64_spi_line(struct vm *vm, unsigned intid, int level)
{
	struct kvm_irq_level irq = { .irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | intid,
				     .level = (uint32_t)level };
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

int arch_mem_layout(const struct config *cfg, struct guest_mem *m, uint8_t *hva)
{
	mem_layout_at(m, hva, cfg->memory, LAYOUT_ARM64_RAM);
	/* The GHES register page traps to rasvm (see ras/ghes.c): not RAM for KVM. */
	return cfg->ras.mask ? mem_punch(m, LAYOUT_ARM64_ERROR_REGION, 4096) : 0;
}

int arch_init(struct vm *vm)
{
	(void)vm;
	return 0;
}

void arch_exit(struct vm *vm)
{
	(void)vm;
	if (gic_fd >= 0)
		close(gic_fd);
	gic_fd = -1;
}

/* What the machine needs of KVM beyond the common set. */
static const struct {
	long cap;
	const char *name;
} machine_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel interrupt controller)" },
	{ KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL (the vGICv3 device)" },
	{ KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2 (PSCI from KVM)" },
	{ KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG" },
	{ KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS" },
	{ KVM_CAP_ARM_INJECT_EXT_DABT, "KVM_CAP_ARM_INJECT_EXT_DABT (the SEA of the sync GHES source)" },
};

static int gic_attr(uint32_t group, uint64_t attr, void *value, const char *what)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)value };

	if (ioctl(gic_fd, KVM_SET_DEVICE_ATTR, &a) == 0)
		return 0;
	int err = errno;
	log_err("vGICv3: %s failed: %s", what, strerror(err));
	return -err;
}

int arch_vm_create(struct vm *vm, int vm_fd)
{
	for (size_t i = 0; i < sizeof(machine_caps) / sizeof(machine_caps[0]); i++)
		if (kvm_require(vm->kvm_fd, machine_caps[i].cap, machine_caps[i].name))
			return -ENOTSUP;
	if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &preferred) < 0) {
		int err = errno;
		log_err("KVM_ARM_PREFERRED_TARGET failed: %s", strerror(err));
		return -err;
	}
	/* An MMIO access KVM cannot decode (no syndrome: a load pair, a writeback) comes back
	 * to rasvm, which answers with an external abort, as QEMU does, instead of KVM_RUN
	 * failing. Older KVMs without it end the run then. */
	struct kvm_enable_cap nisv = { .cap = KVM_CAP_ARM_NISV_TO_USER };
	nisv_to_user = kvm_check_extension(vm->kvm_fd, KVM_CAP_ARM_NISV_TO_USER) &&
		       ioctl(vm_fd, KVM_ENABLE_CAP, &nisv) == 0;
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) < 0) {
		int err = errno;
		log_err("creating the vGICv3 failed: %s%s", strerror(err),
			err == ENODEV ? " (this host's GIC cannot give guests a GICv3)" : "");
		return -err;
	}
	if (gic_fd >= 0)
		close(gic_fd);
	gic_fd = (int)cd.fd;
	uint64_t dist = LAYOUT_ARM64_GICD, redist = LAYOUT_ARM64_GICR;
	int r = gic_attr(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist, "distributor address");
	if (!r)
		r = gic_attr(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist,
			     "redistributor address");
	return r;
}

int arch_vcpu_init(struct vm *vm, struct vcpu *v)
{
	struct kvm_vcpu_init init = preferred;
	int r;

	/* PSCI 0.2 from KVM; vCPUs other than the boot one start off, until CPU_ON. */
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (v->index)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
		int err = errno;
		log_err("vcpu %u: KVM_ARM_VCPU_INIT failed: %s", v->index, strerror(err));
		return -err;
	}
	if (v->index)
		return 0;
	/* booting.rst: x0 = the device tree, x1-x3 = 0, at EL1 with every exception masked (KVM's
	 * reset PSTATE), MMU and data cache off. */
	if ((r = arm64_set_reg(v->fd, ARM64_REG_PC, vm->boot.entry)) ||
	    (r = arm64_set_reg(v->fd, ARM64_REG_X(0), vm->boot.boot_params_gpa)) ||
	    (r = arm64_set_reg(v->fd, ARM64_REG_X(1), 0)) || (r = arm64_set_reg(v->fd, ARM64_REG_X(2), 0)) ||
	    (r = arm64_set_reg(v->fd, ARM64_REG_X(3), 0))) {
		log_err("vcpu %u: setting the entry registers failed: %s", v->index, strerror(-r));
		return r;
	}
	return 0;
}

int arch_vcpus_created(struct vm *vm)
{
	uint32_t nr = GIC_NR_IRQS;
	int r = gic_attr(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr, "setting the number of interrupts");

	(void)vm;
	if (!r)
		r = gic_attr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "initialisation");
	/* The device stays with the VM; its fd would only keep the VM alive after a reset. */
	close(gic_fd);
	gic_fd = -1;
	return r;
}

/* Whether the command line asks Linux to leave ACPI alone (then the full device tree). */
static bool acpi_off(const char *cmdline)
{
	for (const char *p = cmdline; p && (p = strstr(p, "acpi=off")); p += 8)
		if ((p == cmdline || p[-1] == ' ') && (p[8] == '\0' || p[8] == ' '))
			return true;
	return false;
}

int arch_load_guest(struct vm *vm, struct loader_input *in, char *err, size_t errlen)
{
	const struct config *cfg = vm->cfg;
	static char args[ARM64_CMDLINE_MAX + 1];
	int r = arm64_image_load(in, &vm->mem, &vm->boot, err, errlen);

	if (r)
		return r;
	/* The embedded test guest learns its scenario and the resets before this boot from
	 * /chosen/bootargs, as Linux learns its command line. After a reset every guest is told
	 * how many there were: rasvm.resets=N at the end of the command line (Linux ignores a
	 * parameter of a module it does not have; /proc/cmdline shows it). */
	const char *bootargs = cfg->cmdline;
	if (!cfg->kernel) {
		snprintf(args, sizeof(args), "rasvm.scenario=%s rasvm.resets=%u", cfg->scenario, vm->resets);
		bootargs = args;
	} else if (vm->resets) {
		int n = snprintf(args, sizeof(args), "%s%srasvm.resets=%u", cfg->cmdline ? cfg->cmdline : "",
				 cfg->cmdline && *cfg->cmdline ? " " : "", vm->resets);
		if (n < 0 || (size_t)n >= sizeof(args)) {
			snprintf(err, errlen, "the command line with rasvm.resets=%u is longer than %u bytes",
				 vm->resets, ARM64_CMDLINE_MAX);
			return -ENOEXEC;
		}
		bootargs = args;
	}
	/* Linux gets the EFI stub's tree, holding only /chosen, and so uses ACPI (the HEST)
	 * without acpi=force; with acpi=off it gets the whole machine in the tree. */
	struct arm64_boot b = {
		.bootargs = bootargs,
		.initrd = { vm->boot.initrd_gpa, vm->boot.initrd_size },
		.stub_tree = cfg->kernel && !acpi_off(cfg->cmdline),
	};
	struct arm64_firmware fw;
	/* The firmware's area is rasvm's: zeroed on every boot (the GHES register page included,
	 * which only rasvm's host mapping reaches). */
	memset(vm->mem.hva, 0, ARM64_FIRMWARE_SIZE);
	r = platform_arm64_build(cfg, &b, vm->mem.hva, &fw);
	if (r) {
		snprintf(err, errlen, "building the firmware (ACPI, EFI, device tree) failed: %s", strerror(-r));
		return r == -ENOMEM ? r : -EINVAL;
	}
	return 0;
}

/* An MMIO access KVM had no syndrome for: rasvm cannot decode it either. As QEMU does, the
 * guest gets an external data abort for it (a device that does not answer). */
static void nisv(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	int r = arm64_inject_sea(v);

	log_warn_rl("vcpu %u: an MMIO access at 0x%llx that KVM cannot decode (esr_iss 0x%llx): %s",
		    v->index, (unsigned long long)run->arm_nisv.fault_ipa,
		    (unsigned long long)run->arm_nisv.esr_iss,
		    r ? "and the external abort for it failed" : "answered with an external abort");
	if (r)
		vm_end(v->vm, VM_KVM_ERROR, 0, "vcpu %u: cannot inject an external abort: %s", v->index,
		       strerror(-r));
}

bool arch_handle_exit(struct vcpu *v, bool *stop)
{
	struct kvm_run *run = v->run;

	*stop = false;
	switch (run->exit_reason) {
	case KVM_EXIT_SYSTEM_EVENT:
		/* PSCI SYSTEM_OFF and SYSTEM_RESET, handled by KVM, end the run here. */
		*stop = true;
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			vm_end(v->vm, VM_POWER_OFF, 0, "guest powered off (PSCI SYSTEM_OFF on vcpu %u)", v->index);
		else if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_reset(v->vm, VM_RESET_GUEST, "the guest asked for a reset (PSCI SYSTEM_RESET on vcpu %u)",
				 v->index);
		else if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH)
			vm_end(v->vm, VM_KVM_ERROR, 0, "guest crashed (PSCI SYSTEM_CRASH on vcpu %u)", v->index);
		else
			*stop = false; /* wake-up or suspend: nothing to do, carry on */
		return true;
	case KVM_EXIT_ARM_NISV:
		nisv(v);
		return true;
	default:
		return false;
	}
}

/* The instruction at the guest's pc - 4, where its MMU is off or maps 1:1 (the test guest). */
static bool insn_before(struct vcpu *v, uint64_t pc, uint32_t *insn)
{
	uint8_t b[4];

	if (pc < 4 || mem_read(&v->vm->mem, pc - 4, b, 4))
		return false;
	*insn = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return true;
}

int arch_vcpu_halted_masked(struct vcpu *v, bool *halted, uint64_t *pc)
{
	uint64_t pstate;
	uint32_t insn;
	int r;

	/* A WFI traps to KVM, which steps past it before blocking: a vCPU woken by the kick sits
	 * right after its WFI. With IRQs masked only an SError or a debug event could wake it. */
	if ((r = arm64_get_reg(v->fd, ARM64_REG_PC, pc)) || (r = arm64_get_reg(v->fd, ARM64_REG_PSTATE, &pstate)))
		return r;
	*halted = (pstate & PSTATE_I) && insn_before(v, *pc, &insn) && insn == ARM64_INSN_WFI;
	return 0;
}

bool arch_pc_gpa(struct vcpu *v, uint64_t *gpa)
{
	uint64_t pc, sctlr;

	/* KVM has no KVM_TRANSLATE on arm64: known only while the guest's MMU is off. */
	if (arm64_get_reg(v->fd, ARM64_REG_PC, &pc) || arm64_get_reg(v->fd, ARM64_REG_SCTLR_EL1, &sctlr) ||
	    (sctlr & SCTLR_M))
		return false;
	*gpa = pc;
	return true;
}

void arch_vcpu_describe(struct vcpu *v, char *buf, size_t len)
{
	uint64_t pc = 0, pstate = 0, sp = 0, esr = 0, far = 0;
	struct kvm_mp_state mp = { 0 };

	if (v->fd < 0 || arm64_get_reg(v->fd, ARM64_REG_PC, &pc) ||
	    arm64_get_reg(v->fd, ARM64_REG_PSTATE, &pstate)) {
		snprintf(buf, len, "state unknown");
		return;
	}
	arm64_get_reg(v->fd, ARM64_REG_SP_EL1, &sp);
	arm64_get_reg(v->fd, ARM64_REG_ESR_EL1, &esr);
	arm64_get_reg(v->fd, ARM64_REG_FAR_EL1, &far);
	ioctl(v->fd, KVM_GET_MP_STATE, &mp);
	snprintf(buf, len, "pc 0x%llx sp_el1 0x%llx pstate 0x%llx (EL%llu%c) esr_el1 0x%llx far_el1 0x%llx %s",
		 (unsigned long long)pc, (unsigned long long)sp, (unsigned long long)pstate,
		 (unsigned long long)((pstate >> 2) & 3), pstate & 1 ? 'h' : 't',
		 (unsigned long long)(esr & 0xffffffffULL), (unsigned long long)far,
		 mp.mp_state == KVM_MP_STATE_STOPPED ? "powered off" : "runnable");
}

/* QEMU's aarch64_cpu_dump_state with CPU_DUMP_FPU (target/arm/cpu.c), what "info registers"
 * prints for a KVM vCPU: no EL3, so no "NS". */
int arch_vcpu_dump(struct vcpu *v, char *out, size_t len)
{
	uint64_t x[31], pc, pstate, sp_el0, sp_el1;
	size_t at = 0;
	int r;

#define OUT(...) (at += (size_t)snprintf(out + (at < len ? at : len), at < len ? len - at : 0, __VA_ARGS__))
	if ((r = arm64_get_reg(v->fd, ARM64_REG_PC, &pc)) || (r = arm64_get_reg(v->fd, ARM64_REG_PSTATE, &pstate)) ||
	    (r = arm64_get_reg(v->fd, ARM64_REG_SP_EL0, &sp_el0)) || (r = arm64_get_reg(v->fd, ARM64_REG_SP_EL1, &sp_el1)))
		return r;
	for (unsigned i = 0; i < 31; i++)
		if ((r = arm64_get_reg(v->fd, ARM64_REG_X(i), &x[i])))
			return r;
	unsigned el = (unsigned)(pstate >> 2) & 3;
	OUT(" PC=%016llx ", (unsigned long long)pc);
	for (unsigned i = 0; i < 31; i++)
		OUT("X%02u=%016llx%s", i, (unsigned long long)x[i], (i + 2) % 3 ? " " : "\n");
	/* The SP of the current level: SP_EL0 in EL0 or with SPSel clear (the "t" modes). */
	OUT(" SP=%016llx\n", (unsigned long long)(el && (pstate & 1) ? sp_el1 : sp_el0));
	OUT("PSTATE=%08x %c%c%c%c EL%u%c\n", (uint32_t)pstate, pstate & (1u << 31) ? 'N' : '-',
	    pstate & (1u << 30) ? 'Z' : '-', pstate & (1u << 29) ? 'C' : '-', pstate & (1u << 28) ? 'V' : '-',
	    el, pstate & 1 ? 'h' : 't');
	uint32_t fpsr = 0, fpcr = 0;
	struct kvm_one_reg fr = { .id = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE |
					KVM_REG_ARM_CORE_REG(fp_regs.fpsr), .addr = (uintptr_t)&fpsr };
	ioctl(v->fd, KVM_GET_ONE_REG, &fr);
	fr.id = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(fp_regs.fpcr);
	fr.addr = (uintptr_t)&fpcr;
	ioctl(v->fd, KVM_GET_ONE_REG, &fr);
	OUT("     FPCR=%08x FPSR=%08x\n", fpcr, fpsr);
	for (unsigned i = 0; i < 32; i++) {
		uint64_t q[2] = { 0, 0 };
		struct kvm_one_reg vr = { .id = KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE |
						KVM_REG_ARM_CORE_REG(fp_regs.vregs[i]), .addr = (uintptr_t)q };
		ioctl(v->fd, KVM_GET_ONE_REG, &vr);
		OUT("Q%02u=%016llx:%016llx%s", i, (unsigned long long)q[1], (unsigned long long)q[0],
		    i & 1 ? "\n" : " ");
	}
#undef OUT
	return 0;
}

/* KVM_TRANSLATE is x86's; an arm64 host would have to walk the guest's tables itself. */
int arch_vcpu_translate(struct vcpu *v, uint64_t gva, uint64_t *gpa)
{
	(void)v, (void)gva, (void)gpa;
	return -ENOTSUP;
}
