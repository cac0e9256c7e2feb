// SPDX-License-Identifier: MIT
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

bool log_verbose;

/* One fprintf per line so lines from different threads do not interleave. */
static void emit(const char *level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "rasvm: %s%s\n", level, line);
}

#define DEFINE_LOG(fn, level, cond)            \
	void fn(const char *fmt, ...)          \
	{                                      \
		va_list ap;                    \
		if (!(cond))                   \
			return;                \
		va_start(ap, fmt);             \
		emit(level, fmt, ap);          \
		va_end(ap);                    \
	}

DEFINE_LOG(log_err, "error: ", 1)
DEFINE_LOG(log_warn, "warning: ", 1)
DEFINE_LOG(log_info, "", 1)
DEFINE_LOG(log_debug, "", log_verbose)
