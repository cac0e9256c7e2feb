// SPDX-License-Identifier: MIT
/* Snapshots and live migration (see migrate.h and docs/migration.md). */
#include "state/migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/qmp.h"
#include "dev/serial.h"
#include "exitcode.h"
#include "kvm/vcpu.h"
#include "kvm/x86/cpu_state.h"
#include "le.h"
#include "log.h"
#include "ras/ras.h"
#include "ras/ras_state.h"
#include "ras/sigbus.h"
#include "rasvm/layout.h"
#include "state/dirty.h"
#include "state/ram.h"
#include "state/load.h"
#include "state/sections.h"
#include "state/stream.h"
#include "vm.h"

#define PAGE 4096ULL
#define REPLY_MAGIC "RASVMRP\n"
#define REPLY_TEXT_MAX 4096
#define REPLY_TIMEOUT_MS 60000       /* the destination's answer to the header, and at the end */
#define IDLE_TIMEOUT_MS 120000       /* an incoming stream that stops for this long has failed */
#define CAPTURE_TIMEOUT_MS 5000
#define DEFAULT_DOWNTIME_MS 300      /* QEMU's downtime-limit default */
#define DEFAULT_MAX_ROUNDS 30

enum mig_status { MIG_NONE, MIG_SETUP, MIG_ACTIVE, MIG_COMPLETED, MIG_FAILED, MIG_CANCELLED };
static const char *const status_names[] = { "none", "setup", "active", "completed", "failed", "cancelled" };

struct incoming {
	enum mig_transport transport;
	int fd, listen_fd;
	char path[512];                /* a unix socket rasvm created, to remove */
	struct state_in in;
	struct state_header h;
	bool pending;                  /* opened and checked, not loaded yet */
};

struct migration {
	struct vm *vm;
	pthread_mutex_t lock;          /* everything below that the thread does not own alone */
	enum mig_status status;
	bool incoming;
	char uri[1024];
	char error[512];
	/* Parameters (migrate-set-parameters). */
	uint64_t downtime_limit_ms, max_bandwidth, max_rounds;
	char tracking[8];              /* auto, kvm, hash */
	/* Figures (query-migrate). */
	char tracking_used[8];
	uint64_t start_ns, end_ns, setup_ns, downtime_ns, expected_downtime_ms;
	uint64_t transferred, total, remaining, data_pages, zero_pages, poisoned_pages, rounds;
	uint64_t dirty_pages_rate, bandwidth;  /* pages/s in the last round; bytes/s */
	/* The outgoing thread. */
	pthread_t thread;
	bool joinable;
	atomic_bool cancel;
	int fd;                        /* the outgoing stream, for cancel's shutdown() */
	struct incoming inc;
};

static void event(struct vm *vm, enum mig_status s)
{
	qmp_event(vm, "MIGRATION", json_pack("{s:s}", "status", status_names[s]));
}

static void set_status(struct migration *m, enum mig_status s)
{
	pthread_mutex_lock(&m->lock);
	m->status = s;
	if (s >= MIG_COMPLETED)
		m->end_ns = now_ns();
	pthread_mutex_unlock(&m->lock);
	event(m->vm, s);
}

int migrate_init(struct vm *vm)
{
	struct migration *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->vm = vm;
	pthread_mutex_init(&m->lock, NULL);
	m->downtime_limit_ms = DEFAULT_DOWNTIME_MS;
	m->max_rounds = DEFAULT_MAX_ROUNDS;
	strcpy(m->tracking, "auto");
	m->fd = -1;
	m->inc.fd = m->inc.listen_fd = -1;
	vm->mig = m;
	return 0;
}

void migrate_stop(struct vm *vm)
{
	struct migration *m = vm->mig;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	atomic_store(&m->cancel, true);
	if (m->fd >= 0)
		shutdown(m->fd, SHUT_RDWR); /* a write or a wait for the peer ends now */
	bool join = m->joinable;
	m->joinable = false;
	pthread_mutex_unlock(&m->lock);
	if (join)
		pthread_join(m->thread, NULL);
}

static void incoming_close(struct incoming *inc)
{
	if (inc->fd >= 0)
		close(inc->fd);
	if (inc->listen_fd >= 0)
		close(inc->listen_fd);
	if (inc->path[0])
		unlink(inc->path);
	inc->fd = inc->listen_fd = -1;
	inc->path[0] = '\0';
	in_free(&inc->in);
}

void migrate_exit(struct vm *vm)
{
	struct migration *m = vm->mig;

	if (!m)
		return;
	migrate_stop(vm);
	incoming_close(&m->inc);
	pthread_mutex_destroy(&m->lock);
	free(m);
	vm->mig = NULL;
}

/* ---- URIs and transports ---- */

