/* SPDX-License-Identifier: MIT */
/* Messages from the VMM to stderr, one line each, prefixed "rasvm: ". */
#ifndef RASVM_LOG_H
#define RASVM_LOG_H

#include <stdbool.h>

extern bool log_verbose;

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with --verbose. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Rate limits for messages a guest or a client can cause at will (a guest writing a bad
 * test-port block in a loop would otherwise print tens of thousands of lines a minute):
 * each call site prints at most LOG_RL_BURST lines per second, then says how many it
 * suppressed when it may speak again.
 */
#define LOG_RL_BURST 10
struct log_rl {
	unsigned long long window_start_ns;
	unsigned printed, suppressed;
};
/* True when this site may print now; *suppressed: lines held back since it last printed. */
bool log_rl_allow(struct log_rl *rl, unsigned *suppressed);

#define LOG_RL(fn, ...)                                                                  \
	do {                                                                             \
		static struct log_rl rl_;                                                \
		unsigned suppressed_;                                                    \
		if (log_rl_allow(&rl_, &suppressed_)) {                                  \
			if (suppressed_)                                                 \
				fn("(%u similar message(s) suppressed)", suppressed_);   \
			fn(__VA_ARGS__);                                                 \
		}                                                                        \
	} while (0)
#define log_warn_rl(...) LOG_RL(log_warn, __VA_ARGS__)
#define log_err_rl(...) LOG_RL(log_err, __VA_ARGS__)
#define log_debug_rl(...)                              \
	do {                                           \
		if (log_verbose)                       \
			LOG_RL(log_debug, __VA_ARGS__); \
	} while (0)

#endif
