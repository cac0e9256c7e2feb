// SPDX-License-Identifier: MIT
/*
 * x86 state for snapshots and migration (see cpu_state.h). KVM's own structures (kvm_regs,
 * kvm_sregs, kvm_lapic_state, ...) travel as the blobs KVM's x86-64 ABI defines, each with
 * its length, which must be exactly what this rasvm's KVM headers say; the lists rasvm
 * builds (CPUID entries, MSRs) travel field by field. KVM itself checks what it is given.
 *
 * Order of application (as QEMU's kvm_arch_put_registers, with the LAPIC before the MSRs so
 * the TSC deadline lands in an APIC that is in TSC-deadline mode): CPUID, special registers
 * (with the APIC base), registers, XSAVE or FPU, XCRs, LAPIC, MSRs (TSC, kvmclock, the
 * machine-check banks and MCG_STATUS...), pending events, MP state, debug registers.
 */
#include "kvm/x86/cpu_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/kvm.h"
#include "kvm/x86/cpu.h"
#include "ras/mce.h"
#include "ras/sigbus.h"
#include "vm.h"

uint32_t cpu_state_xsave_size(int fd)
{
	int x2 = kvm_check_extension(fd, KVM_CAP_XSAVE2);

	if (x2 > 0)
		return (uint32_t)x2;
	return kvm_check_extension(fd, KVM_CAP_XSAVE) ? (uint32_t)sizeof(struct kvm_xsave) : 0;
}

static void add_msr(struct cpu_msr_list *l, uint32_t index)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (l->index[i] == index)
			return;
	if (l->n < CPU_STATE_MSRS_MAX)
		l->index[l->n++] = index;
}

int cpu_state_msr_list(struct vm *vm, struct cpu_msr_list *l)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	unsigned banks = (unsigned)(atomic_load(&vm->mcg_cap) & 0xff);

	l->n = 0;
	/* E2BIG tells how many there are. */
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return -errno;
	struct kvm_msr_list *list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	if (!list)
		return -ENOMEM;
	list->nmsrs = probe.nmsrs;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		int e = errno;
		free(list);
		return -e;
	}
	for (uint32_t i = 0; i < list->nmsrs; i++)
		add_msr(l, list->indices[i]);
	free(list);
	/* The machine-check state (KVM does not list the banks). */
	add_msr(l, MSR_IA32_MCG_STATUS);
	add_msr(l, MSR_IA32_MCG_CTL);
	add_msr(l, MSR_IA32_MCG_EXT_CTL);
	for (unsigned b = 0; b < banks; b++)
		for (unsigned k = 0; k < 4; k++)
			add_msr(l, MSR_IA32_MC0_CTL + 4 * b + k);
	return 0;
}

/* KVM_GET_MSRS stops at the first MSR it cannot read: drop that one and go on. */
static int get_msrs(int fd, const struct cpu_msr_list *l, struct vcpu_image *img)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + CPU_STATE_MSRS_MAX * sizeof(struct kvm_msr_entry));
	uint32_t done = 0;

	if (!m)
		return -ENOMEM;
	img->nmsrs = 0;
	while (done < l->n) {
		m->nmsrs = l->n - done;
		for (uint32_t i = 0; i < m->nmsrs; i++)
			m->entries[i] = (struct kvm_msr_entry){ .index = l->index[done + i] };
		int r = ioctl(fd, KVM_GET_MSRS, m);
		if (r < 0) {
			int e = errno;
			free(m);
			return -e;
		}
		for (int i = 0; i < r; i++)
			img->msr[img->nmsrs++] = (struct cpu_msr){ m->entries[i].index, m->entries[i].data };
		done += (uint32_t)r + 1; /* r read; the one after them cannot be */
	}
	free(m);
	return 0;
}

