// SPDX-License-Identifier: MIT
#include "loader/decompress.h"

#include <bzlib.h>
#include <errno.h>
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "errmsg.h"
#include "le.h"

/*
 * Magic numbers: Documentation/arch/x86/boot.rst, "payload_offset" (gzip 1F 8B, bzip2 42 5A,
 * LZMA 5D 00, XZ FD 37, LZ4 02 21, ZSTD 28 B5), checked here on their longer forms; lzop's
 * magic as lib/decompress_unlzo.c reads it.
 */
static const uint8_t magic_gzip[] = { 0x1f, 0x8b };
static const uint8_t magic_bzip2[] = { 'B', 'Z', 'h' };
static const uint8_t magic_lzma[] = { 0x5d, 0x00 };
static const uint8_t magic_xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
static const uint8_t magic_lzo[] = { 0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a };
static const uint8_t magic_lz4[] = { 0x02, 0x21, 0x4c, 0x18 }; /* 0x184C2102, little-endian */
static const uint8_t magic_zstd[] = { 0x28, 0xb5, 0x2f, 0xfd };

/* The limits below that decide how much memory one decompression takes may be set smaller
 * on the compiler's command line: the libFuzzer target does (Makefile, FUZZ_LINUX_LIMITS),
 * so that each of its executions does not allocate, and AddressSanitizer poison, the tens of
 * MiB a real kernel's payload may ask for. */
/* Legacy LZ4 frame: blocks of at most 8 MiB once decompressed (lib/decompress_unlz4.c,
 * LZ4_DEFAULT_UNCOMPRESSED_CHUNK_SIZE). */
#ifndef LZ4_LEGACY_BLOCK
#define LZ4_LEGACY_BLOCK (8u << 20)
#endif
/* lzop blocks hold at most 256 KiB (lzop's BLOCK_SIZE; lib/decompress_unlzo.c refuses more). */
#define LZO_BLOCK (256u * 1024)
/* lzop header flags (lzop's conf.h, F_*) */
#define LZOP_ADLER32_D 0x00000001u
#define LZOP_ADLER32_C 0x00000002u
#define LZOP_EXTRA_FIELD 0x00000040u
#define LZOP_CRC32_D 0x00000100u
#define LZOP_CRC32_C 0x00000200u
#define LZOP_FILTER 0x00000800u
#define LZOP_HEADER_CRC32 0x00001000u
#define LZOP_VERSION_NEW 0x0940 /* from this version on: version_needed, level, mtime_high */
/* Memory the xz and lzma decoders may use: the kernel's xz uses a 32 MiB dictionary
 * (scripts/xz_wrap.sh), `lzma -9` 64 MiB. */
#ifndef LZMA_MEMLIMIT
#define LZMA_MEMLIMIT (256ULL << 20)
#endif
/* Largest zstd window accepted, 2^27 = 128 MiB: ZSTD_WINDOWLOG_LIMIT_DEFAULT, what the
 * kernel build's `zstd -22 --ultra` declares. */
#ifndef ZSTD_WINDOW_LOG_MAX
#define ZSTD_WINDOW_LOG_MAX 27
#endif
/* First output allocation; it doubles up to the limit. */
#define OUT_INITIAL (1u << 20)
/* zlib and bzip2 count in unsigned int: feed them at most this much at a time. */
#define CHUNK_MAX (1u << 30)

static bool has_magic(const uint8_t *in, size_t len, const uint8_t *magic, size_t n)
{
	return len >= n && !memcmp(in, magic, n);
}

enum decompress_format decompress_detect(const uint8_t *in, size_t len)
{
	if (has_magic(in, len, magic_gzip, sizeof(magic_gzip)))
		return DECOMPRESS_GZIP;
	if (has_magic(in, len, magic_bzip2, sizeof(magic_bzip2)))
		return DECOMPRESS_BZIP2;
	if (has_magic(in, len, magic_lzma, sizeof(magic_lzma)))
		return DECOMPRESS_LZMA;
	if (has_magic(in, len, magic_xz, sizeof(magic_xz)))
		return DECOMPRESS_XZ;
	if (has_magic(in, len, magic_lzo, sizeof(magic_lzo)))
		return DECOMPRESS_LZO;
	if (has_magic(in, len, magic_lz4, sizeof(magic_lz4)))
		return DECOMPRESS_LZ4;
	if (has_magic(in, len, magic_zstd, sizeof(magic_zstd)))
		return DECOMPRESS_ZSTD;
	return DECOMPRESS_UNKNOWN;
}

