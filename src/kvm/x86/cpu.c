// SPDX-License-Identifier: MIT
#include "kvm/x86/cpu.h"

#include "kvm/arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/kvm.h"
#include "kvm/x86/probe.h"
#include "le.h"
#include "log.h"
#include "rasvm/layout.h"
#include "vm.h"

/* Intel SDM Vol. 3A 2.5 control registers and 2.2.1 EFER */
#define CR0_PE (1ULL << 0)
#define CR0_MP (1ULL << 1)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define CR4_OSFXSR (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

/* Intel SDM Vol. 3A 4.5 paging entries */
#define PTE_P  (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7) /* 2 MiB page in a PD entry */

/* Intel SDM Vol. 3A 10.5.1 local vector table: LINT0 ExtINT, LINT1 NMI (virtual wire) */
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI    (4u << 8)
#define APIC_MODE_EXTINT (7u << 8)

#define RFLAGS_RESERVED_1 0x2 /* bit 1 is always set */

/* Segment descriptors (SDM Vol. 3A 3.4.5), base 0, limit 4 GiB, DPL 0, present:
 * code64 L=1, execute/read; code32 D=1, execute/read; data D/B=1, read/write. */
#define DESC_CODE64 0x00af9b000000ffffULL
#define DESC_CODE32 0x00cf9b000000ffffULL
#define DESC_DATA   0x00cf93000000ffffULL
#define TSS_BUSY_32 0xb /* TR type: busy 32-bit TSS (SDM Vol. 3A 3.5, Table 3-2) */

#define CPUID_MAX_ENTRIES 256

void x86_write_boot_tables(struct guest_mem *mem)
{
	uint8_t *gdt = mem_gpa_to_hva(mem, LAYOUT_BOOT_GDT, 24);
	uint8_t *linux_gdt = mem_gpa_to_hva(mem, LAYOUT_LINUX_GDT, 32);
	uint8_t *pml4 = mem_gpa_to_hva(mem, LAYOUT_BOOT_PML4, 4096);
	uint8_t *pdpt = mem_gpa_to_hva(mem, LAYOUT_BOOT_PDPT, 4096);
	uint8_t *pd = mem_gpa_to_hva(mem, LAYOUT_BOOT_PD, 4 * 4096);

	/* Descriptors (SDM Vol. 3A 3.4.5): null; code: L=1, P, DPL0, type execute/read;
	 * data: G, D/B, P, DPL0, type read/write. */
	le_put(gdt + 0, 0, 8);
	le_put(gdt + ENTRY_SEL_CODE, DESC_CODE64, 8);
	le_put(gdt + ENTRY_SEL_DATA, DESC_DATA, 8);
	/* Linux: __BOOT_CS and __BOOT_DS where boot.rst's 64-bit protocol wants them, and a
	 * 32-bit code segment for the PVH entry. */
	le_put(linux_gdt + 0, 0, 8);
	le_put(linux_gdt + LINUX_SEL_CODE32, DESC_CODE32, 8);
	le_put(linux_gdt + LINUX_SEL_BOOT_CS, DESC_CODE64, 8);
	le_put(linux_gdt + LINUX_SEL_BOOT_DS, DESC_DATA, 8);

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	le_put(pml4, LAYOUT_BOOT_PDPT | PTE_P | PTE_RW, 8);
	for (uint64_t g = 0; g < 4; g++) {
		le_put(pdpt + 8 * g, (LAYOUT_BOOT_PD + g * 4096) | PTE_P | PTE_RW, 8);
		for (uint64_t i = 0; i < 512; i++)
			le_put(pd + g * 4096 + 8 * i, ((g << 30) + (i << 21)) | PTE_P | PTE_RW | PTE_PS, 8);
	}
}

/* AMD APM Vol. 3 E.4.7, CPUID Fn8000_0007 EBX "RAS capabilities": McaOverflowRecov (bit 0)
 * and SUCCOR (bit 1), software uncorrectable error containment and recovery. Linux's
 * mce_severity_amd() panics on every uncorrected machine check without SUCCOR ("Uncorrected
 * error without MCA Recovery"), and KVM offers neither bit; rasvm raises a machine check only
 * for the page the guest consumed, with its address, which is what SUCCOR promises, so an
 * AMD guest is told it may recover. */
