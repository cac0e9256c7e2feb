// SPDX-License-Identifier: MIT
/*
 * /init of the Linux guest in tests/emu/arm64_host.sh: a static aarch64 program (user-mode
 * system calls work under the emulated host's KVM). Linux is the judge; this program only
 * sets up what Linux judges and prints what it saw, one "init: " line per fact. The host side
 * (rasvm's control socket, driven by the test) poisons the pages it names, for real.
 *
 * First boot (no rasvm.resets= on the command line):
 *  (a) a process ("victim") dirties an anonymous page, names its guest physical address, and
 *      reads it every 20 ms: once the host poisons the page, the read takes an SEA; Linux
 *      decodes the record, recovers the page and sends the process SIGBUS, whose si_code and
 *      si_addr it prints;
 *  (b) a page inside a free 4 MiB buddy block, named: the host reports it action optional;
 *      Linux's view of it (/proc/kpageflags HWPOISON) is awaited;
 *  (c) a 256 KiB range of the same free block, named: one host error over all of it, a storm
 *      of 64 records; every page awaited;
 *  then a reboot (PSCI SYSTEM_RESET).
 * After a reset (rasvm.resets=1): (d) no page Linux knows is poisoned, most of free memory is
 * written and read back without a memory error, then power off (PSCI SYSTEM_OFF).
 * With acpi=off (a device-tree boot): say what the firmware gave, power off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define KPF_BUDDY    (1ULL << 10)
#define KPF_HWPOISON (1ULL << 19)
#define STORM_PAGES  64 /* one host error of 2^18 bytes */

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t w = write(1, line, (size_t)n);
	(void)w;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t kpageflags(uint64_t pfn)
{
	static int fd = -1;
	uint64_t f = 0;

	if (fd < 0)
		fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0 || pread(fd, &f, 8, (off_t)(pfn * 8)) != 8)
		return ~0ULL;
	return f;
}

static uint64_t mem_total_kib(const char *key)
{
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strstr(buf, key);
	return p ? strtoull(p + strlen(key) + 1, NULL, 10) : 0;
}

/* The RAM Linux manages: first and last PFN from /proc/iomem's "System RAM" lines. */
static void ram_pfns(uint64_t *lo, uint64_t *hi)
{
	char buf[8192];
	int fd = open("/proc/iomem", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	*lo = ~0ULL, *hi = 0;
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == ' ' || !strstr(line, "System RAM"))
			continue;
		uint64_t a = strtoull(line, NULL, 16), b = strtoull(strchr(line, '-') + 1, NULL, 16);
		if (a / PAGE < *lo)
			*lo = a / PAGE;
		if ((b + 1) / PAGE > *hi)
			*hi = (b + 1) / PAGE;
	}
}

/* ---- (a) the victim ---- */

static volatile uint8_t *victim_page;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	char line[200];
	uintptr_t a = (uintptr_t)si->si_addr, page = (uintptr_t)victim_page;
	int n = snprintf(line, sizeof(line),
			 "init: victim: SIGBUS si_code=%d (%s) si_addr=0x%lx (%s) si_addr_lsb=%d\n",
			 si->si_code, si->si_code == BUS_MCEERR_AR ? "BUS_MCEERR_AR" : "other",
			 (unsigned long)a, a >= page && a < page + PAGE ? "its own page" : "elsewhere",
			 (int)si->si_addr_lsb);
	ssize_t w = write(1, line, (size_t)n);
	(void)w;
	_exit(si->si_code == BUS_MCEERR_AR && a >= page && a < page + PAGE ? 42 : 43);
}

static void victim(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	uint64_t entry = 0;

	prctl(PR_SET_NAME, "victim");
	sigaction(SIGBUS, &sa, NULL);
	victim_page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	memset((void *)victim_page, 0x5a, PAGE);
	mlock((void *)victim_page, PAGE);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &entry, 8, (off_t)((uintptr_t)victim_page / PAGE * 8)) != 8 ||
	    !(entry & (1ULL << 63))) {
		say("init: victim: no pagemap entry");
		_exit(1);
	}
	uint64_t pfn = entry & ((1ULL << 55) - 1);
	say("init: victim page va 0x%lx gpa 0x%llx", (unsigned long)(uintptr_t)victim_page,
	    (unsigned long long)(pfn * PAGE));
	/* Read it until it is gone (60 s at most). */
	unsigned sum = 0;
	for (int i = 0; i < 3000; i++) {
		for (unsigned k = 0; k < PAGE; k += 64)
			sum += victim_page[k];
		sleep_ms(20);
	}
	say("init: victim: the page never went bad (sum %u)", sum);
	_exit(2);
}

/* A 4 MiB-aligned block of free pages: every page KPF_BUDDY (Linux 6.1's kpageflags sets it
 * on the head of a free block and on every free page inside one, stable_page_flags()), so
 * an order-10 free block or free blocks side by side. */