const char *decompress_name(enum decompress_format f)
{
	static const char *const names[] = {
		[DECOMPRESS_UNKNOWN] = "unknown", [DECOMPRESS_GZIP] = "gzip",
		[DECOMPRESS_BZIP2] = "bzip2",     [DECOMPRESS_LZMA] = "lzma",
		[DECOMPRESS_XZ] = "xz",           [DECOMPRESS_LZO] = "lzo",
		[DECOMPRESS_LZ4] = "lz4",         [DECOMPRESS_ZSTD] = "zstd",
	};
	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "unknown";
}

/* The output: grows by doubling, never beyond limit (the caller's max plus one byte, so that
 * "exactly max" and "more than max" can be told apart). */
struct out {
	uint8_t *p;
	size_t len, cap, limit;
};

/* Make room for at least one more byte: 0, -EFBIG at the limit, -ENOMEM. */
static int out_room(struct out *o)
{
	if (o->len < o->cap)
		return 0;
	if (o->cap == o->limit)
		return -EFBIG;
	size_t n = o->cap ? o->cap * 2 : OUT_INITIAL;
	if (n > o->limit || n < o->cap)
		n = o->limit;
	uint8_t *p = realloc(o->p, n);
	if (!p)
		return -ENOMEM;
	o->p = p;
	o->cap = n;
	return 0;
}

static int out_append(struct out *o, const uint8_t *src, size_t n)
{
	while (n) {
		int r = out_room(o);
		if (r)
			return r;
		size_t k = o->cap - o->len < n ? o->cap - o->len : n;
		memcpy(o->p + o->len, src, k);
		o->len += k;
		src += k;
		n -= k;
	}
	return 0;
}

static unsigned chunk(size_t n)
{
	return n > CHUNK_MAX ? CHUNK_MAX : (unsigned)n;
}

#define corrupt(fmt, ...) errmsg(err, errlen, -ENOEXEC, "%s payload is corrupt: " fmt, name, __VA_ARGS__)
#define truncated() errmsg(err, errlen, -ENOEXEC, "%s payload is truncated (the stream ends early)", name)

static int gunzip(const uint8_t *in, size_t len, struct out *o, char *err, size_t errlen)
{
	const char *name = "gzip";
	z_stream s = { 0 };
	size_t fed = 0;
	int r;

	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) /* 16: gzip wrapper only (zlib.h) */
		return -ENOMEM;
	for (;;) {
		if ((r = out_room(o)))
			break;
		if (s.avail_in == 0 && fed < len) {
			s.next_in = (Bytef *)(in + fed);
			s.avail_in = chunk(len - fed);
			fed += s.avail_in;
		}
		s.next_out = o->p + o->len;
		s.avail_out = chunk(o->cap - o->len);
		unsigned before = s.avail_out;
		int z = inflate(&s, Z_NO_FLUSH);
		o->len += before - s.avail_out;
		if (z == Z_STREAM_END) {
			r = 0;
			break;
		}
		if (z == Z_BUF_ERROR && s.avail_in == 0 && fed == len) {
			r = truncated();
			break;
		}
		if (z != Z_OK && z != Z_BUF_ERROR) {
			r = z == Z_MEM_ERROR ? -ENOMEM : corrupt("%s", s.msg ? s.msg : "inflate failed");
			break;
		}
	}
	inflateEnd(&s);
	return r;
}