int cpu_state_capture(struct vcpu *v, const struct cpu_msr_list *msrs, struct vcpu_image *img)
{
	int fd = v->fd;

	memset(img, 0, sizeof(*img));
	/* api.rst, KVM_RUN: an I/O or MMIO exit is complete only once KVM_RUN is entered again;
	 * with immediate_exit KVM completes it and returns at once, no guest instruction run. */
	v->run->immediate_exit = 1;
	sigbus_set_guest_access(true); /* completing the guest's access: its error, if any */
	int r = ioctl(fd, KVM_RUN, 0);
	int e = errno;
	sigbus_set_guest_access(false);
	v->run->immediate_exit = 0;
	if (r == 0 || (e != EINTR && e != EAGAIN))
		return r == 0 ? -EIO : -e;

	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPU_STATE_CPUID_MAX * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = CPU_STATE_CPUID_MAX;
	if (ioctl(fd, KVM_GET_CPUID2, c) < 0) {
		e = errno;
		free(c);
		return -e;
	}
	img->ncpuid = c->nent;
	memcpy(img->cpuid, c->entries, c->nent * sizeof(c->entries[0]));
	free(c);
	if (ioctl(fd, KVM_GET_REGS, &img->regs) < 0 || ioctl(fd, KVM_GET_SREGS, &img->sregs) < 0)
		return -errno;
	uint32_t xs = cpu_state_xsave_size(v->vm->vm_fd);
	if (xs) {
		img->xsave = calloc(1, xs);
		if (!img->xsave)
			return -ENOMEM;
		img->xsave_len = xs;
		unsigned long req = xs > sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2 : KVM_GET_XSAVE;
		if (ioctl(fd, req, img->xsave) < 0)
			return -errno;
	} else {
		img->has_fpu = true;
		if (ioctl(fd, KVM_GET_FPU, &img->fpu) < 0)
			return -errno;
	}
	if (kvm_check_extension(v->vm->kvm_fd, KVM_CAP_XCRS)) {
		img->has_xcrs = true;
		if (ioctl(fd, KVM_GET_XCRS, &img->xcrs) < 0)
			return -errno;
	}
	if (ioctl(fd, KVM_GET_LAPIC, &img->lapic) < 0)
		return -errno;
	if ((r = get_msrs(fd, msrs, img)))
		return r;
	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &img->events) < 0 || ioctl(fd, KVM_GET_MP_STATE, &img->mp) < 0)
		return -errno;
	if (kvm_check_extension(v->vm->kvm_fd, KVM_CAP_DEBUGREGS)) {
		img->has_debugregs = true;
		if (ioctl(fd, KVM_GET_DEBUGREGS, &img->debugregs) < 0)
			return -errno;
	}
	int khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
	img->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	return 0;
}

void cpu_state_image_free(struct vcpu_image *img)
{
	free(img->xsave);
	img->xsave = NULL;
}

static void out_blob(struct state_out *o, const void *p, uint32_t n)
{
	out_u32(o, n);
	out_bytes(o, p, n);
}

void cpu_state_write(struct state_out *o, unsigned index, const struct vcpu_image *img)
{
	out_begin(o, TAG_VCPU, VCPU_VERSION, index);
	out_u32(o, img->ncpuid);
	for (uint32_t i = 0; i < img->ncpuid; i++) {
		const struct kvm_cpuid_entry2 *e = &img->cpuid[i];
		out_u32(o, e->function);
		out_u32(o, e->index);
		out_u32(o, e->flags);
		out_u32(o, e->eax);
		out_u32(o, e->ebx);
		out_u32(o, e->ecx);
		out_u32(o, e->edx);
	}
	out_blob(o, &img->regs, sizeof(img->regs));
	out_blob(o, &img->sregs, sizeof(img->sregs));
	out_blob(o, img->xsave, img->xsave_len);
	out_blob(o, &img->fpu, img->has_fpu ? sizeof(img->fpu) : 0);
	out_blob(o, &img->xcrs, img->has_xcrs ? sizeof(img->xcrs) : 0);
	out_blob(o, &img->lapic, sizeof(img->lapic));
	out_u32(o, img->nmsrs);
	for (uint32_t i = 0; i < img->nmsrs; i++) {
		out_u32(o, img->msr[i].index);
		out_u64(o, img->msr[i].data);
	}
	out_blob(o, &img->events, sizeof(img->events));
	out_u32(o, img->mp.mp_state);
	out_blob(o, &img->debugregs, img->has_debugregs ? sizeof(img->debugregs) : 0);
	out_u32(o, img->tsc_khz);
	out_end(o);
}

