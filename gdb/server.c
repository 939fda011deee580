#define _GNU_SOURCE
/* The transport: a listening socket (TCP on 127.0.0.1, or a Unix socket), one connected gdb at
 * a time, and the watch for Ctrl-C while the target runs. The protocol is gdb/session.c. */
#include "gdb/gdb.h"
#include "gdb/session.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Bytes other than 0x03 that arrive while the target runs are kept for afterwards; gdb in
 * all-stop mode sends none, so a small buffer is plenty and the excess is dropped. */
#define PENDING_MAX 4096

struct conn {
	int fd;
	const struct gdb_target_ops *ops;
	void *t;
	FILE *log;
	int wake[2];		/* the helper's stop signal */
	pthread_mutex_t lock;	/* orders interrupt() against resume() returning */
	bool running;
	bool peer_closed;
	uint8_t pending[PENDING_MAX];
	size_t pending_len;
};

static void server_reset(struct gdb_server *s, FILE *log)
{
	memset(s, 0, sizeof(*s));
	s->listen_fd = -1;
	s->log = log;
}

int gdb_server_listen_tcp(struct gdb_server *s, uint16_t port, FILE *log)
{
	server_reset(s, log);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Loopback only: the stub gives whoever connects full control of the guest. */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen)) {
		int err = -errno;
		close(fd);
		return err;
	}
	s->listen_fd = fd;
	s->port = ntohs(a.sin_port);
	return 0;
}

int gdb_server_listen_unix(struct gdb_server *s, const char *path, FILE *log)
{
	server_reset(s, log);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path) || strlen(path) >= sizeof(s->path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	/* A stale socket from an earlier run is replaced; any other file is not ours to remove. */
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1)) {
		int err = -errno;
		close(fd);
		return err;
	}
	s->listen_fd = fd;
	strcpy(s->path, path);
	return 0;
}

void gdb_server_close(struct gdb_server *s)
{
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->path[0])
		unlink(s->path);
	s->listen_fd = -1;
	s->path[0] = 0;
}

static int conn_send(void *io, const void *buf, size_t len)
{
	struct conn *c = io;
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void conn_interrupt(struct conn *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->running)
		c->ops->interrupt(c->t);
	pthread_mutex_unlock(&c->lock);
}

/* Runs beside resume(): reads the socket, turns 0x03 into interrupt(), and stops the target
 * too if gdb goes away, so a dead session does not leave the guest running forever. */
static void *watch_thread(void *arg)
{
	struct conn *c = arg;
	for (;;) {
		struct pollfd p[2] = { { .fd = c->wake[0], .events = POLLIN },
				       { .fd = c->fd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (p[0].revents)
			return NULL;
		if (!p[1].revents)
			continue;
		uint8_t buf[256];
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->peer_closed = true;
			conn_interrupt(c);
			return NULL;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == 0x03)
				conn_interrupt(c);
			else if (c->pending_len < PENDING_MAX)
				c->pending[c->pending_len++] = buf[i];
		}
	}
}

static int conn_run(void *io, enum gdb_resume how, struct gdb_stop *stop)
{
	struct conn *c = io;
	pthread_t th;
	bool watching = c->ops->interrupt != NULL;
	pthread_mutex_lock(&c->lock);
	c->running = true;
	pthread_mutex_unlock(&c->lock);
	if (watching && pthread_create(&th, NULL, watch_thread, c)) {
		if (c->log)
			fprintf(c->log, "gdb: cannot watch for Ctrl-C during this run\n");
		watching = false;
	}
	int rc = c->ops->resume(c->t, how, stop);
	pthread_mutex_lock(&c->lock);
	c->running = false;
	pthread_mutex_unlock(&c->lock);
	if (watching) {
		uint8_t b = 1;
		while (write(c->wake[1], &b, 1) < 0 && errno == EINTR)
			;
		pthread_join(th, NULL);
		while (read(c->wake[0], &b, 1) < 0 && errno == EINTR)
			;
	}
	return rc;
}

/* Another gdb while one is connected: tell it no by closing at once. */
static void refuse_extra(struct gdb_server *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		if (s->log)
			fprintf(s->log, "gdb: refused a second connection (one gdb at a time)\n");
		close(fd);
	}
}

static int session_loop(struct gdb_server *s, struct conn *c, struct gdb_session *sess)
{
	while (!sess->done) {
		if (c->pending_len) {
			size_t n = c->pending_len;
			c->pending_len = 0;
			gdb_session_input(sess, c->pending, n);
			continue;
		}
		if (c->peer_closed) {
			sess->done = true;
			sess->end = GDB_END_CLOSED;
			break;
		}
		struct pollfd p[2] = { { .fd = c->fd, .events = POLLIN },
				       { .fd = s->listen_fd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents & POLLIN)
			refuse_extra(s);
		if (!p[0].revents)
			continue;
		uint8_t buf[4096];
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sess->done = true;
			sess->end = GDB_END_CLOSED;
			break;
		}
		gdb_session_input(sess, buf, (size_t)n);
	}
	return (int)sess->end;
}

int gdb_server_serve(struct gdb_server *s, const struct gdb_target_ops *ops, void *t)
{
	int fd;
	do
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));	/* fails harmlessly on AF_UNIX */

	int rc = -ENOMEM;
	struct conn c = { .fd = fd, .ops = ops, .t = t, .log = s->log };
	struct gdb_session *sess = malloc(sizeof(*sess));
	if (!sess)
		goto out_fd;
	if (pipe2(c.wake, O_CLOEXEC)) {
		rc = -errno;
		goto out_sess;
	}
	pthread_mutex_init(&c.lock, NULL);
	if (s->log)
		fprintf(s->log, "gdb: connected\n");
	gdb_session_init(sess, ops, t, conn_send, &c, s->log);
	sess->run = conn_run;
	rc = session_loop(s, &c, sess);
	gdb_session_finish(sess);
	if (s->log)
		fprintf(s->log, "gdb: session ended (%s)\n",
			rc == GDB_END_DETACH ? "detached" : rc == GDB_END_KILL ? "killed" : "connection closed");
	pthread_mutex_destroy(&c.lock);
	close(c.wake[0]);
	close(c.wake[1]);
out_sess:
	free(sess);
out_fd:
	close(fd);
	return rc;
}
