// SPDX-License-Identifier: MIT
/*
 * Start-up benchmark: spawns `rasvm run --stats FILE ...` N times and reports, as median and
 * spread, the time from just before exec to the guest's first test-port write (rasvm stamps
 * it with CLOCK_MONOTONIC, the same clock as here; the test guest's entry point _start does
 * that write with its second instruction, so this is exec to the first guest instruction),
 * the time to exit, and rasvm's resident memory beyond guest RAM.
 * Usage: startup RASVM N [rasvm run options...]
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[(int)(p * (n - 1) + 0.5)];
}

static unsigned long long stat_value(const char *path, const char *key)
{
	char k[64];
	unsigned long long v, found = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s RASVM N [run options...]\n", argv[0]);
		return 2;
	}
	int n = atoi(argv[2]);
	if (n < 1)
		return 2;
	char stats[] = "/tmp/rasvm-bench-XXXXXX";
	int fd = mkstemp(stats);
	if (fd < 0)
		return 1;
	close(fd);

	char *args[64] = { argv[1], "run", "--serial", "none", "--stats", stats };
	int na = 6;
	for (int i = 3; i < argc && na < 63; i++)
		args[na++] = argv[i];
	args[na] = NULL;

	double *first = calloc((size_t)n, sizeof(double)), *total = calloc((size_t)n, sizeof(double));
	double *vmm = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		pid_t pid;
		int status;
		unlink(stats);
		unsigned long long t0 = now_ns();
		if (posix_spawn(&pid, argv[1], NULL, NULL, args, environ) != 0) {
			perror("posix_spawn");
			return 1;
		}
		waitpid(pid, &status, 0);
		unsigned long long t1 = now_ns();
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "run %d: rasvm failed (status 0x%x)\n", i, status);
			return 1;
		}
		unsigned long long t_first = stat_value(stats, "first_testport_ns");
		first[i] = t_first > t0 ? (double)(t_first - t0) / 1e6 : 0;
		total[i] = (double)(t1 - t0) / 1e6;
		vmm[i] = (double)stat_value(stats, "vmm_kib") / 1024.0;
	}
	unlink(stats);
	printf("runs: %d\n", n);
	printf("exec -> the guest's first instruction (its first test-port write): median %.2f ms (p10 %.2f, p90 %.2f)   target < 2 ms\n",
	       pct(first, n, 0.5), pct(first, n, 0.1), pct(first, n, 0.9));
	printf("exec -> exit (whole boot scenario): median %.2f ms (p10 %.2f, p90 %.2f)\n",
	       pct(total, n, 0.5), pct(total, n, 0.1), pct(total, n, 0.9));
	printf("resident memory beyond guest RAM: median %.2f MiB (p10 %.2f, p90 %.2f)   target < 2 MiB\n",
	       pct(vmm, n, 0.5), pct(vmm, n, 0.1), pct(vmm, n, 0.9));
	return 0;
}
