/* SPDX-License-Identifier: MIT */
/*
 * The state of one virtual machine: plain structs, owned by boot.c, shared by the vCPU
 * threads and the devices. Everything that can change while vCPUs run is either _Atomic
 * or under vm->lock.
 */
#ifndef RASVM_VM_H
#define RASVM_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "dev/serial.h"
#include "kvm/mem.h"
#include "loader/loader.h"
#include "ras/mce.h"
#include "ras/sigbus.h"

struct kvm_run;
struct kvm_cpuid2;

/* How a run ended; the first vm_end() wins. */
enum vm_outcome {
	VM_RUNNING,
	VM_POWER_OFF,      /* guest wrote PORT_POWER */
	VM_TRIPLE_FAULT,   /* KVM_EXIT_SHUTDOWN */
	VM_HUNG,           /* every vCPU halted with interrupts disabled */
	VM_ASSERT,         /* UCALL_ASSERT */
	VM_BAD_EXIT_CODE,  /* PORT_POWER value above GUEST_EXIT_MAX */
	VM_KVM_ERROR,      /* KVM could not run the guest */
	VM_INTERNAL,       /* rasvm itself failed */
	VM_SIGNAL,         /* SIGINT or SIGTERM */
	VM_RESET,          /* the guest asked for a reset, or RAS had to reset it: boot again */
	VM_HOST_MEMORY,    /* a host memory error the guest cannot be told of (--ras off) */
	VM_QUIT,           /* the control socket's quit */
};

/* The main thread is woken with this signal (blocked everywhere, taken by sigtimedwait). */
#define SIG_MAIN_WAKE SIGUSR2

/* Requests to a vCPU thread, set by anyone, consumed by the vCPU after a kick. */
#define VCPU_REQ_HANG_PROBE (1u << 0) /* sample halted-with-interrupts-off state */
#define VCPU_REQ_NMI        (1u << 1) /* inject an NMI (GHES sync source) */
#define VCPU_REQ_MCE        (1u << 2) /* inject vcpu->pending_mce[] */
#define VCPU_REQ_SIM_TOUCH  (1u << 3) /* the simulator: this vCPU touches vcpu->touch_gpa */
#define VCPU_PENDING_MCE    16

/* A machine check waiting for its vCPU's thread (KVM wants vCPU ioctls there). primary: a
 * page's own report, after which that thread decides on the broadcast to the other vCPUs. */
struct pending_mce {
	struct mce_record record;
	bool primary;
};

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	_Atomic unsigned requests;
	/* Ticks in a row this vCPU was found halted with RFLAGS.IF clear. */
	_Atomic unsigned halted_noirq_ticks;
	uint64_t last_rip; /* at the last hang probe, for the report */
	struct sigbus_ring sigbus; /* action-required SIGBUS stashed by the handler */
	struct pending_mce pending_mce[VCPU_PENDING_MCE]; /* under ras->lock */
	unsigned pending_mce_count;
	_Atomic uint64_t touch_gpa; /* with VCPU_REQ_SIM_TOUCH */
};

struct ras;

struct vm {
	const struct config *cfg;
	int kvm_fd;
	int vm_fd;
	size_t run_size;           /* mmap size of struct kvm_run */
	struct guest_mem mem;
	struct boot_plan boot;     /* what was loaded and how the vCPUs enter it */
	unsigned ncpus;
	struct vcpu *vcpu;
	struct kvm_cpuid2 *cpuid;  /* KVM_GET_SUPPORTED_CPUID, adjusted per vCPU */
	uint64_t mcg_cap;          /* programmed into every vCPU with KVM_X86_SETUP_MCE */
	struct serial serial;

	pthread_t main_thread;     /* woken by vm_end() */
	pthread_mutex_t lock;
	enum vm_outcome outcome;
	int exit_code;             /* with VM_POWER_OFF: the guest's code */
	char reason[256];          /* human-readable, for the final log line */
	atomic_bool stopping;

	_Atomic uint64_t first_testport_ns; /* CLOCK_MONOTONIC of the first PORT_TEST write */
	struct ras *ras;           /* guest RAS state, lives across resets */
	void *sim;                 /* the host poison simulator's pages (ras/sim.c) */
	pthread_mutex_t sim_lock;
	unsigned resets;           /* boots after the first, told to the guest in the boot info */
	void *qmp;                 /* the control socket (ctl/qmp.c), NULL without --qmp */
	/* vCPUs are rebuilt at resets: other threads use vm->vcpu under this (read) lock. */
	pthread_rwlock_t vcpu_lock;
	/* stop/cont: vCPUs park outside KVM_RUN while paused. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	bool paused;
	unsigned parked;
};

/* Pause every vCPU (outside KVM_RUN) and wait for them; resume. 0 or -ETIMEDOUT. */
int vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);

/* Record how the VM ended (first caller wins: true for it), stop vCPUs from entering the
 * guest again, and wake the main thread. */
bool vm_end(struct vm *vm, enum vm_outcome outcome, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
uint64_t now_ns(void);

#endif
