/* The trace format end to end: writer → file → reader, seeking, the crash paths of the
 * writer, and the `trace` tool back ends. Damaged files are in test_trace_damage.c. */
#include "tests/unit/check.h"
#include "tests/unit/test_trace_sample.h"
#include "traces/format.h"
#include "traces/tools.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
	static char path[128];
	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/rewind-trace-XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* Runs a tool back end into a string buffer; returns its status. */
static int run_tool(int (*fn)(const char *, FILE *), const char *path, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	int rc = fn(path, f);
	fclose(f);
	return rc;
}

static int info_text(const char *path, FILE *f)
{
	return trace_info(path, f, false);
}

static int info_json(const char *path, FILE *f)
{
	return trace_info(path, f, true);
}

TEST(round_trip_all_types_many_chunks)
{
	struct sample s;
	struct sample_opts o = { .seed = 42, .nevents = 120000, .big_every = 20000 };
	const char *path = tmp_path("round.rwd");
	CHECK_EQ(sample_write(path, &o, &s), 0);
	struct trace_reader *r;
	char err[256];
	CHECK_EQ(trace_reader_open(&r, path, err, sizeof(err)), 0);
	const struct trace_file_info *fi = trace_reader_info(r);
	CHECK(!fi->truncated);
	CHECK_EQ(fi->version, TRACE_VERSION);
	CHECK(fi->nchunks > 20);
	CHECK_EQ(fi->nevents, s.n);
	CHECK_EQ(sample_match(r, &s, 0), s.n);
	/* every type made it, including one this build does not know */
	bool seen[256] = { false };
	for (size_t i = 0; i < s.n; i++)
		seen[s.ev[i].type] = true;
	for (int t = EV_CLOCK; t <= EV_TIMER; t++)
		CHECK(seen[t]);
	CHECK(seen[0xee]);
	size_t bl;
	const uint8_t *blob = trace_reader_final_blob(r, &bl);
	CHECK(blob);
	CHECK_EQ(bl, sizeof(s.final_blob));
	CHECK(!memcmp(blob, s.final_blob, bl));
	/* sections come back with their names, bytes and the image's hash */
	CHECK_EQ(trace_reader_nsections(r), 3);
	const struct trace_section *cfg = trace_reader_find_section(r, SEC_CONFIG, NULL);
	CHECK(cfg && cfg->len == strlen(sample_config) && !memcmp(cfg->data, sample_config, cfg->len));
	const struct trace_section *img = trace_reader_find_section(r, SEC_IMAGE, "testos.elf");
	CHECK(img && img->len == sizeof(s.image) && !memcmp(img->data, s.image, img->len));
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(s.image, sizeof(s.image)));
	CHECK(!memcmp(img->hash, c.digest, 16));
	CHECK(!trace_reader_find_section(r, SEC_IMAGE, "other"));
	CHECK(trace_reader_find_section(r, SEC_CPUID, "model"));
	struct trace_load_stats st;
	trace_reader_stats(r, &st);
	CHECK_EQ(st.chunks, fi->nchunks);
	CHECK_EQ(st.usize, fi->usize);
	CHECK_EQ(st.csize, fi->csize);
	trace_reader_close(r);
	sample_free(&s);
}

TEST(memory_and_file_readers_agree)
{
	struct sample s;
	struct sample_opts o = { .seed = 7, .nevents = 5000, .flush_every = 300 };
	const char *path = tmp_path("mem.rwd");
	CHECK_EQ(sample_write(path, &o, &s), 0);
	FILE *f = fopen(path, "rb");
	CHECK(f);
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	CHECK(n < sizeof(buf));
	struct trace_reader *r;
	char err[256];
	CHECK_EQ(trace_reader_open_mem(&r, buf, n, err, sizeof(err)), 0);
	CHECK_EQ(trace_reader_info(r)->nchunks, (5000 + 299) / 300);
	CHECK_EQ(sample_match(r, &s, 0), s.n);
	trace_reader_close(r);
	sample_free(&s);
}

/* Index of the first expected event with pos >= p. */
static size_t first_at_or_after(const struct sample *s, uint64_t p)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->ev[mid].pos < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

