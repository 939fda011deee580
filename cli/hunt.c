/* rewind hunt: record run after run until the guest fails, keep the failing traces, drop the
 * rest. Each run is a child `rewind record` (this same binary), so a run that goes wrong
 * cannot take the hunt down, and two cores run two recordings at once. */
#define _GNU_SOURCE /* strsignal */
#include "cli/cli.h"
#include "core/waker.h"
#include "record/recorder.h"
#include "traces/trace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { HUNT_FOUND = 0, HUNT_NONE = 1 };
#define MAX_JOBS 16

enum until { UNTIL_EXIT, UNTIL_STATUS, UNTIL_OUTPUT };

struct hunt_options {
	long runs;		/* 0: until the time is up */
	double timeout;		/* seconds of wall time for the whole hunt; 0: none */
	enum until until;
	int until_status;
	const char *until_output;
	regex_t output_re;
	bool chaos;
	bool seeded;
	uint64_t seed;
	const char *dir;
	long keep;
	long jobs;
	const char *json, *junit;
	char **record_args;	/* the record options and KERNEL, passed on as they are */
	int nrecord_args;
};

struct hunt_run {
	long index;
	pid_t pid;
	uint64_t seed;
	int status;		/* the record's exit status; -1 while running */
	bool kept;
	bool abandoned;		/* stopped by the hunt's end: not a run that counts */
	uint64_t guest_ns;
	char trace[4096];
};

struct hunt {
	struct hunt_options o;
	struct hunt_run *runs;
	long nruns, cap;
	long first;		/* the first run's number: after every run-NNNN file already in DIR */
	long failures, running;
	double start;
	bool progress;		/* stderr is a terminal: one line of progress, rewritten */
};

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double now_s(void)
{
	return host_now_ns() / 1e9;
}

static void hunt_usage(FILE *out)
{
	fprintf(out,
		"usage: rewind hunt [options] -o DIR [record options] KERNEL\n\n"
		"Records runs of KERNEL until one fails, keeps the failing trace in DIR and deletes\n"
		"the passing ones. hunt's options come first; the rest goes to `rewind record`.\n\n"
		"options:\n"
		"  -o, --output DIR      where traces go (created if missing; required)\n"
		"      --runs N          at most N runs (default: until --timeout, or 100)\n"
		"      --timeout SECONDS stop the hunt after this much wall time\n"
		"      --until exit      a failure is a non-zero guest status, a guest crash or a\n"
		"                        reset (default)\n"
		"      --until status=N  a failure is guest status N\n"
		"      --until output=RE a failure is console output matching the extended regex RE\n"
		"      --chaos           record with --chaos (docs/chaos.md), a new seed per run\n"
		"      --seed N          the first run's chaos seed (the i-th run gets N+i)\n"
		"      --keep K          go on until K failures are kept (default 1)\n"
		"      --jobs J          recordings at once (default: the number of CPUs, at most 2)\n"
		"      --json FILE       write the verdict as JSON\n"
		"      --junit FILE      write the runs as JUnit XML\n"
		"  -h, --help            this help\n\n"
		"Exit status: 0 a failure was found and kept, 1 none was found, 125 error.\n");
}

static int hunt_error(const char *fmt, const char *what)
{
	fprintf(stderr, "rewind hunt: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\n");
	return -1;
}

