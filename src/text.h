/* SPDX-License-Identifier: MIT */
/*
 * A growing text buffer for replies built line by line (HMP's output, "info registers", the
 * Prometheus metrics). A failed allocation sets oom and ignores what follows, so the caller
 * checks once at the end instead of after every line.
 */
#ifndef RASVM_TEXT_H
#define RASVM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct text {
	char *p;          /* NUL-terminated once anything was added; malloc'd, the caller frees */
	size_t len, cap;
	bool oom;
};

void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
