/* The real gdb (/usr/bin/gdb, batch mode) against the server and the in-memory target: gdb
 * must accept our target.xml, read general, segment and control registers, read memory
 * through the page tables, and stop at breakpoints and watchpoints, forwards and backwards. */
#include "gdb/gdb.h"
#include "tests/unit/check.h"
#include "tests/unit/test_gdb_fake.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define GDB "/usr/bin/gdb"
#define GDB_TIMEOUT_MS 60000

struct live {
	struct gdb_server srv;
	struct fake f;
	int end;
	char out[1 << 16];
	size_t out_len;
	int gdb_status;
};

static struct live live;

static void *serve_thread(void *arg)
{
	struct live *l = arg;
	l->end = gdb_server_serve(&l->srv, &fake_ops, &l->f);
	return NULL;
}

/* Runs gdb with the commands, collecting everything it prints; kills it if it hangs. */
static int run_gdb(struct live *l, const char *target, const char *const *cmds, int ncmds)
{
	const char *argv[2 * 64 + 8];
	int argc = 0;
	argv[argc++] = GDB;
	argv[argc++] = "-batch";
	argv[argc++] = "-nx";
	argv[argc++] = "-ex";
	argv[argc++] = "set pagination off";
	argv[argc++] = "-ex";
	argv[argc++] = target;
	for (int i = 0; i < ncmds && argc < (int)(sizeof(argv) / sizeof(argv[0])) - 3; i++) {
		argv[argc++] = "-ex";
		argv[argc++] = cmds[i];
	}
	argv[argc] = NULL;

	int pfd[2];
	if (pipe(pfd))
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execv(GDB, (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	int waited = 0;
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int r = poll(&p, 1, 100);
		if (r > 0) {
			ssize_t n = read(pfd[0], l->out + l->out_len, sizeof(l->out) - 1 - l->out_len);
			if (n <= 0)
				break;
			l->out_len += (size_t)n;
			continue;
		}
		if ((waited += 100) > GDB_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			break;
		}
	}
	l->out[l->out_len] = 0;
	close(pfd[0]);
	waitpid(pid, &l->gdb_status, 0);
	return 0;
}

static bool has(const char *needle)
{
	if (strstr(live.out, needle))
		return true;
	printf("  gdb output lacks \"%s\"\n", needle);
	return false;
}

/* Each -ex is echoed by a marker so the checks below can tell which command printed what. */
static const char *const commands[] = {
	"echo @regs\\n", "info registers rip", "p/x $cr3", "p/x $fs_base", "p/x $gs_base", "p $cs",
	"p $ss", "info registers eflags", "p $cr0", "p/x $efer", "p/x $rax", "p $mxcsr",
	"echo @mem\\n", "x/2gx 0x400000", "x/2xb 0xffffffff81000000", "x/gx 0x1000",
	"echo @break\\n", "break *0xffffffff81000064", "continue", "p/x $pc",
	"echo @step\\n", "stepi", "p/x $pc", "x/gx 0x400000",
	"echo @rstep\\n", "reverse-stepi", "p/x $pc",
	"echo @watch\\n", "delete", "watch *(long *)0x400000", "continue", "p/x $pc",
	"echo @rcont\\n", "delete", "reverse-continue", "p/x $pc",
	"echo @monitor\\n", "monitor when",
	"echo @write\\n", "set var $rax = 0x1234", "set {int}0x400010 = 0x55aa",
	"echo @end\\n", "detach",
};

static const char *const unix_commands[] = { "echo @unix\\n", "p/x $cr3", "detach" };

/* The output between two markers. */
static const char *section(const char *name, char *buf, size_t cap)
{
	char m[32];
	snprintf(m, sizeof(m), "@%s\n", name);
	const char *s = strstr(live.out, m);
	buf[0] = 0;
	if (!s)
		return buf;
	s += strlen(m);
	const char *e = strchr(s, '@');
	size_t n = e ? (size_t)(e - s) : strlen(s);
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
	return buf;
}

static bool in_section(const char *name, const char *needle)
{
	static char buf[1 << 14];
	if (strstr(section(name, buf, sizeof(buf)), needle))
		return true;
	printf("  section @%s lacks \"%s\":\n%s\n", name, needle, buf);
	return false;
}

TEST(gdb_connects_and_accepts_target_xml)
{
	CHECK(has("0xffffffff81000000 in ?? ()"));	/* the first stop, shown on connecting */
	CHECK(!strstr(live.out, "Remote 'g' packet reply is too long"));
	CHECK(!strstr(live.out, "Could not load XML"));
	CHECK(!strstr(live.out, "Truncated register"));
	CHECK(!strstr(live.out, "not in executable format"));
	CHECK(has("@end"));
}

TEST(gdb_reads_registers)
{
	CHECK(in_section("regs", "rip            0xffffffff81000000"));
	CHECK(in_section("regs", "= 0x1000\n"));		/* cr3 */
	CHECK(in_section("regs", "= 0x7f0000001000\n"));	/* fs_base */
	CHECK(in_section("regs", "= 0xffff888000000000\n"));	/* gs_base */
	CHECK(in_section("regs", "= 16\n"));			/* cs */
	CHECK(in_section("regs", "= 24\n"));			/* ss */
	CHECK(in_section("regs", "[ PF ZF IF ]"));		/* eflags */
	CHECK(in_section("regs", "[ PE MP ET NE WP AM PG ]"));	/* cr0 as flags */
	CHECK(in_section("regs", "= 0x501\n"));		/* efer */
	CHECK(in_section("regs", "= 0x1122334455667788\n"));	/* rax */
	CHECK(in_section("regs", "[ IM DM ZM OM UM PM ]"));	/* mxcsr 0x1f80 */
}

TEST(gdb_reads_memory_through_page_tables)
{
	CHECK(in_section("mem", "0x400000:\t0x0000000000000000\t0x0000000000000000"));
	CHECK(in_section("mem", "0xffffffff81000000:\t0x90\t0x90"));
	CHECK(in_section("mem", "Cannot access memory at address 0x1000"));
}

TEST(gdb_breakpoint_stops)
{
	CHECK(in_section("break", "Breakpoint 1, 0xffffffff81000064 in ?? ()"));
	CHECK(in_section("break", "= 0xffffffff81000064"));
	CHECK(in_section("step", "= 0xffffffff81000065"));
	CHECK(in_section("step", "0x400000:\t0x0000000000000065"));
	CHECK(in_section("rstep", "= 0xffffffff81000064"));
}

TEST(gdb_watchpoint_stops)
{
	CHECK(in_section("watch", "Hardware watchpoint 2: *(long *)0x400000"));
	CHECK(in_section("watch", "Old value = 100"));
	CHECK(in_section("watch", "New value = 101"));
}

TEST(gdb_reverse_reaches_history_start)
{
	CHECK(in_section("rcont", "No more reverse-execution history."));
	CHECK(in_section("rcont", "= 0xffffffff81000000"));
}

TEST(gdb_monitor_and_writes)
{
	CHECK(in_section("monitor", "position 0 of 1000"));
	CHECK_EQ(live.f.regs.rax, 0x1234);
	uint32_t v;
	memcpy(&v, live.f.ram + FAKE_DATA_PA + 0x10, 4);
	CHECK_EQ(v, 0x55aa);
}

TEST(gdb_over_unix_socket)
{
	CHECK(in_section("unix", "= 0x1000\n"));
	CHECK_EQ(live.end, GDB_END_DETACH);
}

TEST(gdb_detach_ends_session)
{
	CHECK(has("[Inferior 1 (Remote target) detached]"));
	CHECK_EQ(live.end, GDB_END_DETACH);
	CHECK(live.f.detached && !live.f.killed);
	CHECK_EQ(live.f.nbps, 0);
}

/* Serves one gdb session on live.srv while gdb runs the commands, then closes the server. */
static int serve_one(struct live *l, const char *target, const char *const *cmds, int n)
{
	pthread_t th;
	pthread_create(&th, NULL, serve_thread, l);
	int rc = run_gdb(l, target, cmds, n);
	/* If gdb never connected, accept() is still waiting: wake it. */
	shutdown(l->srv.listen_fd, SHUT_RDWR);
	pthread_join(th, NULL);
	gdb_server_close(&l->srv);
	if (rc || getenv("GDB_LIVE_VERBOSE"))
		fputs(l->out, stdout);
	return rc;
}

int main(void)
{
	static const struct check_case tcp_cases[] = {
		T(gdb_connects_and_accepts_target_xml), T(gdb_reads_registers),
		T(gdb_reads_memory_through_page_tables), T(gdb_breakpoint_stops),
		T(gdb_watchpoint_stops), T(gdb_reverse_reaches_history_start),
		T(gdb_monitor_and_writes), T(gdb_detach_ends_session),
	};
	static const struct check_case unix_cases[] = { T(gdb_over_unix_socket) };
	if (access(GDB, X_OK)) {
		printf("skip %s: all: %s is not installed\n", __FILE__, GDB);
		return 0;
	}
	fake_init(&live.f);
	if (gdb_server_listen_tcp(&live.srv, 0, NULL)) {
		printf("FAIL %s: cannot listen on 127.0.0.1\n", __FILE__);
		return 1;
	}
	char target[128];
	snprintf(target, sizeof(target), "target remote 127.0.0.1:%u", live.srv.port);
	int rc = serve_one(&live, target, commands, (int)(sizeof(commands) / sizeof(commands[0])));
	int failed = check_run(__FILE__, tcp_cases, (int)(sizeof(tcp_cases) / sizeof(tcp_cases[0])));

	/* The same over a Unix socket, which gdb connects to by its path. */
	char dir[] = "/tmp/rewind-gdb-XXXXXX", path[64];
	if (!rc && mkdtemp(dir)) {
		snprintf(path, sizeof(path), "%s/gdb.sock", dir);
		snprintf(target, sizeof(target), "target remote %s", path);
		live.end = -1;
		if (gdb_server_listen_unix(&live.srv, path, NULL) == 0)
			rc = serve_one(&live, target, unix_commands, 3);
		rmdir(dir);
	}
	failed += check_run(__FILE__, unix_cases, 1);
	if (failed)
		printf("--- gdb output ---\n%s--- end ---\n", live.out);
	fake_free(&live.f);
	return failed;
}
