/* SPDX-License-Identifier: MIT */
/*
 * The state of one virtual machine: plain structs, owned by boot.c, shared by the vCPU
 * threads and the devices. Everything that can change while vCPUs run is either _Atomic
 * or under vm->lock.
 */
#ifndef RASVM_VM_H
#define RASVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "dev/serial.h"
#include "kvm/mem.h"

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
};

/* Requests to a vCPU thread, set by anyone, consumed by the vCPU after a kick. */
#define VCPU_REQ_HANG_PROBE (1u << 0) /* sample halted-with-interrupts-off state */

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
};

struct vm {
	const struct config *cfg;
	int kvm_fd;
	int vm_fd;
	size_t run_size;           /* mmap size of struct kvm_run */
	struct guest_mem mem;
	uint64_t entry;
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
};

/* Record how the VM ended (first caller wins) and wake the main thread. */
void vm_end(struct vm *vm, enum vm_outcome outcome, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
uint64_t now_ns(void);

#endif
