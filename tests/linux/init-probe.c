/*
 * init-probe: the init for hosts where guest system calls work (the emulated x86 host, a
 * hardware KVM host). A static program (glibc is fine) that reports on the console:
 *
 *   init-probe: ready page=0x7f... pfn=0x...      its own page: virtual address, and the
 *                                                 guest frame from /proc/self/pagemap (what a
 *                                                 host must poison; "pfn=?" if unreadable)
 *   init-probe: SIGBUS code=4 addr=0x7f... lsb=12 HardwareCorrupted: 4 kB
 *                                                 a memory error reached it (code 4
 *                                                 BUS_MCEERR_AR: it touched the page; 5
 *                                                 BUS_MCEERR_AO: found elsewhere, delivered
 *                                                 early because of PR_MCE_KILL_EARLY)
 *   init-probe: replaced page=0x7f... pfn=0x...    it mapped a fresh page in place of the lost
 *                                                 one and goes on (init must not die: killing
 *                                                 init panics the kernel), so one boot can
 *                                                 take several errors
 *   init-probe: ghes GHES.0 GHES.1 GHES.2         first: the GHES error sources Linux's GHES
 *                                                 driver registered (/sys/bus/platform/drivers/GHES)
 *   init-probe: cpus online 0-3                   and /sys/devices/system/cpu/online
 *
 * Between those it loops reading its page; it never sleeps or exits, except that with the
 * argument poweroff-on-ao (kernel command line "... -- poweroff-on-ao") it powers the
 * machine off (reboot(RB_POWER_OFF): ACPI S5) after reporting a SIGBUS BUS_MCEERR_AO.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096UL

static volatile unsigned char *page; /* the page init owns, one anonymous mapping */
static int poweroff_on_ao;          /* argv: poweroff-on-ao */

/* Async-signal-safe output: format into a buffer with these, write(2) it whole. */
static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *put_hex(char *p, unsigned long v)
{
	char tmp[16];
	int n = 0;
	p = put_str(p, "0x");
	do
		tmp[n++] = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_dec(char *p, long v)
{
	char tmp[24];
	int n = 0;
	if (v < 0) {
		*p++ = '-';
		v = -v;
	}
	do
		tmp[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static void say(const char *buf, const char *end)
{
	while (buf < end) {
		ssize_t n = write(1, buf, (size_t)(end - buf));
		if (n <= 0)
			return;
		buf += n;
	}
}

/* The guest frame number behind va (bits 0-54 of the pagemap entry when bit 63, present,
 * is set; readable as root), or -1. */
static long pfn_of(const volatile void *va)
{
	uint64_t e;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = pread(fd, &e, sizeof(e), (off_t)((uintptr_t)va / PAGE * sizeof(e)));
	close(fd);
	if (n != (ssize_t)sizeof(e) || !(e >> 63) || !(e & ((1ULL << 55) - 1)))
		return -1;
	return (long)(e & ((1ULL << 55) - 1));
}

static char *put_page(char *p)
{
	long pfn = pfn_of(page);
	p = put_str(p, "page=");
	p = put_hex(p, (unsigned long)page);
	p = put_str(p, " pfn=");
	return pfn < 0 ? put_str(p, "?") : put_hex(p, (unsigned long)pfn);
}

/* Copy the "HardwareCorrupted: ... kB" line of /proc/meminfo (open/read: signal safe). */
static char *put_corrupted(char *p)
{
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return put_str(p, "HardwareCorrupted: ?");
	buf[n] = 0;
	char *s = strstr(buf, "HardwareCorrupted:");
	if (!s)
		return put_str(p, "HardwareCorrupted: ?");
	while (*s && *s != '\n')
		*p++ = *s++;
	return p;
}

/* Write the marker and make sure the page is present (touching it faults it in). */
static void fill_page(void)
{
	memcpy((void *)page, "RASVM-INIT-PAGE!", 16);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	char line[512], *p = line;
	p = put_str(p, "init-probe: SIGBUS code=");
	p = put_dec(p, si->si_code);
	p = put_str(p, " addr=");
	p = put_hex(p, (unsigned long)si->si_addr);
	p = put_str(p, " lsb=");
	p = put_dec(p, si->si_addr_lsb);
	p = put_str(p, " ");
	p = put_corrupted(p);
	*p++ = '\n';
	say(line, p);

	if (poweroff_on_ao && si->si_code == BUS_MCEERR_AO) {
		static const char off[] = "init-probe: powering off\n";
		say(off, off + sizeof(off) - 1);
		sync();
		reboot(RB_POWER_OFF);
	}

	/* Replace the lost page by a fresh one at the same address and go on. A SIGBUS for
	 * some other address (code 5 about a page we do not own) just gets reported. */
	uintptr_t a = (uintptr_t)si->si_addr & ~(PAGE - 1);
	if (a == (uintptr_t)page) {
		mmap((void *)page, PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		fill_page();
		p = put_str(line, "init-probe: replaced ");
		p = put_page(p);
		*p++ = '\n';
		say(line, p);
	}
}

/* What Linux registered: the GHES platform devices bound to the GHES driver, the CPUs online. */
static void report_platform(void)
{
	char line[512], *p = put_str(line, "init-probe: ghes");
	DIR *d = opendir("/sys/bus/platform/drivers/GHES");
	struct dirent *e;

	while (d && (e = readdir(d)) && p < line + sizeof(line) - 64) {
		if (!strncmp(e->d_name, "GHES.", 5)) {
			p = put_str(p, " ");
			p = put_str(p, e->d_name);
		}
	}
	if (d)
		closedir(d);
	*p++ = '\n';
	say(line, p);

	char online[64] = "?";
	int fd = open("/sys/devices/system/cpu/online", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, online, sizeof(online) - 1);
	if (fd >= 0)
		close(fd);
	online[n > 0 ? n : 1] = 0;
	online[strcspn(online, "\n")] = 0;
	p = put_str(line, "init-probe: cpus online ");
	p = put_str(p, online);
	*p++ = '\n';
	say(line, p);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "poweroff-on-ao"))
			poweroff_on_ao = 1;
	mkdir("/proc", 0555);
	if (mount("proc", "/proc", "proc", 0, NULL) != 0)
		perror("init-probe: mount /proc");
	mkdir("/sys", 0555);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
		perror("init-probe: mount /sys");
	report_platform();

	/* Ask for BUS_MCEERR_AO too (an error found on our page by someone else). */
	prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);

	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("init-probe: mmap");
		for (;;)
			pause();
	}
	fill_page();

	char line[256], *p = put_str(line, "init-probe: ready ");
	p = put_page(p);
	*p++ = '\n';
	say(line, p);

	/* Touch the page forever: a poisoned frame under it is consumed right here. */
	for (;;)
		for (unsigned long i = 0; i < PAGE; i += 64)
			(void)page[i];
}
