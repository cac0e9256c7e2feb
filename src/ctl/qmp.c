// SPDX-License-Identifier: MIT
/*
 * The QMP server thread: accepts clients, frames their bytes into JSON requests, runs the
 * commands, and fans events out. Every client has bounded buffers: a request larger than
 * QMP_MESSAGE_MAX is refused and the client dropped, a client that does not read its
 * replies and events is dropped, and nothing a client does can block a vCPU.
 */
#include "ctl/qmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctl/hmp.h"
#include "ctl/metrics.h"
#include "ctl/protocol.h"
#include "log.h"
#include "sandbox/sandbox.h"
#include "vm.h"

#define QMP_MAX_CLIENTS 64
#define QMP_OUT_MAX     (1u << 20) /* replies and events a client may leave unread */
#define QMP_EVENTS_MAX  4096       /* events waiting for the server thread */
#define QMP_LINGER_S    2          /* a closing client's time to take its last output */
#define QMP_DROP_LOG_S  10         /* at most one line about dropped events this often */

struct qmp_client {
	int fd;
	bool negotiated;
	bool closing;  /* read no more; drop once the output is flushed (or QMP_LINGER_S passed) */
	bool draining; /* output sent and shut: read and discard until the peer closes */
	time_t deadline; /* monotonic seconds: when closing or draining gives up */
	struct qmp_framer in; /* what it sent, framed into messages */
	char *out;
	size_t out_len, out_cap;
};

/* One --qmp: a socket rasvm listens on, or (server=off) the connection it made. */
struct qmp_listener {
	struct qmp_listen cfg;
	int fd;             /* listening socket; -1 for a connection made */
	bool unlink_path;   /* a Unix socket file rasvm created: removed at the end */
	bool connected;     /* a client came (wait=on waits for it); under q->wait_lock */
	char desc[160];     /* "unix:PATH" or "tcp:ADDR:PORT", for the log */
};

struct qmp {
	struct vm *vm;
	unsigned nlisten;
	struct qmp_listener listen[CONFIG_QMP_MAX];
	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;
	int wake_fd;
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t ev_lock;
	char *events[QMP_EVENTS_MAX]; /* serialised, waiting to be sent */
	unsigned ev_head, ev_count;
	uint64_t ev_dropped;          /* under ev_lock: events the full queue refused */
	uint64_t ev_dropped_told;     /* server thread: how many the log has told of */
	time_t ev_dropped_told_at;
	struct qmp_client client[QMP_MAX_CLIENTS];
	atomic_uint_fast64_t resets;  /* RESET events sent: the metrics' guest resets */
	/* --metrics: the file, and when it is written next (monotonic ns) */
	const char *metrics_path;
	unsigned metrics_interval;
	uint64_t metrics_next_ns;
	time_t started;              /* wall clock at start, for the metrics */
	struct hmp_regs *regs;       /* one per vCPU: what vcpu_call reads registers into */
};

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static time_t mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

static void client_close(struct qmp_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	qmp_framer_free(&c->in);
	free(c->out);
	*c = (struct qmp_client){ .fd = -1 };
}

/* Stop serving it: what it is owed still goes out (unless lost is set: the peer is gone or
 * would not take it), for QMP_LINGER_S at most. */
static void client_finish(struct qmp_client *c, bool lost)
{
	if (!c->closing)
		c->deadline = mono_s() + QMP_LINGER_S;
	c->closing = true;
	if (lost)
		c->out_len = 0;
}

/* One serialised message, s[0..n), and QEMU's "\r\n" after it. */
static void queue_text(struct qmp_client *c, const char *s, size_t n)
{
	if (c->closing)
		return;
	if (c->out_len + n + 2 > QMP_OUT_MAX) {
		/* It stopped reading: dropping it is better than growing without bound. */
		client_finish(c, true);
		return;
	}
	if (c->out_len + n + 2 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + n + 2)
			cap *= 2;
		char *p = realloc(c->out, cap);
		if (!p) {
			client_finish(c, true);
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, n);
	memcpy(c->out + c->out_len + n, "\r\n", 2); /* QEMU ends each message so */
	c->out_len += n + 2;
}

