/* SPDX-License-Identifier: MIT */
/* Figures for bench/: start-up time and memory, written by `rasvm run --stats FILE`. */
#ifndef RASVM_STATS_H
#define RASVM_STATS_H

#include "vm.h"

/*
 * Write "key value" lines: first_testport_ns (CLOCK_MONOTONIC, comparable with the clock of
 * the process that started rasvm), rss_kib, guest_resident_kib and vmm_kib (the difference:
 * what rasvm itself keeps resident beyond guest RAM).
 */
int stats_write(const char *path, struct vm *vm);

#endif
