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

#endif
