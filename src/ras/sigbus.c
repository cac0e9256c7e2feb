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

	if (!in_ram && si->si_code == BUS_MCEERR_AR) {
		say("rasvm: fatal: host memory error (action required) in rasvm's own memory, not guest RAM: rasvm cannot continue\n");
		_exit(EXIT_HOST_MEMORY);
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	struct sigbus_event ev = { .code = si->si_code, .addr = si->si_addr, .lsb = si->si_addr_lsb,
				   .t_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec };
	struct vcpu *v = thread_vcpu;
	if (v && si->si_code == BUS_MCEERR_AR) {
		/* Synchronous: this vCPU's access; it acts before it re-enters the guest. */
		push(&v->sigbus, &ev);
		v->run->immediate_exit = 1;
	} else {
		push(&process_ring, &ev);
		pthread_kill(vm->main_thread, SIG_MAIN_WAKE);
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
	/* Ask for BUS_MCEERR_AO as soon as the host finds a bad page, not only when touched. */
	prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
	return 0;
}
