// SPDX-License-Identifier: MIT
#include "kvm/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dev/device.h"
#include "kvm/kvm.h"
#include "kvm/arch.h"
#include "log.h"
#include "ras/ras.h"
#include "ras/sim.h"
#include "sandbox/sandbox.h"

/* The hang watchdog: a vCPU whose guest has not exited for HANG_QUIET_NS is probed, at most
 * once per HANG_QUIET_NS (a probe interrupts the guest: an idle guest, whose timer never
 * leaves the kernel, is probed once a second), and the guest is hung once every vCPU was found
 * halted with interrupts off HANG_PROBES times in a row. */
#define HANG_QUIET_NS (1000ULL * 1000 * 1000)
#define HANG_PROBES   2

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

int vcpus_alloc(struct vm *vm)
{
	vm->vcpu = calloc(vm->ncpus, sizeof(*vm->vcpu));
	if (!vm->vcpu)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];
		v->vm = vm;
		v->index = i;
		v->fd = -1;
		pthread_mutex_init(&v->lock, NULL);
		pthread_cond_init(&v->call_done, NULL);
	}
	return 0;
}

void vcpus_free(struct vm *vm)
{
	for (unsigned i = 0; vm->vcpu && i < vm->ncpus; i++) {
		pthread_mutex_destroy(&vm->vcpu[i].lock);
		pthread_cond_destroy(&vm->vcpu[i].call_done);
	}
	free(vm->vcpu);
	vm->vcpu = NULL;
}

void vcpu_kick(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	/* The thread clears thread_alive under this lock before it ends: never a dead target. */
	if (v->thread_alive)
		pthread_kill(v->thread, SIG_VCPU_KICK);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_request(struct vcpu *v, unsigned req)
{
	atomic_fetch_or(&v->requests, req);
	vcpu_kick(v);
}

int vcpu_call(struct vcpu *v, vcpu_fn fn, void *arg, int timeout_ms)
{
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	pthread_mutex_lock(&v->lock);
	/* One call at a time per vCPU. */
	while (v->thread_alive && v->call_pending && !r)
		r = pthread_cond_timedwait(&v->call_done, &v->lock, &until);
	if (!v->thread_alive || r) {
		pthread_mutex_unlock(&v->lock);
		return r ? -ETIMEDOUT : -EAGAIN;
	}
	uint64_t seq = ++v->call_seq;
	v->call_fn = fn;
	v->call_arg = arg;
	v->call_pending = true;
	atomic_fetch_or(&v->requests, VCPU_REQ_CALL);
	pthread_kill(v->thread, SIG_VCPU_KICK);
	while (v->call_done_seq < seq && v->thread_alive && !r)
		r = pthread_cond_timedwait(&v->call_done, &v->lock, &until);
	int result = v->call_done_seq >= seq ? v->call_result : r ? -ETIMEDOUT : -EAGAIN;
	pthread_mutex_unlock(&v->lock);
	return result;
}

/* On the vCPU thread: run the waiting call, if any. */
static void run_call(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	if (!v->call_pending) {
		pthread_mutex_unlock(&v->lock);
		return;
	}
	vcpu_fn fn = v->call_fn;
	void *arg = v->call_arg;
	pthread_mutex_unlock(&v->lock);
	int r = fn(v, arg);
	pthread_mutex_lock(&v->lock);
	v->call_result = r;
	v->call_done_seq = v->call_seq;
	v->call_pending = false;
	pthread_cond_broadcast(&v->call_done);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_poll_later(struct vcpu *v, uint64_t ns)
{
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ns / 1000000000ULL),
						.tv_nsec = (long)(ns % 1000000000ULL) } };
	if (v->has_poll_timer && timer_settime(v->poll_timer, 0, &its, NULL) < 0)
		log_warn_rl("vcpu %u: cannot arm its poll timer: %s", v->index, strerror(errno));
}

