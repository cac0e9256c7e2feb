/* SPDX-License-Identifier: MIT */
/*
 * SIGBUS: the host kernel's word that memory under us is bad (BUS_MCEERR_AR: this thread
 * touched it; BUS_MCEERR_AO: found by the host, early-kill). The handler only stashes
 * {code, addr, lsb} in a lock-free ring and makes the thread's owner act: a vCPU leaves
 * KVM_RUN (immediate_exit), the main thread is woken. A second SIGBUS while one is pending
 * is simply the next entry in the ring.
 */
#ifndef RASVM_RAS_SIGBUS_H
#define RASVM_RAS_SIGBUS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SIGBUS_RING 4096 /* power of two; a storm of AO errors must fit while the main thread catches up */

struct sigbus_event {
	int code;
	void *addr;
	unsigned lsb;
	uint64_t t_ns; /* CLOCK_MONOTONIC when the handler ran, for latency figures */
};

/* Multi-producer (signal handlers on any thread), single consumer ring. */
struct sigbus_ring {
	_Atomic uint32_t write, read;
	_Atomic uint32_t seq[SIGBUS_RING];
	struct sigbus_event ev[SIGBUS_RING];
	_Atomic uint64_t overflow; /* events that found the ring full: counted as lost */
};

struct vm;
struct vcpu;

/* Install the handler and ask for early (AO) notification; before any thread starts. */
int sigbus_init(struct vm *vm);
/* The vCPU this thread runs (NULL for others), so the handler knows whom to kick. */
void sigbus_set_thread_vcpu(struct vcpu *vcpu);
/* Around KVM_RUN and the simulator's stand-ins for a guest access: an action-required error
 * now is the guest's. Anywhere else it is rasvm's own access to a bad page: fatal (exit 85). */
void sigbus_set_guest_access(bool on);
int sigbus_pop(struct sigbus_ring *r, struct sigbus_event *ev);
/* The ring for events the main thread handles. */
struct sigbus_ring *sigbus_process_ring(void);

#endif