/* A blob of exactly want bytes (or, with optional, none). */
static int in_blob(struct state_in *in, void *dst, uint32_t want, bool optional, bool *present,
		   const char *what)
{
	uint32_t n;

	if (in_u32(in, &n))
		return -1;
	if (optional && n == 0) {
		*present = false;
		return 0;
	}
	if (n != want)
		return in_fail(in, "VCPU %u: %s is %u bytes, this rasvm's KVM uses %u", in->instance, what, n, want);
	if (present)
		*present = true;
	return in_bytes(in, dst, n);
}

int cpu_state_read(struct state_in *in, struct vcpu_image *img)
{
	uint32_t n;

	memset(img, 0, sizeof(*img));
	if (in->version != VCPU_VERSION)
		return in_fail(in, "VCPU version %u: this rasvm reads version %u", in->version, VCPU_VERSION);
	if (in_section_begin(in) || in_u32(in, &n))
		return -1;
	if (n == 0 || n > CPU_STATE_CPUID_MAX)
		return in_fail(in, "VCPU %u: %u CPUID entries (1 to %u)", in->instance, n, CPU_STATE_CPUID_MAX);
	img->ncpuid = n;
	for (uint32_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = &img->cpuid[i];
		if (in_u32(in, &e->function) || in_u32(in, &e->index) || in_u32(in, &e->flags) ||
		    in_u32(in, &e->eax) || in_u32(in, &e->ebx) || in_u32(in, &e->ecx) || in_u32(in, &e->edx))
			return -1;
	}
	if (in_blob(in, &img->regs, sizeof(img->regs), false, NULL, "kvm_regs") ||
	    in_blob(in, &img->sregs, sizeof(img->sregs), false, NULL, "kvm_sregs") || in_u32(in, &n))
		return -1;
	if (n > CPU_STATE_XSAVE_MAX || (n && n < sizeof(struct kvm_xsave)))
		return in_fail(in, "VCPU %u: XSAVE state of %u bytes", in->instance, n);
	if (n) {
		img->xsave = calloc(1, n);
		if (!img->xsave)
			return in_fail(in, "out of memory");
		img->xsave_len = n;
		if (in_bytes(in, img->xsave, n))
			return -1;
	}
	if (in_blob(in, &img->fpu, sizeof(img->fpu), true, &img->has_fpu, "kvm_fpu") ||
	    in_blob(in, &img->xcrs, sizeof(img->xcrs), true, &img->has_xcrs, "kvm_xcrs") ||
	    in_blob(in, &img->lapic, sizeof(img->lapic), false, NULL, "kvm_lapic_state") || in_u32(in, &n))
		return -1;
	if (!img->xsave_len && !img->has_fpu)
		return in_fail(in, "VCPU %u: neither XSAVE nor FPU state", in->instance);
	if (img->has_xcrs && img->xcrs.nr_xcrs > KVM_MAX_XCRS)
		return in_fail(in, "VCPU %u: %u XCRs", in->instance, img->xcrs.nr_xcrs);
	if (n > CPU_STATE_MSRS_MAX)
		return in_fail(in, "VCPU %u: %u MSRs (at most %u)", in->instance, n, CPU_STATE_MSRS_MAX);
	img->nmsrs = n;
	for (uint32_t i = 0; i < n; i++)
		if (in_u32(in, &img->msr[i].index) || in_u64(in, &img->msr[i].data))
			return -1;
	if (in_blob(in, &img->events, sizeof(img->events), false, NULL, "kvm_vcpu_events") ||
	    in_u32(in, &img->mp.mp_state) ||
	    in_blob(in, &img->debugregs, sizeof(img->debugregs), true, &img->has_debugregs, "kvm_debugregs") ||
	    in_u32(in, &img->tsc_khz))
		return -1;
	if (img->mp.mp_state > KVM_MP_STATE_AP_RESET_HOLD)
		return in_fail(in, "VCPU %u: MP state %u unknown", in->instance, img->mp.mp_state);
	return in_section_end(in);
}

static int fail(char *why, size_t len, unsigned cpu, const char *what, int err)
{
	snprintf(why, len, "vcpu %u: %s: %s", cpu, what, strerror(err));
	return -err;
}

