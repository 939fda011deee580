/* timeit: runs one command and prints how long it took, for tests/bench/run.sh.
 *   build/bench/timeit [-b TEXT] [-o FILE] [-t SECONDS] -- COMMAND [ARGS...]
 * prints one line on stdout:
 *   wall=SECONDS banner=SECONDS status=N user=SECONDS sys=SECONDS rss=KB
 * wall: from just before fork to the child's exit (CLOCK_MONOTONIC); banner: until TEXT first
 * appeared in the child's stdout (-1 if it never did); status: the exit status, or 128+signal;
 * user/sys: the child's CPU times; rss: its peak resident set (kB). The child's stdout is copied to FILE (default: discarded),
 * its stdin and stderr are inherited. With -t the child is killed (SIGKILL, status 137) after
 * SECONDS: a benchmark must end even when a VMM livelocks. The child's stdout is a pipe read
 * as it is written, so the banner time is when the text reached us, not when the process
 * ended. */
#define _GNU_SOURCE /* memmem, wait4 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The child to kill when the time limit passes (a signal handler has nowhere else to look). */
static volatile pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	if (child > 0)
		kill(child, SIGKILL);
}

static double tv_secs(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static int usage(void)
{
	fprintf(stderr, "usage: timeit [-b TEXT] [-o FILE] [-t SECONDS] -- COMMAND [ARGS...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *banner = NULL, *outpath = "/dev/null";
	unsigned limit = 0;
	int opt;
	while ((opt = getopt(argc, argv, "+b:o:t:")) != -1) {
		if (opt == 'b' && optarg[0])
			banner = optarg;
		else if (opt == 'o')
			outpath = optarg;
		else if (opt == 't' && atoi(optarg) > 0)
			limit = (unsigned)atoi(optarg);
		else
			return usage();
	}
	if (optind >= argc)
		return usage();

	int out = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		fprintf(stderr, "timeit: %s: %s\n", outpath, strerror(errno));
		return 2;
	}
	int fds[2];
	if (pipe(fds)) {
		perror("timeit: pipe");
		return 2;
	}
	double t0 = now(), t_banner = -1;
	pid_t pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 2;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "timeit: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	if (limit) {
		child = pid;
		struct sigaction sa = { .sa_handler = on_alarm };
		sigaction(SIGALRM, &sa, NULL);
		alarm(limit);
	}

	/* The banner may straddle two reads: keep the last strlen(banner)-1 bytes before each. */
	size_t blen = banner ? strlen(banner) : 0, keep = 0;
	char buf[65536 + 256];
	if (blen > 256)
		return usage();
	for (;;) {
		ssize_t n = read(fds[0], buf + keep, sizeof(buf) - 256);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write(out, buf + keep, n) != n) {
			fprintf(stderr, "timeit: writing %s: %s\n", outpath, strerror(errno));
			return 2;
		}
		size_t have = keep + n;
		if (banner && t_banner < 0) {
			if (memmem(buf, have, banner, blen))
				t_banner = now() - t0;
			keep = have < blen - 1 ? have : blen - 1;
			memmove(buf, buf + have - keep, keep);
		}
	}
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("timeit: wait");
			return 2;
		}
	}
	double wall = now() - t0;
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	printf("wall=%.6f banner=%.6f status=%d user=%.6f sys=%.6f rss=%ld\n", wall, t_banner,
	       status, tv_secs(ru.ru_utime), tv_secs(ru.ru_stime), ru.ru_maxrss);
	return 0;
}
