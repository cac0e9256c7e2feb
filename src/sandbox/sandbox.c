// SPDX-License-Identifier: MIT
/*
 * seccomp-bpf allow-lists, one per thread kind (sandbox.h). The filter is built here by hand,
 * a few instructions per system call (no libseccomp: the static x86 and arm64 binaries link
 * nothing more): check the architecture, then the number, then for ioctl its request type.
 * Refused calls raise SIGSYS (SECCOMP_RET_TRAP); the handler makes the call return -EPERM,
 * counts it and says so, so a confined thread that strays is refused, not killed.
 */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <sched.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#else
#error "sandbox: unsupported architecture"
#endif

#define KVMIO_TYPE 0xAE /* _IOC_TYPE of every KVM ioctl (linux/kvm.h KVMIO) */

static enum sandbox_mode mode;
static _Atomic uint64_t refused;
static __thread int thread_kind = -1;

static const char *const kind_names[SANDBOX_KINDS] = {
	[SANDBOX_MAIN] = "main", [SANDBOX_VCPU] = "vCPU",
	[SANDBOX_CONTROL] = "control socket", [SANDBOX_CONSOLE] = "console",
};

const char *sandbox_kind_name(enum sandbox_kind kind)
{
	return (unsigned)kind < SANDBOX_KINDS ? kind_names[kind] : "unconfined";
}

/* What every thread does: memory, locks, signals (rasvm's kick, SIGBUS handling, the
 * simulator's rt_tgsigqueueinfo), time, writing to fds it holds, ending. */
static const int common_calls[] = {
	__NR_read, __NR_write, __NR_writev, __NR_close, __NR_futex, __NR_mmap, __NR_munmap,
	__NR_mprotect, __NR_madvise, __NR_brk, __NR_mremap, __NR_rt_sigreturn, __NR_rt_sigprocmask,
	__NR_rt_sigaction, __NR_rt_tgsigqueueinfo, __NR_tgkill, __NR_gettid, __NR_getpid,
	__NR_clock_gettime, __NR_clock_nanosleep, __NR_nanosleep, __NR_sched_yield, __NR_exit,
	__NR_exit_group, __NR_restart_syscall, __NR_fstat, __NR_newfstatat, __NR_lseek,
	__NR_getrandom, __NR_timer_settime, __NR_timer_gettime, __NR_sigaltstack,
	__NR_set_robust_list, __NR_rseq, __NR_prlimit64, __NR_sched_getaffinity,
	__NR_pread64, __NR_clock_getres,
	/* The vDSO answers these without a system call, but falls back to the real one where the
	 * host's clock source cannot be read from user space (an emulated host's: seen there). */
	__NR_gettimeofday,
	/* glibc's qsort asks sysconf(_SC_PHYS_PAGES) once it sorts more than 1 KiB (the latency
	 * percentiles of --stats and query-ras past 128 samples): seen on arm64. */
	__NR_sysinfo,
#ifdef __NR_time
	__NR_time,
#endif
};

/* The main thread: builds each boot's KVM VM and vCPU threads, waits on its eventfd and
 * signalfd, replaces poisoned pages at resets, and at the end removes the socket file. The
 * vCPU threads it starts inherit its filter before they narrow it, so it allows their calls
 * too (their poll timers). */
static const int main_calls[] = {
	__NR_ioctl, __NR_clone, __NR_clone3, __NR_ppoll, __NR_unlinkat, __NR_timer_create,
	__NR_timer_delete, __NR_prctl, __NR_seccomp, __NR_mincore /* --stats */,
	/* An incoming migration: the main thread reads the stream and answers the source. */
	__NR_recvfrom, __NR_sendto, __NR_shutdown, __NR_process_vm_readv,
#ifdef __NR_poll
	__NR_poll,
#endif
#ifdef __NR_unlink
	__NR_unlink,
#endif
};

/* A vCPU thread: KVM_RUN and the device emulation behind it. Its poll timer. No files, no
 * sockets, no processes. */
static const int vcpu_calls[] = {
	__NR_ioctl, __NR_timer_create, __NR_timer_delete,
};

/* The control socket: its clients, client-mode and TCP sockets, and the files an operator
 * names (--metrics FILE, migrate file:PATH). It starts the outgoing migration's thread (a
 * thread, never a process: see the clone block), which keeps to the same list: the stream's
 * socket or file, /proc/self/pagemap, KVM's dirty log, and guest pages read with
 * process_vm_readv (a poisoned page then fails the call instead of raising SIGBUS). */
static const int control_calls[] = {
	__NR_clone, __NR_clone3, __NR_process_vm_readv,
	__NR_ioctl, __NR_ppoll, __NR_accept4, __NR_accept, __NR_recvfrom, __NR_recvmsg,
	__NR_sendto, __NR_sendmsg, __NR_shutdown, __NR_socket, __NR_connect, __NR_bind,
	__NR_listen, __NR_setsockopt, __NR_getsockopt, __NR_getsockname, __NR_getpeername,
	__NR_openat, __NR_renameat, __NR_renameat2, __NR_unlinkat, __NR_fsync, __NR_fdatasync,
	__NR_ftruncate, __NR_pwrite64, __NR_fcntl, __NR_dup3, __NR_fchmod, __NR_readv,
#ifdef __NR_poll
	__NR_poll,
#endif
#ifdef __NR_open
	__NR_open,
#endif
#ifdef __NR_rename
	__NR_rename,
#endif
#ifdef __NR_unlink
	__NR_unlink,
#endif
};

