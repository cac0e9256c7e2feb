// SPDX-License-Identifier: MIT
/* Verifies the seccomp programs of src/sandbox/sandbox.c by running them as the kernel does,
 * with a small classic-BPF interpreter that refuses anything the programs must not do (a
 * backward or out-of-range jump, running off the end, an unknown instruction): every
 * system call number 0-1023 of every thread kind reaches a verdict; each kind allows what it
 * needs and refuses what it must not have (opening files on a vCPU thread, sockets on the
 * main thread, processes anywhere); ioctl only for KVM and the two terminal queries; clone
 * only for threads; clone3 "not implemented"; another architecture kills. And the search is
 * a tree: no number runs more than 20 instructions (the kernel runs the program for every
 * number when it installs it, so a long chain made installing cost a sixth of start-up). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "sandbox/sandbox.h"

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

#define BAD_PROGRAM 0xdeadbeefu

/* Runs the program on one call; *steps counts the instructions run. BAD_PROGRAM when it
 * would be refused or would misbehave. */
static uint32_t run(const struct sock_filter *f, unsigned len, uint32_t arch, int nr,
		    uint64_t arg0, uint64_t arg1, unsigned *steps)
{
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { arg0, arg1 } };
	uint32_t a = 0;

	*steps = 0;
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &f[pc];
		uint32_t jump = 0;
		++*steps;
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k > sizeof(d) - 4 || i->k % 4)
				return BAD_PROGRAM;
			memcpy(&a, (const uint8_t *)&d + i->k, 4);
			break;
		case BPF_ALU | BPF_AND | BPF_K: a &= i->k; break;
		case BPF_ALU | BPF_RSH | BPF_K: a >>= i->k; break;
		case BPF_JMP | BPF_JA: jump = i->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: jump = a == i->k ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: jump = a >= i->k ? i->jt : i->jf; break;
		case BPF_RET | BPF_K: return i->k;
		default: return BAD_PROGRAM;
		}
		if (jump >= len - pc - 1)
			return BAD_PROGRAM; /* past the end (jumps are forward only, by encoding) */
		pc += jump;
	}
	return BAD_PROGRAM; /* ran off the end without a verdict */
}

struct prog {
	struct sock_filter *f;
	unsigned len;
};

static struct prog load(enum sandbox_kind kind)
{
	struct prog p;
	assert_int_equal(sandbox_filter(kind, &p.f, &p.len), 0);
	assert_true(p.len > 0 && p.len <= BPF_MAXINSNS);
	return p;
}

static uint32_t verdict(struct prog p, int nr, uint64_t arg0, uint64_t arg1)
{
	unsigned steps;
	return run(p.f, p.len, ARCH, nr, arg0, arg1, &steps);
}

#define KVM_RUN_REQ 0xae80u /* _IO(KVMIO, 0x80) */

static void test_every_number_has_a_verdict_quickly(void **state)
{
	(void)state;
	for (int k = 0; k < SANDBOX_KINDS; k++) {
		struct prog p = load((enum sandbox_kind)k);
		unsigned worst = 0;
		for (int nr = 0; nr < 1024; nr++) {
			unsigned steps;
			uint32_t v = run(p.f, p.len, ARCH, nr, 0, 0, &steps);
			assert_int_not_equal(v, BAD_PROGRAM);
			if (steps > worst)
				worst = steps;
		}
		/* The search itself: 4 to check the architecture and load the number, a JGE per
		 * level of the tree (7 for 128 calls), a leaf of at most 4 JEQs and its refusal,
		 * then at most the 8 of the ioctl block. */
		assert_in_range(worst, 1, 24);
		free(p.f);
	}
}

static void test_another_architecture_is_killed(void **state)
{
	(void)state;
	struct prog p = load(SANDBOX_MAIN);
	unsigned steps;
	assert_int_equal(run(p.f, p.len, ARCH ^ 1, __NR_read, 0, 0, &steps), SECCOMP_RET_KILL_PROCESS);
	free(p.f);
}

