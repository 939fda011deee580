/* rewind replay: re-execute a recorded run from its trace alone. */
#include "cli/cli.h"
#include "replay/replayer.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void replay_usage(FILE *out)
{
	fprintf(out, "usage: rewind replay [--verify] [--timeout SECONDS] FILE\n\n"
		     "Replays a trace: same console output, same exit status. A divergence stops the\n"
		     "replay with a report and status 127; the end of a truncated trace, status 122.\n\n"
		     "options:\n"
		     "      --verify          also check every periodic digest and the final state digest\n"
		     "      --timeout SECONDS stop after this much wall time (status 124)\n"
		     "  -h, --help            this help\n");
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verify", no_argument, NULL, 'v' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct replay_options ropt = { 0 };
	double timeout = 0;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'v':
			ropt.verify = true;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (*end || end == optarg || !(timeout > 0)) {
				fprintf(stderr, "rewind replay: bad timeout '%s'\n", optarg);
				return STATUS_ERROR;
			}
			break;
		case 'h':
			replay_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "rewind replay: unknown option or missing argument: %s\n", argv[optind - 1]);
			replay_usage(stderr);
			return STATUS_ERROR;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "rewind replay: expected one trace FILE\n");
		return STATUS_ERROR;
	}
	const char *path = argv[optind];
	char err[512];
	struct vm_config cfg;
	const uint8_t *image;
	size_t len;
	struct replayer *rp = replayer_open(path, &ropt, &cfg, &image, &len, err, sizeof(err));
	if (!rp) {
		fprintf(stderr, "rewind replay: %s\n", err);
		return STATUS_ERROR;
	}
	cfg.timeout = timeout;
	static struct vm vm;
	int status = STATUS_ERROR;
	if (vm_create(&vm, &cfg, err, sizeof(err))) {
		fprintf(stderr, "rewind replay: %s\n", err);
	} else {
		replayer_attach(rp, &vm);
		vm.rep = rp;
		if (vm_boot(&vm, image, len, err, sizeof(err))) {
			fprintf(stderr, "rewind replay: the embedded kernel: %s\n", err);
		} else {
			vm_run(&vm);
			status = replayer_finish(rp);
		}
	}
	vm_destroy(&vm);
	replayer_close(rp);
	return status;
}