static void queue_out(struct qmp_client *c, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (s)
		queue_text(c, s, strlen(s));
	free(s);
}

static void flush_out(struct qmp_client *c)
{
	while (c->out_len) {
		ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			client_finish(c, true);
			return;
		}
		memmove(c->out, c->out + w, c->out_len - (size_t)w);
		c->out_len -= (size_t)w;
	}
}

static void drain(struct qmp_client *c)
{
	char junk[4096];
	ssize_t r = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) || mono_s() > c->deadline)
		client_close(c);
}

static void handle_request(struct qmp *q, struct qmp_client *c, json_t *msg)
{
	const char *name;
	json_t *args, *id;
	char err[256];

	if (qmp_parse_request(msg, &name, &args, &id, err, sizeof(err))) {
		queue_out(c, qmp_error("GenericError", err, id));
		return;
	}
	if (!c->negotiated && strcmp(name, "qmp_capabilities")) {
		queue_out(c, qmp_error("CommandNotFound",
				       "Expecting capabilities negotiation with 'qmp_capabilities'", id));
		return;
	}
	if (c->negotiated && !strcmp(name, "qmp_capabilities")) {
		queue_out(c, qmp_error("CommandNotFound",
				       "Capabilities negotiation is already complete, command ignored", id));
		return;
	}
	const struct qmp_command *cmd = qmp_find_command(name);
	if (!cmd) {
		snprintf(err, sizeof(err), "The command %.64s has not been found", name);
		queue_out(c, qmp_error("CommandNotFound", err, id));
		return;
	}
	if (qmp_check_args(cmd->args, args, err, sizeof(err))) {
		queue_out(c, qmp_error("GenericError", err, id));
		return;
	}
	const char *cls = "GenericError";
	json_t *ret = cmd->run(q->vm, args, &cls, err, sizeof(err));
	if (!ret) {
		queue_out(c, qmp_error(cls, err, id));
		return;
	}
	if (!strcmp(name, "qmp_capabilities"))
		c->negotiated = true;
	queue_out(c, qmp_reply(ret, id));
}

static void client_read(struct qmp *q, struct qmp_client *c)
{
	size_t room;
	char *p = qmp_framer_room(&c->in, &room);
	ssize_t r = recv(c->fd, p, room, MSG_DONTWAIT);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		/* Gone, and a half message dies with it. At an orderly end of file the peer may
		 * only have shut its sending side: the replies it is owed still go out. */
		client_finish(c, r < 0);
		return;
	}
	qmp_framer_add(&c->in, (size_t)r);
	while (!c->closing) {
		json_t *msg;
		char err[256];
		int f = qmp_framer_next(&c->in, &msg, err, sizeof(err));
		if (f == QMP_FRAME_MORE)
			break;
		if (f == QMP_FRAME_MSG) {
			handle_request(q, c, msg);
			json_decref(msg);
		} else if (f == QMP_FRAME_BAD) {
			/* One error per bad message; the framer knows where each ends. */
			queue_out(c, qmp_error("GenericError", err, NULL));
		} else {
			queue_out(c, qmp_error("GenericError", "QMP message exceeds 65536 bytes; closing", NULL));
			client_finish(c, false);
		}
	}
}

static void greet(struct qmp_client *c)
{
	/* The same VersionInfo query-version returns, as in QEMU. */
	queue_out(c, json_pack("{s:{s:o,s:[]}}", "QMP", "version", qmp_version_info(), "capabilities"));
}

/* A connection (accepted, or made with server=off): greeted, or refused when all slots are
 * taken. */
