// SPDX-License-Identifier: MIT
#include "kvm/dirty.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/probe.h"
#include "vm.h"

int kvm_dirty_log_enable(struct vm *vm, bool on)
{
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
			.guest_phys_addr = vm->mem.region[i].gpa,
			.memory_size = vm->mem.region[i].size,
			.userspace_addr = (uintptr_t)vm->mem.region[i].hva,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return -errno;
	}
	return 0;
}

int kvm_dirty_log_get(struct vm *vm, unsigned slot, uint64_t *bitmap)
{
	struct kvm_dirty_log d = { .slot = slot, .dirty_bitmap = bitmap };

	return ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &d) < 0 ? -errno : 0;
}

/* Real mode at 0x1000: write a byte to 0x3000 and 0x5000, then HLT (the bytes below). */
static const uint8_t probe_code[] = {
	0xb8, 0x00, 0x03, 0x8e, 0xd8, 0xc6, 0x06, 0x00, 0x00, 0x01, /* mov ax,0x300; mov ds,ax; mov byte [0],1 */
	0xb8, 0x00, 0x05, 0x8e, 0xd8, 0xc6, 0x06, 0x00, 0x00, 0x02, /* mov ax,0x500; mov ds,ax; mov byte [0],2 */
	0xf4,                                                       /* hlt */
};

int kvm_dirty_log_probe(int kvm_fd, char *why, size_t len)
{
	struct probe_vm p;
	int result = -1;
	uint64_t bitmap[1] = { 0 };

	snprintf(why, len, "could not run the probe");
	if (probe_vm_create(kvm_fd, &p, 0, KVM_MEM_LOG_DIRTY_PAGES) < 0) {
		if (p.failed && !strcmp(p.failed, "KVM_SET_USER_MEMORY_REGION")) {
			snprintf(why, len, "KVM_MEM_LOG_DIRTY_PAGES refused: %s", strerror(errno));
			return 0;
		}
		return -1;
	}
	memcpy(p.ram + 0x1000, probe_code, sizeof(probe_code));
	struct kvm_sregs s;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	if (ioctl(p.vm, KVM_SET_TSS_ADDR, (unsigned long)0xfffbd000) < 0 ||
	    ioctl(p.vcpu, KVM_GET_SREGS, &s) < 0)
		goto out;
	s.cs.base = 0;
	s.cs.selector = 0;
	struct kvm_dirty_log d = { .slot = 0, .dirty_bitmap = bitmap };
	if (ioctl(p.vcpu, KVM_SET_SREGS, &s) < 0 || ioctl(p.vcpu, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(p.vm, KVM_GET_DIRTY_LOG, &d) < 0) /* clears what the set-up did */
		goto out;
	bitmap[0] = 0;
	if (ioctl(p.vcpu, KVM_RUN, 0) < 0 || p.run->exit_reason != KVM_EXIT_HLT)
		goto out;
	if (ioctl(p.vm, KVM_GET_DIRTY_LOG, &d) < 0) {
		snprintf(why, len, "KVM_GET_DIRTY_LOG failed: %s", strerror(errno));
		result = 0;
		goto out;
	}
	const uint64_t want = (1ULL << 3) | (1ULL << 5);
	result = (bitmap[0] & want) == want;
	if (result)
		snprintf(why, len, "KVM_GET_DIRTY_LOG names the pages a guest wrote");
	else
		snprintf(why, len, "KVM_GET_DIRTY_LOG missed pages the guest wrote (log 0x%llx)",
			 (unsigned long long)bitmap[0]);
out:
	probe_vm_destroy(&p);
	return result;
}