static int bunzip2(const uint8_t *in, size_t len, struct out *o, char *err, size_t errlen)
{
	const char *name = "bzip2";
	bz_stream s = { 0 };
	size_t fed = 0;
	int r;

	if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK)
		return -ENOMEM;
	for (;;) {
		if ((r = out_room(o)))
			break;
		if (s.avail_in == 0 && fed < len) {
			s.next_in = (char *)(in + fed);
			s.avail_in = chunk(len - fed);
			fed += s.avail_in;
		}
		s.next_out = (char *)(o->p + o->len);
		s.avail_out = chunk(o->cap - o->len);
		unsigned before = s.avail_out;
		int b = BZ2_bzDecompress(&s);
		o->len += before - s.avail_out;
		if (b == BZ_STREAM_END) {
			r = 0;
			break;
		}
		if (b != BZ_OK) {
			r = b == BZ_MEM_ERROR ? -ENOMEM
			    : corrupt("%s", b == BZ_DATA_ERROR_MAGIC ? "bad magic"
					   : b == BZ_DATA_ERROR ? "bad compressed data or CRC"
								: "decoder error");
			break;
		}
		if (s.avail_in == 0 && fed == len && before == s.avail_out) {
			r = truncated();
			break;
		}
	}
	BZ2_bzDecompressEnd(&s);
	return r;
}

static const char *lzma_reason(lzma_ret r)
{
	switch (r) {
	case LZMA_FORMAT_ERROR: return "bad header";
	case LZMA_OPTIONS_ERROR: return "unsupported options or filters";
	case LZMA_DATA_ERROR: return "bad compressed data";
	case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
	default: return "decoder error";
	}
}

/* xz (.xz container) and lzma (the legacy .lzma header), both by liblzma. */
static int unxz(const uint8_t *in, size_t len, bool xz, struct out *o, char *err, size_t errlen)
{
	const char *name = xz ? "xz" : "lzma";
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret l = xz ? lzma_stream_decoder(&s, LZMA_MEMLIMIT, 0)
			: lzma_alone_decoder(&s, LZMA_MEMLIMIT);
	int r;

	if (l != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = len;
	for (;;) {
		if ((r = out_room(o)))
			break;
		s.next_out = o->p + o->len;
		s.avail_out = o->cap - o->len;
		size_t before = s.avail_out;
		l = lzma_code(&s, s.avail_in ? LZMA_RUN : LZMA_FINISH);
		o->len += before - s.avail_out;
		if (l == LZMA_STREAM_END) {
			r = 0;
			break;
		}
		if (l == LZMA_BUF_ERROR && s.avail_in == 0) {
			r = truncated();
			break;
		}
		if (l == LZMA_MEMLIMIT_ERROR || l == LZMA_MEM_ERROR) {
			r = errmsg(err, errlen, l == LZMA_MEM_ERROR ? -ENOMEM : -ENOEXEC,
				   "%s payload needs more than %llu MiB to decompress", name,
				   LZMA_MEMLIMIT >> 20);
			break;
		}
		if (l != LZMA_OK && l != LZMA_BUF_ERROR) {
			r = corrupt("%s", lzma_reason(l));
			break;
		}
	}
	lzma_end(&s);
	return r;
}

static int unzstd(const uint8_t *in, size_t len, struct out *o, char *err, size_t errlen)
{
	const char *name = "zstd";
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, len, 0 };
	int r;

	if (!d)
		return -ENOMEM;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX))) {
		ZSTD_freeDCtx(d);
		return -ENOMEM;
	}
	for (;;) {
		if ((r = out_room(o)))
			break;
		ZSTD_outBuffer ob = { o->p + o->len, o->cap - o->len, 0 };
		size_t z = ZSTD_decompressStream(d, &ob, &ib);
		o->len += ob.pos;
		if (ZSTD_isError(z)) {
			r = corrupt("%s", ZSTD_getErrorName(z));
			break;
		}
		if (z == 0) { /* the frame is complete */
			r = 0;
			break;
		}
		if (ib.pos == ib.size && ob.pos < ob.size) {
			r = truncated();
			break;
		}
	}
	ZSTD_freeDCtx(d);
	return r;
}

/*
 * The legacy LZ4 frame (lz4's "legacy format", lib/decompress_unlz4.c): the magic, then blocks,
 * each a little-endian 32-bit compressed size and that many bytes; the magic again starts a
 * new frame; a zero size or the end of the data ends it. The kernel build appends the
 * decompressed size (4 bytes): four bytes left that equal the output so far are that.
 */
