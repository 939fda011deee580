/* trace_splice HEADER EVENTS OUT: writes OUT with the header sections (VM configuration, CPUID
 * model, kernel image) of trace HEADER and the events and final blob of trace EVENTS, every
 * checksum valid. Two recordings of the same kernel with command lines that differ in one
 * detail make a trace whose replay runs one guest against the other's events: it must be
 * reported as diverged at the first event that differs (tests/integration/divergence.sh). */
#include "traces/trace.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	char err[512];
	struct trace_reader *h, *e;
	if (argc != 4) {
		fprintf(stderr, "usage: trace_splice HEADER EVENTS OUT\n");
		return 2;
	}
	if (trace_reader_open(&h, argv[1], err, sizeof(err)) ||
	    trace_reader_open(&e, argv[2], err, sizeof(err))) {
		fprintf(stderr, "trace_splice: %s\n", err);
		return 1;
	}
	struct trace_section sec[16];
	size_t n = trace_reader_nsections(h);
	if (n > 16) {
		fprintf(stderr, "trace_splice: %s: more sections (%zu) than it copies\n", argv[1], n);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		sec[i] = *trace_reader_section(h, i);
	struct trace_writer *w = trace_writer_open(argv[3], sec, n, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "trace_splice: %s\n", err);
		return 1;
	}
	struct trace_event ev;
	int rc;
	while ((rc = trace_reader_next(e, &ev)) > 0)
		if (trace_write_event(w, ev.type, ev.pos, ev.payload, ev.len))
			rc = -1;
	size_t len;
	const void *final = trace_reader_final_blob(e, &len);
	if (rc < 0 || trace_writer_close(w, final, final ? len : 0)) {
		fprintf(stderr, "trace_splice: %s: cannot copy the events\n", argv[2]);
		return 1;
	}
	return 0;
}