TEST(seek_by_position)
{
	struct sample s;
	struct sample_opts o = { .seed = 99, .nevents = 60000, .flush_every = 777 };
	const char *path = tmp_path("seek.rwd");
	CHECK_EQ(sample_write(path, &o, &s), 0);
	struct trace_reader *r;
	char err[256];
	CHECK_EQ(trace_reader_open(&r, path, err, sizeof(err)), 0);
	uint64_t last = s.ev[s.n - 1].pos, rnd = 5;
	for (int k = 0; k < 300; k++) {
		uint64_t p = k == 0 ? 0 : k == 1 ? last : sample_rand(&rnd) % (last + 1);
		size_t want = first_at_or_after(&s, p);
		CHECK_EQ(trace_reader_seek(r, p), 0);
		struct trace_event ev;
		CHECK_EQ(trace_reader_next(r, &ev), 1);
		CHECK_EQ(ev.pos, s.ev[want].pos);
		CHECK_EQ(ev.type, s.ev[want].type);
		CHECK_EQ(ev.len, s.ev[want].len);
		/* the rest of the chunk and the ones after it follow in order */
		if (k % 50 == 0)
			CHECK_EQ(sample_match(r, &s, want + 1), s.n - want - 1);
	}
	/* only the chunk holding the position is read */
	struct trace_load_stats st;
	trace_reader_stats(r, &st);
	CHECK(st.chunks < 300 + 4 * ((60000 + 776) / 777));
	/* past the end: a clean end */
	CHECK_EQ(trace_reader_seek(r, last + 1), 0);
	struct trace_event ev;
	CHECK_EQ(trace_reader_next(r, &ev), 0);
	trace_reader_close(r);
	sample_free(&s);
}

TEST(peek_tell_restore)
{
	struct sample s;
	struct sample_opts o = { .seed = 31, .nevents = 20000, .flush_every = 333 };
	const char *path = tmp_path("cursor.rwd");
	CHECK_EQ(sample_write(path, &o, &s), 0);
	struct trace_reader *r;
	char err[256];
	CHECK_EQ(trace_reader_open(&r, path, err, sizeof(err)), 0);
	struct trace_cursor marks[8];
	size_t marked_at[8], nmarks = 0;
	struct trace_event ev, pk;
	for (size_t i = 0; i < s.n; i++) {
		if (i % 2500 == 0 || i == 333 || i == 666) {
			if (nmarks < 8) {
				trace_reader_tell(r, &marks[nmarks]);
				marked_at[nmarks++] = i;
			}
		}
		CHECK_EQ(trace_reader_peek(r, &pk), 1);
		CHECK_EQ(trace_reader_next(r, &ev), 1);
		CHECK(pk.pos == ev.pos && pk.type == ev.type && pk.len == ev.len);
		CHECK_EQ(ev.pos, s.ev[i].pos);
	}
	CHECK_EQ(trace_reader_peek(r, &pk), 0);
	/* back to each mark, in reverse, as a reverse debugger restoring checkpoints would */
	for (size_t k = nmarks; k-- > 0;) {
		CHECK_EQ(trace_reader_restore(r, &marks[k]), 0);
		size_t want = marked_at[k];
		CHECK_EQ(sample_match(r, &s, want), s.n - want);
	}
	struct trace_cursor bad = { .chunk = 0, .event = 100000 };
	CHECK(trace_reader_restore(r, &bad) < 0);
	CHECK(strstr(trace_reader_error(r), "cursor"));
	trace_reader_close(r);
	sample_free(&s);
}

TEST(seek_in_truncated_trace)
{
	struct sample s;
	struct sample_opts o = { .seed = 3, .nevents = 3000, .flush_every = 100, .no_close = true };
	const char *path = tmp_path("seek-trunc.rwd");
	CHECK_EQ(sample_write(path, &o, &s), 0);
	struct trace_reader *r;
	char err[256];
	CHECK_EQ(trace_reader_open(&r, path, err, sizeof(err)), 0);
	CHECK(trace_reader_info(r)->truncated);
	CHECK_EQ(trace_reader_info(r)->nchunks, 30);
	uint64_t p = s.ev[1234].pos;
	CHECK_EQ(trace_reader_seek(r, p), 0);
	size_t want = first_at_or_after(&s, p);
	CHECK_EQ(sample_match(r, &s, want), s.n - want);
	trace_reader_close(r);
	sample_free(&s);
}