/* The console writer: it writes what the guest printed, and ends. */
static const int console_calls[] = { 0 };

struct prog {
	struct sock_filter *f;
	unsigned n, cap;
};

static int emit(struct prog *p, struct sock_filter ins)
{
	if (p->n == p->cap) {
		unsigned cap = p->cap ? p->cap * 2 : 128;
		struct sock_filter *f = realloc(p->f, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		p->f = f;
		p->cap = cap;
	}
	p->f[p->n++] = ins;
	return 0;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))

/* One allowed call and where its JEQ leads: ALLOW, or a block that looks at its arguments. */
struct entry {
	unsigned nr;
	enum { TO_ALLOW, TO_TRAP, TO_IOCTL, TO_PRCTL, TO_CLONE, TO_CLONE3 } to;
};

static int by_nr(const void *a, const void *b)
{
	unsigned x = ((const struct entry *)a)->nr, y = ((const struct entry *)b)->nr;
	return x < y ? -1 : x > y;
}

/* The numbers are searched as a balanced tree (JGE at each node, a few JEQs at each leaf),
 * not one JEQ after another: the kernel runs every filter once for every system call number
 * when it is installed (seccomp's action cache), and a list of 70 JEQs made installing the
 * main thread's filter cost about 0.3 ms here, a sixth of start-up. */
#define LEAF 4

static unsigned tree_size(unsigned n)
{
	return n <= LEAF ? n + 1 : 1 + tree_size(n / 2) + tree_size(n - n / 2);
}

/* A jump offset counts from the next instruction and fits 8 bits in a conditional jump. */
static int offset(unsigned from, unsigned to, uint8_t *out)
{
	if (to <= from || to - from - 1 > 255)
		return -E2BIG;
	*out = (uint8_t)(to - from - 1);
	return 0;
}

/* Emits the tree over e[0..n); dest[] gives each kind of target's instruction index. */
static int emit_tree(struct prog *p, const struct entry *e, unsigned n, const unsigned *dest)
{
	uint8_t jt;
	int r = 0;

	if (n <= LEAF) {
		for (unsigned i = 0; i < n && !r; i++) {
			r = offset(p->n, dest[e[i].to], &jt);
			r = r ? r : emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, e[i].nr, jt, 0));
		}
		/* None of them: refused. */
		return r ? r : emit(p, STMT(BPF_JMP | BPF_JA, dest[TO_TRAP] - p->n - 1));
	}
	unsigned half = n / 2;
	/* At or above the middle number: the right half, after the left one. */
	r = offset(p->n, p->n + 1 + tree_size(half), &jt);
	r = r ? r : emit(p, JUMP(BPF_JMP | BPF_JGE | BPF_K, e[half].nr, jt, 0));
	r = r ? r : emit_tree(p, e, half, dest);
	return r ? r : emit_tree(p, e + half, n - half, dest);
}