int vcpus_create(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		atomic_store(&v->requests, 0);
		atomic_store(&v->halted_noirq_probes, 0);
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
		int r = arch_vcpu_init(vm, v);
		if (r)
			return r;
	}
	return arch_vcpus_created(vm);
}

/* Sample whether this vCPU is halted with interrupts off: only an NMI could wake it. */
static void hang_probe(struct vcpu *v)
{
	bool halted;
	uint64_t pc;

	if (arch_vcpu_halted_masked(v, &halted, &pc))
		return;
	if (halted) {
		atomic_store(&v->last_rip, pc);
		atomic_fetch_add(&v->halted_noirq_probes, 1);
	} else {
		atomic_store(&v->halted_noirq_probes, 0);
	}
}

bool vcpus_hung(struct vm *vm, uint64_t now)
{
	bool all = true;

	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];
		uint64_t last = atomic_load(&v->last_exit_ns);
		if (now - last < HANG_QUIET_NS) {
			/* It left KVM_RUN lately: running, not hung. */
			atomic_store(&v->halted_noirq_probes, 0);
			all = false;
			continue;
		}
		if (atomic_load(&v->halted_noirq_probes) < HANG_PROBES)
			all = false;
		if (now - v->last_probe_ns >= HANG_QUIET_NS) {
			v->last_probe_ns = now;
			vcpu_request(v, VCPU_REQ_HANG_PROBE);
		}
	}
	return all;
}

static bool fetch_from_poison(struct vcpu *v)
{
	uint64_t gpa;

	return arch_pc_gpa(v, &gpa) && sim_touch(v->vm, gpa);
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

/* KVM met an instruction its emulator does not know (MMIO by an unusual instruction, or
 * any CPL0 instruction on hosts that emulate all guest kernel code): say which. */
static void emulation_failure(struct vcpu *v)
{
	char bytes[3 * 15 + 1] = "";
	const struct kvm_run *run = v->run;
	bool halted;
	uint64_t pc = 0;

	arch_vcpu_halted_masked(v, &halted, &pc);
	if (run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		unsigned n = run->emulation_failure.insn_size < 15 ? run->emulation_failure.insn_size : 15;
		for (unsigned i = 0; i < n; i++)
			snprintf(bytes + 3 * i, sizeof(bytes) - 3 * i, " %02x", run->emulation_failure.insn_bytes[i]);
	}
	vm_end(v->vm, VM_KVM_ERROR, 0, "vcpu %u: KVM could not emulate the instruction at rip 0x%llx%s%s",
	       v->index, (unsigned long long)pc, bytes[0] ? ", bytes" : "", bytes);
}

/* Handle one exit; false when the vCPU must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;
	bool stop;

	if (arch_handle_exit(v, &stop))
		return !stop;
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO: {
		uint64_t gpa = run->mmio.phys_addr;
		unsigned len = run->mmio.len <= 8 ? run->mmio.len : 8;
		if (ghes_mmio(vm, v, gpa, run->mmio.is_write, run->mmio.data, len) ||
		    devices_mmio(vm, v, gpa, run->mmio.is_write, run->mmio.data, len))
			return true;
		/* A poisoned page shows up here when KVM emulates the access: the read completes
		 * with all ones, and the machine check or NMI the SIGBUS leads to comes right after. */
		bool poisoned = sim_touch(vm, gpa);
		if (!run->mmio.is_write)
			memset(run->mmio.data, poisoned ? 0xff : 0, sizeof(run->mmio.data));
		if (!poisoned)
			log_debug_rl("vcpu %u: %s of unclaimed MMIO 0x%llx ignored", v->index,
				     run->mmio.is_write ? "write" : "read", (unsigned long long)gpa);
		return true;
	}
	case KVM_EXIT_SHUTDOWN: {
		bool halted;
		uint64_t pc = 0;
		arch_vcpu_halted_masked(v, &halted, &pc);
		vm_end(vm, VM_TRIPLE_FAULT, 0, "guest triple fault on vcpu %u (rip 0x%llx): the CPU reset itself",
		       v->index, (unsigned long long)pc);
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
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
			emulation_failure(v);
			return false;
		}
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