int migrate_parse_uri(const char *uri, enum mig_transport *t, char *target, size_t len, char *why,
		      size_t whylen)
{
	const char *rest;

	if (!strncmp(uri, "file:", 5)) {
		*t = MIG_FILE;
		rest = uri + 5;
	} else if (!strncmp(uri, "unix:", 5)) {
		*t = MIG_UNIX;
		rest = uri + 5;
		if (strlen(rest) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(why, whylen, "unix: socket path longer than %zu bytes",
				 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			return -EINVAL;
		}
	} else if (!strncmp(uri, "tcp:", 4)) {
		*t = MIG_TCP;
		rest = uri + 4;
		const char *colon = strrchr(rest, ':');
		if (!colon || colon == rest || !colon[1]) {
			snprintf(why, whylen, "tcp: needs HOST:PORT");
			return -EINVAL;
		}
	} else {
		snprintf(why, whylen, "'%.64s': rasvm takes file:PATH, unix:PATH or tcp:HOST:PORT", uri);
		return -EINVAL;
	}
	if (!*rest || strlen(rest) >= len) {
		snprintf(why, whylen, "'%.64s': empty or too long", uri);
		return -EINVAL;
	}
	strcpy(target, rest);
	return 0;
}

/* tcp: HOST:PORT, numeric (rasvm is linked statically: no name service), IPv6 hosts in
 * brackets; "localhost" is 127.0.0.1, an empty host any address. */
static int tcp_addr(const char *target, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(target, ':');
	size_t hl = (size_t)(colon - target);
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);

	if (hl >= sizeof(host) || *end || port == 0 || port > 65535)
		return -1;
	memcpy(host, target, hl);
	host[hl] = '\0';
	memset(sa, 0, sizeof(*sa));
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
		host[hl - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	*len = sizeof(*a4);
	if (!host[0])
		return 0;
	return inet_pton(AF_INET, !strcmp(host, "localhost") ? "127.0.0.1" : host, &a4->sin_addr) == 1 ? 0 : -1;
}

static int connect_target(enum mig_transport t, const char *target, char *why, size_t len)
{
	int fd = -1;

	if (t == MIG_FILE) {
		fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			snprintf(why, len, "cannot create %.300s: %s", target, strerror(errno));
		return fd;
	}
	if (t == MIG_UNIX) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		strcpy(a.sun_path, target);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		snprintf(why, len, "cannot connect to unix:%.108s: %s (is a destination listening with --incoming unix:%.108s?)",
			 target, strerror(errno), target);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct sockaddr_storage sa;
	socklen_t sl;
	if (tcp_addr(target, &sa, &sl)) {
		snprintf(why, len, "tcp:%.200s: not a numeric HOST:PORT (IPv6 in brackets)", target);
		return -1;
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sl) == 0)
		return fd;
	snprintf(why, len, "cannot connect to tcp:%.200s: %s", target, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The destination's answer: after the header (accepted or refused, why) and after DONE. */
static int send_reply(int fd, uint32_t status, const char *text)
{
	uint8_t b[16 + REPLY_TEXT_MAX];
	size_t n = strlen(text) < REPLY_TEXT_MAX ? strlen(text) : REPLY_TEXT_MAX;

	memcpy(b, REPLY_MAGIC, 8);
	le_put(b + 8, status, 4);
	le_put(b + 12, n, 4);
	memcpy(b + 16, text, n);
	for (size_t off = 0; off < 16 + n;) {
		ssize_t w = send(fd, b + off, 16 + n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* Exactly n bytes within the deadline, or -1 with why. */
static int recv_all(struct migration *m, int fd, void *dst, size_t n, uint64_t deadline, char *why, size_t len)
{
	uint8_t *d = dst;

	while (n) {
		if (atomic_load(&m->cancel)) {
			snprintf(why, len, "cancelled");
			return -1;
		}
		if (now_ns() > deadline) {
			snprintf(why, len, "the destination did not answer within %d s", REPLY_TIMEOUT_MS / 1000);
			return -1;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t r = recv(fd, d, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, len, "the destination closed the connection%s%s", r < 0 ? ": " : "",
				 r < 0 ? strerror(errno) : "");
			return -1;
		}
		d += r;
		n -= (size_t)r;
	}
	return 0;
}

static int read_reply(struct migration *m, int fd, char *text, size_t len)
{
	uint8_t h[16];
	uint64_t deadline = now_ns() + REPLY_TIMEOUT_MS * 1000000ULL;

	if (recv_all(m, fd, h, 16, deadline, text, len))
		return -1;
	uint32_t status = (uint32_t)le_get(h + 8, 4), n = (uint32_t)le_get(h + 12, 4);
	if (memcmp(h, REPLY_MAGIC, 8) || n > REPLY_TEXT_MAX) {
		snprintf(text, len, "the destination answered with something that is not a rasvm reply");
		return -1;
	}
	char t[REPLY_TEXT_MAX + 1];
	if (recv_all(m, fd, t, n, deadline, text, len))
		return -1;
	t[n] = '\0';
	snprintf(text, len, "%.*s", (int)(len - 1), t);
	return status ? -1 : 0;
}

/* ---- Outgoing ---- */

struct capture {
	const struct cpu_msr_list *msrs;
	struct vcpu_image *img;
};

static int capture_fn(struct vcpu *v, void *arg)
{
	struct capture *c = arg;
	return cpu_state_capture(v, c->msrs, &c->img[v->index]);
}

static void progress(struct migration *m, const struct state_out *o, const struct ram_out *r);

static void ram_progress(void *arg, const struct ram_out *r)
{
	progress(arg, r->o, r);
}

static void progress(struct migration *m, const struct state_out *o, const struct ram_out *r)
{
	pthread_mutex_lock(&m->lock);
	m->transferred = o->bytes;
	m->data_pages = r->data_pages;
	m->zero_pages = r->zero_pages;
	m->poisoned_pages = r->poisoned_pages;
	pthread_mutex_unlock(&m->lock);
}

/* Until the main thread has handled every action-optional SIGBUS already stashed (it drains
 * at each tick; a wake-up hurries it), so none is left behind in this process. */
static bool process_ring_drained(struct vm *vm, int ms)
{
	struct sigbus_ring *r = sigbus_process_ring();
	for (int i = 0; i < ms; i++) {
		if (atomic_load(&r->write) == atomic_load(&r->read))
			return true;
		vm_wake(vm);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return atomic_load(&r->write) == atomic_load(&r->read);
}

struct out_ctx {
	struct migration *m;
	struct vm *vm;
	enum mig_transport transport;
	struct state_out o;
	struct ram_out ram;
	struct dirty dirty;
	struct page_bits set;
	struct cpu_msr_list *msrs;
	struct vcpu_image *img;
	bool img_lent;                 /* a capture timed out: it may still write into img */
	char why[512];
};

static bool stopping(struct out_ctx *c)
{
	if (atomic_load(&c->m->cancel)) {
		snprintf(c->why, sizeof(c->why), "cancelled");
		return true;
	}
	if (vm_leaving(c->vm)) {
		snprintf(c->why, sizeof(c->why), "the VM is ending or being reset");
		return true;
	}
	return false;
}

static int stream_error(struct out_ctx *c)
{
	if (c->ram.err)
		snprintf(c->why, sizeof(c->why), "%s", c->ram.why);
	else if (c->o.err)
		snprintf(c->why, sizeof(c->why), "%s", c->o.why);
	else
		return 0;
	return -1;
}

/* The header, and for a socket the destination's verdict on it. */
static int send_header(struct out_ctx *c)
{
	struct state_header h;
	char *text = malloc(HEADER_TEXT_MAX);

	if (!text)
		return -1;
	state_header_from_vm(c->vm, &h);
	if (header_format(&h, text, HEADER_TEXT_MAX)) {
		snprintf(c->why, sizeof(c->why), "the header does not fit %u bytes", HEADER_TEXT_MAX);
		free(text);
		return -1;
	}
	out_preamble(&c->o);
	out_begin(&c->o, TAG_HEAD, 1, 0);
	out_bytes(&c->o, text, strlen(text));
	out_end(&c->o);
	free(text);
	if (out_flush(&c->o))
		return stream_error(c);
	if (c->transport == MIG_FILE)
		return 0;
	char answer[REPLY_TEXT_MAX];
	if (read_reply(c->m, c->o.fd, answer, sizeof(answer))) {
		snprintf(c->why, sizeof(c->why), "the destination refused the stream: %.400s", answer);
		return -1;
	}
	return 0;
}

/* Pre-copy: everything once, then what changed, while the guest runs, until what is left
 * fits the downtime limit (or the rounds run out). */
static int precopy(struct out_ctx *c)
{
	struct migration *m = c->m;
	uint64_t t = now_ns(), b = c->o.bytes, n;

	if (ram_send_all(&c->ram) || ram_send_poisoned(&c->ram, NULL) || out_flush(&c->o))
		return stream_error(c), -1;
	for (;;) {
		uint64_t dt = now_ns() - t, sent = c->o.bytes - b;
		uint64_t bw = dt ? (uint64_t)((double)sent * 1e9 / (double)dt) : 0;
		pthread_mutex_lock(&m->lock);
		m->rounds++;
		if (bw)
			m->bandwidth = bw;
		bw = m->bandwidth;
		uint64_t limit = m->downtime_limit_ms, max_rounds = m->max_rounds;
		c->o.max_bps = m->max_bandwidth;
		pthread_mutex_unlock(&m->lock);
		progress(m, &c->o, &c->ram);
		if (stopping(c))
			return -1;
		uint64_t t_collect = now_ns();
		if (dirty_collect(&c->dirty, &c->set, &n)) {
			snprintf(c->why, sizeof(c->why), "%s", c->dirty.why);
			return -1;
		}
		uint64_t expected = bw ? n * PAGE * 1000 / bw : UINT64_MAX;
		pthread_mutex_lock(&m->lock);
		m->remaining = n * PAGE;
		m->expected_downtime_ms = expected;
		m->dirty_pages_rate = dt ? (uint64_t)((double)n * 1e9 / (double)(t_collect - t)) : 0;
		uint64_t rounds = m->rounds;
		pthread_mutex_unlock(&m->lock);
		if (expected <= limit || rounds >= max_rounds)
			return 0; /* the set collected so far goes in the last round */
		t = now_ns();
		b = c->o.bytes;
		if (ram_send_set(&c->ram, &c->set) || ram_send_poisoned(&c->ram, NULL) || out_flush(&c->o))
			return stream_error(c), -1;
		page_bits_clear_all(&c->set);
	}
}

/* The RAS state with the GHES blocks, consistent with the pages known bad: taken again if an
 * error was on its way meanwhile (its signal still in the process ring, or a page newly bad). */
static int capture_ras(struct out_ctx *c, struct state_out *ras_o)
{
	struct vm *vm = c->vm;
	struct ras *ras = vm->ras;

	for (int tries = 0;; tries++) {
		process_ring_drained(vm, 2000);
		out_free(ras_o);
		if (out_init(ras_o, -1)) {
			snprintf(c->why, sizeof(c->why), "out of memory");
			return -1;
		}
		pthread_mutex_lock(&ras->lock);
		ras_state_save(vm, ras_o);
		/* rasvm writes the blocks only under this lock: the same moment as the state. */
		struct state_out *main_o = c->ram.o;
		c->ram.o = ras_o;
		ram_send_range(&c->ram, LAYOUT_ERROR_REGION, LAYOUT_ERROR_REGION_END - LAYOUT_ERROR_REGION);
		c->ram.o = main_o;
		pthread_mutex_unlock(&ras->lock);
		uint64_t fresh = 0;
		if (ras_o->err) {
			snprintf(c->why, sizeof(c->why), "%s", ras_o->why);
			return -1;
		}
		if (ram_send_poisoned(&c->ram, &fresh))
			return stream_error(c), -1;
		bool quiet = process_ring_drained(vm, 0);
		if ((quiet && !fresh) || tries >= 5) {
			if (!quiet || fresh)
				log_warn("migration: host memory errors kept arriving during the last round; the last ones are told by the destination when the guest touches their pages");
			return 0;
		}
	}
}

static int last_round(struct out_ctx *c, bool *frozen, bool *was_running, uint64_t *t_stop)
{
	struct vm *vm = c->vm;
	struct migration *m = c->m;
	uint64_t n;
	struct vm_image vmimg;
	struct state_out ras_o = { .buf = NULL };

	*t_stop = now_ns();
	int r = vm_migration_freeze(vm, was_running);
	*frozen = true;
	if (*was_running)
		qmp_event(vm, "STOP", NULL);
	if (r) {
		snprintf(c->why, sizeof(c->why), r == -ETIMEDOUT ? "the vCPUs did not stop within 2 s"
						   : "the VM is ending");
		return -1;
	}
	/* The pages the guest wrote since the last round. */
	if (dirty_collect(&c->dirty, &c->set, &n)) {
		snprintf(c->why, sizeof(c->why), "%s", c->dirty.why);
		return -1;
	}
	if (ram_send_set(&c->ram, &c->set) || ram_send_poisoned(&c->ram, NULL))
		return stream_error(c), -1;
	/* Every vCPU on its own thread (they are parked and frozen: nothing changes after). */
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct capture cap = { c->msrs, c->img };
		r = vcpu_call(&vm->vcpu[i], capture_fn, &cap, CAPTURE_TIMEOUT_MS);
		if (r) {
			c->img_lent = r == -ETIMEDOUT;
			snprintf(c->why, sizeof(c->why), "vcpu %u: its state could not be read: %s", i,
				 r == -EAGAIN ? "it has no thread (the VM is between boots)" : strerror(-r));
			return -1;
		}
	}
	if ((r = vm_state_capture(vm, &vmimg))) {
		snprintf(c->why, sizeof(c->why), "the interrupt controllers, PIT or clock could not be read: %s",
			 strerror(-r));
		return -1;
	}
	if (capture_ras(c, &ras_o)) {
		out_free(&ras_o);
		return -1;
	}
	out_begin(&c->o, TAG_MACH, MACH_VERSION, 0);
	out_u32(&c->o, vm->resets);
	out_u64(&c->o, atomic_load(&vm->mcg_cap));
	out_end(&c->o);
	for (unsigned i = 0; i < vm->ncpus; i++)
		cpu_state_write(&c->o, i, &c->img[i]);
	vm_state_write(&c->o, &vmimg);
	serial_state_save(&vm->serial, &c->o);
	out_append(&c->o, &ras_o);
	out_free(&ras_o);
	out_begin(&c->o, TAG_DONE, 1, 0);
	out_u64(&c->o, c->o.records); /* the records before this one */
	out_end(&c->o);
	if (out_flush(&c->o))
		return stream_error(c), -1;
	progress(m, &c->o, &c->ram);
	if (c->transport == MIG_FILE) {
		/* Complete means on disk (for a regular file; a pipe or device has nothing to sync). */
		struct stat st;
		if (fstat(c->o.fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(c->o.fd) < 0) {
			snprintf(c->why, sizeof(c->why), "fsync: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	char answer[REPLY_TEXT_MAX];
	if (read_reply(m, c->o.fd, answer, sizeof(answer))) {
		snprintf(c->why, sizeof(c->why), "the destination could not load the stream: %.400s", answer);
		return -1;
	}
	return 0;
}

static void *out_thread(void *arg)
{
	struct out_ctx *c = arg;
	struct migration *m = c->m;
	struct vm *vm = c->vm;
	char target[1024];
	bool frozen = false, was_running = false, ok = false;
	uint64_t t_stop = 0;
	int fd;

	migrate_parse_uri(m->uri, &c->transport, target, sizeof(target), c->why, sizeof(c->why));
	fd = connect_target(c->transport, target, c->why, sizeof(c->why));
	if (fd < 0)
		goto out;
	pthread_mutex_lock(&m->lock);
	m->fd = fd;
	pthread_mutex_unlock(&m->lock);
	if (out_init(&c->o, fd) || ram_out_init(&c->ram, vm, &c->o) ||
	    page_bits_init(&c->set, vm->mem.size / PAGE)) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		goto out;
	}
	c->o.cancel = &m->cancel;
	c->o.max_bps = m->max_bandwidth;
	c->ram.progress = ram_progress;
	c->ram.progress_arg = m;
	c->msrs = calloc(1, sizeof(*c->msrs));
	c->img = calloc(vm->ncpus, sizeof(*c->img));
	if (!c->msrs || !c->img || cpu_state_msr_list(vm, c->msrs)) {
		snprintf(c->why, sizeof(c->why), "cannot list the MSRs to carry");
		goto out;
	}
	if (send_header(c))
		goto out;
	/* KVM's dirty log where it keeps one (and the user did not ask otherwise); content
	 * hashes where it does not. */
	bool want_hash = !strcmp(m->tracking, "hash");
	int e = want_hash ? -1 : dirty_start(&c->dirty, vm, DIRTY_KVM, &c->ram);
	if (e && !strcmp(m->tracking, "kvm")) {
		snprintf(c->why, sizeof(c->why), "%s", c->dirty.why);
		goto out;
	}
	if (e) {
		if (!want_hash)
			log_warn("migration: %s; tracking changed pages by their content instead", c->dirty.why);
		if (dirty_start(&c->dirty, vm, DIRTY_HASH, &c->ram)) {
			snprintf(c->why, sizeof(c->why), "out of memory for page hashes");
			goto out;
		}
	}
	pthread_mutex_lock(&m->lock);
	snprintf(m->tracking_used, sizeof(m->tracking_used), "%s", e ? "hash" : "kvm");
	m->setup_ns = now_ns() - m->start_ns;
	pthread_mutex_unlock(&m->lock);
	set_status(m, MIG_ACTIVE);
	if (precopy(c) || last_round(c, &frozen, &was_running, &t_stop))
		goto out;
	ok = true;
out:
	if (c->dirty.vm)
		dirty_stop(&c->dirty);
	pthread_mutex_lock(&m->lock);
	if (ok) {
		m->downtime_ns = now_ns() - t_stop;
		m->remaining = 0;
	} else {
		snprintf(m->error, sizeof(m->error), "%s", c->why);
	}
	m->fd = -1;
	pthread_mutex_unlock(&m->lock);
	if (fd >= 0)
		close(fd);
	if (frozen) {
		bool resumed;
		vm_migration_thaw(vm, ok, &resumed);
		if (resumed)
			qmp_event(vm, "RESUME", NULL);
	}
	if (c->ram.unreadable)
		log_warn("migration to %s: %llu guest page(s) could not be read though no host memory error had named them yet: sent as poisoned",
			 m->uri, (unsigned long long)c->ram.unreadable);
	if (ok) {
		log_info("migration to %s completed: %.1f MiB sent in %.3f s, downtime %.1f ms, %llu poisoned page(s) carried",
			 m->uri, (double)c->o.bytes / (1 << 20), (double)(now_ns() - m->start_ns) / 1e9,
			 (double)m->downtime_ns / 1e6, (unsigned long long)c->ram.poisoned_pages);
		set_status(m, MIG_COMPLETED);
	} else {
		bool cancelled = atomic_load(&m->cancel);
		log_err("migration to %s %s: %s", m->uri, cancelled ? "cancelled" : "failed", c->why);
		set_status(m, cancelled ? MIG_CANCELLED : MIG_FAILED);
	}
	if (c->transport == MIG_FILE && !ok && fd >= 0)
		unlink(target); /* no half snapshot is left behind to be mistaken for one */
	ram_out_free(&c->ram);
	page_bits_free(&c->set);
	out_free(&c->o);
	if (!c->img_lent && c->img) {
		for (unsigned i = 0; i < vm->ncpus; i++)
			cpu_state_image_free(&c->img[i]);
		free(c->img);
	}
	free(c->msrs);
	free(c);
	return NULL;
}

int migrate_start(struct vm *vm, const char *uri, char *why, size_t len)
{
	struct migration *m = vm->mig;
	enum mig_transport t;
	char target[1024];
	int r = 0;

	if (!m)
		return snprintf(why, len, "migration is not available"), -ENOTSUP;
	if (migrate_parse_uri(uri, &t, target, sizeof(target), why, len))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (m->status == MIG_SETUP || m->status == MIG_ACTIVE) {
		snprintf(why, len, "a migration is already in progress (%s)", m->incoming ? "incoming" : "outgoing");
		r = -EBUSY;
	} else if (vm_state(vm) != VM_STATE_RUNNING || vm_leaving(vm)) {
		snprintf(why, len, "the VM is %s: nothing to migrate", vm_status_name(vm));
		r = -EINVAL;
	}
	if (r) {
		pthread_mutex_unlock(&m->lock);
		return r;
	}
	if (m->joinable) {
		/* The last one is over (its status says so): collect its thread. */
		pthread_join(m->thread, NULL);
		m->joinable = false;
	}
	struct out_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		pthread_mutex_unlock(&m->lock);
		return snprintf(why, len, "out of memory"), -ENOMEM;
	}
	c->m = m;
	c->vm = vm;
	c->o.fd = -1;
	snprintf(m->uri, sizeof(m->uri), "%s", uri);
	m->error[0] = '\0';
	m->incoming = false;
	m->status = MIG_SETUP;
	m->start_ns = now_ns();
	m->end_ns = m->setup_ns = m->downtime_ns = m->expected_downtime_ms = 0;
	m->transferred = m->remaining = m->data_pages = m->zero_pages = m->poisoned_pages = 0;
	m->rounds = m->dirty_pages_rate = m->bandwidth = 0;
	m->tracking_used[0] = '\0';
	m->total = vm->mem.size;
	atomic_store(&m->cancel, false);
	sigset_t all, old;
	sigfillset(&all); /* signals belong to the main and vCPU threads, except the ones a
			   * thread's own calls raise: a blocked SIGBUS or the sandbox's SIGSYS would
			   * kill the process instead of reaching rasvm's handlers */
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&m->thread, NULL, out_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	m->joinable = r == 0;
	if (r) {
		m->status = MIG_FAILED;
		snprintf(m->error, sizeof(m->error), "cannot start the migration thread: %s", strerror(r));
		snprintf(why, len, "%s", m->error);
		free(c);
	}
	pthread_mutex_unlock(&m->lock);
	if (!r)
		event(vm, MIG_SETUP);
	return -r;
}

void migrate_cancel(struct vm *vm)
{
	struct migration *m = vm->mig;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	if (!m->incoming && (m->status == MIG_SETUP || m->status == MIG_ACTIVE)) {
		atomic_store(&m->cancel, true);
		if (m->fd >= 0)
			shutdown(m->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&m->lock);
}

json_t *migrate_query(struct vm *vm)
{
	struct migration *m = vm->mig;

	if (!m)
		return json_object();
	pthread_mutex_lock(&m->lock);
	json_t *r = json_pack("{s:s}", "status", status_names[m->status]);
	if (m->status != MIG_NONE) {
		uint64_t end = m->end_ns ? m->end_ns : now_ns();
		json_object_set_new(r, "total-time", json_integer((json_int_t)((end - m->start_ns) / 1000000)));
		json_object_set_new(r, "setup-time", json_integer((json_int_t)(m->setup_ns / 1000000)));
		if (m->status == MIG_COMPLETED && !m->incoming)
			json_object_set_new(r, "downtime", json_integer((json_int_t)(m->downtime_ns / 1000000)));
		if (m->status == MIG_ACTIVE && !m->incoming)
			json_object_set_new(r, "expected-downtime",
					    json_integer((json_int_t)(m->expected_downtime_ms > INT64_MAX ? -1
								      : (json_int_t)m->expected_downtime_ms)));
		double secs = (double)(end - m->start_ns) / 1e9;
		json_object_set_new(r, "ram", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I}",
			"transferred", (json_int_t)m->transferred, "remaining", (json_int_t)m->remaining,
			"total", (json_int_t)m->total, "duplicate", (json_int_t)m->zero_pages,
			"normal", (json_int_t)m->data_pages, "normal-bytes", (json_int_t)(m->data_pages * PAGE),
			"dirty-sync-count", (json_int_t)m->rounds, "dirty-pages-rate", (json_int_t)m->dirty_pages_rate,
			"mbps", secs > 0 ? (double)m->transferred * 8 / 1e6 / secs : 0.0,
			"page-size", (json_int_t)PAGE));
		json_object_set_new(r, "x-poisoned-pages", json_integer((json_int_t)m->poisoned_pages));
		if (m->tracking_used[0])
			json_object_set_new(r, "x-dirty-tracking", json_string(m->tracking_used));
		if (m->incoming)
			json_object_set_new(r, "x-incoming", json_true());
		if (m->error[0] && (m->status == MIG_FAILED || m->status == MIG_CANCELLED))
			json_object_set_new(r, "error-desc", json_string(m->error));
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

int migrate_set_parameters(struct vm *vm, json_t *args, char *why, size_t len)
{
	struct migration *m = vm->mig;
	json_t *v;

	if (!m)
		return snprintf(why, len, "migration is not available"), -ENOTSUP;
	const char *track = json_string_value(json_object_get(args, "x-dirty-tracking"));
	if (track && strcmp(track, "auto") && strcmp(track, "kvm") && strcmp(track, "hash"))
		return snprintf(why, len, "'x-dirty-tracking' must be auto, kvm or hash"), -EINVAL;
	pthread_mutex_lock(&m->lock);
	if ((v = json_object_get(args, "downtime-limit")))
		m->downtime_limit_ms = (uint64_t)json_integer_value(v);
	if ((v = json_object_get(args, "max-bandwidth")))
		m->max_bandwidth = (uint64_t)json_integer_value(v);
	if ((v = json_object_get(args, "x-max-rounds")))
		m->max_rounds = (uint64_t)json_integer_value(v);
	if (track)
		snprintf(m->tracking, sizeof(m->tracking), "%s", track);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

json_t *migrate_parameters(struct vm *vm)
{
	struct migration *m = vm->mig;

	if (!m)
		return json_object();
	pthread_mutex_lock(&m->lock);
	json_t *r = json_pack("{s:I,s:I,s:I,s:s}", "downtime-limit", (json_int_t)m->downtime_limit_ms,
			      "max-bandwidth", (json_int_t)m->max_bandwidth, "x-max-rounds",
			      (json_int_t)m->max_rounds, "x-dirty-tracking", m->tracking);
	pthread_mutex_unlock(&m->lock);
	return r;
}

/* ---- Incoming ---- */

/* Wait for the stream (or a connection), but still take SIGINT/SIGTERM and quit. */
static int wait_readable(struct vm *vm, int fd, int idle_ms, char *why, size_t len)
{
	int waited = 0;

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = vm->life.signal_fd, .events = POLLIN },
			{ .fd = vm->life.wake_fd, .events = POLLIN },
		};
		int r = poll(p, 3, 1000);
		if (r < 0 && errno != EINTR) {
			snprintf(why, len, "poll: %s", strerror(errno));
			return -EIO;
		}
		if (r > 0 && (p[1].revents | p[2].revents)) {
			int sig = vm_wait(vm, 0);
			if (sig == SIGINT || sig == SIGTERM)
				vm_end(vm, VM_SIGNAL, sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM, "stopped by %s",
				       sig == SIGINT ? "SIGINT" : "SIGTERM");
		}
		if (vm_leaving(vm)) {
			snprintf(why, len, "stopped while waiting for the stream");
			return -ECANCELED;
		}
		if (r > 0 && p[0].revents)
			return 0;
		waited += 1000;
		if (idle_ms && waited >= idle_ms) {
			snprintf(why, len, "nothing arrived for %d s", idle_ms / 1000);
			return -ETIMEDOUT;
		}
	}
}

static int in_wait(struct state_in *in, void *arg)
{
	struct vm *vm = arg;
	char why[200];
	int r = wait_readable(vm, in->fd, IDLE_TIMEOUT_MS, why, sizeof(why));
	if (r)
		snprintf(in->why, sizeof(in->why), "%s", why);
	return r;
}

static int listen_on(struct incoming *inc, const char *target, char *why, size_t len)
{
	int fd = -1;

	if (inc->transport == MIG_UNIX) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		struct stat st;
		strcpy(a.sun_path, target);
		/* A stale socket (nobody listening) may go; any other file stays. */
		if (lstat(target, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				snprintf(why, len, "unix:%.108s exists and is not a socket", target);
				return -1;
			}
			unlink(target);
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		mode_t old = umask(0177);
		int r = fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0 ? -1 : 0;
		umask(old);
		if (r) {
			snprintf(why, len, "cannot listen on unix:%.108s: %s", target, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		snprintf(inc->path, sizeof(inc->path), "%.*s", (int)sizeof(inc->path) - 1, target);
		return fd;
	}
	struct sockaddr_storage sa;
	socklen_t sl;
	int one = 1;
	if (tcp_addr(target, &sa, &sl)) {
		snprintf(why, len, "tcp:%.200s: not a numeric HOST:PORT (IPv6 in brackets)", target);
		return -1;
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    bind(fd, (struct sockaddr *)&sa, sl) == 0 && listen(fd, 1) == 0)
		return fd;
	snprintf(why, len, "cannot listen on tcp:%.200s: %s", target, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int incoming_fail(struct vm *vm, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int incoming_fail(struct vm *vm, int code, const char *fmt, ...)
{
	struct migration *m = vm->mig;
	struct incoming *inc = &m->inc;
	va_list ap;
	char why[512];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_err("incoming migration from %s failed: %s", m->uri, why);
	if (inc->transport != MIG_FILE && inc->fd >= 0)
		send_reply(inc->fd, 1, why);
	pthread_mutex_lock(&m->lock);
	snprintf(m->error, sizeof(m->error), "%s", why);
	pthread_mutex_unlock(&m->lock);
	set_status(m, vm_leaving(vm) ? MIG_CANCELLED : MIG_FAILED);
	inc->pending = false;
	incoming_close(inc);
	int ec;
	enum vm_outcome o = vm_outcome(vm, &ec, NULL, 0);
	if (o == VM_SIGNAL)
		return ec; /* 130 or 143, as any run stopped by a signal */
	if (o == VM_QUIT)
		return 0;  /* quit while waiting: as quit always is */
	return code;
}

int migrate_incoming_open(struct vm *vm)
{
	struct migration *m = vm->mig;
	struct incoming *inc = &m->inc;
	char target[1024], why[512];

	snprintf(m->uri, sizeof(m->uri), "%s", vm->cfg->incoming);
	m->incoming = true;
	m->start_ns = now_ns();
	m->total = vm->mem.size;
	m->status = MIG_SETUP;
	if (migrate_parse_uri(vm->cfg->incoming, &inc->transport, target, sizeof(target), why, sizeof(why)))
		return incoming_fail(vm, EXIT_USAGE, "--incoming %s", why);
	if (inc->transport == MIG_FILE) {
		inc->fd = open(target, O_RDONLY | O_CLOEXEC);
		if (inc->fd < 0)
			return incoming_fail(vm, EXIT_NO_INPUT, "cannot open %.300s: %s", target, strerror(errno));
	} else {
		inc->listen_fd = listen_on(inc, target, why, sizeof(why));
		if (inc->listen_fd < 0)
			return incoming_fail(vm, EXIT_OS, "%s", why);
		log_info("waiting for a migration on %s", vm->cfg->incoming);
		int r = wait_readable(vm, inc->listen_fd, 0, why, sizeof(why));
		if (r)
			return incoming_fail(vm, EXIT_OS, "%s", why);
		inc->fd = accept4(inc->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (inc->fd < 0)
			return incoming_fail(vm, EXIT_OS, "accept: %s", strerror(errno));
		close(inc->listen_fd);
		inc->listen_fd = -1;
	}
	if (in_init_fd(&inc->in, inc->fd))
		return incoming_fail(vm, EXIT_OS, "out of memory");
	inc->in.wait = in_wait;
	inc->in.wait_arg = vm;
	if (state_read_header(&inc->in, &inc->h))
		return incoming_fail(vm, inc->in.err == -EBADMSG ? EXIT_BAD_KERNEL : EXIT_OS, "%s", inc->in.why);
	struct compat c;
	state_compat_vm(vm, &inc->h, &c);
	if (!c.ok) {
		size_t used = 0;
		why[0] = '\0';
		for (unsigned i = 0; i < c.n; i++) {
			log_err("incompatible: %s", c.reason[i]);
			int n = snprintf(why + used, sizeof(why) - used, "%s%s", i ? "; " : "", c.reason[i]);
			if (n < 0 || (size_t)n >= sizeof(why) - used)
				break;
			used += (size_t)n;
		}
		return incoming_fail(vm, EXIT_BAD_KERNEL, "this VM cannot take it: %s", why);
	}
	if (inc->transport != MIG_FILE && send_reply(inc->fd, 0, "accepted"))
		return incoming_fail(vm, EXIT_OS, "the source went away");
	/* The guest's MCG_CAP, set up on the vCPUs created next (KVM_X86_SETUP_MCE). */
	atomic_store(&vm->mcg_cap, inc->h.mcg_cap);
	set_status(m, MIG_ACTIVE);
	inc->pending = true;
	return 0;
}

bool migrate_incoming_pending(struct vm *vm)
{
	return vm->mig && vm->mig->inc.pending;
}

static void load_progress(void *arg, const struct state_in *in, const struct ram_in *ram)
{
	struct migration *m = arg;

	pthread_mutex_lock(&m->lock);
	m->transferred = in->bytes;
	m->data_pages = ram->data_pages;
	m->zero_pages = ram->zero_pages;
	m->poisoned_pages = ram->poisoned_pages;
	pthread_mutex_unlock(&m->lock);
}

int migrate_incoming_load(struct vm *vm)
{
	struct migration *m = vm->mig;
	struct incoming *inc = &m->inc;
	struct state_in *in = &inc->in;
	struct state_load l;
	char why[512] = "";
	int code = EXIT_BAD_KERNEL;

	inc->pending = false;
	if (state_load_init(&l, vm, &inc->h))
		return incoming_fail(vm, EXIT_OS, "out of memory");
	l.progress = load_progress;
	l.arg = m;
	if (state_load_records(&l, in)) {
		code = in->err == -EBADMSG || !in->err ? EXIT_BAD_KERNEL : EXIT_OS;
		snprintf(why, sizeof(why), "%s", in->why[0] ? in->why : "the stream ended early");
		goto fail;
	}
	/* Into KVM, before any vCPU thread exists. */
	code = EXIT_INTERNAL;
	if (vm_state_apply(vm, &l.vmimg, why, sizeof(why)))
		goto fail;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (cpu_state_apply(&vm->vcpu[i], &l.img[i], why, sizeof(why)))
			goto fail;
		if (why[0]) {
			log_warn("%s", why);
			why[0] = '\0';
		}
	}
	vm->resets = l.resets;
	unsigned lost = ram_apply_poison(&l.ram);
	if (lost) {
		snprintf(why, sizeof(why), "%u poisoned page(s) could not be made inaccessible", lost);
		goto fail;
	}
	ras_state_resume(vm, &l.rl);
	if (inc->transport != MIG_FILE && send_reply(inc->fd, 0, "loaded")) {
		code = EXIT_OS;
		snprintf(why, sizeof(why), "the source went away before it heard the stream was loaded");
		goto fail;
	}
	load_progress(m, in, &l.ram);
	log_info("restored from %s: %llu page(s) of data, %llu poisoned page(s) kept inaccessible, %u page(s) in the poison table, in %.3f s",
		 m->uri, (unsigned long long)l.ram.data_pages, (unsigned long long)l.ram.poisoned_pages,
		 vm->ras->table.count, (double)(now_ns() - m->start_ns) / 1e9);
	set_status(m, MIG_COMPLETED);
	incoming_close(inc);
	state_load_free(&l);
	return 0;
fail:
	state_load_free(&l);
	return incoming_fail(vm, code, "%s", why);
}