static int parse_count(const char *opt, const char *arg, long min, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min) {
		fprintf(stderr, "rewind hunt: %s wants a whole number of at least %ld, not '%s'\n", opt,
			min, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_until(struct hunt_options *o, const char *arg)
{
	long status;
	if (!strcmp(arg, "exit")) {
		o->until = UNTIL_EXIT;
		return 0;
	}
	if (!strncmp(arg, "status=", 7)) {
		if (parse_count("--until status=", arg + 7, 0, &status) || status > 255)
			return hunt_error("--until status=N wants N from 0 to 255, not '%s'", arg + 7);
		o->until = UNTIL_STATUS;
		o->until_status = (int)status;
		return 0;
	}
	if (!strncmp(arg, "output=", 7)) {
		int rc = regcomp(&o->output_re, arg + 7, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char why[256];
			regerror(rc, &o->output_re, why, sizeof(why));
			fprintf(stderr, "rewind hunt: --until output=%s: %s\n", arg + 7, why);
			return -1;
		}
		o->until = UNTIL_OUTPUT;
		o->until_output = arg + 7;
		return 0;
	}
	return hunt_error("--until wants exit, status=N or output=REGEX, not '%s'", arg);
}

/* The option at argv[*i] when it is one of hunt's: its value in *val (from "--opt=V" or the
 * next argument). Returns its name, "" for an option that is not hunt's, NULL on an error. */
static const char *hunt_option(int argc, char **argv, int *i, const char **val)
{
	static const struct {
		const char *name;
		bool has_value;
	} opts[] = {
		{ "-o", true }, { "--output", true }, { "--runs", true }, { "--timeout", true },
		{ "--until", true }, { "--chaos", false }, { "--seed", true }, { "--keep", true },
		{ "--jobs", true }, { "--json", true }, { "--junit", true }, { "-h", false },
		{ "--help", false },
	};
	const char *a = argv[*i];
	for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		size_t n = strlen(opts[k].name);
		if (strncmp(a, opts[k].name, n) || (a[n] && a[n] != '='))
			continue;
		*val = NULL;
		if (!opts[k].has_value)
			return a[n] ? NULL : opts[k].name;
		if (a[n] == '=')
			*val = a + n + 1;
		else if (*i + 1 < argc)
			*val = argv[++*i];
		else {
			hunt_error("%s needs a value", opts[k].name);
			return NULL;
		}
		return opts[k].name;
	}
	return "";
}

static int parse_options(struct hunt_options *o, int argc, char **argv, bool *help)
{
	memset(o, 0, sizeof(*o));
	o->keep = 1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = ncpu >= 2 ? 2 : 1;
	bool have_runs = false;
	int i = 1;
	for (; i < argc; i++) {
		const char *v;
		const char *name = hunt_option(argc, argv, &i, &v);
		if (!name)
			return -1;
		if (!*name)
			break;
		int rc = 0;
		if (!strcmp(name, "-h") || !strcmp(name, "--help"))
			*help = true;
		else if (!strcmp(name, "-o") || !strcmp(name, "--output"))
			o->dir = v;
		else if (!strcmp(name, "--runs"))
			rc = parse_count(name, v, 1, &o->runs), have_runs = true;
		else if (!strcmp(name, "--timeout"))
			rc = parse_seconds("hunt", name, v, false, &o->timeout);
		else if (!strcmp(name, "--until"))
			rc = parse_until(o, v);
		else if (!strcmp(name, "--chaos"))
			o->chaos = true;
		else if (!strcmp(name, "--seed")) {
			rc = parse_seed("hunt", v, &o->seed);
			o->seeded = true;
		} else if (!strcmp(name, "--keep"))
			rc = parse_count(name, v, 1, &o->keep);
		else if (!strcmp(name, "--jobs"))
			rc = parse_count(name, v, 1, &o->jobs);
		else if (!strcmp(name, "--json"))
			o->json = v;
		else if (!strcmp(name, "--junit"))
			o->junit = v;
		if (rc)
			return -1;
	}
	if (*help)
		return 0;
	if (o->jobs > MAX_JOBS)
		o->jobs = MAX_JOBS;
	if (!have_runs && o->timeout <= 0)
		o->runs = 100;
	if (!o->dir)
		return hunt_error("-o DIR is required%s", "");
	if (o->seeded && !o->chaos)
		return hunt_error("--seed is for --chaos%s", "");
	o->record_args = argv + i;
	o->nrecord_args = argc - i;
	if (!o->nrecord_args)
		return hunt_error("no KERNEL to run%s", "");
	for (int k = 0; k < o->nrecord_args; k++)
		if (!strcmp(o->record_args[k], "-o") || !strncmp(o->record_args[k], "--output", 8))
			return hunt_error("%s among the record options: hunt names each run's trace itself "
					  "(its own -o DIR comes before the record options)",
					  o->record_args[k]);
	return 0;
}

/* DIR may hold an earlier hunt's kept traces: this hunt numbers its runs after them, so it
 * never writes over, or deletes, a file it did not create. */
static long runs_already_in(const char *dir)
{
	long last = 0, n;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (sscanf(e->d_name, "run-%ld.", &n) == 1 && n > last)
			last = n;
	if (d)
		closedir(d);
	return last;
}

static int prepare_dir(const char *dir)
{
	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "rewind hunt: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "rewind hunt: %s is not a directory\n", dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK)) {
		fprintf(stderr, "rewind hunt: cannot write in %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void run_path(const struct hunt *h, const struct hunt_run *r, const char *ext, char *out,
		     size_t cap)
{
	snprintf(out, cap, "%s/run-%04ld.%s", h->o.dir, r->index, ext);
}

static int start_run(struct hunt *h, struct hunt_run *r)
{
	char out[4200], err[4200], seed[32];
	run_path(h, r, "rwd", r->trace, sizeof(r->trace));
	run_path(h, r, "out", out, sizeof(out));
	run_path(h, r, "err", err, sizeof(err));
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->seed);
	char *args[8 + h->o.nrecord_args];
	int n = 0;
	args[n++] = "rewind";
	args[n++] = "record";
	args[n++] = "-o";
	args[n++] = r->trace;
	if (h->o.chaos) {
		args[n++] = "--chaos";
		args[n++] = "--seed";
		args[n++] = seed;
	}
	for (int k = 0; k < h->o.nrecord_args; k++)
		args[n++] = h->o.record_args[k];
	args[n] = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_EXCL, 0666);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_EXCL, 0666);
	int rc = posix_spawn(&r->pid, "/proc/self/exe", &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		fprintf(stderr, "rewind hunt: cannot start a recording: %s\n", strerror(rc));
		return -1;
	}
	r->status = -1;
	h->running++;
	return 0;
}