static uint64_t free_block(void)
{
	uint64_t lo, hi;

	ram_pfns(&lo, &hi);
	for (uint64_t b = (lo + (hi - lo) / 2 + 1023) & ~1023ULL; b + 1024 <= hi; b += 1024) {
		if (!(kpageflags(b) & KPF_BUDDY))
			continue;
		uint64_t i = 1;
		while (i < 1024 && (kpageflags(b + i) & (KPF_BUDDY | KPF_HWPOISON)) == KPF_BUDDY)
			i++;
		if (i == 1024)
			return b;
	}
	return 0;
}

/* Wait until every page of [pfn, pfn + n) is HWPOISON in Linux's view; how many were. */
static uint64_t await_poison(uint64_t pfn, uint64_t n, unsigned ms)
{
	uint64_t seen = 0;
	for (unsigned t = 0; t <= ms; t += 50) {
		seen = 0;
		for (uint64_t i = 0; i < n; i++)
			seen += (kpageflags(pfn + i) & KPF_HWPOISON) != 0;
		if (seen == n)
			break;
		sleep_ms(50);
	}
	return seen;
}

static void first_boot(void)
{
	pid_t pid = fork();
	if (pid == 0)
		victim();
	int status = 0;
	waitpid(pid, &status, 0);
	say("init: victim exited %s %d", WIFEXITED(status) ? "with" : "by signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));

	uint64_t b = free_block();
	if (!b) {
		say("init: no free 4 MiB block found");
		return;
	}
	uint64_t ao = b + 512; /* the block's middle */
	say("init: free page gpa 0x%llx flags 0x%llx", (unsigned long long)(ao * PAGE),
	    (unsigned long long)kpageflags(ao));
	uint64_t n = await_poison(ao, 1, 60000);
	say("init: free page 0x%llx %s", (unsigned long long)(ao * PAGE),
	    n ? "is poisoned in Linux's view (HWPOISON)" : "never went bad");

	say("init: storm range gpa 0x%llx pages %d", (unsigned long long)(b * PAGE), STORM_PAGES);
	n = await_poison(b, STORM_PAGES, 60000);
	say("init: storm: %llu of %d pages poisoned in Linux's view", (unsigned long long)n, STORM_PAGES);
	say("init: rebooting");
}

/* (d) after the reset */
static void after_reset(void)
{
	uint64_t lo, hi, poisoned = 0;

	ram_pfns(&lo, &hi);
	for (uint64_t p = lo; p < hi; p++)
		poisoned += (kpageflags(p) & KPF_HWPOISON) != 0;
	uint64_t kib = mem_total_kib("MemFree:");
	uint64_t bytes = kib > 40 * 1024 ? (kib - 32 * 1024) * 1024 : 0;
	uint8_t *m = bytes ? mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : MAP_FAILED;
	uint64_t bad = 0;
	if (m != MAP_FAILED) {
		for (uint64_t o = 0; o < bytes; o += PAGE)
			m[o] = (uint8_t)(o >> 12);
		for (uint64_t o = 0; o < bytes; o += PAGE)
			bad += m[o] != (uint8_t)(o >> 12);
	}
	char log[1 << 16];
	int len = klogctl(3, log, sizeof(log) - 1); /* SYSLOG_ACTION_READ_ALL */
	log[len > 0 ? len : 0] = '\0';
	int errors = strstr(log, "Memory failure") != NULL || strstr(log, "Hardware Error") != NULL;
	say("init: reset: %llu page(s) poisoned in Linux's view of %llu MiB; %llu MiB written and read back, %llu wrong; memory errors in the kernel log: %s",
	    (unsigned long long)poisoned, (unsigned long long)((hi - lo) * PAGE >> 20),
	    (unsigned long long)(bytes >> 20), (unsigned long long)bad, errors ? "yes" : "none");
}

int main(void)
{
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	int fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	char cmdline[2048] = "";
	fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline) - 1) : 0;
	cmdline[n > 0 ? n : 0] = '\0';
	struct stat st;
	int acpi = stat("/sys/firmware/acpi/tables/HEST", &st) == 0;
	int dt = stat("/proc/device-tree", &st) == 0;
	say("init: up (%s, HEST %s, device tree %s)", strstr(cmdline, "rasvm.resets=") ? "after a reset" : "first boot",
	    acpi ? "present" : "absent", dt ? "present" : "absent");
	if (strstr(cmdline, "acpi=off")) {
		say("init: device-tree boot: %s", dt && !acpi ? "the machine from the device tree, no ACPI" : "unexpected firmware");
	} else if (strstr(cmdline, "rasvm.resets=")) {
		after_reset();
	} else {
		first_boot();
		sync();
		reboot(RB_AUTOBOOT);
	}
	say("init: powering off");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