static void add_client(struct qmp *q, int fd)
{
	{
		struct qmp_client *c = NULL;
		for (unsigned i = 0; i < QMP_MAX_CLIENTS && !c; i++)
			if (q->client[i].fd < 0)
				c = &q->client[i];
		struct qmp_framer in;
		if (!c || qmp_framer_init(&in, QMP_MESSAGE_MAX)) {
			static const char busy[] = "{\"error\": {\"class\": \"GenericError\", \"desc\": \"too many QMP clients\"}}\r\n";
			ssize_t w = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)w;
			close(fd);
			return;
		}
		*c = (struct qmp_client){ .fd = fd, .in = in };
		greet(c);
	}
}

static void accept_clients(struct qmp *q, struct qmp_listener *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (l->cfg.transport == QMP_TCP) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		pthread_mutex_lock(&q->wait_lock);
		if (!l->connected) {
			l->connected = true;
			pthread_cond_broadcast(&q->wait_cond);
		}
		pthread_mutex_unlock(&q->wait_lock);
		add_client(q, fd);
	}
}

/* Say how many events the full queue refused: the first time at once, then at most every
 * QMP_DROP_LOG_S seconds, and once more at the end if any went untold. */
static void tell_dropped(struct qmp *q, bool last)
{
	pthread_mutex_lock(&q->ev_lock);
	uint64_t n = q->ev_dropped;
	pthread_mutex_unlock(&q->ev_lock);
	if (n == q->ev_dropped_told)
		return;
	time_t now = mono_s();
	if (!last && q->ev_dropped_told && now - q->ev_dropped_told_at < QMP_DROP_LOG_S)
		return;
	log_warn("qmp: %llu event(s) dropped so far: %u were already waiting for the control socket",
		 (unsigned long long)n, QMP_EVENTS_MAX);
	q->ev_dropped_told = n;
	q->ev_dropped_told_at = now;
}

static void fan_out_events(struct qmp *q)
{
	uint64_t n;
	ssize_t r = read(q->wake_fd, &n, sizeof(n));
	(void)r;
	pthread_mutex_lock(&q->ev_lock);
	while (q->ev_count) {
		char *s = q->events[q->ev_head];
		q->ev_head = (q->ev_head + 1) % QMP_EVENTS_MAX;
		q->ev_count--;
		pthread_mutex_unlock(&q->ev_lock);
		size_t len = strlen(s);
		for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++)
			if (q->client[i].fd >= 0 && q->client[i].negotiated)
				queue_text(&q->client[i], s, len);
		free(s);
		pthread_mutex_lock(&q->ev_lock);
	}
	pthread_mutex_unlock(&q->ev_lock);
}

/* --metrics: the text to a temporary file in the same directory, then renamed over FILE, so
 * a reader (node_exporter's textfile collector) never sees half a file. */
static void write_metrics(struct qmp *q)
{
	static struct log_rl rl;
	unsigned suppressed;
	char *text = qmp_metrics_text(q->vm);
	int r = text ? metrics_write_file(q->metrics_path, text) : -ENOMEM;
	free(text);
	if (r && log_rl_allow(&rl, &suppressed))
		log_warn("--metrics %s: %s", q->metrics_path, strerror(-r));
}

