/* SPDX-License-Identifier: MIT */
/*
 * rasvm's sandbox: once the VM is built, every thread confines itself to the system calls its
 * kind of work needs (a seccomp-bpf allow-list per thread kind, as Firecracker does), with no
 * new privileges. The vCPU threads run the device emulation that handles the guest's hostile
 * input: they get KVM, memory and signals, and nothing that opens, connects or executes. A
 * call outside the list is refused with EPERM (SIGSYS, counted and logged) and the VM carries
 * on. docs/sandbox.md lists each kind's calls and why.
 */
#ifndef RASVM_SANDBOX_SANDBOX_H
#define RASVM_SANDBOX_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

enum sandbox_kind {
	SANDBOX_MAIN,    /* boots, resets, signals, the hang watchdog */
	SANDBOX_VCPU,    /* KVM_RUN and device emulation: the guest's side */
	SANDBOX_CONTROL, /* the control socket: clients, commands, --metrics */
	SANDBOX_CONSOLE, /* the serial console's writer */
	SANDBOX_KINDS,
};

enum sandbox_mode {
	SANDBOX_OFF,
	SANDBOX_ON,     /* a refused call returns EPERM (counted, logged), the VM goes on */
	SANDBOX_STRICT, /* a refused call ends rasvm (exit 70): for tests and for finding out
			 * what a deployment needs */
};

/* Process-wide, before the first thread confines itself: the SIGSYS handler that turns a
 * refused call into EPERM (or the end, in strict mode). */
int sandbox_init(enum sandbox_mode mode);
/* The calling thread confines itself (and every thread it starts later inherits that, then
 * may narrow it further). 0, or -errno when the kernel refuses the filter; a no-op when the
 * sandbox is off. */
int sandbox_enter(enum sandbox_kind kind);
bool sandbox_on(void);
/* Calls refused so far (the SIGSYS handler's count). */
uint64_t sandbox_refused(void);
const char *sandbox_kind_name(enum sandbox_kind kind);
/* The classic-BPF program sandbox_enter installs for a kind (for tests and inspection):
 * 0 and a malloc'd array of *len instructions, or -errno. */
struct sock_filter;
int sandbox_filter(enum sandbox_kind kind, struct sock_filter **insns, unsigned *len);

#endif
