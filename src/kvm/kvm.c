// SPDX-License-Identifier: MIT
#include "kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "rasvm/layout.h"
#include "vm.h"

int kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;
		if (err == ENOENT)
			log_err("/dev/kvm does not exist: load the kvm_intel or kvm_amd module, or enable virtualization in the firmware or the hypervisor");
		else if (err == EACCES || err == EPERM)
			log_err("no permission to open /dev/kvm: add your user to the 'kvm' group (then log in again) or run as root");
		else
			log_err("cannot open /dev/kvm: %s", strerror(err));
		return -err;
	}
	int version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version < 0) {
		log_err("/dev/kvm is not the KVM device (KVM_GET_API_VERSION: %s)", strerror(errno));
		close(fd);
		return -ENODEV;
	}
	if (version != KVM_API_VERSION) {
		log_err("/dev/kvm speaks API version %d, rasvm needs %d", version, KVM_API_VERSION);
		close(fd);
		return -ENOTSUP;
	}
	return fd;
}

int kvm_check_extension(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

unsigned kvm_max_vcpus(int kvm_fd)
{
	int n = kvm_check_extension(kvm_fd, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = kvm_check_extension(kvm_fd, KVM_CAP_NR_VCPUS);
	return n > 0 ? (unsigned)n : 4; /* api.rst: assume 4 when neither is reported */
}

/* Capabilities rasvm cannot run without. */
static const struct {
	long cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel interrupt controllers)" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2 (in-kernel PIT)" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_MCE, "KVM_CAP_MCE (machine-check banks)" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

int kvm_vm_create(struct vm *vm)
{
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (!kvm_check_extension(vm->kvm_fd, required_caps[i].cap)) {
			log_err("this host's KVM lacks %s; see 'rasvm check-host'", required_caps[i].name);
			return -ENOTSUP;
		}
	}
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0) {
		log_err("KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		return -EIO;
	}
	vm->run_size = (size_t)size;

	int fd;
	do {
		fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		int err = errno;
		log_err("KVM_CREATE_VM failed: %s", strerror(err));
		return -err;
	}
	vm->vm_fd = fd;

	/* Memory slots go first: registered after the irqchip and PIT, the first slot waits
	 * for an SRCU grace period those left pending (about 9 ms on the nested test hosts,
	 * more than the rest of start-up together). */
	const char *what = NULL;
	for (unsigned i = 0; !what && i < vm->mem.nregions; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = vm->mem.region[i].gpa,
			.memory_size = vm->mem.region[i].size,
			.userspace_addr = (uintptr_t)vm->mem.region[i].hva,
		};
		if (ioctl(fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			what = "KVM_SET_USER_MEMORY_REGION";
	}
	/* Intel VMX needs these pages for real-mode emulation; they sit in the MMIO hole. */
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	if (what)
		;
	else if (ioctl(fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		what = "KVM_SET_IDENTITY_MAP_ADDR";
	else if (ioctl(fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0)
		what = "KVM_SET_TSS_ADDR";
	else if (ioctl(fd, KVM_CREATE_IRQCHIP, 0) < 0)
		what = "KVM_CREATE_IRQCHIP";
	else if (ioctl(fd, KVM_CREATE_PIT2, &(struct kvm_pit_config){ .flags = 0 }) < 0)
		what = "KVM_CREATE_PIT2";
	if (what) {
		int err = errno;
		log_err("%s failed: %s", what, strerror(err));
		close(fd);
		vm->vm_fd = -1;
		return -err;
	}
	return 0;
}

void kvm_vm_destroy(struct vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
}
