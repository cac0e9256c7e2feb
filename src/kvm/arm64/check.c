// SPDX-License-Identifier: MIT
/*
 * `rasvm check-host` on arm64: what this host's KVM offers for guest RAS, probed on a
 * throwaway VM with one vCPU: the external abort a SEA-notified GHES source needs, the SError
 * with a syndrome, the vGICv3, PSCI, the RAS extension as a vCPU sees it, real memory failure,
 * and how fast guest code runs.
 */
#include "host/check.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "kvm/arm64/arm64.h"
#include "kvm/probe.h"
#include "kvm/kvm.h"
#include "log.h"
#include "ras/hwpoison.h"

#define PROBE_RAM      0x40000000ULL /* where the probe VM's 64 KiB of RAM sit */
#define PROBE_MMIO     0x1000ULL     /* no memory there: a store exits to us */
/* Guest code faster than this many million loop iterations per second counts as hardware. */
#define HW_SPEED_MLOOPS 200.0

struct report {
	int api, irqchip, device_ctrl, vgic_v3, psci, one_reg, vcpu_events, ext_dabt, serror_esr,
	    nisv, pmu, sve, ptrauth, sync_regs, ipa;
	unsigned max_vcpus;
	int sea_probe, serror_probe; /* 1 KVM took it, 0 refused, -1 not probed */
	int ras;                     /* ID_AA64PFR0_EL1.RAS of a vCPU, -1 unknown */
	const char *hwpoison;
	double mloops;               /* 0: not measured */
	char speed_why[96];          /* why not */
};

/* The probe VM (kvm/probe.c) with RAM where rasvm's guests have it, its vCPU initialised as
 * KVM prefers. */
static int probe_create(int kvm, struct probe_vm *p)
{
	struct kvm_vcpu_init init;
	int r = probe_vm_create(kvm, p, PROBE_RAM, 0);

	if (!r && (ioctl(p->vm, KVM_ARM_PREFERRED_TARGET, &init) < 0 ||
		   ioctl(p->vcpu, KVM_ARM_VCPU_INIT, &init) < 0)) {
		r = -errno;
		probe_vm_destroy(p);
	}
	return r;
}

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Time a loop at EL1, MMU off: 1: subs x0, x0, #1; b.ne 1b; str x0, [x1] (an MMIO exit).
 * 0 when it could not be timed (why says so). */
static double probe_speed(struct probe_vm *p, char *why, size_t whylen)
{
	static const uint32_t loop[] = { 0xf1000400, 0x54ffffe1, 0xf9000020 };

	memcpy(p->ram, loop, sizeof(loop));
	for (uint64_t n = 10000; n <= (1ULL << 32); n *= 4) {
		struct timespec t0, t1;
		int r;
		if ((r = arm64_set_reg(p->vcpu, ARM64_REG_PC, PROBE_RAM)) ||
		    (r = arm64_set_reg(p->vcpu, ARM64_REG_X(0), n)) ||
		    (r = arm64_set_reg(p->vcpu, ARM64_REG_X(1), PROBE_MMIO))) {
			snprintf(why, whylen, "setting registers: %s", strerror(-r));
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			r = ioctl(p->vcpu, KVM_RUN, 0);
		} while (r < 0 && errno == EINTR);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r < 0 || p->run->exit_reason != KVM_EXIT_MMIO) {
			snprintf(why, whylen, "KVM_RUN: %s, exit reason %u", r < 0 ? strerror(errno) : "ok",
				 p->run->exit_reason);
			return 0;
		}
		double s = elapsed_s(&t0, &t1);
		if (s >= 0.05)
			return (double)n / s / 1e6;
	}
	snprintf(why, whylen, "2^32 iterations took less than 50 ms");
	return 0;
}

/* Would KVM take the exceptions rasvm raises? Set pending, then the vCPU is thrown away. */
static void probe_events(struct probe_vm *p, struct report *r)
{
	struct kvm_vcpu_events e = { .exception.ext_dabt_pending = 1 };

	r->sea_probe = ioctl(p->vcpu, KVM_SET_VCPU_EVENTS, &e) == 0;
	e = (struct kvm_vcpu_events){ .exception.serror_pending = 1, .exception.serror_has_esr = 1,
				      .exception.serror_esr = (SERROR_AET_UEO << SERROR_AET_SHIFT) |
							      SERROR_DFSC_ASYNC };
	r->serror_probe = r->serror_esr > 0 ? ioctl(p->vcpu, KVM_SET_VCPU_EVENTS, &e) == 0 : -1;
}


static const char *ras_name(int ras)
{
	return ras < 0 ? "unknown" : ras == 0 ? "no" : ras == 1 ? "yes (FEAT_RAS)" : "yes (FEAT_RASv1p1)";
}

