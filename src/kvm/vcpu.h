/* SPDX-License-Identifier: MIT */
/*
 * vCPUs: one thread each running KVM_RUN. Anyone can ask a vCPU for work by setting a
 * request bit and kicking it; the kick's signal handler only sets immediate_exit, the vCPU
 * thread does the work when KVM_RUN returns.
 */
#ifndef RASVM_KVM_VCPU_H
#define RASVM_KVM_VCPU_H

#include "vm.h"

/* Signal used to kick a vCPU thread out of KVM_RUN. */
#define SIG_VCPU_KICK SIGUSR1

/* Install the kick handler; once per process, before any vCPU thread starts. */
int vcpu_signals_init(void);
int vcpus_create(struct vm *vm);
int vcpus_start(struct vm *vm);
/* Ask every vCPU thread to stop, kick it, and join it. */
void vcpus_stop(struct vm *vm);
/* Log every stopped vCPU's rip, rsp, rflags and run state (after a failure). */
void vcpus_report(struct vm *vm);
void vcpus_destroy(struct vm *vm);
void vcpu_request(struct vcpu *vcpu, unsigned req);

#endif
