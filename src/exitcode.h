/* SPDX-License-Identifier: MIT */
/*
 * Exit codes of rasvm. 0-63 belong to the guest (its PORT_POWER value); rasvm's own
 * failures follow sysexits.h (64-78), failures of the guest are 80 and up. Documented in
 * docs/usage.md and in 'rasvm run --help'.
 */
#ifndef RASVM_EXITCODE_H
#define RASVM_EXITCODE_H

#define EXIT_USAGE            64 /* bad command line (EX_USAGE) */
#define EXIT_BAD_KERNEL       65 /* kernel file malformed (EX_DATAERR) */
#define EXIT_NO_INPUT         66 /* kernel file missing or unreadable (EX_NOINPUT) */
#define EXIT_NO_KVM           69 /* /dev/kvm absent, not permitted, or lacking a capability (EX_UNAVAILABLE) */
#define EXIT_INTERNAL         70 /* an unexpected KVM or rasvm failure (EX_SOFTWARE) */
#define EXIT_OS               71 /* the host refused a resource: memory, threads, files (EX_OSERR) */
#define EXIT_GUEST_TRIPLE_FAULT 80
#define EXIT_GUEST_HUNG       81 /* every vCPU halted with interrupts disabled */
#define EXIT_GUEST_ASSERT     82 /* the guest reported UCALL_ASSERT */
#define EXIT_GUEST_BAD_CODE   83 /* the guest wrote an exit code above GUEST_EXIT_MAX */
#define EXIT_GUEST_KVM_ERROR  84 /* KVM could not run the guest (emulation failure, bad state) */
#define EXIT_HOST_MEMORY      85 /* a host memory error rasvm could not survive or report */
#define EXIT_SIGINT           130
#define EXIT_SIGTERM          143

#endif