static bool sigbus_pending(const struct vcpu *v)
{
	return atomic_load(&v->sigbus.write) != atomic_load(&v->sigbus.read) ||
	       atomic_load(&v->sigbus.overflow);
}

/* Everything asked of this vCPU, on its thread, before it enters the guest again. */
static void do_work(struct vcpu *v)
{
	struct vm *vm = v->vm;

	/* A host memory error this vCPU ran into is handled before it runs on. */
	if (sigbus_pending(v))
		ras_drain(vm, v);
	/* While an outgoing migration's last round is copied, only vcpu_call()s run: anything
	 * else asked of the vCPU waits in its request bits, which the stream carries. */
	unsigned take = vm_frozen(vm) ? VCPU_REQ_CALL : ~0u;
	unsigned req = atomic_fetch_and(&v->requests, ~take) & take;
	if (req & (VCPU_REQ_RAS | VCPU_REQ_NMI | VCPU_REQ_GHES_SYNC | VCPU_REQ_IRQ_GED))
		ras_vcpu_work(v, req);
	if (req & VCPU_REQ_SIM_TOUCH)
		sim_touch(vm, atomic_load(&v->touch_gpa));
	if (req & VCPU_REQ_HANG_PROBE)
		hang_probe(v);
	if (req & VCPU_REQ_CALL)
		run_call(v);
}

/* While the VM is paused (stop), hold here, outside KVM_RUN, still doing what is asked. */
static void park(struct vcpu *v)
{
	struct vm_life *l = &v->vm->life;

	pthread_mutex_lock(&l->lock);
	if (!l->paused || atomic_load(&l->leave)) {
		pthread_mutex_unlock(&l->lock);
		return;
	}
	l->parked++;
	pthread_cond_broadcast(&l->cond);
	while (l->paused && !atomic_load(&l->leave)) {
		if (atomic_load(&v->requests) & (VCPU_REQ_CALL | (vm_frozen(v->vm) ? 0 : VCPU_REQ_RAS))) {
			pthread_mutex_unlock(&l->lock);
			do_work(v);
			pthread_mutex_lock(&l->lock);
			continue;
		}
		/* Woken by resume, an end or reset, or (bounded) to look for requests again. */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 20 * 1000000L;
		if (until.tv_nsec >= 1000000000L)
			until.tv_sec++, until.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&l->cond, &l->lock, &until);
	}
	l->parked--;
	pthread_mutex_unlock(&l->lock);
	atomic_store(&v->last_exit_ns, now_ns());
}

/* The vCPU's access faulted on a poisoned page and its SEA record waits for the GHES block
 * (ras.h, ras_vcpu_stalled): hold outside the guest until a request comes (its record went
 * out, a call, an end) or RAS_SEA_STALL_NS passed; then it re-enters and faults again. The
 * kick is blocked until ppoll() waits, so one sent in between is not slept through. */
static void stall(struct vcpu *v)
{
	sigset_t kick, old;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)RAS_SEA_STALL_NS };

	sigemptyset(&kick);
	sigaddset(&kick, SIG_VCPU_KICK);
	pthread_sigmask(SIG_BLOCK, &kick, &old);
	if (!atomic_load(&v->requests) && !vm_leaving(v->vm))
		ppoll(NULL, 0, &ts, &old);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	v->run->immediate_exit = 0;
}