static void *qmp_thread(void *arg)
{
	struct qmp *q = arg;
	struct pollfd pfd[QMP_MAX_CLIENTS + CONFIG_QMP_MAX + 1];

	if (sandbox_enter(SANDBOX_CONTROL))
		log_warn("qmp: the control socket's thread runs unconfined: the kernel refused its sandbox");
	while (!atomic_load(&q->stop)) {
		unsigned n = 0;
		pfd[n++] = (struct pollfd){ .fd = q->wake_fd, .events = POLLIN };
		for (unsigned i = 0; i < q->nlisten; i++)
			pfd[n++] = (struct pollfd){ .fd = q->listen[i].fd, .events = POLLIN };
		for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++) {
			struct qmp_client *c = &q->client[i];
			/* A closing client is not read (its input would wake poll at once, for
			 * ever): it is only waited on to take its output. */
			if (c->fd >= 0)
				pfd[n++] = (struct pollfd){ .fd = c->fd,
							    .events = (short)((c->closing && !c->draining ? 0 : POLLIN) |
									      (c->out_len ? POLLOUT : 0)) };
		}
		int timeout = 1000;
		if (q->metrics_path) {
			uint64_t now = mono_ns();
			if (now >= q->metrics_next_ns) {
				write_metrics(q);
				q->metrics_next_ns = now + (uint64_t)q->metrics_interval * 1000000000ULL;
			}
			uint64_t left_ms = (q->metrics_next_ns - now) / 1000000 + 1;
			if (left_ms < (uint64_t)timeout)
				timeout = (int)left_ms;
		}
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			fan_out_events(q);
		for (unsigned i = 0; i < q->nlisten; i++)
			if (pfd[1 + i].revents & POLLIN)
				accept_clients(q, &q->listen[i]);
		tell_dropped(q, false);
		for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++) {
			struct qmp_client *c = &q->client[i];
			if (c->fd < 0)
				continue;
			if (c->draining) {
				drain(c);
				continue;
			}
			if (!c->closing)
				client_read(q, c);
			flush_out(c);
			if (c->closing && !c->out_len) {
				/* Closing with unread input would reset the connection and lose the
				 * last reply: shut our side, then read the rest away. */
				shutdown(c->fd, SHUT_WR);
				c->draining = true;
				c->deadline = mono_s() + QMP_LINGER_S;
			} else if (c->closing && mono_s() > c->deadline) {
				client_close(c); /* it would not take its last output */
			}
		}
	}
	/* The last events (SHUTDOWN) still go out, as far as clients take them now. */
	fan_out_events(q);
	for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++)
		if (q->client[i].fd >= 0)
			flush_out(&q->client[i]);
	tell_dropped(q, true);
	if (q->metrics_path)
		write_metrics(q); /* the last word: the state at exit */
	return NULL;
}

/* A socket file nobody listens on is stale and may go; anything else stays. */
static int claim_path(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("--qmp %s: the file exists and is not a socket; not replacing it", path);
		return -EEXIST;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, path);
	int r = fd >= 0 ? connect(fd, (struct sockaddr *)&a, sizeof(a)) : -1;
	int err = errno;
	if (fd >= 0)
		close(fd);
	if (r == 0) {
		log_err("--qmp %s: another process is listening there", path);
		return -EADDRINUSE;
	}
	if (err != ECONNREFUSED)
		return -err;
	return unlink(path) < 0 ? -errno : 0;
}