static bool output_matches(const struct hunt *h, const struct hunt_run *r)
{
	char path[4200];
	size_t len;
	run_path(h, r, "out", path, sizeof(path));
	uint8_t *text = read_file(path, &len);
	if (!text)
		return false;
	char *s = realloc(text, len + 1);
	if (!s) {
		free(text);
		return false;
	}
	s[len] = 0;
	/* Line by line, as grep: a regex anchored with ^ or $ means a line's start or end. */
	bool hit = false;
	for (char *line = s, *next; line && !hit; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		hit = regexec(&h->o.output_re, line, 0, NULL, 0) == 0;
	}
	free(s);
	return hit;
}

static bool is_failure(const struct hunt *h, const struct hunt_run *r)
{
	switch (h->o.until) {
	case UNTIL_STATUS:
		return r->status == h->o.until_status;
	case UNTIL_OUTPUT:
		return output_matches(h, r);
	case UNTIL_EXIT:
		break;
	}
	return r->status != 0 && r->status != STATUS_TIMEOUT && r->status != STATUS_ERROR;
}

static void remove_run(const struct hunt *h, const struct hunt_run *r)
{
	static const char *const exts[] = { "rwd", "out", "err" };
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		char path[4200];
		run_path(h, r, exts[i], path, sizeof(path));
		unlink(path);
	}
}

/* The guest time a kept trace covers, from its final blob. */
static uint64_t trace_guest_ns(const char *path)
{
	struct trace_reader *tr;
	char err[256];
	struct run_end end = { 0 };
	if (trace_reader_open(&tr, path, err, sizeof(err)))
		return 0;
	size_t n;
	const void *blob = trace_reader_final_blob(tr, &n);
	if (!blob || run_end_decode(&end, blob, n))
		end.guest_ns = 0;
	trace_reader_close(tr);
	return end.guest_ns;
}

