/* rewind trace info|dump|verify|checkpoint: look inside a trace, or add checkpoints to it. */
#include "cli/cli.h"
#include "core/checkpoints.h"
#include "record/recorder.h"
#include "traces/tools.h"
#include "traces/trace.h"

#include <stdlib.h>
#include <string.h>

static void trace_usage(FILE *out)
{
	fprintf(out, "usage: rewind trace info [--json] FILE   summary of a trace and its checkpoints\n"
		     "       rewind trace dump FILE            one event per line\n"
		     "       rewind trace verify FILE          check structure and checksums\n"
		     "       rewind trace checkpoint FILE --every SECONDS\n"
		     "                                         replay FILE, taking a checkpoint every SECONDS\n"
		     "                                         of guest time, into FILE.ckpt/\n"
		     "Exit status: 0 ok, 1 unreadable, 2 not a trace or bad header, 3 embedded image\n"
		     "altered, 4 damaged chunk/index/trailer, 5 (verify) truncated; checkpoint: as replay.\n");
}

/* How the recorded run ended (the final blob), for `trace info`. */
static void print_run_end(const char *path, bool json)
{
	struct trace_reader *r;
	char err[512];
	size_t n;
	struct run_end end;
	if (trace_reader_open(&r, path, err, sizeof(err)))
		return;
	const void *blob = trace_reader_final_blob(r, &n);
	if (run_end_decode(&end, blob, n) == 0) {
		char hex[33];
		for (int i = 0; i < 16; i++)
			sprintf(hex + 2 * i, "%02x", end.digest[i]);
		if (json)
			printf(",\"exits\":%llu,\"exit_status\":%u,\"final_digest\":\"%s\"",
			       (unsigned long long)end.exits, end.status, hex);
		else
			printf("run:          %llu exits, exit status %u, final state digest %s\n",
			       (unsigned long long)end.exits, end.status, hex);
	}
	trace_reader_close(r);
}

/* The checkpoints beside a trace, for `trace info`. */
static int print_checkpoints(const char *path, bool json)
{
	struct trace_reader *r;
	char err[512];
	if (trace_reader_open(&r, path, err, sizeof(err)))
		return 0; /* trace_info has said what is wrong with the trace */
	uint64_t id = trace_reader_info(r)->created_ns;
	trace_reader_close(r);
	struct checkpoint_set set;
	int rc = checkpoints_load(&set, path, id, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "rewind trace info: checkpoints: %s\n", err);
		return TRACE_TOOL_ECORRUPT;
	}
	if (rc == 0) {
		if (!json)
			printf("checkpoints:  none\n");
		return 0;
	}
	struct pagestore_stats st;
	pagestore_stats(&set.ps, &st);
	uint64_t referenced = (uint64_t)set.n * set.v[0].snap.mem.npages;
	double ratio = st.unique_pages ? (double)referenced / (double)st.unique_pages : 0;
	if (json) {
		printf(",\"checkpoints\":[");
		for (size_t i = 0; i < set.n; i++)
			printf("%s{\"id\":%zu,\"exit\":%llu,\"guest_ns\":%llu,\"events\":%llu}", i ? "," : "", i,
			       (unsigned long long)set.v[i].exits, (unsigned long long)set.v[i].guest_ns,
			       (unsigned long long)set.v[i].events);
		printf("],\"page_store\":{\"pages_referenced\":%llu,\"unique_pages\":%llu,\"bytes\":%llu,"
		       "\"dedup_ratio\":%.1f}",
		       (unsigned long long)referenced, (unsigned long long)st.unique_pages,
		       (unsigned long long)st.bytes_stored, ratio);
	} else {
		printf("checkpoints:  %zu\n", set.n);
		for (size_t i = 0; i < set.n; i++)
			printf("  %-4zu exit %-10llu guest time %.6f s\n", i, (unsigned long long)set.v[i].exits,
			       set.v[i].guest_ns / 1e9);
		printf("page store:   %llu pages referenced, %llu unique pages stored (%llu bytes), "
		       "deduplication %.1fx\n",
		       (unsigned long long)referenced, (unsigned long long)st.unique_pages,
		       (unsigned long long)st.bytes_stored, ratio);
	}
	checkpoints_free(&set);
	return 0;
}

/* One JSON object: the trace's, with the checkpoints' fields added before its closing brace. */
static int info_json(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return TRACE_TOOL_EIO;
	int rc = trace_info(path, mem, true);
	fclose(mem);
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (rc || !len || text[len - 1] != '}') {
		fwrite(text, 1, len, stdout);
		putchar('\n');
		free(text);
		return rc;
	}
	fwrite(text, 1, len - 1, stdout);
	free(text);
	print_run_end(path, true);
	int crc = print_checkpoints(path, true);
	printf("}\n");
	return crc;
}

int cmd_trace(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		trace_usage(stdout);
		return 0;
	}
	bool json = argc == 4 && !strcmp(argv[1], "info") && !strcmp(argv[2], "--json");
	if (json)
		return info_json(argv[3]);
	if (argc == 3 && !strcmp(argv[1], "info")) {
		int rc = trace_info(argv[2], stdout, false);
		print_run_end(argv[2], false);
		int crc = print_checkpoints(argv[2], false);
		return rc ? rc : crc;
	}
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return trace_dump(argv[2], stdout);
	if (argc == 3 && !strcmp(argv[1], "verify"))
		return trace_verify(argv[2], stdout);
	if (argc == 5 && !strcmp(argv[1], "checkpoint") && !strcmp(argv[3], "--every")) {
		double every;
		if (parse_seconds("trace checkpoint", "--every", argv[4], false, &every))
			return STATUS_ERROR;
		struct checkpoint_set set;
		if (checkpoints_init(&set, (uint64_t)(every * 1e9), 0)) {
			fprintf(stderr, "rewind trace checkpoint: out of memory\n");
			return STATUS_ERROR;
		}
		/* The guest's console output is the replay's, not this command's. */
		FILE *devnull = fopen("/dev/null", "w");
		struct replay_session s = { .from_checkpoint = -1, .take = &set, .console = devnull };
		int status = replay_session(argv[2], &s);
		if (devnull)
			fclose(devnull);
		if (s.saved)
			printf("%zu checkpoints written to %s.ckpt/\n", set.n, argv[2]);
		checkpoints_free(&set);
		return status;
	}
	trace_usage(stderr);
	return STATUS_ERROR;
}