static void make_poll_timer(struct vcpu *v)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIG_VCPU_KICK };

	sev._sigev_un._tid = gettid();
	v->has_poll_timer = timer_create(CLOCK_MONOTONIC, &sev, &v->poll_timer) == 0;
	if (!v->has_poll_timer)
		log_warn("vcpu %u: no poll timer (%s): paced machine checks wait for the next exit",
			 v->index, strerror(errno));
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t set;

	/* Confined first: all it does from here on is the vCPU's work. */
	int r = sandbox_enter(SANDBOX_VCPU);
	if (r)
		vm_end(vm, VM_INTERNAL, 0, "vcpu %u: the kernel refused its sandbox: %s", v->index, strerror(-r));
	current_run = v->run;
	sigbus_set_thread_vcpu(v);
	make_poll_timer(v);
	atomic_store(&v->last_exit_ns, now_ns());
	/* The kick and SIGBUS reach this thread; SIGINT and SIGTERM belong to the main thread. */
	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	sigaddset(&set, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!vm_leaving(vm)) {
		do_work(v);
		park(v);
		/* What ran above (a machine check the guest cannot take, say) may end the run. */
		if (vm_leaving(vm))
			break;
		if (ras_vcpu_stalled(v) && !(v->stalled_ns && now_ns() - v->stalled_ns >= RAS_SEA_STALL_NS)) {
			if (!v->stalled_ns)
				v->stalled_ns = now_ns();
			stall(v);
			continue;
		}
		v->stalled_ns = 0;
		v->runs++;
		sigbus_set_guest_access(true);
		int r = ioctl(v->fd, KVM_RUN, 0);
		int err = errno;
		sigbus_set_guest_access(false);
		if (r == 0) /* the guest did something; a kick (EINTR) is not the guest's doing */
			atomic_store(&v->last_exit_ns, now_ns());
		if (r < 0) {
			if (err == EINTR || err == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			if (err == EFAULT && handle_efault(v))
				continue;
			vm_end(vm, VM_KVM_ERROR, 0, "vcpu %u: KVM_RUN failed: %s", v->index, strerror(err));
			break;
		}
		if (!handle_exit(v))
			break;
	}
	/* No more kicks or simulated errors for this thread; then nothing it was told is lost:
	 * host errors it ran into are recorded (the pages stay known, so a reset replaces them). */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (sigbus_pending(v))
		ras_drain(vm, v);
	if (v->has_poll_timer)
		timer_delete(v->poll_timer);
	v->has_poll_timer = false;
	pthread_mutex_lock(&v->lock);
	v->thread_alive = false;
	v->call_pending = false;
	pthread_cond_broadcast(&v->call_done);
	pthread_mutex_unlock(&v->lock);
	sigbus_set_thread_vcpu(NULL);
	current_run = NULL;
	return NULL;
}

int vcpus_start(struct vm *vm)
{
	sigset_t block, old;
	int r = 0;

	/* Threads inherit this mask: everything blocked but the kick, unblocked in the thread. */
	sigfillset(&block);
	pthread_sigmask(SIG_SETMASK, &block, &old);
	for (unsigned i = 0; i < vm->ncpus && !r; i++) {
		struct vcpu *v = &vm->vcpu[i];
		pthread_mutex_lock(&v->lock);
		r = pthread_create(&v->thread, NULL, vcpu_thread, v);
		v->thread_alive = v->joinable = r == 0;
		pthread_mutex_unlock(&v->lock);
		if (r)
			log_err("cannot start the thread of vcpu %u: %s", i, strerror(r));
		else {
			pthread_mutex_lock(&vm->life.lock);
			vm->life.threads++;
			pthread_mutex_unlock(&vm->life.lock);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -r;
}

void vcpus_stop(struct vm *vm)
{
	/* Whoever asked for the end or reset set life.leave and kicked; kick again for
	 * threads that were starting then. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpu[i]);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];
		if (v->joinable)
			pthread_join(v->thread, NULL);
		v->joinable = false;
	}
}

void vcpus_report(struct vm *vm)
{
	char line[160];

	for (unsigned i = 0; i < vm->ncpus; i++) {
		arch_vcpu_describe(&vm->vcpu[i], line, sizeof(line));
		log_info("vcpu %u: %s", i, line);
	}
}

void vcpus_destroy(struct vm *vm)
{
	for (unsigned i = 0; vm->vcpu && i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];
		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
		v->run = NULL;
		v->fd = -1;
	}
}