/* A run ended: keep it as a failure, or delete it. Returns -1 when it was an error. */
static int finish_run(struct hunt *h, struct hunt_run *r, int wstatus, bool abandoned)
{
	h->running--;
	r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	r->abandoned = abandoned;
	if (abandoned) {
		remove_run(h, r);
		return 0;
	}
	if (r->status == STATUS_ERROR) {
		char path[4200];
		size_t len;
		run_path(h, r, "err", path, sizeof(path));
		uint8_t *why = read_file(path, &len);
		fprintf(stderr, "%srewind hunt: run %ld could not record (status 125): %.*s",
			h->progress ? "\n" : "", r->index, why ? (int)len : 0, why ? (char *)why : "");
		free(why);
		remove_run(h, r);
		return -1;
	}
	if (!is_failure(h, r) || h->failures >= h->o.keep) {
		remove_run(h, r);
		return 0;
	}
	h->failures++;
	r->kept = true;
	r->guest_ns = trace_guest_ns(r->trace);
	return 0;
}

static struct hunt_run *new_run(struct hunt *h, uint64_t base_seed)
{
	if (h->nruns == h->cap) {
		long cap = h->cap ? h->cap * 2 : 64;
		struct hunt_run *p = realloc(h->runs, (size_t)cap * sizeof(*p));
		if (!p)
			return NULL;
		h->runs = p;
		h->cap = cap;
	}
	struct hunt_run *r = &h->runs[h->nruns];
	memset(r, 0, sizeof(*r));
	r->index = h->first + ++h->nruns;
	r->seed = base_seed + (uint64_t)h->nruns - 1;
	return r;
}

static long runs_done(const struct hunt *h)
{
	long n = 0;
	for (long i = 0; i < h->nruns; i++)
		n += h->runs[i].status >= 0 && !h->runs[i].abandoned;
	return n;
}

static void show_progress(const struct hunt *h)
{
	if (!h->progress)
		return;
	double t = now_s() - h->start;
	long done = runs_done(h);
	fprintf(stderr, "\rrewind hunt: %ld runs, %ld failure%s, %.1f runs/s ", done, h->failures,
		h->failures == 1 ? "" : "s", t > 0 ? done / t : 0.0);
}

static bool time_up(const struct hunt *h)
{
	return h->o.timeout > 0 && now_s() - h->start >= h->o.timeout;
}

