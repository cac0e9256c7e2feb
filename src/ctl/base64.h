/* SPDX-License-Identifier: MIT */
/* RFC 4648 base64 (standard alphabet, '=' padding), for QMP's binary arguments. */
#ifndef RASVM_CTL_BASE64_H
#define RASVM_CTL_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Decode text into out (at most outlen bytes); returns the length or -1 when the text is
 * not base64 (bad character, bad padding, data after padding) or does not fit. */
long base64_decode(const char *text, size_t len, uint8_t *out, size_t outlen);

#endif