/* A listening socket for l, or the connection a server=off client makes: 0 or -errno, logged. */
static int open_listener(struct qmp *q, struct qmp_listener *ql, const struct qmp_listen *l)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int r, fd;

	ql->cfg = *l;
	ql->fd = -1;
	if (l->transport == QMP_UNIX) {
		struct sockaddr_un *a = (struct sockaddr_un *)&ss;
		a->sun_family = AF_UNIX;
		if (strlen(l->path) >= sizeof(a->sun_path)) {
			log_err("--qmp %s: longer than a Unix socket path may be (%zu)", l->path,
				sizeof(a->sun_path) - 1);
			return -ENAMETOOLONG;
		}
		strcpy(a->sun_path, l->path);
		len = sizeof(*a);
		snprintf(ql->desc, sizeof(ql->desc), "unix:%s", l->path);
	} else {
		const char *host = *l->host ? l->host : "127.0.0.1"; /* loopback unless told */
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons(l->port);
			len = sizeof(*a4);
		} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons(l->port);
			len = sizeof(*a6);
		} else {
			log_err("--qmp tcp:%s:%u: not a numeric address", host, l->port);
			return -EINVAL;
		}
		snprintf(ql->desc, sizeof(ql->desc), strchr(host, ':') ? "tcp:[%s]:%u" : "tcp:%s:%u", host,
			 l->port);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!l->server) {
		/* QEMU's server=off: rasvm is the one that connects (qmp-shell-wrap listens). */
		if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
			r = -errno;
			log_err("--qmp %s: Failed to connect to '%s': %s", ql->desc, ql->desc + (l->transport == QMP_UNIX ? 5 : 4),
				strerror(-r));
			close(fd);
			return r;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		ql->connected = true;
		add_client(q, fd);
		log_debug("qmp: connected to %s", ql->desc);
		return 0;
	}
	if (l->transport == QMP_UNIX) {
		if ((r = claim_path(l->path))) {
			if (r != -EEXIST && r != -EADDRINUSE)
				log_err("--qmp %s: %s", l->path, strerror(-r));
			close(fd);
			return r;
		}
		/* Mode 0600: the socket is as powerful as the VM's owner. Called before other
		 * threads exist, so the process-wide umask can be borrowed. */
		mode_t old = umask(0177);
		r = bind(fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
		umask(old);
		ql->unlink_path = r == 0;
	} else {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		r = bind(fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
	}
	if (!r && listen(fd, 128) < 0)
		r = -errno;
	if (r) {
		log_err("--qmp %s: %s", ql->desc, strerror(-r));
		close(fd);
		if (ql->unlink_path)
			unlink(l->path);
		ql->unlink_path = false;
		return r;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ql->fd = fd;
	if (l->transport == QMP_TCP) {
		/* The port the kernel chose for port 0; and a reminder that anyone who reaches it
		 * owns the VM. */
		struct sockaddr_storage got;
		socklen_t glen = sizeof(got);
		if (getsockname(fd, (struct sockaddr *)&got, &glen) == 0) {
			unsigned port = ntohs(got.ss_family == AF_INET ? ((struct sockaddr_in *)&got)->sin_port
							       : ((struct sockaddr_in6 *)&got)->sin6_port);
			char *colon = strrchr(ql->desc, ':');
			snprintf(colon + 1, sizeof(ql->desc) - (size_t)(colon + 1 - ql->desc), "%u", port);
		}
		log_info("qmp: listening on %s (QMP has no authentication: trusted hosts only)", ql->desc);
	}
	return 0;
}

/* wait=on: the guest starts once every such socket has had a client (QEMU waits likewise);
 * SIGINT or SIGTERM end the wait (the run then ends at once). */
static void wait_for_clients(struct qmp *q)
{
	for (unsigned i = 0; i < q->nlisten; i++) {
		struct qmp_listener *l = &q->listen[i];
		if (!l->cfg.server || !l->cfg.wait)
			continue;
		log_info("qmp: waiting for a client on %s before starting the guest", l->desc);
		pthread_mutex_lock(&q->wait_lock);
		while (!l->connected) {
			struct pollfd p = { .fd = q->vm->life.signal_fd, .events = POLLIN };
			if (q->vm->cfg && p.fd >= 0 && poll(&p, 1, 0) > 0) {
				pthread_mutex_unlock(&q->wait_lock);
				return; /* the signal is still pending: the main thread takes it */
			}
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 100 * 1000000L;
			if (until.tv_nsec >= 1000000000L)
				until.tv_sec++, until.tv_nsec -= 1000000000L;
			pthread_cond_timedwait(&q->wait_cond, &q->wait_lock, &until);
		}
		pthread_mutex_unlock(&q->wait_lock);
	}
}

static void qmp_free(struct qmp *q)
{
	for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++)
		if (q->client[i].fd >= 0)
			client_close(&q->client[i]);
	while (q->ev_count) {
		free(q->events[q->ev_head]);
		q->ev_head = (q->ev_head + 1) % QMP_EVENTS_MAX;
		q->ev_count--;
	}
	for (unsigned i = 0; i < q->nlisten; i++) {
		if (q->listen[i].fd >= 0)
			close(q->listen[i].fd);
		if (q->listen[i].unlink_path)
			unlink(q->listen[i].cfg.path);
	}
	if (q->wake_fd >= 0)
		close(q->wake_fd);
	pthread_mutex_destroy(&q->ev_lock);
	pthread_mutex_destroy(&q->wait_lock);
	pthread_cond_destroy(&q->wait_cond);
	free(q->regs);
	free(q);
}

int qmp_start_listeners(struct vm *vm, const struct qmp_listen *listen, unsigned count,
			const char *metrics_path, unsigned metrics_interval)
{
	struct qmp *q;
	int r = 0;

	if (!count && !metrics_path)
		return 0;
	if (count > CONFIG_QMP_MAX || !(q = calloc(1, sizeof(*q))))
		return -ENOMEM;
	for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++)
		q->client[i].fd = -1;
	q->vm = vm;
	q->metrics_path = metrics_path;
	q->metrics_interval = metrics_interval ? metrics_interval : 15;
	q->started = time(NULL);
	pthread_mutex_init(&q->ev_lock, NULL);
	pthread_mutex_init(&q->wait_lock, NULL);
	pthread_cond_init(&q->wait_cond, NULL);
	q->regs = vm->ncpus ? calloc(vm->ncpus, sizeof(*q->regs)) : NULL;
	q->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->wake_fd < 0 || (vm->ncpus && !q->regs))
		r = -ENOMEM;
	for (unsigned i = 0; i < count && !r; i++) {
		r = open_listener(q, &q->listen[i], &listen[i]);
		q->nlisten = i + 1;
	}
	/* Before the thread starts (src/vm.h: written before the threads that read it): its
	 * first command or metrics file already reads it. */
	vm->qmp = q;
	if (!r)
		r = -pthread_create(&q->thread, NULL, qmp_thread, q);
	if (r) {
		vm->qmp = NULL;
		if (r == -EAGAIN || r == -ENOMEM)
			log_err("qmp: cannot start the control socket: %s", strerror(-r));
		qmp_free(q);
		return r;
	}
	wait_for_clients(q);
	return 0;
}