#define CPUID_80000007_EBX_OVERFLOW_RECOV (1u << 0)
#define CPUID_80000007_EBX_SUCCOR         (1u << 1)

static void amd_mca_recovery(struct kvm_cpuid2 *c)
{
	bool amd = false;

	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0)
			amd = c->entries[i].ebx == 0x68747541 /* "Auth" */ || c->entries[i].ebx == 0x6f677948 /* "Hygo" */;
	for (unsigned i = 0; amd && i < c->nent; i++)
		if (c->entries[i].function == 0x80000007)
			c->entries[i].ebx |= CPUID_80000007_EBX_OVERFLOW_RECOV | CPUID_80000007_EBX_SUCCOR;
}

/* Run the CPL0 probe on the guest's CPUID table and say what it changed (-v). */
static void cpu_probe_log(int kvm_fd, struct kvm_cpuid2 *c, bool smp)
{
	struct cpu_probe p;
	char what[1024];
	int r = cpu_probe_run(kvm_fd, c, smp, &p);

	if (r) {
		log_warn("cannot probe what KVM runs at guest CPL0 (%s): the guest gets every CPUID feature KVM offers",
			 strerror(-r));
		return;
	}
	log_debug("CPU: %u probed feature(s) run at guest CPL0 here (probe %.1f ms)", p.kept, p.ms);
	if (p.hidden) {
		cpu_probe_describe(&p, PROBE_HIDDEN, what, sizeof(what));
		log_debug("CPU: hidden from the guest, as KVM here cannot run them at CPL0: %s", what);
	}
	if (p.cut) {
		cpu_probe_describe(&p, PROBE_LEAF_CUT, what, sizeof(what));
		log_debug("CPU: highest basic CPUID leaf 0x%x instead of 0x%x, as KVM here shows the host's bits of higher leaves whatever rasvm sets, and cannot run: %s",
			  p.max_leaf, p.max_leaf_was, what);
	}
	if (p.completed) {
		cpu_probe_describe(&p, PROBE_COMPLETED, what, sizeof(what));
		log_debug("CPU: completed by rasvm when KVM stops on them at CPL0: %s", what);
	}
	if (p.exposed) {
		cpu_probe_describe(&p, PROBE_EXPOSED, what, sizeof(what));
		log_warn("CPU: the guest sees these and KVM here cannot run them at CPL0 (nor can rasvm hide them): a guest kernel using them stops: %s",
			 what);
	}
}

int arch_init(struct vm *vm)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));

	if (!c)
		return -ENOMEM;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int err = errno;
		log_err("KVM_GET_SUPPORTED_CPUID failed: %s", strerror(err));
		free(c);
		return -err;
	}
	vm->cpuid = c;
	/* What this host's KVM cannot run at guest CPL0 is not offered (kvm/x86/probe.h). The
	 * embedded test guest uses none of it, so only other kernels pay for the probe. */
	if (vm->cfg->kernel)
		cpu_probe_log(vm->kvm_fd, c, vm->ncpus > 1);
	amd_mca_recovery(c);

	uint64_t supported = 0;
	if (ioctl(vm->kvm_fd, KVM_X86_GET_MCE_CAP_SUPPORTED, &supported) < 0) {
		int err = errno;
		log_err("KVM_X86_GET_MCE_CAP_SUPPORTED failed: %s", strerror(err));
		return -err;
	}
	/* The bank count comes from KVM_CAP_MCE, not from the supported MCG_CAP bits. */
	unsigned banks = (unsigned)kvm_check_extension(vm->kvm_fd, KVM_CAP_MCE);
	if (banks > RASVM_MCE_BANKS)
		banks = RASVM_MCE_BANKS;
	/* Keep only what KVM can emulate; without SER_P a guest cannot recover, so say so.
	 * LMCE_P: KVM offers it on Intel hosts only; a guest that enables it gets action-
	 * required errors on the CPU that hit them alone, without the broadcast. */
	atomic_store(&vm->mcg_cap, banks | (supported & (MCG_CTL_P | MCG_SER_P | MCG_LMCE_P)));
	return 0;
}

