#include "cli/cli.h"
#include "cli/snapshot_file.h"
#include "core/crash.h"
#include "core/soft_engine.h"

#include <stdio.h>
#include <string.h>

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "run a guest kernel" },
	{ "record", cmd_record, "run a guest kernel and record a trace" },
	{ "replay", cmd_replay, "replay a trace exactly" },
	{ "debug", cmd_debug, "serve a trace to gdb, forwards and backwards" },
	{ "restore", cmd_restore, "resume a VM from a snapshot" },
	{ "trace", cmd_trace, "inspect a trace: info, dump, verify" },
	{ "hunt", cmd_hunt, "record runs until one fails; keep the failing trace" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: rewind COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n`rewind COMMAND --help` describes a command's options.\n"
		     "Exit status: the guest's debug-exit value, or 121 guest kernel panicked (pvpanic),\n"
		     "123 guest reset, 124 timeout, 125 rewind error, 126 guest crashed, 127 replay diverged,\n"
		     "122 replay reached the end of a truncated trace, 128 + N stopped by signal N\n"
		     "(130 Ctrl-C or the console's Ctrl-A x).\n");
}

int main(int argc, char **argv)
{
	crash_install();
	if (argc < 2) {
		usage(stderr);
		return STATUS_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		char uc[64];
		soft_engine_version(uc, sizeof(uc));
		printf("rewind %s (soft engine: %s)\n", REWIND_VERSION, uc);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "rewind: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return STATUS_ERROR;
}
