// SPDX-License-Identifier: MIT
/*
 * The lifecycle of a VM (see vm.h for the states and who may move them). Every request is a
 * typed call here; nothing below boot.c decides how a run ends or restarts, it only asks.
 */
#include "vm.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "kvm/vcpu.h"

#define PAUSE_TIMEOUT_S 2

int vm_life_init(struct vm *vm)
{
	struct vm_life *l = &vm->life;
	sigset_t set;

	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->state = vm->cfg && vm->cfg->incoming ? VM_STATE_INCOMING : VM_STATE_PRELAUNCH;
	l->outcome = VM_OUTCOME_NONE;
	l->paused = l->prelaunch = vm->cfg && vm->cfg->start_paused;
	atomic_store(&l->leave, false);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	l->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->wake_fd < 0 || l->signal_fd < 0) {
		int err = errno;
		vm_life_destroy(vm);
		return -err;
	}
	return 0;
}

void vm_life_destroy(struct vm *vm)
{
	struct vm_life *l = &vm->life;

	if (l->wake_fd >= 0)
		close(l->wake_fd);
	if (l->signal_fd >= 0)
		close(l->signal_fd);
	l->wake_fd = l->signal_fd = -1;
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
}

void vm_wake(struct vm *vm)
{
	uint64_t one = 1;
	/* write(2) on an eventfd is async-signal-safe; a full counter (never, in practice)
	 * still leaves the fd readable, which is all a wake-up needs. */
	ssize_t w = write(vm->life.wake_fd, &one, sizeof(one));
	(void)w;
}

/* Stop vCPUs from entering the guest and tell everyone waiting (lock held). */
static void begin_leaving(struct vm *vm)
{
	atomic_store(&vm->life.leave, true);
	pthread_cond_broadcast(&vm->life.cond); /* parked vCPUs and pausers look again */
}

/* After life.lock is dropped: kick the vCPUs out of KVM_RUN and wake the main thread. */
static void after_request(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpu[i]);
	vm_wake(vm);
}

bool vm_end(struct vm *vm, enum vm_outcome outcome, int exit_code, const char *fmt, ...)
{
	struct vm_life *l = &vm->life;
	va_list ap;
	bool won = false;

	pthread_mutex_lock(&l->lock);
	if (l->outcome == VM_OUTCOME_NONE && l->state != VM_STATE_ENDED) {
		won = true;
		l->outcome = outcome;
		l->exit_code = exit_code;
		va_start(ap, fmt);
		vsnprintf(l->reason, sizeof(l->reason), fmt, ap);
		va_end(ap);
		/* No guest instruction runs after the end, as on hardware: a vCPU must not
		 * re-enter the guest while the main thread is on its way to stop it (a guest
		 * touching a poisoned page would take the same error again meanwhile). */
		begin_leaving(vm);
	}
	pthread_mutex_unlock(&l->lock);
	if (won)
		after_request(vm);
	return won;
}

int vm_reset(struct vm *vm, enum vm_reset_cause cause, const char *fmt, ...)
{
	struct vm_life *l = &vm->life;
	va_list ap;
	int taken;

	pthread_mutex_lock(&l->lock);
	if (l->outcome != VM_OUTCOME_NONE || l->state == VM_STATE_ENDED) {
		taken = -1; /* ending: the end wins */
	} else if (l->state == VM_STATE_RESETTING || l->reset_pending) {
		taken = 0;  /* one reset is on its way already: this is the same one */
	} else {
		taken = 1;
		l->reset_pending = true;
		l->reset_cause = cause;
		va_start(ap, fmt);
		vsnprintf(l->reset_reason, sizeof(l->reset_reason), fmt, ap);
		va_end(ap);
		begin_leaving(vm);
	}
	pthread_mutex_unlock(&l->lock);
	if (taken == 1)
		after_request(vm);
	return taken;
}

int vm_pause(struct vm *vm, bool *changed)
{
	struct vm_life *l = &vm->life;
	struct timespec until;
	int r = 0;

	pthread_mutex_lock(&l->lock);
	*changed = !l->paused;
	l->paused = true;
	pthread_mutex_unlock(&l->lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpu[i]);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PAUSE_TIMEOUT_S;
	pthread_mutex_lock(&l->lock);
	/* Between boots there are no threads to wait for: the hold applies to the next boot. */
	while (l->parked < l->threads && !atomic_load(&l->leave) && !r)
		r = pthread_cond_timedwait(&l->cond, &l->lock, &until);
	if (!r && l->outcome != VM_OUTCOME_NONE)
		r = ESHUTDOWN;
	pthread_mutex_unlock(&l->lock);
	return -r;
}

