/* SPDX-License-Identifier: MIT */
/*
 * vCPUs: one thread each running KVM_RUN. The array lives for the whole run; each boot gives
 * every vCPU a new KVM fd and a new thread. Anyone can ask a vCPU for work by setting a
 * request bit and kicking it; the kick's signal handler only sets immediate_exit, and the vCPU
 * thread does the work when KVM_RUN returns. Other threads never use a vCPU's fd: what needs
 * a vCPU ioctl runs on its thread (requests, vcpu_call).
 */
#ifndef RASVM_KVM_VCPU_H
#define RASVM_KVM_VCPU_H

#include "vm.h"

/* Signal used to kick a vCPU thread out of KVM_RUN. */
#define SIG_VCPU_KICK SIGUSR1

/* Install the kick handler; once per process, before any vCPU thread starts. */
int vcpu_signals_init(void);
/* The vCPU array for the whole run / its end. */
int vcpus_alloc(struct vm *vm);
void vcpus_free(struct vm *vm);
/* Per boot: KVM vCPUs and their registers; threads; stop (kick and join); close. */
int vcpus_create(struct vm *vm);
int vcpus_start(struct vm *vm);
void vcpus_stop(struct vm *vm);
void vcpus_destroy(struct vm *vm);
/* Log every stopped vCPU's rip, rsp, rflags and run state (after a failure). */
void vcpus_report(struct vm *vm);

/* Make the vCPU's thread leave KVM_RUN (if it runs at all) and look at its requests. */
void vcpu_kick(struct vcpu *v);
/* Set request bits and kick. */
void vcpu_request(struct vcpu *v, unsigned req);
/* Run fn(v, arg) on v's thread and wait for its result: -EAGAIN when the vCPU has no thread
 * now (between boots), -ETIMEDOUT after timeout_ms (fn may still run later: arg must stay
 * valid, so callers pass only what they own for the whole run, or wait long enough). */
int vcpu_call(struct vcpu *v, vcpu_fn fn, void *arg, int timeout_ms);
/* On v's own thread: kick it again after ns nanoseconds (RAS uses it to pace machine checks). */
void vcpu_poll_later(struct vcpu *v, uint64_t ns);

/* The main thread's watchdog, once per tick: probe vCPUs that have been silent for a while;
 * true when every vCPU has been halted with interrupts off for the whole hang window. */
bool vcpus_hung(struct vm *vm, uint64_t now);

#endif