/* Runs the hunt: returns 0, or -1 after an error a run reported. */
static int hunt_loop(struct hunt *h, uint64_t base_seed)
{
	int rc = 0;
	for (;;) {
		bool more = !rc && !interrupted && h->failures < h->o.keep && !time_up(h) &&
			    (!h->o.runs || h->nruns < h->o.runs);
		while (more && h->running < h->o.jobs) {
			struct hunt_run *r = new_run(h, base_seed);
			if (!r || start_run(h, r)) {
				if (r)
					h->nruns--;
				rc = -1;
				break;
			}
			more = !h->o.runs || h->nruns < h->o.runs;
		}
		if (!h->running)
			return rc;
		/* Stop what is running once the hunt is over for another reason. */
		bool over = rc || interrupted || h->failures >= h->o.keep || time_up(h);
		if (over)
			for (long i = 0; i < h->nruns; i++)
				if (h->runs[i].status == -1)
					kill(h->runs[i].pid, SIGKILL);
		if (!over && h->o.timeout > 0)
			alarm(1); /* wakes waitpid to look at the clock */
		int ws;
		pid_t pid = waitpid(-1, &ws, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (long i = 0; i < h->nruns; i++)
			if (h->runs[i].pid == pid && h->runs[i].status == -1 &&
			    finish_run(h, &h->runs[i], ws, over))
				rc = -1;
		show_progress(h);
	}
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void xml_string(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Writes FILE through a temporary beside it, renamed into place once complete. */
static int write_report(const char *path, const struct hunt *h, double secs,
			void (*write)(FILE *f, const struct hunt *h, double secs))
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	FILE *f = fopen(tmp, "wx");
	if (!f) {
		fprintf(stderr, "rewind hunt: cannot write %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	write(f, h, secs);
	if (fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "rewind hunt: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void write_json(FILE *f, const struct hunt *h, double secs)
{
	fprintf(f, "{\"runs\":%ld,\"failures\":%ld,\"seconds\":%.3f,\"chaos\":%s,\"interrupted\":%s,"
		   "\"verdict\":\"%s\",\"kept\":[",
		runs_done(h), h->failures, secs, h->o.chaos ? "true" : "false",
		interrupted ? "true" : "false", h->failures ? "found" : "none");
	const char *sep = "";
	for (long i = 0; i < h->nruns; i++) {
		const struct hunt_run *r = &h->runs[i];
		if (!r->kept)
			continue;
		fprintf(f, "%s{\"run\":%ld,\"trace\":", sep, r->index);
		json_string(f, r->trace);
		fprintf(f, ",\"status\":%d,\"guest_seconds\":%.6f", r->status, r->guest_ns / 1e9);
		if (h->o.chaos)
			fprintf(f, ",\"seed\":%llu", (unsigned long long)r->seed);
		char cmd[4300];
		snprintf(cmd, sizeof(cmd), "rewind replay --verify %s", r->trace);
		fprintf(f, ",\"replay\":");
		json_string(f, cmd);
		fprintf(f, "}");
		sep = ",";
	}
	fprintf(f, "]}\n");
}

static void write_junit(FILE *f, const struct hunt *h, double secs)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuite name=\"rewind hunt\" tests=\"%ld\" failures=\"%ld\" time=\"%.3f\">\n",
		runs_done(h), h->failures, secs);
	for (long i = 0; i < h->nruns; i++) {
		const struct hunt_run *r = &h->runs[i];
		if (r->status < 0 || r->abandoned)
			continue;
		fprintf(f, "  <testcase classname=\"rewind.hunt\" name=\"run-%04ld\">", r->index);
		if (r->kept) {
			fprintf(f, "\n    <failure message=\"guest status %d\">replay: rewind replay --verify ",
				r->status);
			xml_string(f, r->trace);
			fprintf(f, "</failure>\n  ");
		}
		fprintf(f, "</testcase>\n");
	}
	fprintf(f, "</testsuite>\n");
}

static void summary(const struct hunt *h, double secs)
{
	long done = runs_done(h);
	fprintf(stderr, "%srewind hunt: %ld run%s in %.1f s (%.2f runs/s)%s, %ld failure%s kept\n",
		h->progress ? "\n" : "", done, done == 1 ? "" : "s", secs, secs > 0 ? done / secs : 0.0,
		interrupted ? ", interrupted" : "", h->failures, h->failures == 1 ? "" : "s");
	for (long i = 0; i < h->nruns; i++)
		if (h->runs[i].kept)
			fprintf(stderr, "  %s: status %d, %.3f s of guest time; replay it with\n"
					"    rewind replay --verify %s\n",
				h->runs[i].trace, h->runs[i].status, h->runs[i].guest_ns / 1e9,
				h->runs[i].trace);
}

static void on_alarm(int sig)
{
	(void)sig;
}

int cmd_hunt(int argc, char **argv)
{
	struct hunt h = { 0 };
	bool help = false;
	if (parse_options(&h.o, argc, argv, &help)) {
		fprintf(stderr, "`rewind hunt --help` lists the options.\n");
		return STATUS_ERROR;
	}
	if (help) {
		hunt_usage(stdout);
		return 0;
	}
	int status = STATUS_ERROR;
	if (prepare_dir(h.o.dir))
		goto out;
	h.first = runs_already_in(h.o.dir);
	uint64_t base_seed = h.o.seeded ? h.o.seed : host_seed();
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct sigaction al = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &al, NULL);
	h.progress = isatty(2);
	h.start = now_s();
	int rc = hunt_loop(&h, base_seed);
	alarm(0);
	double secs = now_s() - h.start;
	summary(&h, secs);
	status = h.failures ? HUNT_FOUND : HUNT_NONE;
	if (rc)
		status = STATUS_ERROR;
	if (h.o.json && write_report(h.o.json, &h, secs, write_json))
		status = STATUS_ERROR;
	if (h.o.junit && write_report(h.o.junit, &h, secs, write_junit))
		status = STATUS_ERROR;
out:
	if (h.o.until == UNTIL_OUTPUT)
		regfree(&h.o.output_re);
	free(h.runs);
	return status;
}