void arch_exit(struct vm *vm)
{
	x86_insn_report();
	free(vm->cpuid);
	vm->cpuid = NULL;
}

static uint32_t pow2(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

static int set_cpuid(struct vm *vm, struct vcpu *vcpu)
{
	size_t size = sizeof(*vm->cpuid) + vm->cpuid->nent * sizeof(vm->cpuid->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);

	if (!c)
		return -ENOMEM;
	memcpy(c, vm->cpuid, size);
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* Initial APIC id in EBX[31:24]; one package of ncpus cores: the APIC ids
			 * it spans in EBX[23:16] (a power of two), HTT in EDX[28]. MCE and MCA stay
			 * as KVM reports them. */
			e->ebx = (e->ebx & 0x0000ffffu) | (vcpu->index << 24) | (pow2(vm->ncpus) << 16);
			if (vm->ncpus > 1)
				e->edx |= CPUID_1_EDX_HTT; /* with 1, Linux says "Hyper-Threading is disabled" */
			else
				e->edx &= ~CPUID_1_EDX_HTT;
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			break;
		case 4:
			/* Deterministic cache parameters, EAX[31:26]: cores per package - 1. */
			e->eax = (e->eax & 0x03ffffffu) | ((pow2(vm->ncpus) - 1) << 26);
			break;
		case 0xb:
		case 0x1f:
			e->edx = vcpu->index; /* x2APIC id */
			break;
		default:
			break;
		}
	}
	int r = ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return r;
}

static int set_lapic(struct vcpu *vcpu)
{
	struct kvm_lapic_state l;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	uint32_t lint0 = APIC_MODE_EXTINT, lint1 = APIC_MODE_NMI;
	memcpy(&l.regs[APIC_LVT_LINT0], &lint0, 4);
	memcpy(&l.regs[APIC_LVT_LINT1], &lint1, 4);
	return ioctl(vcpu->fd, KVM_SET_LAPIC, &l) < 0 ? -errno : 0;
}

/* A flat segment: code64 (L=1), code32 (D=1) or data. */
static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code, bool longmode)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1,
		.dpl = 0, .db = code && longmode ? 0 : 1, .s = 1, .l = code && longmode, .g = 1,
	};
}

/* The registers vm->boot asks for: 64-bit mode (rasvm guests, Linux's 64-bit boot protocol)
 * or 32-bit protected mode without paging (PVH). */
static int set_entry_state(struct vm *vm, struct vcpu *vcpu)
{
	const struct boot_plan *b = &vm->boot;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = b->entry, .rflags = RFLAGS_RESERVED_1 };

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.idt.base = 0;
	sregs.idt.limit = 0; /* the guest installs its own IDT first thing */
	if (b->mode == ENTRY_LINUX_PVH32) {
		/* arch/x86/platform/pvh/head.S: CR0.PE only, CR4 clear, flat 32-bit CS, DS, ES,
		 * a 32-bit TSS (base 0, limit 0x67), interrupts off, EBX = hvm_start_info. */
		set_seg(&sregs.cs, LINUX_SEL_CODE32, 0xb, true, false);
		set_seg(&sregs.ds, LINUX_SEL_BOOT_DS, 0x3, false, false);
		sregs.tr = (struct kvm_segment){ .limit = 0x67, .type = TSS_BUSY_32, .present = 1 };
		sregs.gdt.base = LAYOUT_LINUX_GDT;
		sregs.gdt.limit = 4 * 8 - 1;
		sregs.cr0 = CR0_PE | CR0_ET;
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.efer = 0;
		regs.rbx = b->boot_params_gpa;
	} else {
		bool linux = b->mode == ENTRY_LINUX_64;
		/* boot.rst "64-bit Boot Protocol": CS = __BOOT_CS, DS = ES = SS = __BOOT_DS,
		 * RSI = boot_params, the kernel, zero page and command line identity-mapped. */
		set_seg(&sregs.cs, linux ? LINUX_SEL_BOOT_CS : ENTRY_SEL_CODE, 0xb, true, true);
		set_seg(&sregs.ds, linux ? LINUX_SEL_BOOT_DS : ENTRY_SEL_DATA, 0x3, false, true);
		sregs.gdt.base = linux ? LAYOUT_LINUX_GDT : LAYOUT_BOOT_GDT;
		sregs.gdt.limit = (linux ? 4 : 3) * 8 - 1;
		sregs.cr3 = LAYOUT_BOOT_PML4;
		sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
		sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
		sregs.efer = EFER_LME | EFER_LMA;
		regs.rdi = linux ? 0 : vcpu->index;
		regs.rsi = b->boot_params_gpa;
	}
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;

	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 }; /* power-on values, SDM 9.1.1 */
	return ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}

