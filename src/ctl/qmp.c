// SPDX-License-Identifier: MIT
/*
 * The QMP server thread: accepts clients, frames their bytes into JSON requests, runs the
 * commands, and fans events out. Every client has bounded buffers: a request larger than
 * QMP_MESSAGE_MAX is refused and the client dropped, a client that does not read its
 * replies and events is dropped, and nothing a client does can block a vCPU.
 */
#include "ctl/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/protocol.h"
#include "log.h"
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

struct qmp {
	struct vm *vm;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd, wake_fd;
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t ev_lock;
	char *events[QMP_EVENTS_MAX]; /* serialised, waiting to be sent */
	unsigned ev_head, ev_count;
	uint64_t ev_dropped;          /* under ev_lock: events the full queue refused */
	uint64_t ev_dropped_told;     /* server thread: how many the log has told of */
	time_t ev_dropped_told_at;
	struct qmp_client client[QMP_MAX_CLIENTS];
};

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
	queue_out(c, json_pack("{s:{s:{s:{s:i,s:i,s:i},s:s},s:[]}}", "QMP", "version", "qemu", "major",
			       0, "minor", 1, "micro", 0, "package", "rasvm", "capabilities"));
}

static void accept_clients(struct qmp *q)
{
	for (;;) {
		int fd = accept4(q->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
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
			continue;
		}
		*c = (struct qmp_client){ .fd = fd, .in = in };
		greet(c);
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

static void *qmp_thread(void *arg)
{
	struct qmp *q = arg;
	struct pollfd pfd[QMP_MAX_CLIENTS + 2];

	while (!atomic_load(&q->stop)) {
		unsigned n = 0;
		pfd[n++] = (struct pollfd){ .fd = q->listen_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = q->wake_fd, .events = POLLIN };
		for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++) {
			struct qmp_client *c = &q->client[i];
			/* A closing client is not read (its input would wake poll at once, for
			 * ever): it is only waited on to take its output. */
			if (c->fd >= 0)
				pfd[n++] = (struct pollfd){ .fd = c->fd,
							    .events = (short)((c->closing && !c->draining ? 0 : POLLIN) |
									      (c->out_len ? POLLOUT : 0)) };
		}
		if (poll(pfd, n, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			accept_clients(q);
		if (pfd[1].revents & POLLIN)
			fan_out_events(q);
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

int qmp_start(struct vm *vm, const char *path)
{
	struct qmp *q = calloc(1, sizeof(*q));
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int r;

	if (!q)
		return -ENOMEM;
	if (strlen(path) >= sizeof(a.sun_path)) {
		log_err("--qmp %s: longer than a Unix socket path may be (%zu)", path, sizeof(a.sun_path) - 1);
		free(q);
		return -ENAMETOOLONG;
	}
	if ((r = claim_path(path))) {
		if (r != -EEXIST && r != -EADDRINUSE)
			log_err("--qmp %s: %s", path, strerror(-r));
		free(q);
		return r;
	}
	strcpy(q->path, path);
	strcpy(a.sun_path, path);
	for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++)
		q->client[i].fd = -1;
	q->vm = vm;
	pthread_mutex_init(&q->ev_lock, NULL);
	q->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* Mode 0600: the socket is as powerful as the VM's owner. Called before other threads
	 * exist, so the process-wide umask can be borrowed. */
	mode_t old = umask(0177);
	r = q->listen_fd < 0 || q->wake_fd < 0 || bind(q->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(q->listen_fd, 128) < 0 ? -errno : 0;
	umask(old);
	if (!r)
		r = -pthread_create(&q->thread, NULL, qmp_thread, q);
	if (r) {
		log_err("--qmp %s: %s", path, strerror(-r));
		if (q->listen_fd >= 0)
			close(q->listen_fd);
		if (q->wake_fd >= 0)
			close(q->wake_fd);
		unlink(path);
		free(q);
		return r;
	}
	vm->qmp = q;
	return 0;
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
	for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++)
		if (q->client[i].fd >= 0)
			client_close(&q->client[i]);
	while (q->ev_count) {
		free(q->events[q->ev_head]);
		q->ev_head = (q->ev_head + 1) % QMP_EVENTS_MAX;
		q->ev_count--;
	}
	close(q->listen_fd);
	close(q->wake_fd);
	unlink(q->path);
	pthread_mutex_destroy(&q->ev_lock);
	free(q);
	vm->qmp = NULL;
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
