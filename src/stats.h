/* SPDX-License-Identifier: MIT */
/* Figures for bench/: start-up time and memory, written by `rasvm run --stats FILE`. */
#ifndef RASVM_STATS_H
#define RASVM_STATS_H

#include <stdio.h>

#include "vm.h"

/* The file and /proc/self/statm, opened at start: once the sandbox is on, nothing is opened
 * by path. */
struct stats_files {
	FILE *out;
	int statm;
};

/* 0, or -errno with a warning logged (the run goes on without figures). */
int stats_open(const char *path, struct stats_files *f);
/*
 * Write "key value" lines: first_testport_ns (CLOCK_MONOTONIC, comparable with the clock of
 * the process that started rasvm), rss_kib, guest_resident_kib and vmm_kib (the difference:
 * what rasvm itself keeps resident beyond guest RAM); then close the files.
 */
void stats_write(struct stats_files *f, struct vm *vm);

#endif
