// SPDX-License-Identifier: MIT
#include "kvm/probe.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

void probe_vm_destroy(struct probe_vm *p)
{
	if (p->run)
		munmap(p->run, p->run_size);
	if (p->vcpu >= 0)
		close(p->vcpu);
	if (p->vm >= 0)
		close(p->vm);
	if (p->ram)
		munmap(p->ram, PROBE_RAM_SIZE);
	p->run = NULL;
	p->ram = NULL;
	p->vm = p->vcpu = -1;
}

/* Records which step failed and why, undoes the rest. */
static int fail(struct probe_vm *p, const char *step)
{
	int err = errno ? errno : EINVAL;

	probe_vm_destroy(p);
	p->failed = step;
	return -err;
}

int probe_vm_create(int kvm, struct probe_vm *p, uint64_t ram_gpa, uint32_t slot_flags)
{
	*p = (struct probe_vm){ .vm = -1, .vcpu = -1 };
	p->vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (p->vm < 0)
		return fail(p, "KVM_CREATE_VM");
	void *ram = mmap(NULL, PROBE_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return fail(p, "mmap");
	p->ram = ram;
	struct kvm_userspace_memory_region r = { .flags = slot_flags, .guest_phys_addr = ram_gpa,
						 .memory_size = PROBE_RAM_SIZE,
						 .userspace_addr = (uintptr_t)p->ram };
	if (ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return fail(p, "KVM_SET_USER_MEMORY_REGION");
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return fail(p, "KVM_GET_VCPU_MMAP_SIZE");
	p->vcpu = ioctl(p->vm, KVM_CREATE_VCPU, 0);
	if (p->vcpu < 0)
		return fail(p, "KVM_CREATE_VCPU");
	void *run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, p->vcpu, 0);
	if (run == MAP_FAILED)
		return fail(p, "mmap of kvm_run");
	p->run = run;
	p->run_size = (size_t)size;
	return 0;
}