/* KVM_SET_MSRS stops at the first MSR it refuses: note it, and go on with the rest. */
static int set_msrs(struct vcpu *v, const struct vcpu_image *img, char *why, size_t len)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + CPU_STATE_MSRS_MAX * sizeof(struct kvm_msr_entry));
	uint32_t done = 0, refused = 0, first_refused = 0;

	if (!m)
		return -ENOMEM;
	while (done < img->nmsrs) {
		m->nmsrs = img->nmsrs - done;
		for (uint32_t i = 0; i < m->nmsrs; i++)
			m->entries[i] = (struct kvm_msr_entry){ .index = img->msr[done + i].index,
								 .data = img->msr[done + i].data };
		int r = ioctl(v->fd, KVM_SET_MSRS, m);
		if (r < 0) {
			int e = errno;
			free(m);
			return fail(why, len, v->index, "KVM_SET_MSRS", e);
		}
		done += (uint32_t)r;
		if (done < img->nmsrs) {
			if (!refused++)
				first_refused = img->msr[done].index;
			done++;
		}
	}
	free(m);
	if (refused) {
		/* Only the machine-check state matters to rasvm enough to refuse the restore. */
		for (uint32_t i = 0; i < img->nmsrs; i++) {
			uint32_t x = img->msr[i].index;
			if (x == MSR_IA32_MCG_STATUS || (x >= MSR_IA32_MC0_CTL && x < MSR_IA32_MC0_CTL + 4 * 32)) {
				struct { struct kvm_msrs h; struct kvm_msr_entry e; } one = {
					.h.nmsrs = 1, .e = { .index = x, .data = img->msr[i].data } };
				if (ioctl(v->fd, KVM_SET_MSRS, &one) != 1) {
					snprintf(why, len, "vcpu %u: KVM refused machine-check MSR 0x%x = 0x%llx", v->index,
						 x, (unsigned long long)img->msr[i].data);
					return -EINVAL;
				}
			}
		}
		snprintf(why, len, "vcpu %u: KVM refused %u MSR(s), the first 0x%x", v->index, refused, first_refused);
	}
	return 0;
}

int cpu_state_apply(struct vcpu *v, const struct vcpu_image *img, char *why, size_t len)
{
	int fd = v->fd;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + img->ncpuid * sizeof(c->entries[0]));

	why[0] = '\0';
	if (!c)
		return -ENOMEM;
	c->nent = img->ncpuid;
	memcpy(c->entries, img->cpuid, img->ncpuid * sizeof(c->entries[0]));
	int r = ioctl(fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	if (r)
		return fail(why, len, v->index, "KVM_SET_CPUID2", -r);
	/* The guest's TSC runs at the rate it had, if this host can scale it. */
	if (img->tsc_khz) {
		int khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
		if (khz > 0 && (uint32_t)khz != img->tsc_khz && ioctl(fd, KVM_SET_TSC_KHZ, img->tsc_khz) < 0)
			snprintf(why, len, "vcpu %u: the guest's TSC ran at %u kHz, here it runs at %d kHz",
				 v->index, img->tsc_khz, khz);
	}
	if (ioctl(fd, KVM_SET_SREGS, &img->sregs) < 0)
		return fail(why, len, v->index, "KVM_SET_SREGS", errno);
	if (ioctl(fd, KVM_SET_REGS, &img->regs) < 0)
		return fail(why, len, v->index, "KVM_SET_REGS", errno);
	if (img->xsave_len) {
		uint32_t here = cpu_state_xsave_size(v->vm->vm_fd);
		uint8_t *x = calloc(1, here > img->xsave_len ? here : img->xsave_len);
		if (!x)
			return -ENOMEM;
		memcpy(x, img->xsave, img->xsave_len);
		r = ioctl(fd, KVM_SET_XSAVE, x) < 0 ? -errno : 0;
		free(x);
		if (r)
			return fail(why, len, v->index, "KVM_SET_XSAVE", -r);
	} else if (ioctl(fd, KVM_SET_FPU, &img->fpu) < 0) {
		return fail(why, len, v->index, "KVM_SET_FPU", errno);
	}
	if (img->has_xcrs && ioctl(fd, KVM_SET_XCRS, &img->xcrs) < 0)
		return fail(why, len, v->index, "KVM_SET_XCRS", errno);
	if (ioctl(fd, KVM_SET_LAPIC, &img->lapic) < 0)
		return fail(why, len, v->index, "KVM_SET_LAPIC", errno);
	if ((r = set_msrs(v, img, why, len)))
		return r;
	if (ioctl(fd, KVM_SET_VCPU_EVENTS, &img->events) < 0)
		return fail(why, len, v->index, "KVM_SET_VCPU_EVENTS", errno);
	if (ioctl(fd, KVM_SET_MP_STATE, &img->mp) < 0)
		return fail(why, len, v->index, "KVM_SET_MP_STATE", errno);
	if (img->has_debugregs && ioctl(fd, KVM_SET_DEBUGREGS, &img->debugregs) < 0)
		return fail(why, len, v->index, "KVM_SET_DEBUGREGS", errno);
	return 0;
}