static int unlz4(const uint8_t *in, size_t len, struct out *o, char *err, size_t errlen)
{
	const char *name = "lz4";
	uint8_t *block = malloc(LZ4_LEGACY_BLOCK);
	size_t pos = sizeof(magic_lz4);
	int r = 0;

	if (!block)
		return -ENOMEM;
	while (pos < len) {
		if (len - pos < 4) {
			r = truncated();
			break;
		}
		uint32_t size = (uint32_t)le_get(in + pos, 4);
		if (len - pos == 4 && size == o->len)
			break; /* the appended size */
		pos += 4;
		if (size == 0)
			break;
		if (size == le_get(magic_lz4, 4))
			continue;
		if (size > LZ4_COMPRESSBOUND(LZ4_LEGACY_BLOCK)) {
			r = corrupt("a block of %u bytes, more than a legacy block can hold", size);
			break;
		}
		if (size > len - pos) {
			r = truncated();
			break;
		}
		int n = LZ4_decompress_safe((const char *)in + pos, (char *)block, (int)size,
					    LZ4_LEGACY_BLOCK);
		if (n < 0) {
			r = corrupt("block at offset %zu does not decode", pos - 4);
			break;
		}
		if ((r = out_append(o, block, (size_t)n)))
			break;
		pos += size;
	}
	free(block);
	return r;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * lzop's file format (lzop 1.04 src/lzop.c, as lib/decompress_unlzo.c reads it). Header, all
 * big-endian: magic[9], version u16, lib_version u16, version_needed u16 (version >= 0x0940),
 * method u8, level u8 (>= 0x0940), flags u32, filter u32 (with F_H_FILTER), mode u32,
 * mtime_low u32, mtime_high u32 (>= 0x0940), name length u8 and name, then the header's
 * checksum (Adler-32, or CRC-32 with F_H_CRC32) of everything after the magic. Blocks:
 * uncompressed size u32 (0 ends the file), compressed size u32, a checksum of the uncompressed
 * data per F_ADLER32_D and F_CRC32_D, one of the compressed data per F_ADLER32_C and
 * F_CRC32_C when it is smaller, then the data (stored as is when the sizes are equal).
 */
static int unlzo(const uint8_t *in, size_t len, struct out *o, char *err, size_t errlen)
{
	const char *name = "lzo";
	size_t pos = sizeof(magic_lzo);

	if (lzo_init() != LZO_E_OK)
		return -ENOMEM;
	if (len - pos < 8)
		return truncated();
	unsigned version = in[pos] << 8 | in[pos + 1];
	if (version < LZOP_VERSION_NEW)
		return corrupt("lzop version 0x%04x, rasvm reads 0x%04x and later", version,
			       LZOP_VERSION_NEW);
	unsigned method = in[pos + 6];
	pos += 8; /* version, lib_version, version_needed, method, level */
	if (method < 1 || method > 3) /* M_LZO1X_1, M_LZO1X_1_15, M_LZO1X_999 */
		return corrupt("lzop method %u is not LZO1X", method);
	if (len - pos < 4 + 12 + 1)
		return truncated();
	uint32_t flags = be32(in + pos);
	if (flags & (LZOP_FILTER | LZOP_EXTRA_FIELD))
		return corrupt("lzop flags 0x%x ask for a filter or an extra field", flags);
	pos += 4 + 12; /* flags, mode, mtime_low, mtime_high */
	size_t namelen = in[pos++];
	if (len - pos < namelen + 4)
		return truncated();
	pos += namelen;
	uint32_t want = be32(in + pos), got;
	const uint8_t *h = in + sizeof(magic_lzo);
	lzo_uint hlen = (lzo_uint)(in + pos - h);
	got = flags & LZOP_HEADER_CRC32 ? lzo_crc32(0, h, hlen) : lzo_adler32(1, h, hlen);
	if (got != want)
		return corrupt("header checksum 0x%08x, computed 0x%08x", want, got);
	pos += 4;

	uint8_t *block = malloc(LZO_BLOCK);
	int r = 0;
	if (!block)
		return -ENOMEM;
	for (;;) {
		if (len - pos < 4) {
			r = truncated();
			break;
		}
		uint32_t dst_len = be32(in + pos);
		pos += 4;
		if (dst_len == 0)
			break;
		if (dst_len > LZO_BLOCK) {
			r = corrupt("a block of %u bytes, more than lzop's %u", dst_len, LZO_BLOCK);
			break;
		}
		unsigned dsums = !!(flags & LZOP_ADLER32_D) + !!(flags & LZOP_CRC32_D);
		unsigned csums = !!(flags & LZOP_ADLER32_C) + !!(flags & LZOP_CRC32_C);
		if (len - pos < 4) {
			r = truncated();
			break;
		}
		uint32_t src_len = be32(in + pos);
		pos += 4;
		if (src_len == 0 || src_len > dst_len) {
			r = corrupt("a block of %u bytes compressed to %u", dst_len, src_len);
			break;
		}
		if (src_len == dst_len)
			csums = 0;
		if (len - pos < 4 * (dsums + csums)) {
			r = truncated();
			break;
		}
		const uint8_t *sums = in + pos;
		pos += 4 * (dsums + csums);
		if (len - pos < src_len) {
			r = truncated();
			break;
		}
		lzo_uint n = dst_len;
		if (src_len == dst_len) {
			memcpy(block, in + pos, dst_len);
		} else if (lzo1x_decompress_safe(in + pos, src_len, block, &n, NULL) != LZO_E_OK ||
			   n != dst_len) {
			r = corrupt("block at offset %zu does not decode", pos);
			break;
		}
		if ((flags & LZOP_ADLER32_D) && be32(sums) != lzo_adler32(1, block, n)) {
			r = corrupt("block at offset %zu: Adler-32 mismatch", pos);
			break;
		}
		if ((flags & LZOP_CRC32_D) &&
		    be32(sums + 4 * !!(flags & LZOP_ADLER32_D)) != lzo_crc32(0, block, n)) {
			r = corrupt("block at offset %zu: CRC-32 mismatch", pos);
			break;
		}
		if ((r = out_append(o, block, n)))
			break;
		pos += src_len;
	}
	free(block);
	return r;
}

int decompress(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *outlen,
	       char *err, size_t errlen)
{
	enum decompress_format f = decompress_detect(in, len);
	struct out o = { .limit = max < SIZE_MAX ? max + 1 : max };
	int r;

	switch (f) {
	case DECOMPRESS_GZIP: r = gunzip(in, len, &o, err, errlen); break;
	case DECOMPRESS_BZIP2: r = bunzip2(in, len, &o, err, errlen); break;
	case DECOMPRESS_LZMA: r = unxz(in, len, false, &o, err, errlen); break;
	case DECOMPRESS_XZ: r = unxz(in, len, true, &o, err, errlen); break;
	case DECOMPRESS_LZO: r = unlzo(in, len, &o, err, errlen); break;
	case DECOMPRESS_LZ4: r = unlz4(in, len, &o, err, errlen); break;
	case DECOMPRESS_ZSTD: r = unzstd(in, len, &o, err, errlen); break;
	default:
		return errmsg(err, errlen, -ENOEXEC,
			      "payload compression unknown (first bytes %02x %02x %02x %02x); rasvm reads gzip, bzip2, lzma, xz, lzo, lz4 and zstd",
			      len > 0 ? in[0] : 0, len > 1 ? in[1] : 0, len > 2 ? in[2] : 0,
			      len > 3 ? in[3] : 0);
	}
	if (r == 0 && o.len > max)
		r = -EFBIG;
	if (r == -EFBIG)
		errmsg(err, errlen, r, "%s payload decompresses to more than %zu bytes",
		       decompress_name(f), max);
	else if (r == -ENOMEM)
		errmsg(err, errlen, r, "out of memory decompressing the %s payload", decompress_name(f));
	if (r) {
		free(o.p);
		return r;
	}
	*out = o.p;
	*outlen = o.len;
	return 0;
}
