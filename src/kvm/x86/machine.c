// SPDX-License-Identifier: MIT
/*
 * The x86 machine (kvm/arch.h): the in-kernel PIC/IOAPIC/LAPIC and PIT, ACPI tables at
 * LAYOUT_ACPI_BASE, the MP table at LAYOUT_MP_CONFIG and LAYOUT_EBDA, the loader's boot
 * protocols, port I/O exits, and the devices on ports.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bootinfo.h"
#include "dev/device.h"
#include "kvm/arch.h"
#include "kvm/kvm.h"
#include "kvm/x86/cpu.h"
#include "kvm/x86/insn.h"
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

int arch_vm_create(struct vm *vm, int vm_fd)
{
	for (size_t i = 0; i < sizeof(machine_caps) / sizeof(machine_caps[0]); i++)
		if (kvm_require(vm->kvm_fd, machine_caps[i].cap, machine_caps[i].name))
			return -ENOTSUP;
	/* Intel VMX needs these pages for real-mode emulation; they sit in the MMIO hole. */
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	const char *what = NULL;
	if (ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		what = "KVM_SET_IDENTITY_MAP_ADDR";
	else if (ioctl(vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0)
		what = "KVM_SET_TSS_ADDR";
	else if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		what = "KVM_CREATE_IRQCHIP";
	else if (ioctl(vm_fd, KVM_CREATE_PIT2, &(struct kvm_pit_config){ .flags = 0 }) < 0)
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
	if ((r = platform_write_mptable(cfg, &vm->mem))) {
		snprintf(err, errlen, "building the MP table failed: %s", strerror(-r));
		return r == -ENOSPC ? -EINVAL : r;
	}
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

/* ---- Instructions KVM could not emulate at CPL0, completed here (kvm/x86/insn.h) ---- */

#define SDM_VECTOR_BP 3  /* SDM Vol. 3A 6.15: breakpoint, a trap */
#define SDM_VECTOR_MF 16 /* x87 floating-point error, a fault */
#define FSW_ES (1u << 7) /* x87 status word: an unmasked exception is pending (error summary) */
#define RFLAGS_ARITH 0x8d5ULL /* CF PF AF ZF SF OF */
#define RFLAGS_ZF (1ULL << 6)

/* Completed per kind, for -v. One VM per process, so process-wide counters. */
static _Atomic uint64_t completed[INSN_COUNT];

/* Guest linear memory, through the vCPU's page tables (KVM_TRANSLATE) page by page. */
static int read_linear(struct vcpu *v, uint64_t la, void *dst, size_t len)
{
	uint8_t *d = dst;

	while (len) {
		struct kvm_translation tr = { .linear_address = la };
		size_t chunk = 4096 - (la & 4095);
		if (chunk > len)
			chunk = len;
		if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
			return -EFAULT;
		int r = mem_read(&v->vm->mem, tr.physical_address, d, chunk);
		if (r)
			return r;
		la += chunk, d += chunk, len -= chunk;
	}
	return 0;
}

static __u64 *reg_ptr(struct kvm_regs *r, int n)
{
	__u64 *const regs[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi,
				     &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
				     &r->r14, &r->r15 };
	return regs[n & 15];
}

static int operand_read(struct vcpu *v, const struct kvm_regs *regs, const struct kvm_sregs *sregs,
			const struct insn *in, uint64_t *val)
{
	const struct insn_operand *o = &in->rm;
	uint64_t mask = in->opsize == 8 ? ~0ULL : (1ULL << (8 * in->opsize)) - 1;

	if (!o->is_mem) {
		*val = *reg_ptr((struct kvm_regs *)regs, o->reg) & mask;
		return 0;
	}
	uint64_t la = (uint64_t)o->disp;
	if (o->rip_relative)
		la += regs->rip + in->len;
	if (o->base >= 0)
		la += *reg_ptr((struct kvm_regs *)regs, o->base);
	if (o->index >= 0)
		la += *reg_ptr((struct kvm_regs *)regs, o->index) * o->scale;
	if (o->seg == 4)
		la += sregs->fs.base;
	else if (o->seg == 5)
		la += sregs->gs.base;
	*val = 0;
	return read_linear(v, la, val, in->opsize);
}

/* An exception for the guest, as an event KVM delivers on the next entry. */
static int inject_exception(struct vcpu *v, unsigned vector)
{
	struct kvm_vcpu_events ev;

	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	ev.exception.injected = 1;
	ev.exception.nr = (uint8_t)vector;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.flags = 0;
	return ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0 ? -errno : 0;
}

/* The instruction's bytes: from KVM when it gives them, else from guest memory. */
static size_t fetch(struct vcpu *v, uint64_t rip, uint8_t *b)
{
	const struct kvm_run *run = v->run;

	if (run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) &&
	    run->emulation_failure.insn_size) {
		size_t n = run->emulation_failure.insn_size < 15 ? run->emulation_failure.insn_size : 15;
		memcpy(b, run->emulation_failure.insn_bytes, n);
		return n;
	}
	/* Up to 15 bytes, but not into a page that cannot be read (the end of a mapping). */
	size_t n = 15;
	while (n && read_linear(v, rip, b, n))
		n = n > 4096 - (rip & 4095) ? 4096 - (rip & 4095) : 0;
	return n;
}

/* An emulation failure: INT3, FWAIT or POPCNT at CPL0 are done here; true when done. */
static bool complete_insn(struct vcpu *v)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint8_t b[15];
	struct insn in;
	uint64_t src;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return false;
	/* Guest user code runs natively: only kernel code can stop here for these. */
	if ((sregs.cs.selector & 3) || !(sregs.efer & (1 << 10)) || !sregs.cs.l)
		return false;
	size_t n = fetch(v, regs.rip, b);
	if (!n || insn_decode(b, n, &in))
		return false;
	switch (in.kind) {
	case INSN_INT3:
		/* A trap: the handler sees the address after the INT3 (Linux's int3_selftest()
		 * checks exactly that). */
		regs.rip += in.len;
		if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0 || inject_exception(v, SDM_VECTOR_BP))
			return false;
		break;
	case INSN_FWAIT: {
		struct kvm_fpu fpu;
		if (ioctl(v->fd, KVM_GET_FPU, &fpu) < 0)
			return false;
		if (fpu.fsw & FSW_ES) {
			if (inject_exception(v, SDM_VECTOR_MF))
				return false;
			break;
		}
		regs.rip += in.len;
		if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
			return false;
		break;
	}
	case INSN_POPCNT: {
		if (operand_read(v, &regs, &sregs, &in, &src))
			return false;
		__u64 *dst = reg_ptr(&regs, in.reg);
		uint64_t count = (uint64_t)__builtin_popcountll(src);
		/* SDM POPCNT: ZF when the source is 0, CF OF SF AF PF cleared; a 32-bit result
		 * zero-extends, a 16-bit one keeps the upper bits. */
		*dst = in.opsize == 2 ? (*dst & ~0xffffULL) | count : count;
		regs.rflags = (regs.rflags & ~RFLAGS_ARITH) | (src ? 0 : RFLAGS_ZF);
		regs.rip += in.len;
		if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
			return false;
		break;
	}
	default:
		return false;
	}
	if (atomic_fetch_add(&completed[in.kind], 1) == 0)
		log_debug("vcpu %u: %s at rip 0x%llx completed by rasvm (KVM here cannot emulate it)",
			  v->index, insn_name(in.kind), (unsigned long long)regs.rip);
	return true;
}

void x86_insn_report(void)
{
	for (unsigned k = INSN_UNKNOWN + 1; k < INSN_COUNT; k++)
		if (atomic_load(&completed[k]))
			log_debug("CPU: %llu %s instruction(s) completed by rasvm",
				  (unsigned long long)atomic_load(&completed[k]), insn_name(k));
}

bool arch_handle_exit(struct vcpu *v, bool *stop)
{
	*stop = false;
	switch (v->run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_INTERNAL_ERROR:
		return v->run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && complete_insn(v);
	default:
		return false;
	}
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

extern const struct device_ops serial_device, testport_device, power_device, reset_device,
	sleep_device, mark_device;

const struct device_ops *const arch_devices[] = {
	&serial_device, &testport_device, &power_device, &reset_device, &sleep_device, &mark_device, NULL,
};
