/* SPDX-License-Identifier: MIT */
/*
 * Host-side decompression of a bzImage's payload, in every format a Linux x86 kernel can be
 * built with, so that rasvm never runs the kernel's own decompressor (about 6.5 s of emulated
 * guest code on these hosts). Output is bounded: a hostile stream cannot make rasvm allocate
 * more than the caller's limit.
 */
#ifndef RASVM_LOADER_DECOMPRESS_H
#define RASVM_LOADER_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

enum decompress_format {
	DECOMPRESS_UNKNOWN,
	DECOMPRESS_GZIP,  /* 1F 8B */
	DECOMPRESS_BZIP2, /* 42 5A ("BZh") */
	DECOMPRESS_LZMA,  /* 5D 00: the legacy .lzma ("LZMA alone") format */
	DECOMPRESS_XZ,    /* FD 37 7A 58 5A 00 */
	DECOMPRESS_LZO,   /* 89 4C 5A 4F: lzop's file format */
	DECOMPRESS_LZ4,   /* 02 21 4C 18: the legacy LZ4 frame (`lz4 -l`) */
	DECOMPRESS_ZSTD,  /* 28 B5 2F FD */
};

/* The format of in by its magic number; DECOMPRESS_UNKNOWN when none matches. */
enum decompress_format decompress_detect(const uint8_t *in, size_t len);
/* "gzip", "xz", ...; "unknown". */
const char *decompress_name(enum decompress_format f);

/*
 * Decompress the first stream in in[0, len) (bytes after its end, such as the kernel build's
 * appended size, are ignored) into a new buffer of at most max bytes, returned in *out (free()
 * it) and *outlen. Returns 0; -ENOEXEC when the data is in no supported format, corrupt or
 * truncated; -EFBIG when it decompresses to more than max bytes; -ENOMEM. A reason naming the
 * format goes into err.
 */
int decompress(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *outlen,
	       char *err, size_t errlen);

#endif
