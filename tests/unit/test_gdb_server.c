/* The transport: sockets, one client at a time, Ctrl-C while the target runs, disconnects. */
#include "gdb/gdb.h"
#include "tests/unit/check.h"
#include "tests/unit/test_gdb_fake.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct srv {
	struct gdb_server s;
	struct fake f;
	pthread_t th;
	int end;
};

static void *serve_thread(void *arg)
{
	struct srv *v = arg;
	v->end = gdb_server_serve(&v->s, &fake_ops, &v->f);
	return NULL;
}

static int start(struct srv *v)
{
	memset(v, 0, sizeof(*v));
	fake_init(&v->f);
	v->end = -1;
	if (gdb_server_listen_tcp(&v->s, 0, NULL))
		return -1;
	return pthread_create(&v->th, NULL, serve_thread, v);
}

static void stop(struct srv *v)
{
	shutdown(v->s.listen_fd, SHUT_RDWR);	/* in case no client came */
	pthread_join(v->th, NULL);
	gdb_server_close(&v->s);
	fake_free(&v->f);
}

static int dial(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until a whole packet ("$...#xx") arrived or 2 s passed; returns the bytes read
 * (acks included), -1 on a timeout and 0 on end of file. */
static int recv_reply(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = 0;
	for (int waited = 0; waited < 2000;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0) {
			waited += 50;
			continue;
		}
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			return len ? (int)len : 0;
		len += (size_t)n;
		buf[len] = 0;
		char *h = strchr(buf, '#');
		if (h && strlen(h) >= 3)
			return (int)len;
	}
	return -1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(tcp_listens_on_loopback_ephemeral_port)
{
	struct srv v;
	CHECK_EQ(start(&v), 0);
	CHECK(v.s.port != 0);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	getsockname(v.s.listen_fd, (struct sockaddr *)&a, &alen);
	CHECK_EQ(ntohl(a.sin_addr.s_addr), INADDR_LOOPBACK);
	int fd = dial(v.s.port);
	CHECK(fd >= 0);
	char buf[256];
	send(fd, "$qC#b4", 6, 0);
	CHECK(recv_reply(fd, buf, sizeof(buf)) > 0);
	CHECK(!strcmp(buf, "+$QC1#c5"));
	send(fd, "+$D#44", 6, 0);
	CHECK(recv_reply(fd, buf, sizeof(buf)) > 0);
	CHECK(!strcmp(buf, "+$OK#9a"));
	close(fd);
	stop(&v);
	CHECK_EQ(v.end, GDB_END_DETACH);
}

TEST(ctrl_c_interrupts_running_target)
{
	struct srv v;
	CHECK_EQ(start(&v), 0);
	v.f.block_until_interrupt = true;
	int fd = dial(v.s.port);
	char buf[512];
	send(fd, "$c#63", 5, 0);
	CHECK_EQ(recv_reply(fd, buf, sizeof(buf)), -1);	/* running: no stop yet */
	CHECK(!strcmp(buf, "+"));
	send(fd, "\x03", 1, 0);
	CHECK(recv_reply(fd, buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "$T02thread:1;", 13));
	send(fd, "+$?#3f", 6, 0);	/* the stop is remembered */
	CHECK(recv_reply(fd, buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "+$T02thread:1;", 14));
	close(fd);
	stop(&v);
	CHECK_EQ(v.end, GDB_END_CLOSED);
}

TEST(second_client_refused)
{
	struct srv v;
	CHECK_EQ(start(&v), 0);
	int a = dial(v.s.port);
	char buf[256];
	send(a, "$qC#b4", 6, 0);
	CHECK(recv_reply(a, buf, sizeof(buf)) > 0);
	int b = dial(v.s.port);
	CHECK(b >= 0);
	CHECK_EQ(recv_reply(b, buf, sizeof(buf)), 0);	/* closed at once */
	close(b);
	send(a, "$qC#b4", 6, 0);	/* the first one is still served */
	CHECK(recv_reply(a, buf, sizeof(buf)) > 0);
	CHECK(!strcmp(buf, "+$QC1#c5"));
	send(a, "+$k#6b", 6, 0);
	close(a);
	stop(&v);
	CHECK_EQ(v.end, GDB_END_KILL);
	CHECK(v.f.killed);
}

TEST(disconnect_while_running_stops_target)
{
	struct srv v;
	CHECK_EQ(start(&v), 0);
	v.f.block_until_interrupt = true;
	int fd = dial(v.s.port);
	char buf[64];
	send(fd, "$Z0,1234,1#dd$c#63", 18, 0);
	CHECK(recv_reply(fd, buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "+$OK#9a", 7));
	CHECK_EQ(v.f.nbps, 1);
	double t0 = now();
	close(fd);
	stop(&v);
	CHECK(now() - t0 < 2.0);	/* not the fake's 5 s timeout */
	CHECK_EQ(v.end, GDB_END_CLOSED);
	CHECK(v.f.detached);
	CHECK_EQ(v.f.nbps, 0);		/* breakpoints cleared at the end */
}

TEST(unix_socket_path_rules)
{
	struct gdb_server s;
	char dir[] = "/tmp/rewind-gdbsrv-XXXXXX", path[128];
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK_EQ(gdb_server_listen_unix(&s, path, NULL), -EEXIST);	/* not a socket: kept */
	unlink(path);
	CHECK_EQ(gdb_server_listen_unix(&s, path, NULL), 0);
	close(s.listen_fd);	/* leaves the socket file behind, like a crashed run */
	CHECK_EQ(gdb_server_listen_unix(&s, path, NULL), 0);	/* stale socket replaced */
	gdb_server_close(&s);
	struct stat st;
	CHECK(lstat(path, &st) != 0);
	rmdir(dir);
	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = 0;
	CHECK_EQ(gdb_server_listen_unix(&s, longpath, NULL), -ENAMETOOLONG);
}

RUN_TESTS(T(tcp_listens_on_loopback_ephemeral_port), T(ctrl_c_interrupts_running_target),
	  T(second_client_refused), T(disconnect_while_running_stops_target), T(unix_socket_path_rules))
