/* SPDX-License-Identifier: MIT */
/* Errors go up with a reason: format the reason into the caller's buffer, return the code. */
#ifndef RASVM_ERRMSG_H
#define RASVM_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int __attribute__((format(printf, 4, 5)))
errmsg(char *buf, size_t len, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return code;
}

#endif