TEST(empty_trace)
{
	const char *path = tmp_path("empty.rwd");
	char err[256];
	struct trace_writer *w = trace_writer_open(path, NULL, 0, err, sizeof(err));
	CHECK(w);
	CHECK_EQ(trace_writer_flush(w), 0);
	CHECK_EQ(trace_writer_close(w, NULL, 0), 0);
	struct trace_reader *r;
	CHECK_EQ(trace_reader_open(&r, path, err, sizeof(err)), 0);
	CHECK(!trace_reader_info(r)->truncated);
	CHECK(!trace_reader_info(r)->have_pos);
	CHECK_EQ(trace_reader_nsections(r), 0);
	struct trace_event ev;
	CHECK_EQ(trace_reader_next(r, &ev), 0);
	CHECK_EQ(trace_reader_seek(r, 5), 0);
	CHECK_EQ(trace_reader_next(r, &ev), 0);
	trace_reader_close(r);
	char out[4096];
	CHECK_EQ(run_tool(trace_verify, path, out, sizeof(out)), TRACE_TOOL_OK);
	CHECK(strstr(out, "ok: 0 chunks, 0 events"));
}

TEST(writer_refuses_bad_events)
{
	const char *path = tmp_path("bad-events.rwd");
	char err[256];
	struct trace_writer *w = trace_writer_open(path, NULL, 0, err, sizeof(err));
	CHECK(w);
	uint8_t b[8] = { 0 };
	CHECK_EQ(trace_write_event(w, EV_CLOCK, 10, b, 8), 0);
	CHECK_EQ(trace_write_event(w, EV_CLOCK, 10, b, 8), 0);
	CHECK_EQ(trace_write_event(w, EV_CLOCK, 9, b, 8), -EINVAL);
	CHECK_EQ(trace_write_event(w, EV_CONSOLE, 11, b, TRACE_MAX_PAYLOAD + 1), -EINVAL);
	CHECK_EQ(trace_write_event(w, EV_CONSOLE, 11, NULL, 3), -EINVAL);
	/* a refused event does not poison the writer */
	CHECK_EQ(trace_write_event(w, EV_CLOCK, 12, b, 8), 0);
	CHECK_EQ(trace_writer_events(w), 3);
	CHECK_EQ(trace_writer_close(w, "x", 1), 0);
}

TEST(write_errors_are_reported)
{
	char err[256] = "";
	struct trace_writer *w = trace_writer_open("/nonexistent-dir/x.rwd", NULL, 0, err,
						   sizeof(err));
	CHECK(!w);
	CHECK(strstr(err, "/nonexistent-dir/x.rwd"));
	/* A device node is refused and stays what it was: this very case, as root, once removed
	 * /dev/full. (A full disk's header error: tests/integration/outputs.sh.) */
	err[0] = 0;
	struct stat st;
	if (stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)) {
		w = trace_writer_open("/dev/full", NULL, 0, err, sizeof(err));
		CHECK(!w);
		CHECK(strstr(err, "not a regular file"));
		CHECK(stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode));
	}
}

