/* SPDX-License-Identifier: MIT */
/*
 * The Human Monitor commands a RAS user types, reached through QMP's human-monitor-command
 * (qmp-shell -H): QEMU's names, argument syntax (numbers are QEMU's expressions: 0x10+4,
 * (1<<3) is not, ~0, 010 is octal), checks and messages, so what works on QEMU works here.
 * The parser is pure (the fuzzer drives it); running a command needs the VM.
 */
#ifndef RASVM_CTL_HMP_H
#define RASVM_CTL_HMP_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct hmp_cmd;

#define HMP_LINE_MAX  4096 /* a longer command line is refused */
#define HMP_NUMS_MAX  6    /* mce takes the most numbers */
#define HMP_EXPR_DEPTH 64  /* nested ( ) and unary operators in one number */

/* A command line, parsed: which command, its flag (-b, -a), numbers and word. */
struct hmp_parsed {
	const struct hmp_cmd *cmd;
	bool flag;
	unsigned nums;                 /* numbers given */
	uint64_t num[HMP_NUMS_MAX];
	char word[64];                 /* help NAME, info ITEM's own argument */
};

/*
 * Parse one command line. 0: *p says what to run. 1: nothing to run, out holds what QEMU
 * prints (an empty line: ""; an unknown command: "unknown command: 'foo'\n"; a bad argument:
 * the reason and "Try \"help mce\" for more information\n"). Lines end with "\n" here;
 * hmp_run() turns them into QEMU's "\r\n".
 */
int hmp_parse(const char *line, struct hmp_parsed *p, char *out, size_t outlen);

/* Parse and run a command line for vCPU cpu_index (QEMU's current CPU); returns what the
 * monitor prints (malloc'd, "\r\n" line ends, possibly ""), or NULL when out of memory. */
char *hmp_run(struct vm *vm, const char *line, unsigned cpu_index);

/* The host thread id of vCPU cpu's thread (asked on that thread); 0 between boots. */
int hmp_vcpu_tid(struct vm *vm, unsigned cpu);

/* What "info registers" reads on the vCPU's own thread (vcpu_call). */
struct hmp_regs {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_debugregs dregs;
	struct kvm_fpu fpu;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_translation translation; /* gva2gpa */
};

/* QEMU's "info registers" text for one vCPU (x86_cpu_dump_state with the FPU), appended to
 * out (at most outlen bytes, NUL-terminated); returns the length it needed. */
size_t hmp_format_regs(const struct hmp_regs *r, unsigned cpu, char *out, size_t outlen);

#endif