void vm_resume(struct vm *vm, bool *changed)
{
	struct vm_life *l = &vm->life;

	pthread_mutex_lock(&l->lock);
	if (l->migration == VM_MIGRATION_FINISHING) {
		/* The last round is being copied: the guest runs when it is over (as in QEMU,
		 * where cont waits for the migration thread). */
		l->migration_cont = true;
		*changed = false;
		pthread_mutex_unlock(&l->lock);
		return;
	}
	*changed = l->paused;
	l->paused = l->prelaunch = false;
	l->migration = VM_MIGRATION_NONE; /* postmigrate ends: the guest runs here again */
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

int vm_migration_freeze(struct vm *vm, bool *was_running)
{
	struct vm_life *l = &vm->life;
	bool changed;

	pthread_mutex_lock(&l->lock);
	*was_running = l->migration_ran = !l->paused;
	l->migration_cont = false;
	l->migration = VM_MIGRATION_FINISHING;
	atomic_store(&l->frozen, true);
	pthread_mutex_unlock(&l->lock);
	return vm_pause(vm, &changed);
}

void vm_migration_thaw(struct vm *vm, bool completed, bool *resumed)
{
	struct vm_life *l = &vm->life;

	pthread_mutex_lock(&l->lock);
	atomic_store(&l->frozen, false);
	bool run = l->migration_cont || (!completed && l->migration_ran);
	l->migration = completed && !run ? VM_MIGRATION_DONE : VM_MIGRATION_NONE;
	if (run)
		l->paused = l->prelaunch = false;
	*resumed = run;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

bool vm_frozen(struct vm *vm)
{
	return atomic_load(&vm->life.frozen);
}

bool vm_is_paused(struct vm *vm)
{
	pthread_mutex_lock(&vm->life.lock);
	bool p = vm->life.paused;
	pthread_mutex_unlock(&vm->life.lock);
	return p;
}

enum vm_state vm_state(struct vm *vm)
{
	pthread_mutex_lock(&vm->life.lock);
	enum vm_state s = vm->life.state;
	pthread_mutex_unlock(&vm->life.lock);
	return s;
}

bool vm_leaving(struct vm *vm)
{
	return atomic_load(&vm->life.leave);
}

int vm_wait(struct vm *vm, int timeout_ms)
{
	struct pollfd p[2] = {
		{ .fd = vm->life.signal_fd, .events = POLLIN },
		{ .fd = vm->life.wake_fd, .events = POLLIN },
	};

	if (poll(p, 2, timeout_ms) <= 0)
		return 0;
	if (p[1].revents & POLLIN) {
		uint64_t n;
		ssize_t r = read(vm->life.wake_fd, &n, sizeof(n));
		(void)r;
	}
	if (p[0].revents & POLLIN) {
		struct signalfd_siginfo si;
		if (read(vm->life.signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			return (int)si.ssi_signo;
	}
	return 0;
}

bool vm_boot_begin(struct vm *vm)
{
	struct vm_life *l = &vm->life;
	bool go;

	pthread_mutex_lock(&l->lock);
	go = l->outcome == VM_OUTCOME_NONE;
	if (go) {
		/* A restored guest has run before: -S holds it paused, not in prelaunch. */
		if (l->state == VM_STATE_INCOMING)
			l->prelaunch = false;
		l->state = VM_STATE_RUNNING;
		l->reset_pending = false;
		atomic_store(&l->leave, false);
	}
	pthread_mutex_unlock(&l->lock);
	return go;
}

bool vm_boot_finish(struct vm *vm, enum vm_reset_cause *cause, char *reason, size_t len)
{
	struct vm_life *l = &vm->life;
	bool again;

	pthread_mutex_lock(&l->lock);
	/* Every vCPU thread has been joined, so nobody is parked or running any more. */
	l->threads = l->parked = 0;
	again = l->outcome == VM_OUTCOME_NONE && l->reset_pending;
	if (again) {
		l->state = VM_STATE_RESETTING;
		*cause = l->reset_cause;
		snprintf(reason, len, "%s", l->reset_reason);
	} else {
		if (l->outcome == VM_OUTCOME_NONE) {
			/* The vCPUs stopped with nothing asked: rasvm's own failure. */
			l->outcome = VM_INTERNAL;
			snprintf(l->reason, sizeof(l->reason), "the vCPUs stopped for no recorded reason");
		}
		l->state = VM_STATE_ENDED;
	}
	pthread_mutex_unlock(&l->lock);
	return again;
}

enum vm_outcome vm_outcome(struct vm *vm, int *exit_code, char *reason, size_t len)
{
	struct vm_life *l = &vm->life;

	pthread_mutex_lock(&l->lock);
	enum vm_outcome o = l->outcome;
	if (exit_code)
		*exit_code = l->exit_code;
	if (reason)
		snprintf(reason, len, "%s", l->reason);
	pthread_mutex_unlock(&l->lock);
	return o;
}

const char *vm_status_name(struct vm *vm)
{
	struct vm_life *l = &vm->life;
	const char *s;

	pthread_mutex_lock(&l->lock);
	if (l->state == VM_STATE_ENDED || l->outcome != VM_OUTCOME_NONE)
		s = l->outcome == VM_TRIPLE_FAULT || l->outcome == VM_ASSERT ? "guest-panicked"
		    : l->outcome == VM_KVM_ERROR || l->outcome == VM_INTERNAL ? "internal-error"
		    : "shutdown";
	else if (l->state == VM_STATE_INCOMING)
		s = "inmigrate";
	else if (l->prelaunch || l->state == VM_STATE_PRELAUNCH)
		s = "prelaunch";
	else if (l->migration == VM_MIGRATION_FINISHING)
		s = "finish-migrate";
	else if (l->paused && l->migration == VM_MIGRATION_DONE)
		s = "postmigrate";
	else if (l->paused)
		s = "paused";
	else
		s = "running";
	pthread_mutex_unlock(&l->lock);
	return s;
}