static void test_what_each_kind_may_do(void **state)
{
	(void)state;
	struct prog main_ = load(SANDBOX_MAIN), vcpu = load(SANDBOX_VCPU);
	struct prog ctl = load(SANDBOX_CONTROL), con = load(SANDBOX_CONSOLE);
	const uint32_t A = SECCOMP_RET_ALLOW, T = SECCOMP_RET_TRAP;

	/* Every kind: memory, signals, time, writing to what it holds. */
	struct prog all[] = { main_, vcpu, ctl, con };
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(verdict(all[i], __NR_write, 2, 0), A);
		assert_int_equal(verdict(all[i], __NR_mmap, 0, 0), A);
		assert_int_equal(verdict(all[i], __NR_futex, 0, 0), A);
		assert_int_equal(verdict(all[i], __NR_rt_sigreturn, 0, 0), A);
		assert_int_equal(verdict(all[i], __NR_exit_group, 0, 0), A);
		/* Nobody runs programs or starts processes. */
		assert_int_equal(verdict(all[i], __NR_execve, 0, 0), T);
		assert_int_equal(verdict(all[i], __NR_ptrace, 0, 0), T);
		assert_int_equal(verdict(all[i], __NR_clone, 0 /* no CLONE_THREAD: a process */, 0),
				 T);
	}
	/* The first and last numbers of the lists are found too (the tree's edges). */
	assert_int_equal(verdict(main_, __NR_read, 0, 0), A);
	assert_int_equal(verdict(main_, 1023, 0, 0), T);
	/* ioctl: KVM's for all but the console; the terminal queries; nothing else. */
	assert_int_equal(verdict(vcpu, __NR_ioctl, 5, KVM_RUN_REQ), A);
	assert_int_equal(verdict(main_, __NR_ioctl, 5, KVM_RUN_REQ), A);
	assert_int_equal(verdict(vcpu, __NR_ioctl, 1, TCGETS), A);
	assert_int_equal(verdict(vcpu, __NR_ioctl, 1, TIOCSTI), T);
	assert_int_equal(verdict(ctl, __NR_ioctl, 1, 0x5401 + 0x100), T);
	assert_int_equal(verdict(con, __NR_ioctl, 5, KVM_RUN_REQ), T);
	/* Threads: main and control start them; vCPUs and the console do not. */
	assert_int_equal(verdict(main_, __NR_clone, CLONE_VM | CLONE_THREAD, 0), A);
	assert_int_equal(verdict(ctl, __NR_clone, CLONE_VM | CLONE_THREAD, 0), A);
	assert_int_equal(verdict(vcpu, __NR_clone, CLONE_VM | CLONE_THREAD, 0), T);
	assert_int_equal(verdict(main_, __NR_clone3, 0, 0), SECCOMP_RET_ERRNO | ENOSYS);
	/* prctl: only no-new-privileges (what a thread needs before narrowing its filter). */
	assert_int_equal(verdict(main_, __NR_prctl, PR_SET_NO_NEW_PRIVS, 1), A);
	assert_int_equal(verdict(main_, __NR_prctl, PR_SET_DUMPABLE, 1), T);
	/* Files and sockets: the control socket's; not the guest's side, not the main thread. */
	assert_int_equal(verdict(ctl, __NR_openat, 0, 0), A);
	assert_int_equal(verdict(ctl, __NR_socket, 0, 0), A);
	assert_int_equal(verdict(ctl, __NR_accept4, 0, 0), A);
	assert_int_equal(verdict(vcpu, __NR_openat, 0, 0), T);
	assert_int_equal(verdict(vcpu, __NR_socket, 0, 0), T);
	assert_int_equal(verdict(vcpu, __NR_ppoll, 0, 0), T);
	assert_int_equal(verdict(main_, __NR_openat, 0, 0), T);
	assert_int_equal(verdict(main_, __NR_socket, 0, 0), T);
	assert_int_equal(verdict(main_, __NR_ppoll, 0, 0), A);
	assert_int_equal(verdict(con, __NR_timer_create, 0, 0), T);
	assert_int_equal(verdict(vcpu, __NR_timer_create, 0, 0), A);
	free(main_.f);
	free(vcpu.f);
	free(ctl.f);
	free(con.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_number_has_a_verdict_quickly),
		cmocka_unit_test(test_another_architecture_is_killed),
		cmocka_unit_test(test_what_each_kind_may_do),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
