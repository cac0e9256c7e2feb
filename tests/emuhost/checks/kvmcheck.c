/* kvmcheck: /dev/kvm opens, speaks API 12, creates a VM, and offers what rasvm's RAS paths
 * need on this arch: x86 KVM_CAP_MCE (with the MCG_CAP KVM supports) and KVM_CAP_VCPU_EVENTS;
 * arm64 KVM_CAP_ARM_INJECT_EXT_DABT (the synchronous external abort a GHESv2/SEA source
 * needs) and KVM_CAP_VCPU_EVENTS, plus KVM_CAP_ARM_INJECT_SERROR_ESR for information. Prints
 * TAP lines; exit 0 when all hold, 1 otherwise, 77 without /dev/kvm. Static, either arch. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int failed;
static void check(int cond, const char *what)
{
	printf("%s - kvm: %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failed = 1;
}

static int cap(int kvm, int vm, long nr, const char *name, int required)
{
	int r = ioctl(vm >= 0 ? vm : kvm, KVM_CHECK_EXTENSION, nr);
	char what[96];

	if (required) {
		snprintf(what, sizeof(what), "KVM_CHECK_EXTENSION(%s) = %d", name, r);
		check(r > 0, what);
	} else {
		printf("# KVM_CHECK_EXTENSION(%s) = %d\n", name, r);
	}
	return r;
}

int main(void)
{
	int kvm, vm, v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("# skip: open /dev/kvm: %s\n", strerror(errno));
		return 77;
	}
	check(1, "/dev/kvm opens read-write");
	v = ioctl(kvm, KVM_GET_API_VERSION, 0);
	check(v == KVM_API_VERSION, "KVM_GET_API_VERSION is 12");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	check(vm >= 0, "KVM_CREATE_VM");
#if defined(__x86_64__)
	uint64_t mcg_cap = 0;
	if (cap(kvm, vm, KVM_CAP_MCE, "KVM_CAP_MCE", 1) > 0) {
		int r = ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, &mcg_cap);
		char what[96];
		snprintf(what, sizeof(what), "KVM_X86_GET_MCE_CAP_SUPPORTED = %#llx",
			 (unsigned long long)mcg_cap);
		check(r == 0, what);
		/* MCG_CAP bit 24: software error recovery (SER_P). */
		printf("# MCG_CAP.SER_P (bit 24) %s\n", mcg_cap & (1ull << 24) ? "set" : "clear");
	}
	cap(kvm, vm, KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS", 1);
	cap(kvm, vm, KVM_CAP_X86_ROBUST_SINGLESTEP, "KVM_CAP_X86_ROBUST_SINGLESTEP", 0);
#elif defined(__aarch64__)
	cap(kvm, vm, KVM_CAP_ARM_INJECT_EXT_DABT, "KVM_CAP_ARM_INJECT_EXT_DABT", 1);
	cap(kvm, vm, KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS", 1);
	cap(kvm, vm, KVM_CAP_ARM_INJECT_SERROR_ESR, "KVM_CAP_ARM_INJECT_SERROR_ESR", 0);
	cap(kvm, -1, KVM_CAP_ARM_VM_IPA_SIZE, "KVM_CAP_ARM_VM_IPA_SIZE", 0);
#endif
	cap(kvm, vm, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", 0);
	cap(kvm, -1, KVM_CAP_NR_VCPUS, "KVM_CAP_NR_VCPUS", 0);
	return failed;
}