/* The banks, then what the guest will really read: KVM keeps only the MCG_CAP bits it
 * emulates for this CPU (SVM clears SER_P, whatever KVM_X86_GET_MCE_CAP_SUPPORTED said), and
 * encodings, policy and the test guest follow what it really got. */
static int setup_mce(struct vm *vm, struct vcpu *vcpu)
{
	uint64_t want = atomic_load(&vm->mcg_cap);
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_MCG_CAP };

	if (ioctl(vcpu->fd, KVM_X86_SETUP_MCE, &want) < 0)
		return -errno;
	if (ioctl(vcpu->fd, KVM_GET_MSRS, &m) != 1)
		return -EIO;
	if (vcpu->index == 0 && m.e.data != want) {
		atomic_store(&vm->mcg_cap, m.e.data);
		if (!vm->resets)
			log_info("KVM gives the guest MCG_CAP 0x%llx, not the 0x%llx asked for%s",
				 (unsigned long long)m.e.data, (unsigned long long)want,
				 (want & ~m.e.data & MCG_SER_P)
					 ? ": no SER_P, so an Intel-style guest treats every uncorrected machine check as fatal"
					 : "");
	}
	return 0;
}

/* Firmware's part of local machine checks (SDM 16.3.1.5): allow them and lock the MSR,
 * as a BIOS does, so the guest can turn them on in IA32_MCG_EXT_CTL. */
static int set_feature_control(struct vm *vm, struct vcpu *vcpu)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1,
		.e = { .index = MSR_IA32_FEATURE_CONTROL,
		       .data = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_LMCE_ON } };

	if (!(atomic_load(&vm->mcg_cap) & MCG_LMCE_P))
		return 0;
	return ioctl(vcpu->fd, KVM_SET_MSRS, &m) == 1 ? 0 : -EINVAL;
}

int arch_vcpu_init(struct vm *vm, struct vcpu *vcpu)
{
	const char *what;
	int r;

	if ((r = set_cpuid(vm, vcpu))) {
		what = "KVM_SET_CPUID2";
	} else if ((r = setup_mce(vm, vcpu))) {
		what = "KVM_X86_SETUP_MCE";
	} else if ((r = set_feature_control(vm, vcpu))) {
		what = "KVM_SET_MSRS(IA32_FEATURE_CONTROL)";
	} else if ((r = set_lapic(vcpu))) {
		what = "KVM_SET_LAPIC";
	} else if (vm->boot.mode != ENTRY_RASVM_ELF64 && vcpu->index != 0) {
		/* Linux starts its application processors itself with INIT/SIPI: they stay in
		 * KVM's reset state (KVM_MP_STATE_UNINITIALIZED with the in-kernel LAPIC). */
		return 0;
	} else if ((r = set_entry_state(vm, vcpu))) {
		what = "setting the entry registers";
	} else {
		/* With the in-kernel LAPIC, KVM parks every vCPU but 0 until INIT/SIPI; rasvm
		 * starts every vCPU of its own guests at the entry point instead. */
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
		if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) == 0)
			return 0;
		r = -errno;
		what = "KVM_SET_MP_STATE";
	}
	log_err("vcpu %u: %s failed: %s", vcpu->index, what, strerror(-r));
	return r;
}