/* A recorder killed with SIGKILL right after a flush: everything flushed is readable. */
TEST(killed_recorder_leaves_flushed_events)
{
	const char *path = tmp_path("killed.rwd");
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char err[256];
		struct trace_writer *w = trace_writer_open(path, NULL, 0, err, sizeof(err));
		if (!w)
			_exit(1);
		uint8_t b[8];
		for (uint64_t i = 0; i < 10000; i++) {
			ev_u64_encode(b, i);
			if (trace_write_event(w, EV_CLOCK, i, b, 8))
				_exit(1);
		}
		if (trace_writer_flush(w))
			_exit(1);
		ev_u64_encode(b, 77);
		trace_write_event(w, EV_CLOCK, 20000, b, 8); /* buffered: lost */
		raise(SIGKILL);
		_exit(1);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	struct trace_reader *r;
	char err[256];
	CHECK_EQ(trace_reader_open(&r, path, err, sizeof(err)), 0);
	CHECK(trace_reader_info(r)->truncated);
	CHECK_EQ(trace_reader_info(r)->last_pos, 9999);
	struct trace_event ev;
	uint64_t n = 0, v;
	int rc;
	while ((rc = trace_reader_next(r, &ev)) > 0) {
		CHECK_EQ(ev.pos, n);
		CHECK_EQ(ev_u64_decode(&v, ev.payload, ev.len), 0);
		CHECK_EQ(v, n);
		n++;
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(n, 10000);
	size_t bl;
	CHECK(!trace_reader_final_blob(r, &bl));
	trace_reader_close(r);
}

TEST(tools_on_a_complete_trace)
{
	struct sample s;
	struct sample_opts o = { .seed = 11, .nevents = 2000, .flush_every = 250 };
	const char *path = tmp_path("tools.rwd");
	CHECK_EQ(sample_write(path, &o, &s), 0);
	static char out[1 << 20];
	CHECK_EQ(run_tool(info_text, path, out, sizeof(out)), TRACE_TOOL_OK);
	CHECK(strstr(out, "version 1"));
	CHECK(strstr(out, "complete"));
	CHECK(strstr(out, "testos.elf, 3000 bytes"));
	CHECK(strstr(out, "cmdline=workload=hello"));
	CHECK(strstr(out, "events:       2000"));
	CHECK(strstr(out, "chunks:       8"));
	/* the last clock value is the guest time */
	uint64_t last_clock = 0, irq_exit = 0, irq_async = 0;
	for (size_t i = 0; i < s.n; i++) {
		const uint8_t *p = s.arena + s.ev[i].at;
		if (s.ev[i].type == EV_CLOCK || s.ev[i].type == EV_TIMER)
			last_clock = get_le64(p);
		if (s.ev[i].type == EV_IRQ && p[1])
			irq_async++;
		else if (s.ev[i].type == EV_IRQ)
			irq_exit++;
	}
	char want[128];
	snprintf(want, sizeof(want), "guest time:   %llu.%09llu s",
		 (unsigned long long)(last_clock / 1000000000u),
		 (unsigned long long)(last_clock % 1000000000u));
	CHECK(strstr(out, want));
	snprintf(want, sizeof(want), "interrupts:   %llu at exits, %llu asynchronous",
		 (unsigned long long)irq_exit, (unsigned long long)irq_async);
	CHECK(strstr(out, want));

	CHECK_EQ(run_tool(info_json, path, out, sizeof(out)), TRACE_TOOL_OK);
	CHECK(out[0] == '{' && strstr(out, "\"truncated\":false"));
	CHECK(strstr(out, "\"events\":2000"));
	CHECK(strstr(out, "\"name\":\"testos.elf\""));

	CHECK_EQ(run_tool(trace_dump, path, out, sizeof(out)), TRACE_TOOL_OK);
	size_t lines = 0;
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	CHECK_EQ(lines, s.n);
	snprintf(want, sizeof(want), "%llu %s ", (unsigned long long)s.ev[0].pos,
		 trace_event_name(s.ev[0].type));
	CHECK(!strncmp(out, want, strlen(want)));
	CHECK(strstr(out, " clock ns="));
	CHECK(strstr(out, " irq vector=0x"));
	CHECK(strstr(out, " async_stop rip=0xffffffff81"));
	CHECK(strstr(out, " unknown type=238 "));

	CHECK_EQ(run_tool(trace_verify, path, out, sizeof(out)), TRACE_TOOL_OK);
	CHECK(!strncmp(out, "ok: 8 chunks, 2000 events", 25));
	sample_free(&s);
}

TEST(tools_on_a_truncated_and_a_missing_trace)
{
	struct sample s;
	struct sample_opts o = { .seed = 12, .nevents = 1000, .flush_every = 100, .no_close = true };
	const char *path = tmp_path("tools-trunc.rwd");
	CHECK_EQ(sample_write(path, &o, &s), 0);
	static char out[1 << 20];
	CHECK_EQ(run_tool(trace_verify, path, out, sizeof(out)), TRACE_TOOL_TRUNCATED);
	CHECK(strstr(out, "truncated: 10 whole chunks, 1000 events"));
	CHECK(strstr(out, "last good chunk 9 at offset"));
	CHECK_EQ(run_tool(info_text, path, out, sizeof(out)), TRACE_TOOL_OK);
	CHECK(strstr(out, "TRUNCATED"));
	CHECK_EQ(run_tool(trace_dump, path, out, sizeof(out)), TRACE_TOOL_OK);
	CHECK(strstr(out, "# truncated"));
	CHECK_EQ(run_tool(trace_verify, tmp_path("does-not-exist.rwd"), out, sizeof(out)),
		 TRACE_TOOL_EIO);
	CHECK(strstr(out, "does-not-exist.rwd"));
	sample_free(&s);
}

TEST(event_table_and_codecs)
{
	CHECK(!strcmp(trace_event_name(EV_CLOCK), "clock"));
	CHECK(!strcmp(trace_event_name(EV_EXIT), "exit"));
	CHECK(!strcmp(trace_event_name(0), "unknown"));
	CHECK(!trace_event_desc(200));
	CHECK_EQ(trace_event_desc(EV_ASYNC_STOP)->size, -1);
	struct ev_async_stop a = { .rip = 0x1234, .rflags = 0x246, .npages = 2 }, b;
	const struct ev_page_hash pages[2] = { { 0x10b, 0xabcdef }, { 0x404, 0x123456789 } };
	for (int i = 0; i < 16; i++)
		a.regs[i] = 0x1111111111111111ull * (uint64_t)i;
	uint8_t buf[EV_ASYNC_STOP_SIZE(2)];
	CHECK_EQ(ev_async_stop_encode(buf, &a, pages), EV_ASYNC_STOP_SIZE(2));
	CHECK_EQ(ev_async_stop_decode(&b, buf, sizeof(buf)), 0);
	CHECK(a.rip == b.rip && a.rflags == b.rflags && b.npages == 2);
	CHECK(!memcmp(a.regs, b.regs, sizeof(a.regs)));
	CHECK(ev_async_stop_page(&b, 1).page == 0x404 && ev_async_stop_page(&b, 1).hash == 0x123456789);
	CHECK_EQ(ev_async_stop_decode(&b, buf, sizeof(buf) - 1), -1);
	CHECK_EQ(ev_async_stop_decode(&b, buf, EV_ASYNC_STOP_FIXED - 1), -1);
	uint8_t v, k;
	CHECK_EQ(ev_irq_encode(buf, 0x30, IRQ_ASYNC), 2);
	CHECK_EQ(ev_irq_decode(&v, &k, buf, 2), 0);
	CHECK(v == 0x30 && k == IRQ_ASYNC);
	buf[1] = 7;
	CHECK_EQ(ev_irq_decode(&v, &k, buf, 2), -1);
	uint64_t val;
	CHECK_EQ(ev_insn_value_encode(buf, INSN_RDRAND, 0xdeadbeefcafe), 9);
	CHECK_EQ(ev_insn_value_decode(&k, &val, buf, 9), 0);
	CHECK(k == INSN_RDRAND && val == 0xdeadbeefcafe);
	uint32_t status;
	uint8_t stop[5];
	char name[48];
	CHECK_EQ(ev_stop_encode(stop, 143, 15), 5);
	CHECK_EQ(ev_stop_decode(&status, &k, stop, 5), 0);
	CHECK(status == 143 && k == 15);
	CHECK_EQ(ev_stop_decode(&status, &k, stop, 4), -1);
	CHECK(!strcmp(ev_stop_by_name(15, name, sizeof(name)), "SIGTERM"));
	CHECK(!strcmp(ev_stop_by_name(EV_STOP_BY_ESCAPE, name, sizeof(name)), "Ctrl-A x"));
	CHECK(!strcmp(ev_stop_by_name(10, name, sizeof(name)), "signal 10"));
	/* the formatter copes with any payload, including a wrong size */
	char out[512];
	FILE *f = fmemopen(out, sizeof(out), "w");
	trace_event_format(f, EV_CLOCK, buf, 3);
	fputc('|', f);
	trace_event_format(f, EV_EXIT, (const uint8_t *)"\x05\0\0\0", 4);
	fputc('|', f);
	trace_event_format(f, EV_SERIAL_RX, (const uint8_t *)"a\n\x01", 3);
	fclose(f);
	CHECK(!strcmp(out, "bad payload size 3 (want 8): 01feca|status=5|len=3 \"a\\n\\x01\""));
}

static void cleanup(void)
{
	if (!tmpdir[0])
		return;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void all_done(void) __attribute__((destructor));
static void all_done(void)
{
	cleanup();
}

RUN_TESTS(T(round_trip_all_types_many_chunks), T(memory_and_file_readers_agree),
	  T(seek_by_position), T(peek_tell_restore), T(seek_in_truncated_trace), T(empty_trace),
	  T(writer_refuses_bad_events), T(write_errors_are_reported),
	  T(killed_recorder_leaves_flushed_events), T(tools_on_a_complete_trace),
	  T(tools_on_a_truncated_and_a_missing_trace), T(event_table_and_codecs))
