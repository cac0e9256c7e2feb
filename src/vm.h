/* SPDX-License-Identifier: MIT */
/*
 * One virtual machine: plain structs shared by the main thread, the vCPU threads, the
 * control socket's thread and the devices, and its lifecycle (vm.c).
 *
 * The lifecycle is one small state machine with one owner lock (life.lock):
 *
 *   PRELAUNCH --vm_boot_begin--> RUNNING --(end or reset requested; main stops vCPUs)-->
 *       vm_boot_finish: ENDED (an end was asked: power-off, quit, signal, fatal error)
 *                     | RESETTING --vm_boot_begin--> RUNNING ...        (a reset was asked)
 *   INCOMING (--incoming: the machine waits for a snapshot or a migration stream, and loads
 *       it before its first boot) --vm_boot_begin--> RUNNING ...
 *
 * Requests come from any thread through vm_end() and vm_reset(); an end always wins over a
 * reset, whatever the order they arrive in, and the first end decides the outcome. Only the
 * main thread moves the state (vm_boot_begin/vm_boot_finish), after the vCPU threads have
 * stopped. Pausing (stop/cont) is a hold on top of RUNNING: vCPUs park outside KVM_RUN.
 * An outgoing migration's last round holds them too (state/migrate.c):
 *
 *   running or paused --vm_migration_freeze--> finish-migrate (paused and frozen: parked vCPUs
 *       run vcpu_call()s only; every other request waits, to be carried in the stream)
 *       --vm_migration_thaw(completed)--> postmigrate (paused; cont runs the guest here again)
 *       --vm_migration_thaw(failed)--> as before the freeze (and a cont that came meanwhile)
 *
 * Who may touch what while threads run:
 *
 *   fields                           written by                        protected by
 *   cfg, kvm_fd, run_size, mem,      boot.c before any thread starts    immutable afterwards
 *   ncpus, vcpu[] (the array), ras,
 *   sim, qmp, cpuid
 *   prep.result, .fd, .run_size      kvm_vm_prepare's helper thread     read after joining it
 *   vm_fd, boot, resets, vcpu[i].fd  the main thread between boots      no vCPU thread runs then;
 *   and .run                         (PRELAUNCH/RESETTING)              other threads never use
 *                                                                        them (they ask a vCPU)
 *   mcg_cap                          vCPU 0's set-up at each boot       _Atomic
 *   life.*                           anyone, through vm.c               life.lock (leave: atomic)
 *   vcpu[i].requests, .sigbus        anyone                             atomics, lock-free ring
 *   vcpu[i] thread state, call slot  vcpu.c                             vcpu[i].lock
 *   ras state                        ras/                               ras->lock
 *   serial                           dev/serial.c                       serial.lock
 *
 * Lock order: ras->lock may be taken with nothing held or after qmp's event lock is released;
 * life.lock and vcpu[i].lock are leaves (nothing else is taken while they are held, except
 * that vm.c kicks vCPUs, which takes vcpu[i].lock, after dropping life.lock).
 */
#ifndef RASVM_VM_H
#define RASVM_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "dev/serial.h"
#include "kvm/mem.h"
#include "loader/loader.h"
#include "ras/sigbus.h"

struct kvm_run;
struct kvm_cpuid2;
struct ras;
struct sim;

/* How a run ended; the first vm_end() decides it. */
enum vm_outcome {
	VM_OUTCOME_NONE,   /* still running (or only a reset is pending) */
	VM_POWER_OFF,      /* guest wrote PORT_POWER */
	VM_TRIPLE_FAULT,   /* KVM_EXIT_SHUTDOWN */
	VM_HUNG,           /* every vCPU halted with interrupts disabled */
	VM_ASSERT,         /* UCALL_ASSERT */
	VM_BAD_EXIT_CODE,  /* PORT_POWER value above GUEST_EXIT_MAX */
	VM_KVM_ERROR,      /* KVM could not run the guest */
	VM_INTERNAL,       /* rasvm itself failed */
	VM_SIGNAL,         /* SIGINT or SIGTERM */
	VM_HOST_MEMORY,    /* a host memory error the guest cannot be told of (--ras off) */
	VM_QUIT,           /* the control socket's quit */
};

/* Who asked for a reset (the RESET event's "guest" and "reason" follow it). */
enum vm_reset_cause {
	VM_RESET_GUEST,    /* the guest wrote the FADT reset register */
	VM_RESET_CONTROL,  /* system_reset on the control socket */
	VM_RESET_RAS,      /* a machine check the guest could not take: the CPU would shut down */
};