static void print_text(const struct report *r, bool ok)
{
	printf("KVM API version:              %d\n", r->api);
	printf("in-kernel irqchip:            %s\n", check_yn(r->irqchip));
	printf("vGICv3 (KVM_CREATE_DEVICE):   %s\n", check_yn(r->vgic_v3));
	printf("PSCI 0.2 from KVM:            %s\n", check_yn(r->psci));
	printf("vcpu events:                  %s\n", check_yn(r->vcpu_events));
	printf("SEA injection (EXT_DABT):     %s (probe: %s)\n", check_yn(r->ext_dabt), check_yn(r->sea_probe));
	printf("SError with ESR (SERROR_ESR): %s (probe: %s)\n", check_yn(r->serror_esr), check_yn(r->serror_probe));
	printf("MMIO without syndrome (NISV): %s\n", check_yn(r->nisv));
	printf("RAS extension (vCPU's view):  %s\n", ras_name(r->ras));
	printf("IPA size:                     %d bits\n", r->ipa ? r->ipa : 40);
	printf("max vCPUs per VM:             %u\n", r->max_vcpus);
	printf("PMU, SVE, pointer auth:       %s, %s, %s\n", check_yn(r->pmu), check_yn(r->sve), check_yn(r->ptrauth));
	printf("sync regs:                    %s (fields 0x%x)\n", check_yn(r->sync_regs > 0), r->sync_regs);
	printf("MADV_HWPOISON:                %s\n", r->hwpoison);
	if (r->mloops > 0)
		printf("guest code (EL1) speed:       %.0f M loop iterations/s: %s\n", r->mloops,
		       r->mloops >= HW_SPEED_MLOOPS ? "hardware speed" : "emulated (expect slow guests)");
	else
		printf("guest code (EL1) speed:       not measured (%s)\n", r->speed_why);
	printf("verdict:                      %s\n",
	       ok ? "rasvm can run guests with RAS here" : "missing a capability rasvm needs");
}

#define TF(x) ((x) > 0 ? "true" : "false")

static void print_json(const struct report *r, bool ok)
{
	printf("{\"arch\": \"aarch64\", \"kvm_api_version\": %d, \"irqchip\": %s, \"vgic_v3\": %s, "
	       "\"psci_0_2\": %s, \"vcpu_events\": %s, \"arm_inject_ext_dabt\": %s, "
	       "\"sea_injection\": %s, \"arm_inject_serror_esr\": %s, \"serror_injection\": %s, "
	       "\"arm_nisv_to_user\": %s, \"ras_extension\": %d, \"ipa_bits\": %d, \"max_vcpus\": %u, "
	       "\"pmu\": %s, \"sve\": %s, \"ptrauth\": %s, \"sync_regs\": %d, \"madv_hwpoison\": \"%s\", "
	       "\"guest_mloops\": %.1f, \"guest_hardware_speed\": %s, \"ok\": %s}\n",
	       r->api, TF(r->irqchip), TF(r->vgic_v3), TF(r->psci), TF(r->vcpu_events), TF(r->ext_dabt),
	       TF(r->sea_probe), TF(r->serror_esr), TF(r->serror_probe), TF(r->nisv), r->ras,
	       r->ipa ? r->ipa : 40, r->max_vcpus, TF(r->pmu), TF(r->sve), TF(r->ptrauth), r->sync_regs,
	       r->hwpoison, r->mloops, r->mloops >= HW_SPEED_MLOOPS ? "true" : "false", ok ? "true" : "false");
}

int host_check(bool json)
{
	struct report r = { .sea_probe = -1, .serror_probe = -1, .ras = -1 };
	struct probe_vm p;
	int kvm = kvm_open();

	if (kvm < 0)
		return EXIT_NO_KVM;
	r.api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	r.irqchip = kvm_check_extension(kvm, KVM_CAP_IRQCHIP);
	r.device_ctrl = kvm_check_extension(kvm, KVM_CAP_DEVICE_CTRL);
	r.psci = kvm_check_extension(kvm, KVM_CAP_ARM_PSCI_0_2);
	r.one_reg = kvm_check_extension(kvm, KVM_CAP_ONE_REG);
	r.vcpu_events = kvm_check_extension(kvm, KVM_CAP_VCPU_EVENTS);
	r.ext_dabt = kvm_check_extension(kvm, KVM_CAP_ARM_INJECT_EXT_DABT);
	r.serror_esr = kvm_check_extension(kvm, KVM_CAP_ARM_INJECT_SERROR_ESR);
	r.nisv = kvm_check_extension(kvm, KVM_CAP_ARM_NISV_TO_USER);
	r.pmu = kvm_check_extension(kvm, KVM_CAP_ARM_PMU_V3);
	r.sve = kvm_check_extension(kvm, KVM_CAP_ARM_SVE);
	r.ptrauth = kvm_check_extension(kvm, KVM_CAP_ARM_PTRAUTH_ADDRESS);
	r.sync_regs = kvm_check_extension(kvm, KVM_CAP_SYNC_REGS);
	r.ipa = kvm_check_extension(kvm, KVM_CAP_ARM_VM_IPA_SIZE);
	r.max_vcpus = kvm_max_vcpus(kvm);
	r.hwpoison = hwpoison_probe_describe();
	if (probe_create(kvm, &p) == 0) {
		struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3, .flags = KVM_CREATE_DEVICE_TEST };
		uint64_t pfr0;
		r.vgic_v3 = ioctl(p.vm, KVM_CREATE_DEVICE, &cd) == 0;
		if (arm64_get_reg(p.vcpu, ARM64_REG_PFR0_EL1, &pfr0) == 0)
			r.ras = (int)((pfr0 >> PFR0_RAS_SHIFT) & 0xf);
		r.mloops = probe_speed(&p, r.speed_why, sizeof(r.speed_why));
		probe_events(&p, &r);
		probe_vm_destroy(&p);
	} else {
		log_warn("could not create a probe VM: %s", strerror(errno));
	}
	close(kvm);

	/* The RAS extension is not required: a guest takes an SEA and reads its GHES record the
	 * same way without it (the extension adds the ESR's error syndromes and the SError's). */
	bool ok = r.irqchip && r.device_ctrl && r.vgic_v3 > 0 && r.psci && r.one_reg && r.vcpu_events &&
		  r.ext_dabt && r.sea_probe > 0;
	if (json)
		print_json(&r, ok);
	else
		print_text(&r, ok);
	return ok ? 0 : EXIT_NO_KVM;
}