static int build(struct prog *p, enum sandbox_kind kind)
{
	const int *lists[2] = { common_calls, NULL };
	size_t counts[2] = { sizeof(common_calls) / sizeof(int), 0 };
	bool ioctl = kind != SANDBOX_CONSOLE;
	struct entry e[128];
	unsigned n = 0;

	switch (kind) {
	case SANDBOX_MAIN: lists[1] = main_calls; counts[1] = sizeof(main_calls) / sizeof(int); break;
	case SANDBOX_VCPU: lists[1] = vcpu_calls; counts[1] = sizeof(vcpu_calls) / sizeof(int); break;
	case SANDBOX_CONTROL: lists[1] = control_calls; counts[1] = sizeof(control_calls) / sizeof(int); break;
	default: lists[1] = console_calls; counts[1] = 0; break;
	}
	for (unsigned l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			unsigned nr = (unsigned)lists[l][i];
			if (n == sizeof(e) / sizeof(e[0]))
				return -E2BIG;
			e[n++] = (struct entry){ nr, nr == __NR_ioctl ? (ioctl ? TO_IOCTL : TO_TRAP)
						 : nr == __NR_prctl ? TO_PRCTL
						 : nr == __NR_clone ? TO_CLONE
						 : nr == __NR_clone3 ? TO_CLONE3 : TO_ALLOW };
		}
	}
	qsort(e, n, sizeof(e[0]), by_nr);
	unsigned u = 0; /* a call on two lists (clone: main's and control's) once */
	for (unsigned i = 0; i < n; i++)
		if (!u || e[i].nr != e[u - 1].nr)
			e[u++] = e[i];
	n = u;

	int r = 0;
	/* [0..2] the architecture; [3] the number; the tree; then TRAP, ALLOW and the blocks
	 * for the calls whose arguments are checked. */
	r |= emit(p, STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	r |= emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0));
	r |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	r |= emit(p, STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	if (r)
		return -ENOMEM;
	unsigned dest[TO_CLONE3 + 1];
	dest[TO_TRAP] = p->n + tree_size(n);
	dest[TO_ALLOW] = dest[TO_TRAP] + 1;
	dest[TO_IOCTL] = dest[TO_ALLOW] + 1;
	dest[TO_PRCTL] = dest[TO_IOCTL] + 8;
	dest[TO_CLONE] = dest[TO_PRCTL] + 4;
	dest[TO_CLONE3] = dest[TO_CLONE] + 5;
	if ((r = emit_tree(p, e, n, dest)))
		return r;
	r |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	r |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	/* ioctl: KVM's (request type KVMIO), and the terminal queries stdio makes (TCGETS,
	 * TIOCGWINSZ); nothing else. args[1] is the request; its low 32 bits suffice. */
	r |= emit(p, STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])));
	r |= emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCGETS, 4, 0));
	r |= emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCGWINSZ, 3, 0));
	r |= emit(p, STMT(BPF_ALU | BPF_RSH | BPF_K, 8));
	r |= emit(p, STMT(BPF_ALU | BPF_AND | BPF_K, 0xff));
	r |= emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, KVMIO_TYPE, 0, 1));
	r |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	r |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	/* prctl: only PR_SET_NO_NEW_PRIVS, which the threads this one starts need before they
	 * narrow the filter they inherit (seccomp(2) itself can only narrow it further). */
	r |= emit(p, STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
	r |= emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_NO_NEW_PRIVS, 0, 1));
	r |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	r |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	/* clone: threads only (CLONE_THREAD in the flags, args[0]); a process is refused. */
	r |= emit(p, STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
	r |= emit(p, STMT(BPF_ALU | BPF_AND | BPF_K, CLONE_THREAD));
	r |= emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLONE_THREAD, 0, 1));
	r |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	r |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	/* clone3: its flags are in memory, which a filter cannot read; "not implemented" makes
	 * glibc's pthread_create fall back to clone, checked above. */
	r |= emit(p, STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
	return r ? -ENOMEM : 0;
}

int sandbox_filter(enum sandbox_kind kind, struct sock_filter **insns, unsigned *len)
{
	struct prog p = { 0 };
	int r = build(&p, kind);

	if (r) {
		free(p.f);
		return r;
	}
	*insns = p.f;
	*len = p.n;
	return 0;
}

/* write(2) is all a handler may use to speak. */
static void say(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));
	(void)n;
}

static void sigsys_handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	int saved = errno;
	uint64_t n = atomic_fetch_add(&refused, 1);

	(void)sig;
	/* The refused call returns -EPERM to its caller, as the filter's verdict. */
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#else
	uc->uc_mcontext.regs[0] = (uint64_t)-EPERM;
#endif
	if (n < 20 || n % 1000 == 0) {
		char num[24], *p = num + sizeof(num) - 1;
		unsigned v = (unsigned)si->si_syscall;
		*p = '\0';
		do {
			*--p = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		say("rasvm: sandbox: refused system call ");
		say(p);
		say(" on the ");
		say(sandbox_kind_name((enum sandbox_kind)thread_kind));
		say(" thread, from 0x");
		char hex[17];
		uintptr_t a = (uintptr_t)si->si_call_addr;
		for (int i = 15; i >= 0; i--, a >>= 4)
			hex[i] = "0123456789abcdef"[a & 0xf];
		hex[16] = '\0';
		say(hex);
		say("\n");
	}
	if (mode == SANDBOX_STRICT) {
		say("rasvm: sandbox: strict mode: ending\n");
		_exit(70); /* EXIT_INTERNAL: rasvm's own fault, an allow-list too short */
	}
	errno = saved;
}

int sandbox_init(enum sandbox_mode m)
{
	struct sigaction sa = { .sa_sigaction = sigsys_handler, .sa_flags = SA_SIGINFO };

	mode = m;
	if (m == SANDBOX_OFF)
		return 0;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}

bool sandbox_on(void)
{
	return mode != SANDBOX_OFF;
}

uint64_t sandbox_refused(void)
{
	return atomic_load(&refused);
}

int sandbox_enter(enum sandbox_kind kind)
{
	struct sock_filter *f = NULL;
	unsigned len = 0;
	int r;

	if (mode == SANDBOX_OFF)
		return 0;
	/* A blocked SIGSYS would be forced to its default action (the kernel's force_sig): the
	 * process would die instead of the call being refused. */
	sigset_t sys;
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	if ((r = sandbox_filter(kind, &f, &len)) == 0) {
		struct sock_fprog fprog = { .len = (unsigned short)len, .filter = f };
		/* No new privileges: required for an unprivileged filter, and what it says. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
			r = -errno;
	}
	free(f);
	if (!r)
		thread_kind = (int)kind;
	return r;
}