enum vm_state {
	VM_STATE_PRELAUNCH, /* built, the first boot's vCPUs not started yet */
	VM_STATE_INCOMING,  /* built, waiting for the incoming snapshot or stream (QEMU's inmigrate) */
	VM_STATE_RUNNING,   /* vCPU threads run the guest (or park, while paused) */
	VM_STATE_RESETTING, /* between two boots: vCPUs stopped, the machine being rebuilt */
	VM_STATE_ENDED,     /* over; the outcome says why */
};

struct vm_life {
	pthread_mutex_t lock;
	pthread_cond_t cond;        /* parked vCPUs and vm_pause() wait here */
	enum vm_state state;
	enum vm_outcome outcome;
	int exit_code;              /* with VM_POWER_OFF: the guest's code; VM_SIGNAL: 130/143 */
	char reason[256];           /* human-readable, for the final log line */
	bool reset_pending;
	enum vm_reset_cause reset_cause;
	char reset_reason[256];
	bool paused;                /* stop: vCPUs hold outside KVM_RUN until cont */
	bool prelaunch;             /* -S: paused since start, no guest code has run yet */
	enum vm_migration {
		VM_MIGRATION_NONE,
		VM_MIGRATION_FINISHING, /* an outgoing migration's last round: paused and frozen */
		VM_MIGRATION_DONE,      /* it completed: postmigrate until cont */
	} migration;
	bool migration_ran;         /* the guest ran when the last round began */
	bool migration_cont;        /* cont arrived during the last round */
	atomic_bool frozen;         /* finishing: parked vCPUs take vcpu_call()s only */
	unsigned threads;           /* vCPU threads of this boot that are running */
	unsigned parked;            /* of those, how many hold because of the pause */
	atomic_bool leave;          /* an end or reset is pending: no vCPU enters the guest again */
	int wake_fd;                /* eventfd the main thread waits on (written from signal handlers too) */
	int signal_fd;              /* SIGINT and SIGTERM, taken by the main thread only */
};

/* Requests to a vCPU thread, set by anyone, consumed by the vCPU after a kick. */
#define VCPU_REQ_HANG_PROBE (1u << 0) /* sample halted-with-interrupts-off state */
#define VCPU_REQ_NMI        (1u << 1) /* inject an NMI (inject-nmi) */
#define VCPU_REQ_RAS        (1u << 2) /* RAS work for this vCPU: machine checks waiting */
#define VCPU_REQ_SIM_TOUCH  (1u << 3) /* the simulator: this vCPU touches vcpu->touch_gpa */
#define VCPU_REQ_IRQ_GED    (1u << 4) /* vCPU 0: pulse the GED's interrupt line */
#define VCPU_REQ_CALL       (1u << 5) /* run vcpu->call (vcpu_call) */
#define VCPU_REQ_GHES_SYNC  (1u << 6) /* the sync GHES source's notification (x86 NMI, arm64 SEA) */

/* A function run on a vCPU's own thread for another thread (KVM wants vCPU ioctls there). */
typedef int (*vcpu_fn)(struct vcpu *v, void *arg);

struct vcpu {
	struct vm *vm;
	unsigned index;
	/* Per boot (see the table above). */
	int fd;
	struct kvm_run *run;
	/* The thread, and whether it can be signalled: under lock, so a kick never reaches a
	 * thread that has already ended. */
	pthread_mutex_t lock;
	pthread_cond_t call_done;
	pthread_t thread;
	bool thread_alive;   /* signals may be sent to it */
	bool joinable;       /* started and not joined yet */
	/* vcpu_call's slot, under lock. */
	vcpu_fn call_fn;
	void *call_arg;
	int call_result;
	bool call_pending;
	uint64_t call_seq, call_done_seq;

	_Atomic unsigned requests;
	_Atomic uint64_t last_exit_ns;     /* when the guest last exited to rasvm (kicks aside): hang probes skip busy vCPUs */
	_Atomic unsigned halted_noirq_probes; /* probes in a row that found it halted with RFLAGS.IF clear */
	_Atomic uint64_t last_rip;         /* at the last hang probe, for the report */
	_Atomic uint64_t touch_gpa;        /* with VCPU_REQ_SIM_TOUCH */
	uint64_t runs;                     /* KVM_RUN calls of this boot (its own thread's) */
	uint64_t stalled_ns;               /* when it began waiting for its SEA record, 0: not */
	timer_t poll_timer;                /* the thread's one-shot kick timer (vcpu_poll_later) */
	bool has_poll_timer;
	uint64_t last_probe_ns;            /* the main thread's last hang probe of it */
	struct sigbus_ring sigbus;         /* action-required SIGBUS stashed by the handler */
};

