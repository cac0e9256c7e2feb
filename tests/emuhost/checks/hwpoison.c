/* hwpoison: real memory failure in this kernel. Maps an anonymous page, writes it, poisons it
 * with madvise(MADV_HWPOISON) (the kernel's memory_failure() on that page, as for a real
 * uncorrected error), touches it, and checks that the SIGBUS handler sees si_code
 * BUS_MCEERR_AR, si_addr = the page, si_addr_lsb = 12. Prints TAP lines; exit 0 when all
 * hold, 1 otherwise, 77 when the kernel has no memory-failure support (EINVAL). Needs root
 * (CAP_SYS_ADMIN). Static, so it runs in a busybox initramfs on either arch. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR 4
#endif
#ifndef BUS_MCEERR_AO
#define BUS_MCEERR_AO 5
#endif

static sigjmp_buf back;
static volatile sig_atomic_t got;
static volatile int code;
static void *volatile addr;
static volatile short lsb;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got = 1;
	code = si->si_code;
	addr = si->si_addr;
	lsb = si->si_addr_lsb;
	siglongjmp(back, 1);
}

static int failed;
static void check(int cond, const char *what)
{
	printf("%s - hwpoison: %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failed = 1;
}

static const char *code_name(int c)
{
	return c == BUS_MCEERR_AR ? "BUS_MCEERR_AR" : c == BUS_MCEERR_AO ? "BUS_MCEERR_AO" : "other";
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct sigaction sa;
	char *p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("not ok - hwpoison: mmap: %s\n", strerror(errno));
		return 1;
	}
	memset(p, 0x5a, 4 * page);
	char *victim = p + page;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);

	if (madvise(victim, page, MADV_HWPOISON) != 0) {
		int e = errno;
		if (e == EINVAL) {
			printf("# skip: madvise(MADV_HWPOISON): %s (no memory-failure support)\n", strerror(e));
			return 77;
		}
		printf("not ok - hwpoison: madvise(MADV_HWPOISON): %s\n", strerror(e));
		return 1;
	}
	check(1, "madvise(MADV_HWPOISON) accepted");

	if (sigsetjmp(back, 1) == 0) {
		volatile char c = *(volatile char *)(victim + 123);
		(void)c;
	}
	printf("# sigbus=%d si_code=%d (%s) si_addr=%p (page %p) si_addr_lsb=%d\n", (int)got,
	       code, code_name(code), addr, (void *)victim, (int)lsb);
	check(got, "touching the poisoned page raised SIGBUS");
	check(code == BUS_MCEERR_AR, "si_code is BUS_MCEERR_AR");
	check((uintptr_t)addr >> 12 == (uintptr_t)victim >> 12, "si_addr is in the poisoned page");
	check(lsb == 12, "si_addr_lsb is 12");
	check(p[0] == 0x5a && p[2 * page] == 0x5a, "neighbouring pages still readable");
	return failed;
}
