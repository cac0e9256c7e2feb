// SPDX-License-Identifier: MIT
/*
 * Verifies rasvm's real SIGBUS handler, driven the way the host kernel would drive it
 * (rt_tgsigqueueinfo with BUS_MCEERR_AR/AO, si_addr, si_addr_lsb), with no KVM: AO goes to
 * the process ring and wakes the main thread, AR on a vCPU thread running the guest to that
 * vCPU's ring and ends KVM_RUN, a second error while one is pending is queued behind it, an AR
 * that is rasvm's own access (outside guest RAM, on a thread running no guest, or on a vCPU
 * thread outside KVM_RUN) is fatal with a message, any other SIGBUS keeps its default
 * meaning, and a full ring counts what it lost.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "exitcode.h"
#include "ras/sigbus.h"
#include "vm.h"

static struct vm vm;
static struct vcpu vcpu;
static struct kvm_run run;
static uint8_t ram[4 << 20];

static void send(int code, void *addr, short lsb)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGBUS;
	si.si_code = code;
	si.si_addr = addr;
	si.si_addr_lsb = lsb;
	assert_int_equal(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGBUS, &si), 0);
}

static int setup(void **state)
{
	(void)state;
	if (vm.life.wake_fd > 0)
		close(vm.life.wake_fd);
	memset(&vm, 0, sizeof(vm));
	memset(&vcpu, 0, sizeof(vcpu));
	mem_layout(&vm.mem, ram, sizeof(ram));
	vm.life.wake_fd = eventfd(0, EFD_NONBLOCK);
	vcpu.vm = &vm;
	vcpu.run = &run;
	run.immediate_exit = 0;
	sigbus_set_guest_access(false);
	struct sigbus_event ev;
	while (sigbus_pop(sigbus_process_ring(), &ev))
		;
	sigbus_set_thread_vcpu(NULL);
	return 0;
}

/* cmocka installs its own SIGBUS handler around each test: take it back inside the test. */
static void install(void)
{
	assert_int_equal(sigbus_init(&vm), 0);
}

/* Whether the main thread was woken (and take the wake-up). */
static bool woken(void)
{
	uint64_t n;
	return read(vm.life.wake_fd, &n, sizeof(n)) == (ssize_t)sizeof(n) && n > 0;
}

static void test_ao_to_process_ring(void **state)
{
	struct sigbus_event ev;
	(void)state;
	install();
	assert_false(woken());
	send(BUS_MCEERR_AO, ram + 0x3000, 12);
	assert_true(woken());
	send(BUS_MCEERR_AO, (void *)0x1000, 12); /* outside RAM: queued, the main thread ignores it */
	assert_int_equal(sigbus_pop(sigbus_process_ring(), &ev), 1);
	assert_int_equal(ev.code, BUS_MCEERR_AO);
	assert_ptr_equal(ev.addr, ram + 0x3000);
	assert_int_equal(ev.lsb, 12);
	assert_true(ev.t_ns > 0);
	assert_int_equal(sigbus_pop(sigbus_process_ring(), &ev), 1);
	assert_ptr_equal(ev.addr, (void *)0x1000);
	assert_int_equal(sigbus_pop(sigbus_process_ring(), &ev), 0);
}

static void test_ar_on_vcpu_thread(void **state)
{
	struct sigbus_event ev;
	(void)state;
	install();
	sigbus_set_thread_vcpu(&vcpu);
	sigbus_set_guest_access(true); /* as around KVM_RUN */
	send(BUS_MCEERR_AR, ram + 0x5008, 12);
	assert_int_equal(run.immediate_exit, 1); /* KVM_RUN returns before the guest runs on */
	send(BUS_MCEERR_AR, ram + 0x200000 - 1, 21); /* a second one while the first is pending */
	send(BUS_MCEERR_AO, ram + 0x7000, 12);       /* AO is the main thread's, whoever gets it */
	assert_int_equal(sigbus_pop(&vcpu.sigbus, &ev), 1);
	assert_ptr_equal(ev.addr, ram + 0x5008);
	assert_int_equal(sigbus_pop(&vcpu.sigbus, &ev), 1);
	assert_int_equal(ev.lsb, 21);
	assert_int_equal(sigbus_pop(&vcpu.sigbus, &ev), 0);
	assert_int_equal(sigbus_pop(sigbus_process_ring(), &ev), 1);
	assert_int_equal(ev.code, BUS_MCEERR_AO);
	sigbus_set_guest_access(false);
	sigbus_set_thread_vcpu(NULL);
}

static void test_ring_full_counts(void **state)
{
	struct sigbus_event ev;
	(void)state;
	install();
	for (int i = 0; i < SIGBUS_RING + 3; i++)
		send(BUS_MCEERR_AO, ram, 12);
	assert_int_equal(atomic_load(&sigbus_process_ring()->overflow), 3);
	int n = 0;
	while (sigbus_pop(sigbus_process_ring(), &ev))
		n++;
	assert_int_equal(n, SIGBUS_RING);
	atomic_store(&sigbus_process_ring()->overflow, 0);
}

/* Run fn in a child with stderr captured; return its wait status. */
static int in_child(void (*fn)(void), char *err, size_t errlen)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		fn();
		_exit(0);
	}
	close(p[1]);
	size_t got = 0;
	ssize_t n;
	/* The handler speaks in several write(2)s: read them all. */
	while (got < errlen - 1 && (n = read(p[0], err + got, errlen - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = '\0';
	close(p[0]);
	int status;
	waitpid(pid, &status, 0);
	return status;
}

static void ar_outside_ram(void) { send(BUS_MCEERR_AR, (void *)&vm, 12); }
/* rasvm reading guest RAM for a device: on the control socket's thread, or on a vCPU thread
 * between two KVM_RUNs. Neither is the guest's access. */
static void ar_in_ram_no_vcpu(void) { send(BUS_MCEERR_AR, ram + 0x4000, 12); }
static void ar_in_ram_vcpu_outside_guest(void)
{
	sigbus_set_thread_vcpu(&vcpu);
	send(BUS_MCEERR_AR, ram + 0x4000, 12);
}
static void plain_sigbus(void) { kill(getpid(), SIGBUS); }

static void test_fatal_and_default(void **state)
{
	char err[512];
	(void)state;
	install();
	int st = in_child(ar_outside_ram, err, sizeof(err));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EXIT_HOST_MEMORY);
	assert_non_null(strstr(err, "rasvm's own memory"));
	st = in_child(ar_in_ram_no_vcpu, err, sizeof(err));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EXIT_HOST_MEMORY);
	assert_non_null(strstr(err, "guest RAM at offset 16384, touched by rasvm itself on a thread that runs no guest"));
	st = in_child(ar_in_ram_vcpu_outside_guest, err, sizeof(err));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EXIT_HOST_MEMORY);
	assert_non_null(strstr(err, "on a vCPU thread outside the guest"));
	assert_int_equal(run.immediate_exit, 0);
	st = in_child(plain_sigbus, err, sizeof(err));
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ao_to_process_ring, setup),
		cmocka_unit_test_setup(test_ar_on_vcpu_thread, setup),
		cmocka_unit_test_setup(test_ring_full_counts, setup),
		cmocka_unit_test_setup(test_fatal_and_default, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
