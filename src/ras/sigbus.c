// SPDX-License-Identifier: MIT
#include "ras/sigbus.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "vm.h"

/* Signal handlers cannot be given arguments: what they need lives here, set before any
 * thread starts and never changed while one runs. */
static struct vm *the_vm;
static struct sigbus_ring process_ring;
static __thread struct vcpu *thread_vcpu;

struct sigbus_ring *sigbus_process_ring(void)
{
	return &process_ring;
}

void sigbus_set_thread_vcpu(struct vcpu *vcpu)
{
	thread_vcpu = vcpu;
}

static void push(struct sigbus_ring *r, const struct sigbus_event *ev)
{
	uint32_t w = atomic_load(&r->write);
	do {
		if (w - atomic_load(&r->read) >= SIGBUS_RING) {
			atomic_fetch_add(&r->overflow, 1);
			return;
		}
	} while (!atomic_compare_exchange_weak(&r->write, &w, w + 1));
	r->ev[w % SIGBUS_RING] = *ev;
	atomic_store_explicit(&r->seq[w % SIGBUS_RING], w + 1, memory_order_release);
}

int sigbus_pop(struct sigbus_ring *r, struct sigbus_event *ev)
{
	uint32_t rd = atomic_load(&r->read);
	if (atomic_load_explicit(&r->seq[rd % SIGBUS_RING], memory_order_acquire) != rd + 1)
		return 0;
	*ev = r->ev[rd % SIGBUS_RING];
	atomic_store(&r->read, rd + 1);
	return 1;
}

/* write(2) is all a handler may use to speak. */
static void say(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));
	(void)n;
}

/* The handler only knows what it is told before threads start: the VM, and per thread
 * whether the thread is running the guest right now (in KVM_RUN, or the simulator acting
 * for a guest access). */
static __thread volatile sig_atomic_t guest_access;

void sigbus_set_guest_access(bool on)
{
	guest_access = on;
}

/* The decimal digits of v into buf (a handler cannot use printf). */
static const char *u64_dec(uint64_t v, char buf[24])
{
	char *p = buf + 23;
	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

static void sigbus_handler(int sig, siginfo_t *si, void *ucontext)
{
	(void)ucontext;
	if (si->si_code != BUS_MCEERR_AR && si->si_code != BUS_MCEERR_AO) {
		/* Any other SIGBUS keeps its default meaning: die (without a core, see main). */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	struct vm *vm = the_vm;
	uint8_t *a = si->si_addr;
	int saved_errno = errno;
	bool in_ram = vm && a >= vm->mem.hva && a < vm->mem.hva + vm->mem.size;
	struct vcpu *v = thread_vcpu;

	if (si->si_code == BUS_MCEERR_AR && !(in_ram && v && guest_access)) {
		/* rasvm itself consumed the poison: its own memory, or guest RAM it read for a
		 * device or a record. It cannot know what it was about to do with the bytes, and
		 * no guest access is there to report; QEMU stops the same way. rasvm checks its
		 * table of known-bad pages before it touches guest memory (docs/ras.md), so this
		 * is a page the host had not reported yet. */
		char n[24];
		say("rasvm: fatal: host memory error (action required) in ");
		if (in_ram) {
			say("guest RAM at offset ");
			say(u64_dec((uint64_t)(a - vm->mem.hva), n));
			say(", touched by rasvm itself");
		} else {
			say("rasvm's own memory");
		}
		say(v ? " on a vCPU thread outside the guest" : " on a thread that runs no guest");
		say(": rasvm cannot continue\n");
		_exit(EXIT_HOST_MEMORY);
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	struct sigbus_event ev = { .code = si->si_code, .addr = si->si_addr, .lsb = si->si_addr_lsb,
				   .t_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec };
	if (si->si_code == BUS_MCEERR_AR) {
		/* Synchronous: this vCPU's access; it acts before it re-enters the guest. */
		push(&v->sigbus, &ev);
		v->run->immediate_exit = 1;
	} else {
		push(&process_ring, &ev);
		vm_wake(vm);
	}
	errno = saved_errno;
}

int sigbus_init(struct vm *vm)
{
	struct sigaction sa = { .sa_sigaction = sigbus_handler, .sa_flags = SA_SIGINFO };

	the_vm = vm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	/* Ask for BUS_MCEERR_AO as soon as the host finds a bad page, not only when touched.
	 * Hosts without memory-failure support refuse it; rasvm then learns of errors only when
	 * a guest touches them (or from the simulator). */
	if (prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0) < 0)
		log_debug("PR_MCE_KILL_EARLY refused (%s): action-optional errors arrive only when touched",
			  strerror(errno));
	return 0;
}
