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

#include <pthread.h>

#include "clock.h"

#define LOG_RL_WINDOW_NS 1000000000ULL

bool log_rl_allow(struct log_rl *rl, unsigned *suppressed)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t now = now_ns();
	bool ok;

	pthread_mutex_lock(&lock);
	if (now - rl->window_start_ns >= LOG_RL_WINDOW_NS) {
		rl->window_start_ns = now;
		rl->printed = 0;
	}
	ok = rl->printed < LOG_RL_BURST;
	*suppressed = 0;
	if (ok) {
		rl->printed++;
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
	}
	pthread_mutex_unlock(&lock);
	return ok;
}
