// SPDX-License-Identifier: MIT
/* `rasvm ctl PATH COMMAND [JSON]` and `rasvm ctl PATH --watch SECONDS`: a small QMP client
 * for scripts and people. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/offline.h"
#include "ctl/protocol.h"
#include "exitcode.h"
#include "log.h"

#define CTL_MESSAGE_MAX (QMP_MESSAGE_MAX * 4) /* replies (query-ras) may be long */

struct conn {
	int fd;
	struct qmp_framer in;
};

static long ms_left(const struct timespec *until)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (until->tv_sec - now.tv_sec) * 1000 + (until->tv_nsec - now.tv_nsec) / 1000000;
}

/* The next message, or NULL at EOF, on error or when the deadline passes. */
static json_t *next_message(struct conn *c, const struct timespec *until)
{
	for (;;) {
		json_t *msg;
		char err[128];
		int f = qmp_framer_next(&c->in, &msg, err, sizeof(err));
		if (f == QMP_FRAME_MSG)
			return msg;
		if (f != QMP_FRAME_MORE) {
			log_err("ctl: the server sent something that is not a QMP message: %s", err);
			return NULL;
		}
		long left = ms_left(until);
		if (left <= 0)
			return NULL;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		if (poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) <= 0)
			return NULL;
		size_t room;
		char *to = qmp_framer_room(&c->in, &room);
		ssize_t r = recv(c->fd, to, room, 0);
		if (r <= 0)
			return NULL;
		qmp_framer_add(&c->in, (size_t)r);
	}
}

static int send_json(struct conn *c, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	size_t n = s ? strlen(s) : 0;
	ssize_t w = s ? send(c->fd, s, n, MSG_NOSIGNAL) : -1;
	free(s);
	return w == (ssize_t)n ? 0 : -1;
}

/* The reply to the last request (events on the way are printed when asked). */
static json_t *reply(struct conn *c, const struct timespec *until, bool print_events)
{
	json_t *m;
	while ((m = next_message(c, until))) {
		if (json_object_get(m, "return") || json_object_get(m, "error"))
			return m;
		if (print_events && json_object_get(m, "event")) {
			char *s = json_dumps(m, JSON_COMPACT);
			if (s) {
				puts(s);
				fflush(stdout); /* a pipe must see each event as it comes */
			}
			free(s);
		}
		json_decref(m);
	}
	return NULL;
}

int cli_ctl(const struct config *cfg)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timespec until;
	json_t *args = NULL, *r;
	int code = EXIT_OS;

	if (!c)
		return EXIT_OS;
	c->fd = -1;
	if (qmp_framer_init(&c->in, CTL_MESSAGE_MAX)) {
		free(c);
		return EXIT_OS;
	}
	if (cfg->ctl_args) {
		json_error_t e;
		args = json_loads(cfg->ctl_args, 0, &e);
		if (!json_is_object(args)) {
			log_err("ctl: the arguments must be one JSON object, e.g. '{\"gpa\": 4096}'%s%s",
				args ? "" : ": ", args ? "" : e.text);
			json_decref(args);
			qmp_framer_free(&c->in);
			free(c);
			return EXIT_USAGE;
		}
	}
	if (strlen(cfg->path) >= sizeof(a.sun_path)) {
		log_err("ctl: %s is too long for a socket path", cfg->path);
		goto out;
	}
	strcpy(a.sun_path, cfg->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		log_err("ctl: cannot connect to %s: %s (is rasvm running with --qmp %s?)", cfg->path,
			strerror(errno), cfg->path);
		code = EXIT_NO_INPUT;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 10;
	json_t *greeting = next_message(c, &until);
	if (!greeting || !json_object_get(greeting, "QMP")) {
		log_err("ctl: %s did not greet as a QMP server", cfg->path);
		json_decref(greeting);
		goto out;
	}
	json_decref(greeting);
	send_json(c, json_pack("{s:s}", "execute", "qmp_capabilities"));
	json_decref(reply(c, &until, false));
	if (cfg->ctl_watch) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += cfg->ctl_watch;
		log_info("ctl: watching events from %s for %u s", cfg->path, cfg->ctl_watch);
		json_decref(reply(c, &until, true)); /* prints events until the time is up */
		code = 0;
		goto out;
	}
	json_t *req = json_pack("{s:s}", "execute", cfg->ctl_command);
	if (args)
		json_object_set(req, "arguments", args);
	if (send_json(c, req) < 0 || !(r = reply(c, &until, false))) {
		log_err("ctl: no reply from %s", cfg->path);
		goto out;
	}
	json_t *err = json_object_get(r, "error");
	if (err) {
		log_err("%s: %s", json_string_value(json_object_get(err, "class")),
			json_string_value(json_object_get(err, "desc")));
		code = 1;
	} else {
		json_t *ret = json_object_get(r, "return");
		if (json_is_string(ret)) {
			/* Text (human-monitor-command, query-metrics) as it is, QEMU's "\r\n" and all. */
			fputs(json_string_value(ret), stdout);
		} else {
			char *s = json_dumps(ret, JSON_INDENT(2) | JSON_ENCODE_ANY);
			if (s)
				puts(s);
			free(s);
		}
		code = 0;
	}
	json_decref(r);
out:
	json_decref(args);
	if (c->fd >= 0)
		close(c->fd);
	qmp_framer_free(&c->in);
	free(c);
	return code;
}
