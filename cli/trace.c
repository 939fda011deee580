/* rewind trace info|dump|verify: look inside a trace without running it. */
#include "cli/cli.h"
#include "traces/tools.h"

#include <string.h>

static void trace_usage(FILE *out)
{
	fprintf(out, "usage: rewind trace info [--json] FILE   summary of a trace\n"
		     "       rewind trace dump FILE            one event per line\n"
		     "       rewind trace verify FILE          check structure and checksums\n"
		     "Exit status: 0 ok, 1 unreadable, 2 not a trace or bad header, 3 embedded image\n"
		     "altered, 4 damaged chunk/index/trailer, 5 (verify) truncated.\n");
}

int cmd_trace(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		trace_usage(stdout);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "info") && !strcmp(argv[2], "--json"))
		return trace_info(argv[3], stdout, true);
	if (argc == 3 && !strcmp(argv[1], "info"))
		return trace_info(argv[2], stdout, false);
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return trace_dump(argv[2], stdout);
	if (argc == 3 && !strcmp(argv[1], "verify"))
		return trace_verify(argv[2], stdout);
	trace_usage(stderr);
	return STATUS_ERROR;
}
