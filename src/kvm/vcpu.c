// SPDX-License-Identifier: MIT
#include "kvm/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dev/device.h"
#include "kvm/kvm.h"
#include "kvm/x86/cpu.h"
#include "log.h"
#include "ras/ras.h"
#include "ras/sim.h"

#define RFLAGS_IF (1ULL << 9)

/* The kvm_run of the vCPU this thread runs, for the kick handler. */
static __thread struct kvm_run *volatile current_run;

static void kick_handler(int sig)
{
	(void)sig;
	struct kvm_run *run = current_run;
	/* KVM_RUN returns -EINTR at once, even if the signal came just before it entered. */
	if (run)
		run->immediate_exit = 1;
}

int vcpu_signals_init(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIG_VCPU_KICK, &sa, NULL) < 0 ? -errno : 0;
}

void vcpu_request(struct vcpu *vcpu, unsigned req)
{
	/* req 0: only make it leave KVM_RUN and look around (pause). */
	atomic_fetch_or(&vcpu->requests, req);
	if (vcpu->thread_started)
		pthread_kill(vcpu->thread, SIG_VCPU_KICK);
}

int vcpus_create(struct vm *vm)
{
	vm->vcpu = calloc(vm->ncpus, sizeof(*vm->vcpu));
	if (!vm->vcpu)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->ncpus; i++)
		vm->vcpu[i].fd = -1;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		v->vm = vm;
		v->index = i;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (v->fd < 0) {
			int err = errno;
			log_err("KVM_CREATE_VCPU %u failed: %s", i, strerror(err));
			return -err;
		}
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			int err = errno;
			v->run = NULL;
			log_err("vcpu %u: mmap of kvm_run failed: %s", i, strerror(err));
			return -err;
		}
		int r = x86_vcpu_init(vm, v);
		if (r)
			return r;
	}
	return 0;
}

/* Sample whether this vCPU is halted with interrupts off: only an NMI could wake it. */
static void hang_probe(struct vcpu *v)
{
	struct kvm_mp_state mp;
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0 || ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return;
	if (mp.mp_state == KVM_MP_STATE_HALTED && !(regs.rflags & RFLAGS_IF)) {
		v->last_rip = regs.rip;
		atomic_fetch_add(&v->halted_noirq_ticks, 1);
	} else {
		atomic_store(&v->halted_noirq_ticks, 0);
	}
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

static bool fetch_from_poison(struct vcpu *v)
{
	struct kvm_regs regs;
	struct kvm_translation tr;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return false;
	tr = (struct kvm_translation){ .linear_address = regs.rip };
	if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return false;
	return sim_touch(v->vm, tr.physical_address);
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_FAIL_ENTRY: return "failed entry";
	case KVM_EXIT_INTERNAL_ERROR: return "internal error (emulation failure)";
	case KVM_EXIT_EXCEPTION: return "exception";
	case KVM_EXIT_HLT: return "hlt";
	default: return "unexpected exit";
	}
}

/* Handle one exit; false when the vCPU must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO: {
		uint64_t gpa = run->mmio.phys_addr;
		if (ghes_mmio(vm, v, gpa, run->mmio.is_write, run->mmio.data, run->mmio.len))
			return true;
		/* A poisoned page shows up here when KVM emulates the access: the read completes
		 * with all ones, and the machine check or NMI the SIGBUS leads to comes right after. */
		bool poisoned = sim_touch(vm, gpa);
		if (!run->mmio.is_write)
			memset(run->mmio.data, poisoned ? 0xff : 0, sizeof(run->mmio.data));
		if (poisoned)
			return true;
		log_debug("vcpu %u: %s of unclaimed MMIO 0x%llx ignored", v->index,
			  run->mmio.is_write ? "write" : "read", (unsigned long long)gpa);
		return true;
	}
	case KVM_EXIT_SHUTDOWN: {
		struct kvm_regs regs = { 0 };
		ioctl(v->fd, KVM_GET_REGS, &regs);
		vm_end(vm, VM_TRIPLE_FAULT, 0, "guest triple fault on vcpu %u (rip 0x%llx): the CPU reset itself",
		       v->index, (unsigned long long)regs.rip);
		return false;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		vm_end(vm, VM_KVM_ERROR, 0, "vcpu %u: system event %u (reset or shutdown request)",
		       v->index, run->system_event.type);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vm_end(vm, VM_KVM_ERROR, 0, "vcpu %u: KVM could not enter the guest (hardware reason 0x%llx)",
		       v->index, (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		/* Nested KVM cannot fetch an instruction from a PROT_NONE page: if the simulator
		 * poisoned it, that is the guest executing from a poisoned page (an AR). */
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && fetch_from_poison(v))
			return true;
		vm_end(vm, VM_KVM_ERROR, 0, "vcpu %u: KVM internal error, suberror %u", v->index,
		       run->internal.suberror);
		return false;
	default:
		vm_end(vm, VM_KVM_ERROR, 0, "vcpu %u: %s (KVM exit reason %u)", v->index,
		       exit_name(run->exit_reason), run->exit_reason);
		return false;
	}
}

/* KVM_RUN failed with EFAULT: a native (not emulated) access reached a page the simulator
 * made PROT_NONE. Kernels that fill KVM_EXIT_MEMORY_FAULT say where (exit union: u64 flags,
 * u64 gpa, u64 size); otherwise an instruction fetch is found from RIP, and a data access
 * cannot be placed: every page the simulator holds is reported (docs/ras.md). */
