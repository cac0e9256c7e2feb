// SPDX-License-Identifier: MIT
#include "kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm/arch.h"
#include "log.h"
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

/* Capabilities rasvm cannot run without on any architecture (the machine's own are checked by
 * arch_vm_create). */
static const struct {
	long cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

int kvm_require(int kvm_fd, long cap, const char *name)
{
	if (kvm_check_extension(kvm_fd, cap))
		return 0;
	log_err("this host's KVM lacks %s; see 'rasvm check-host'", name);
	return -ENOTSUP;
}

/* KVM_CREATE_VM, the memory slots and the machine's parts into *vm_fd, *run_size; writes
 * nothing of struct vm (it may run on kvm_vm_prepare's helper). */
static int build(struct vm *vm, int *vm_fd, size_t *run_size)
{
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++)
		if (kvm_require(vm->kvm_fd, required_caps[i].cap, required_caps[i].name))
			return -ENOTSUP;
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0) {
		log_err("KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		return -EIO;
	}
	*run_size = (size_t)size;

	int fd;
	do {
		fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		int err = errno;
		log_err("KVM_CREATE_VM failed: %s", strerror(err));
		return -err;
	}

	/* Memory slots go first: registered after the irqchip and PIT, the first slot waits
	 * for an SRCU grace period those left pending (about 9 ms on the nested test hosts,
	 * more than the rest of start-up together). */
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = vm->mem.region[i].gpa,
			.memory_size = vm->mem.region[i].size,
			.userspace_addr = (uintptr_t)vm->mem.region[i].hva,
		};
		if (ioctl(fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
			int err = errno;
			log_err("KVM_SET_USER_MEMORY_REGION failed: %s", strerror(err));
			close(fd);
			return -err;
		}
	}
	int r = arch_vm_create(vm, fd);
	if (r) {
		close(fd);
		return r;
	}
	*vm_fd = fd;
	return 0;
}

static void *prepare_thread(void *arg)
{
	struct vm *vm = arg;

	vm->prep.result = build(vm, &vm->prep.fd, &vm->prep.run_size);
	return NULL;
}

void kvm_vm_prepare(struct vm *vm)
{
	sigset_t all, old;

	vm->prep.fd = -1;
	/* Signals stay with the threads that wait for them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	vm->prep.started = pthread_create(&vm->prep.thread, NULL, prepare_thread, vm) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void kvm_vm_prepare_wait(struct vm *vm)
{
	if (!vm->prep.started || vm->prep.joined)
		return;
	pthread_join(vm->prep.thread, NULL);
	vm->prep.joined = true;
}

void kvm_vm_prepare_discard(struct vm *vm)
{
	kvm_vm_prepare_wait(vm);
	if (vm->prep.started && vm->prep.fd >= 0)
		close(vm->prep.fd);
	vm->prep.started = false;
}

int kvm_vm_create(struct vm *vm)
{
	if (vm->prep.started) {
		/* The first boot: the helper's VM, or its error (logged there). */
		kvm_vm_prepare_wait(vm);
		vm->prep.started = false;
		if (vm->prep.result)
			return vm->prep.result;
		vm->vm_fd = vm->prep.fd;
		vm->run_size = vm->prep.run_size;
		return 0;
	}
	int r = build(vm, &vm->vm_fd, &vm->run_size);
	if (r)
		vm->vm_fd = -1;
	return r;
}

void kvm_vm_destroy(struct vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
}