/* ---- The VM ---- */

int vm_state_capture(struct vm *vm, struct vm_image *img)
{
	memset(img, 0, sizeof(*img));
	for (unsigned i = 0; i < 3; i++) {
		img->chip[i].chip_id = i; /* KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE, _IOAPIC */
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &img->chip[i]) < 0)
			return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &img->pit) < 0 || ioctl(vm->vm_fd, KVM_GET_CLOCK, &img->clock) < 0)
		return -errno;
	return 0;
}

void vm_state_write(struct state_out *o, const struct vm_image *img)
{
	out_begin(o, TAG_IRQC, IRQC_VERSION, 0);
	for (unsigned i = 0; i < 3; i++) {
		out_u32(o, img->chip[i].chip_id);
		out_blob(o, &img->chip[i].chip, sizeof(img->chip[i].chip));
	}
	out_end(o);
	out_begin(o, TAG_PIT2, PIT2_VERSION, 0);
	out_blob(o, &img->pit, sizeof(img->pit));
	out_end(o);
	out_begin(o, TAG_CLCK, CLCK_VERSION, 0);
	out_u64(o, img->clock.clock);
	out_end(o);
}

int vm_state_read(struct state_in *in, struct vm_image *img)
{
	uint16_t want = in->tag == TAG_IRQC ? IRQC_VERSION : in->tag == TAG_PIT2 ? PIT2_VERSION : CLCK_VERSION;

	if (in->version != want)
		return in_fail(in, "%s version %u: this rasvm reads version %u",
			       state_tag_name(in->tag, (char[5]){ 0 }), in->version, want);
	if (in_section_begin(in))
		return -1;
	if (in->tag == TAG_IRQC) {
		for (unsigned i = 0; i < 3; i++) {
			uint32_t id;
			if (in_u32(in, &id))
				return -1;
			if (id != i)
				return in_fail(in, "IRQC: chip %u where chip %u belongs", id, i);
			img->chip[i].chip_id = id;
			if (in_blob(in, &img->chip[i].chip, sizeof(img->chip[i].chip), false, NULL, "kvm_irqchip"))
				return -1;
		}
	} else if (in->tag == TAG_PIT2) {
		if (in_blob(in, &img->pit, sizeof(img->pit), false, NULL, "kvm_pit_state2"))
			return -1;
	} else {
		uint64_t clock;
		if (in_u64(in, &clock))
			return -1;
		img->clock.clock = clock;
	}
	return in_section_end(in);
}

int vm_state_apply(struct vm *vm, const struct vm_image *img, char *why, size_t len)
{
	static const char *const chips[] = { "the master PIC", "the slave PIC", "the IOAPIC" };

	for (unsigned i = 0; i < 3; i++)
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &img->chip[i]) < 0) {
			snprintf(why, len, "KVM_SET_IRQCHIP (%s): %s", chips[i], strerror(errno));
			return -EINVAL;
		}
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &img->pit) < 0) {
		snprintf(why, len, "KVM_SET_PIT2: %s", strerror(errno));
		return -EINVAL;
	}
	struct kvm_clock_data clock = { .clock = img->clock.clock };
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) < 0) {
		snprintf(why, len, "KVM_SET_CLOCK: %s", strerror(errno));
		return -EINVAL;
	}
	return 0;
}
