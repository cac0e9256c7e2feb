// SPDX-License-Identifier: MIT
/*
 * The arm64 part of guest RAS (struct ras_ops). There are no machine checks: the sync GHES
 * source (HEST notification SEA, type 8) is signalled with a synchronous external abort at
 * the access that faulted (KVM_SET_VCPU_EVENTS ext_dabt_pending; FAR_EL1 is the faulting
 * address, KVM keeps it from the stage-2 fault), the async source (GSIV, type 10) with an
 * edge on the GED's SPI. Linux on arm64 handles SEA records synchronously
 * (is_hest_sync_notify()): the task that faulted is sent SIGBUS BUS_MCEERR_AR at its own
 * address once memory_failure() has run, so the RAS core does not escalate a repeated
 * access (ghes_sync_precise).
 *
 * The "machine check" route (--ras mce: no firmware record) becomes the CPU's own error
 * exception: a bare SEA for action required (Linux's do_sea() finds no GHES record and
 * sends the task SIGBUS, the page is not offlined), a virtual SError with an ESR for action
 * optional (AET "uncorrected, restartable, not yet consumed": Linux carries on).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/arch.h"
#include "kvm/arm64/arm64.h"
#include "kvm/kvm.h"
#include "log.h"
#include "ras/ras.h"
#include "vm.h"

int arm64_inject_sea(struct vcpu *v)
{
	struct kvm_vcpu_events e = { .exception.ext_dabt_pending = 1 };

	return ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e) < 0 ? -errno : 0;
}

int arm64_inject_serror(struct vcpu *v, uint32_t iss)
{
	struct kvm_vcpu_events e = { .exception.serror_pending = 1, .exception.serror_has_esr = 1,
				     .exception.serror_esr = iss & 0xffffff };

	return ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e) < 0 ? -errno : 0;
}

static enum mce_result inject_exception(struct vcpu *v, const struct mce_record *r)
{
	int err;

	if (r->status & MCI_STATUS_AR) {
		err = arm64_inject_sea(v);
	} else {
		/* Without KVM_CAP_ARM_INJECT_SERROR_ESR the SError would carry an IMPLEMENTATION
		 * DEFINED syndrome, which Linux takes as fatal: not that. */
		if (!kvm_check_extension(v->vm->kvm_fd, KVM_CAP_ARM_INJECT_SERROR_ESR)) {
			log_warn_rl("vcpu %u: KVM cannot give an SError a syndrome here: the action-optional error at 0x%llx is not raised",
				    v->index, (unsigned long long)r->addr);
			return MCE_FAILED;
		}
		err = arm64_inject_serror(v, (SERROR_AET_UEO << SERROR_AET_SHIFT) | SERROR_DFSC_ASYNC);
	}
	if (err)
		log_err_rl("vcpu %u: KVM_SET_VCPU_EVENTS failed: %s", v->index, strerror(-err));
	return err ? MCE_FAILED : MCE_INJECTED;
}

static bool no_lmce(struct vcpu *v)
{
	(void)v;
	return false;
}

static int irq_pulse(struct vm *vm, unsigned intid)
{
	int r = arm64_spi_line(vm, intid, 1);
	return r ? r : arm64_spi_line(vm, intid, 0);
}

static int pc(struct vcpu *v, uint64_t *out)
{
	return arm64_get_reg(v->fd, ARM64_REG_PC, out);
}

const struct ras_ops arch_ras_ops = {
	.inject_mce = inject_exception,
	.lmce_enabled = no_lmce,
	.nmi = NULL, /* inject-nmi: not supported, as on QEMU's virt */
	.notify_sync = arm64_inject_sea,
	.irq_pulse = irq_pulse,
	.rip = pc,
	.machine_checks = false,
	.ghes_sync_precise = true,
};
