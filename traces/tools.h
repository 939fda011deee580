/* Back ends of `rewind trace info|dump|verify`. Each writes its report to `out` and returns
 * one of the codes below, which the CLI uses as its exit status. */
#ifndef REWIND_TRACE_TOOLS_H
#define REWIND_TRACE_TOOLS_H
#include <stdbool.h>
#include <stdio.h>

enum trace_tool_status {
	TRACE_TOOL_OK = 0,
	TRACE_TOOL_EIO = 1,		/* cannot open or read the file (or out of memory) */
	TRACE_TOOL_EFORMAT = 2,		/* not a trace, unsupported version, damaged header */
	TRACE_TOOL_EIMAGE = 3,		/* an embedded guest image was altered */
	TRACE_TOOL_ECORRUPT = 4,	/* a chunk, the index, the trailer or an event is damaged */
	TRACE_TOOL_TRUNCATED = 5,	/* verify only: whole chunks, then a torn tail / no trailer */
};

/* Summary: version, config, images, guest time, events by type, interrupts, chunks, sizes,
 * complete or truncated. Plain text, or one JSON object when `json`. */
int trace_info(const char *path, FILE *out, bool json);
/* One line per event: position, type name, decoded payload. */
int trace_dump(const char *path, FILE *out);
/* Checks every checksum, the index against the chunks and every event; prints "ok: ..." or
 * what is wrong and where. */
int trace_verify(const char *path, FILE *out);

#endif