int qmp_start(struct vm *vm)
{
	const struct config *c = vm->cfg;
	return c ? qmp_start_listeners(vm, c->qmp, c->qmp_count, c->metrics_path, c->metrics_interval) : 0;
}

void qmp_stop(struct vm *vm)
{
	struct qmp *q = vm->qmp;
	if (!q)
		return;
	atomic_store(&q->stop, true);
	uint64_t one = 1;
	ssize_t w = write(q->wake_fd, &one, sizeof(one));
	(void)w;
	pthread_join(q->thread, NULL);
	qmp_free(q);
	vm->qmp = NULL;
}

struct hmp_regs *qmp_regs_slot(struct vm *vm, unsigned cpu)
{
	struct qmp *q = vm->qmp;
	return q && q->regs && cpu < vm->ncpus ? &q->regs[cpu] : NULL;
}

uint64_t qmp_resets(struct vm *vm)
{
	struct qmp *q = vm->qmp;
	return q ? atomic_load(&q->resets) : 0;
}

time_t qmp_started(struct vm *vm)
{
	struct qmp *q = vm->qmp;
	return q ? q->started : 0;
}

uint64_t qmp_events_dropped(struct vm *vm)
{
	struct qmp *q = vm->qmp;
	if (!q)
		return 0;
	pthread_mutex_lock(&q->ev_lock);
	uint64_t n = q->ev_dropped;
	pthread_mutex_unlock(&q->ev_lock);
	return n;
}

void qmp_event(struct vm *vm, const char *name, json_t *data)
{
	struct qmp *q = vm->qmp;
	if (!q) {
		json_decref(data);
		return;
	}
	if (!strcmp(name, "RESET"))
		atomic_fetch_add(&q->resets, 1);
	json_t *msg = qmp_event_msg(name, data);
	char *s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!s)
		return;
	pthread_mutex_lock(&q->ev_lock);
	if (q->ev_count == QMP_EVENTS_MAX) {
		q->ev_dropped++;
		free(s);
	} else {
		q->events[(q->ev_head + q->ev_count) % QMP_EVENTS_MAX] = s;
		q->ev_count++;
	}
	pthread_mutex_unlock(&q->ev_lock);
	uint64_t one = 1;
	ssize_t w = write(q->wake_fd, &one, sizeof(one));
	(void)w;
}