struct vm {
	const struct config *cfg;
	int kvm_fd;
	int vm_fd;
	size_t run_size;           /* mmap size of struct kvm_run */
	struct {                   /* the first boot's VM, built ahead (kvm_vm_prepare) */
		pthread_t thread;
		bool started, joined;
		int result, fd;
		size_t run_size;
	} prep;
	struct guest_mem mem;
	struct boot_plan boot;     /* what was loaded and how the vCPUs enter it */
	unsigned ncpus;
	struct vcpu *vcpu;
	struct kvm_cpuid2 *cpuid;  /* KVM_GET_SUPPORTED_CPUID, adjusted per vCPU */
	_Atomic uint64_t mcg_cap;  /* what the guest's MCG_CAP really reads (vCPU 0, read back) */
	struct serial serial;
	struct vm_life life;
	_Atomic uint64_t first_testport_ns; /* CLOCK_MONOTONIC of the first PORT_TEST write */
	struct ras *ras;           /* guest RAS state, lives across resets */
	struct sim *sim;           /* the host poison simulator (ras/sim.c) */
	unsigned resets;           /* boots after the first, told to the guest in the boot info */
	void *qmp;                 /* the control socket (ctl/qmp.c), NULL without --qmp */
	struct migration *mig;     /* snapshots and migration (state/migrate.c), for the whole run */
};

/* ---- The lifecycle (vm.c) ---- */

/* Set up the lock, the wake-up eventfd and the signalfd for SIGINT/SIGTERM (which the caller
 * has blocked in every thread); with cfg->start_paused (-S) the vCPUs hold until cont.
 * 0 or -errno. */
int vm_life_init(struct vm *vm);
void vm_life_destroy(struct vm *vm);

/* Ask for the end: the first caller decides the outcome and gets true; later calls (and a
 * pending reset) give way. vCPUs stop entering the guest at once, the main thread wakes. */
bool vm_end(struct vm *vm, enum vm_outcome outcome, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Ask for a reset: 1 when this call asked for it, 0 when a reset was on its way already (the
 * same one), -1 when the VM is ending (an end always wins). */
int vm_reset(struct vm *vm, enum vm_reset_cause cause, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* stop / cont: hold every vCPU outside KVM_RUN and wait for them (0, or -ETIMEDOUT after 2 s;
 * -ESHUTDOWN when the VM is ending); let them go. Return whether the state changed. */
int vm_pause(struct vm *vm, bool *changed);
void vm_resume(struct vm *vm, bool *changed);
bool vm_is_paused(struct vm *vm);
enum vm_state vm_state(struct vm *vm);
/* True once an end or a reset is pending: vCPU threads leave their loop. Lock-free. */
bool vm_leaving(struct vm *vm);
/* Wake the main thread. Async-signal-safe. */
void vm_wake(struct vm *vm);

/* Main thread only. Wait up to timeout_ms for a wake-up or a signal; returns SIGINT or
 * SIGTERM when one arrived, else 0. */
int vm_wait(struct vm *vm, int timeout_ms);
/* Main thread only: start a boot (PRELAUNCH/RESETTING -> RUNNING); false if an end was
 * asked meanwhile, and then nothing starts. */
bool vm_boot_begin(struct vm *vm);
/* Main thread only, after every vCPU thread of the boot stopped: ENDED (returns false) or
 * RESETTING (returns true; *cause and reason tell who asked). */
bool vm_boot_finish(struct vm *vm, enum vm_reset_cause *cause, char *reason, size_t len);
/* An outgoing migration's last round (see the diagram above): pause and freeze, waiting for
 * the vCPUs to park (0, -ETIMEDOUT, -ESHUTDOWN); *was_running says whether the guest ran.
 * Thaw: completed -> postmigrate; else back as before (running again if it ran, or if a
 * cont arrived while frozen). *resumed says whether the guest runs again. */
int vm_migration_freeze(struct vm *vm, bool *was_running);
void vm_migration_thaw(struct vm *vm, bool completed, bool *resumed);
/* Lock-free, for the vCPU threads. */
bool vm_frozen(struct vm *vm);
/* The outcome once ENDED. */
enum vm_outcome vm_outcome(struct vm *vm, int *exit_code, char *reason, size_t len);
/* QEMU's RunState name for query-status. */
const char *vm_status_name(struct vm *vm);

#endif