static bool handle_efault(struct vcpu *v)
{
	if (v->run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
		const uint64_t *mf = (const uint64_t *)(const void *)&v->run->mmio;
		if (sim_touch(v->vm, mf[1]))
			return true;
	}
	return fetch_from_poison(v) || sim_touch_unknown(v->vm);
}

/* While the VM is paused (stop), wait here, outside KVM_RUN. */
static void park(struct vcpu *v)
{
	struct vm *vm = v->vm;

	pthread_mutex_lock(&vm->pause_lock);
	if (vm->paused && !atomic_load(&vm->stopping)) {
		vm->parked++;
		atomic_store(&v->halted_noirq_ticks, 0);
		pthread_cond_broadcast(&vm->pause_cond);
		while (vm->paused && !atomic_load(&vm->stopping))
			pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
		vm->parked--;
	}
	pthread_mutex_unlock(&vm->pause_lock);
}

int vm_pause(struct vm *vm)
{
	struct timespec until;
	int r = 0;

	pthread_mutex_lock(&vm->pause_lock);
	vm->paused = true;
	pthread_mutex_unlock(&vm->pause_lock);
	pthread_rwlock_rdlock(&vm->vcpu_lock);
	for (unsigned i = 0; vm->vcpu && i < vm->ncpus; i++)
		vcpu_request(&vm->vcpu[i], 0);
	pthread_rwlock_unlock(&vm->vcpu_lock);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->parked < vm->ncpus && !atomic_load(&vm->stopping) && !r)
		r = pthread_cond_timedwait(&vm->pause_cond, &vm->pause_lock, &until);
	pthread_mutex_unlock(&vm->pause_lock);
	return r ? -ETIMEDOUT : 0;
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->paused = false;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

static bool sigbus_pending(const struct vcpu *v)
{
	return atomic_load(&v->sigbus.write) != atomic_load(&v->sigbus.read) ||
	       atomic_load(&v->sigbus.overflow);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t set;

	current_run = v->run;
	sigbus_set_thread_vcpu(v);
	/* The kick and SIGBUS reach this thread; SIGINT and SIGTERM belong to the main thread. */
	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	sigaddset(&set, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&vm->stopping)) {
		/* A host memory error this vCPU ran into is handled before it runs on. */
		if (sigbus_pending(v))
			ras_drain(vm, v);
		unsigned req = atomic_exchange(&v->requests, 0);
		if (req & (VCPU_REQ_MCE | VCPU_REQ_NMI))
			ras_vcpu_requests(v, req);
		if (req & VCPU_REQ_SIM_TOUCH)
			sim_touch(vm, atomic_load(&v->touch_gpa));
		park(v);
		if (req & VCPU_REQ_HANG_PROBE)
			hang_probe(v);
		/* What ran above (a machine check the guest cannot take, say) may have ended the run. */
		if (atomic_load(&vm->stopping))
			break;
		int r = ioctl(v->fd, KVM_RUN, 0);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			if (errno == EFAULT && handle_efault(v))
				continue;
			vm_end(vm, VM_KVM_ERROR, 0, "vcpu %u: KVM_RUN failed: %s", v->index,
			       strerror(errno));
			break;
		}
		if (!handle_exit(v))
			break;
	}
	sigbus_set_thread_vcpu(NULL);
	current_run = NULL;
	return NULL;
}

int vcpus_start(struct vm *vm)
{
	sigset_t block, old;

	/* Threads inherit this mask: everything blocked but the kick, unblocked in the thread. */
	sigfillset(&block);
	pthread_sigmask(SIG_SETMASK, &block, &old);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];
		int r = pthread_create(&v->thread, NULL, vcpu_thread, v);
		if (r) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			log_err("cannot start the thread of vcpu %u: %s", i, strerror(r));
			return -r;
		}
		v->thread_started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void vcpus_stop(struct vm *vm)
{
	atomic_store(&vm->stopping, true);
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond); /* parked vCPUs leave too */
	pthread_mutex_unlock(&vm->pause_lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->vcpu[i].thread_started)
			pthread_kill(vm->vcpu[i].thread, SIG_VCPU_KICK);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (vm->vcpu[i].thread_started) {
			pthread_join(vm->vcpu[i].thread, NULL);
			vm->vcpu[i].thread_started = false;
		}
	}
}

void vcpus_report(struct vm *vm)
{
	static const char *const states[] = { "runnable", "uninitialized", "init-received",
					      "halted", "sipi-received", "stopped",
					      "check-stop", "operating", "load" };
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct kvm_regs regs;
		struct kvm_mp_state mp;
		if (ioctl(vm->vcpu[i].fd, KVM_GET_REGS, &regs) < 0 ||
		    ioctl(vm->vcpu[i].fd, KVM_GET_MP_STATE, &mp) < 0)
			continue;
		log_info("vcpu %u: rip 0x%llx rsp 0x%llx rflags 0x%llx %s", i,
			 (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
			 (unsigned long long)regs.rflags,
			 mp.mp_state < sizeof(states) / sizeof(states[0]) ? states[mp.mp_state] : "?");
	}
}

void vcpus_destroy(struct vm *vm)
{
	if (!vm->vcpu)
		return;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];
		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	free(vm->vcpu);
	vm->vcpu = NULL;
}
