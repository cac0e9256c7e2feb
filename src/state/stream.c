// SPDX-License-Identifier: MIT
/* The stream's records (see stream.h); docs/migration.md describes the bytes. */
#include "state/stream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "le.h"
#include "state/crc32c.h"

#define AHEAD (64u << 10)
#define FLUSH_AT (1u << 20)

const char *state_tag_name(uint32_t tag, char buf[5])
{
	for (int k = 0; k < 4; k++) {
		char c = (char)(tag >> (8 * k));
		buf[k] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	buf[4] = '\0';
	return buf;
}

/* ---- Writing ---- */

int out_init(struct state_out *o, int fd)
{
	struct stat st;

	*o = (struct state_out){ .fd = fd, .rec = SIZE_MAX };
	o->is_socket = fd >= 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	o->cap = FLUSH_AT + STATE_RECORD_MAX + STATE_REC_HDR + 64;
	o->buf = malloc(o->cap);
	return o->buf ? 0 : -ENOMEM;
}

void out_free(struct state_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

static void out_fail(struct state_out *o, int err, const char *what)
{
	if (o->err)
		return;
	o->err = err;
	snprintf(o->why, sizeof(o->why), "%.80s: %.60s", what, strerror(-err));
}

static void grow(struct state_out *o, size_t n)
{
	if (o->len + n <= o->cap)
		return;
	/* Only a stream kept in memory (fd -1) grows beyond one flush. */
	size_t cap = o->cap * 2;
	while (cap < o->len + n)
		cap *= 2;
	uint8_t *p = realloc(o->buf, cap);
	if (!p) {
		out_fail(o, -ENOMEM, "stream buffer");
		return;
	}
	o->buf = p;
	o->cap = cap;
}

void out_preamble(struct state_out *o)
{
	grow(o, STATE_PREAMBLE);
	if (o->err)
		return;
	memcpy(o->buf + o->len, STATE_MAGIC, 8);
	le_put(o->buf + o->len + 8, STATE_FORMAT, 4);
	le_put(o->buf + o->len + 12, 0, 4);
	o->len += STATE_PREAMBLE;
}

static void open_record(struct state_out *o)
{
	grow(o, STATE_REC_HDR);
	if (o->err)
		return;
	o->rec = o->len;
	o->len += STATE_REC_HDR;
}

/* Fill in the open record's header and CRC. */
static void close_record(struct state_out *o, uint16_t flags)
{
	if (o->rec == SIZE_MAX)
		return;
	uint8_t *h = o->buf + o->rec;
	size_t plen = o->len - o->rec - STATE_REC_HDR;
	le_put(h, o->tag, 4);
	le_put(h + 4, o->version, 2);
	le_put(h + 6, flags, 2);
	le_put(h + 8, o->instance, 4);
	le_put(h + 12, plen, 4);
	uint32_t c = crc32c(0, h, 16);
	c = crc32c(c, h + STATE_REC_HDR, plen);
	le_put(h + 16, c, 4);
	o->rec = SIZE_MAX;
	o->records++;
	if (o->fd >= 0 && o->len >= FLUSH_AT)
		out_flush(o);
}

void out_begin(struct state_out *o, uint32_t tag, uint16_t version, uint32_t instance)
{
	o->tag = tag;
	o->version = version;
	o->instance = instance;
	open_record(o);
}

void out_end(struct state_out *o)
{
	close_record(o, 0);
}

void out_abandon(struct state_out *o)
{
	if (o->rec == SIZE_MAX)
		return;
	o->len = o->rec;
	o->rec = SIZE_MAX;
}

void out_append(struct state_out *o, const struct state_out *records)
{
	if (o->rec != SIZE_MAX || records->rec != SIZE_MAX) {
		out_fail(o, -EINVAL, "out_append");
		return;
	}
	if (records->err) {
		out_fail(o, records->err, records->why);
		return;
	}
	/* In pieces, so the buffer never has to hold more than a flush. */
	for (size_t off = 0; off < records->len && !o->err;) {
		size_t k = records->len - off < FLUSH_AT ? records->len - off : FLUSH_AT;
		grow(o, k);
		if (o->err)
			return;
		memcpy(o->buf + o->len, records->buf + off, k);
		o->len += k;
		off += k;
		if (o->fd >= 0 && o->len >= FLUSH_AT)
			out_flush(o);
	}
	o->records += records->records;
}

/* Room for n more payload bytes in the open record, cutting it first if it is long. */
static void room(struct state_out *o, size_t n, size_t limit)
{
	if (o->err || o->rec == SIZE_MAX)
		return;
	if (o->len - o->rec - STATE_REC_HDR + n > limit) {
		close_record(o, STATE_MORE);
		open_record(o);
	}
	grow(o, n);
}

void out_bytes(struct state_out *o, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n && !o->err && o->rec != SIZE_MAX) {
		size_t used = o->len - o->rec - STATE_REC_HDR;
		if (used >= STATE_SECTION_CHUNK) {
			room(o, 1, STATE_SECTION_CHUNK);
			continue;
		}
		size_t k = STATE_SECTION_CHUNK - used < n ? STATE_SECTION_CHUNK - used : n;
		grow(o, k);
		if (o->err)
			return;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

static void put(struct state_out *o, uint64_t v, unsigned w)
{
	room(o, w, STATE_SECTION_CHUNK);
	if (o->err || o->rec == SIZE_MAX)
		return;
	le_put(o->buf + o->len, v, w);
	o->len += w;
}

void out_u8(struct state_out *o, uint8_t v) { put(o, v, 1); }
void out_u16(struct state_out *o, uint16_t v) { put(o, v, 2); }
void out_u32(struct state_out *o, uint32_t v) { put(o, v, 4); }
void out_u64(struct state_out *o, uint64_t v) { put(o, v, 8); }

void *out_reserve(struct state_out *o, size_t n)
{
	if (n > STATE_RECORD_MAX / 2) {
		out_fail(o, -EINVAL, "out_reserve");
		return NULL;
	}
	room(o, n, STATE_RECORD_MAX);
	if (o->err || o->rec == SIZE_MAX)
		return NULL;
	void *p = o->buf + o->len;
	o->len += n;
	return p;
}

void out_unreserve(struct state_out *o, size_t n)
{
	if (o->rec != SIZE_MAX && n <= o->len - o->rec - STATE_REC_HDR)
		o->len -= n;
}

/* Sleep so that bytes stay under max_bps (migrate-set-parameters max-bandwidth). */
static void pace(struct state_out *o, size_t n)
{
	if (!o->max_bps)
		return;
	if (!o->paced_since_ns)
		o->paced_since_ns = now_ns();
	o->paced_bytes += n;
	for (;;) {
		uint64_t due = o->paced_since_ns + (uint64_t)((double)o->paced_bytes * 1e9 / (double)o->max_bps);
		uint64_t t = now_ns();
		if (t >= due || (o->cancel && atomic_load(o->cancel)))
			return;
		uint64_t d = due - t > 20000000ULL ? 20000000ULL : due - t;
		nanosleep(&(struct timespec){ .tv_nsec = (long)d }, NULL);
	}
}

int out_flush(struct state_out *o)
{
	size_t end = o->rec == SIZE_MAX ? o->len : o->rec; /* only whole records */

	if (o->err)
		return o->err;
	if (o->fd < 0)
		return 0;
	size_t off = 0;
	while (off < end) {
		if (o->cancel && atomic_load(o->cancel)) {
			out_fail(o, -ECANCELED, "writing the stream");
			return o->err;
		}
		size_t n = end - off > (256u << 10) ? 256u << 10 : end - off;
		ssize_t w = o->is_socket ? send(o->fd, o->buf + off, n, MSG_NOSIGNAL)
					 : write(o->fd, o->buf + off, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			out_fail(o, w < 0 ? -errno : -EIO, "writing the stream");
			return o->err;
		}
		off += (size_t)w;
		o->bytes += (uint64_t)w;
		pace(o, (size_t)w);
	}
	memmove(o->buf, o->buf + end, o->len - end);
	o->len -= end;
	if (o->rec != SIZE_MAX)
		o->rec -= end;
	return 0;
}

/* ---- Reading ---- */

int in_init_fd(struct state_in *i, int fd)
{
	*i = (struct state_in){ .fd = fd };
	i->ahead = malloc(AHEAD);
	i->pay = malloc(STATE_RECORD_MAX);
	if (!i->ahead || !i->pay) {
		in_free(i);
		return -ENOMEM;
	}
	return 0;
}

void in_init_mem(struct state_in *i, const void *data, size_t len)
{
	*i = (struct state_in){ .fd = -1, .mem = data, .mem_len = len };
	i->pay = malloc(STATE_RECORD_MAX);
	if (!i->pay)
		in_fail(i, "out of memory");
}

void in_free(struct state_in *i)
{
	free(i->ahead);
	free(i->pay);
	i->ahead = i->pay = NULL;
}

int in_fail(struct state_in *i, const char *fmt, ...)
{
	va_list ap;

	if (i->err)
		return -1;
	i->err = -EBADMSG;
	va_start(ap, fmt);
	vsnprintf(i->why, sizeof(i->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* Exactly n bytes from the source. */
static int get(struct state_in *i, void *dst, size_t n)
{
	uint8_t *d = dst;

	if (i->err)
		return -1;
	if (i->fd < 0) {
		if (n > i->mem_len - i->mem_pos)
			return in_fail(i, "the stream ends after %zu bytes, in the middle of a record",
				       i->mem_len);
		memcpy(d, i->mem + i->mem_pos, n);
		i->mem_pos += n;
		i->bytes += n;
		return 0;
	}
	while (n) {
		if (i->ahead_pos < i->ahead_len) {
			size_t k = i->ahead_len - i->ahead_pos < n ? i->ahead_len - i->ahead_pos : n;
			memcpy(d, i->ahead + i->ahead_pos, k);
			i->ahead_pos += k;
			d += k;
			n -= k;
			i->bytes += k;
			continue;
		}
		if (i->wait) {
			int r = i->wait(i, i->wait_arg);
			if (r) {
				i->err = r;
				return -1;
			}
		}
		/* Large reads go straight to their destination; small ones through read-ahead. */
		bool direct = n >= AHEAD;
		ssize_t r = read(i->fd, direct ? d : i->ahead, direct ? n : AHEAD);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			int e = errno;
			in_fail(i, "reading the stream: %s", strerror(e));
			i->err = -e;
			return -1;
		}
		if (r == 0)
			return in_fail(i, "the stream ends after %llu bytes, in the middle of a record",
				       (unsigned long long)i->bytes);
		if (direct) {
			d += r;
			n -= (size_t)r;
			i->bytes += (uint64_t)r;
		} else {
			i->ahead_pos = 0;
			i->ahead_len = (size_t)r;
		}
	}
	return 0;
}

int in_preamble(struct state_in *i, uint32_t *format)
{
	uint8_t p[STATE_PREAMBLE];

	if (get(i, p, sizeof(p))) {
		if (!i->bytes || i->err == -EBADMSG)
			snprintf(i->why, sizeof(i->why), "not a rasvm snapshot: it is shorter than its %u-byte preamble",
				 STATE_PREAMBLE);
		return -1;
	}
	if (memcmp(p, STATE_MAGIC, 8))
		return in_fail(i, "not a rasvm snapshot (no \"RASVMST\" magic at the start)");
	*format = (uint32_t)le_get(p + 8, 4);
	if (*format > STATE_FORMAT)
		return in_fail(i, "format version %u is newer than this rasvm reads (%u)", *format, STATE_FORMAT);
	if (*format == 0)
		return in_fail(i, "format version 0 does not exist");
	if (le_get(p + 12, 4))
		return in_fail(i, "preamble flags 0x%llx unknown to this rasvm", (unsigned long long)le_get(p + 12, 4));
	return 0;
}

int in_header(struct state_in *i)
{
	uint8_t h[STATE_REC_HDR];
	char name[5];

	if (i->left)
		return in_fail(i, "record %s: %zu bytes left unread (rasvm bug)", state_tag_name(i->tag, name), i->left);
	if (get(i, h, sizeof(h)))
		return -1;
	i->tag = (uint32_t)le_get(h, 4);
	i->version = (uint16_t)le_get(h + 4, 2);
	i->flags = (uint16_t)le_get(h + 6, 2);
	i->instance = (uint32_t)le_get(h + 8, 4);
	i->length = (uint32_t)le_get(h + 12, 4);
	i->crc_want = (uint32_t)le_get(h + 16, 4);
	i->records++;
	if (i->flags & ~STATE_MORE)
		return in_fail(i, "record %llu (%s): flags 0x%x unknown", (unsigned long long)i->records,
			       state_tag_name(i->tag, name), i->flags);
	if (i->length > STATE_RECORD_MAX)
		return in_fail(i, "record %llu (%s): %u bytes, more than any record may hold (%u)",
			       (unsigned long long)i->records, state_tag_name(i->tag, name), i->length,
			       STATE_RECORD_MAX);
	i->crc = crc32c(0, h, 16);
	i->left = i->length;
	i->pay_len = i->pay_pos = 0;
	return 0;
}

int in_raw(struct state_in *i, void *dst, size_t n)
{
	char name[5];

	if (n > i->left)
		return in_fail(i, "record %llu (%s) is shorter than its contents need",
			       (unsigned long long)i->records, state_tag_name(i->tag, name));
	if (get(i, dst, n))
		return -1;
	i->crc = crc32c(i->crc, dst, n);
	i->left -= n;
	return 0;
}

int in_crc_check(struct state_in *i)
{
	char name[5];

	if (i->err)
		return -1;
	if (i->left)
		return in_fail(i, "record %llu (%s): %zu bytes more than its contents", (unsigned long long)i->records,
			       state_tag_name(i->tag, name), i->left);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* the fuzzer gets past CRCs to the loaders */
	if (i->crc != i->crc_want)
#else
	if (0)
#endif
		return in_fail(i, "record %llu (%s, instance %u): CRC mismatch (stored 0x%08x, computed 0x%08x): the data is damaged",
			       (unsigned long long)i->records, state_tag_name(i->tag, name), i->instance,
			       i->crc_want, i->crc);
	return 0;
}

int in_payload(struct state_in *i)
{
	if (!i->pay)
		return in_fail(i, "out of memory");
	size_t n = i->left;
	if (in_raw(i, i->pay, n) || in_crc_check(i))
		return -1;
	i->pay_len = n;
	i->pay_pos = 0;
	return 0;
}

int in_section_begin(struct state_in *i)
{
	i->in_section = true;
	return in_payload(i);
}

int in_bytes(struct state_in *i, void *dst, size_t n)
{
	uint8_t *d = dst;
	char name[5];

	while (n) {
		if (i->err)
			return -1;
		if (i->pay_pos == i->pay_len) {
			uint32_t tag = i->tag, inst = i->instance;
			uint16_t ver = i->version;
			if (!(i->flags & STATE_MORE))
				return in_fail(i, "section %s (instance %u) ends before its contents do",
					       state_tag_name(tag, name), inst);
			if (in_header(i))
				return -1;
			if (i->tag != tag || i->instance != inst || i->version != ver)
				return in_fail(i, "section %s (instance %u) is cut off by a %s record",
					       state_tag_name(tag, name), inst, state_tag_name(i->tag, (char[5]){ 0 }));
			if (in_payload(i))
				return -1;
			continue;
		}
		size_t k = i->pay_len - i->pay_pos < n ? i->pay_len - i->pay_pos : n;
		memcpy(d, i->pay + i->pay_pos, k);
		i->pay_pos += k;
		d += k;
		n -= k;
	}
	return 0;
}

static int get_le(struct state_in *i, uint64_t *v, unsigned w)
{
	uint8_t b[8];
	if (in_bytes(i, b, w))
		return -1;
	*v = le_get(b, w);
	return 0;
}

int in_u8(struct state_in *i, uint8_t *v)
{
	uint64_t x;
	int r = get_le(i, &x, 1);
	*v = r ? 0 : (uint8_t)x;
	return r;
}

int in_u16(struct state_in *i, uint16_t *v)
{
	uint64_t x;
	int r = get_le(i, &x, 2);
	*v = r ? 0 : (uint16_t)x;
	return r;
}

int in_u32(struct state_in *i, uint32_t *v)
{
	uint64_t x;
	int r = get_le(i, &x, 4);
	*v = r ? 0 : (uint32_t)x;
	return r;
}

int in_u64(struct state_in *i, uint64_t *v)
{
	int r = get_le(i, v, 8);
	if (r)
		*v = 0;
	return r;
}

int in_section_end(struct state_in *i)
{
	char name[5];

	i->in_section = false;
	if (i->err)
		return -1;
	if (i->pay_pos != i->pay_len || (i->flags & STATE_MORE))
		return in_fail(i, "section %s (instance %u) holds more than this rasvm reads for its version %u",
			       state_tag_name(i->tag, name), i->instance, i->version);
	return 0;
}
