/* rewind replay: re-execute a recorded run from its trace alone; and the replay behind
 * `rewind trace checkpoint`. */
#include "cli/cli.h"
#include "core/checkpoints.h"
#include "replay/replayer.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void replay_usage(FILE *out)
{
	fprintf(out, "usage: rewind replay [--verify] [--from-checkpoint K] [--timeout SECONDS]\n"
		     "                     [--landing-search soft|breakpoint] FILE\n\n"
		     "Replays a trace: same console output, same exit status. A divergence stops the\n"
		     "replay with a report and status 127; the end of a truncated trace, status 122.\n\n"
		     "options:\n"
		     "      --verify          also check every periodic digest and the final state digest\n"
		     "      --from-checkpoint K  start at checkpoint K (see `rewind trace info FILE`)\n"
		     "      --timeout SECONDS stop after this much wall time (status 124)\n"
		     "      --landing-search soft|breakpoint  how a kvm trace's asynchronous landings\n"
		     "                        are found: run to them on the soft engine (default), or\n"
		     "                        with a hardware breakpoint at their RIP alone\n"
		     "  -h, --help            this help\n");
}

static void take_checkpoint(struct vm *vm, void *ctx)
{
	checkpoints_maybe_take(ctx, vm, replayer_events(vm->rep));
}

int replay_session(const char *path, struct replay_session *s)
{
	char err[512];
	struct vm_config cfg;
	struct boot_files files;
	struct replayer *rp = replayer_open(path, &s->opt, &cfg, &files, err, sizeof(err));
	if (!rp) {
		fprintf(stderr, "rewind replay: %s\n", err);
		return STATUS_ERROR;
	}
	cfg.timeout = s->timeout;
	if (s->console)
		cfg.console = s->console;
	static struct vm vm;
	struct checkpoint_set loaded = { 0 };
	int status = STATUS_ERROR;
	if (vm_create(&vm, &cfg, err, sizeof(err))) {
		fprintf(stderr, "rewind replay: %s\n", err);
		goto out;
	}
	console_attach(&vm, CONSOLE_ESCAPE); /* the trace is the input: only the signals */
	replayer_attach(rp, &vm);
	vm.rep = rp;
	if (vm_boot(&vm, &files, err, sizeof(err))) {
		fprintf(stderr, "rewind replay: %s\n", err);
		goto out;
	}
	if (s->from_checkpoint >= 0) {
		int rc = checkpoints_load(&loaded, path, replayer_trace_id(rp), err, sizeof(err));
		if (rc == 0)
			snprintf(err, sizeof(err), "%s has no checkpoints (make them with `rewind trace "
						   "checkpoint %s --every SECONDS`)", path, path);
		else if (rc > 0 && (size_t)s->from_checkpoint >= loaded.n)
			snprintf(err, sizeof(err), "%s has checkpoints 0 to %zu, not %ld", path, loaded.n - 1,
				 s->from_checkpoint);
		if (rc <= 0 || (size_t)s->from_checkpoint >= loaded.n ||
		    checkpoints_restore(&loaded, (size_t)s->from_checkpoint, &vm, err, sizeof(err)) ||
		    replayer_resume(rp, loaded.v[s->from_checkpoint].events, err, sizeof(err))) {
			fprintf(stderr, "rewind replay: %s\n", err);
			goto out;
		}
	}
	if (s->take) {
		vm.quiet_point = take_checkpoint;
		vm.quiet_ctx = s->take;
	}
	vm_run(&vm);
	status = replayer_finish(rp);
	if (s->take && vm.stop == VM_STOP_USER)
		fprintf(stderr, "rewind: stopped before the end of the trace: no checkpoints written\n");
	if (s->take && (vm.stop == VM_STOP_GUEST_EXIT || vm.stop == VM_STOP_TRACE_END)) {
		s->saved = !checkpoints_save(s->take, path, replayer_trace_id(rp), err, sizeof(err));
		if (!s->saved) {
			fprintf(stderr, "rewind: writing the checkpoints: %s\n", err);
			status = STATUS_ERROR;
		}
	}
out:
	console_detach(&vm);
	vm_destroy(&vm);
	if (loaded.n)
		checkpoints_free(&loaded);
	replayer_close(rp);
	return status;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verify", no_argument, NULL, 'v' },
		{ "from-checkpoint", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "landing-search", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct replay_session s = { .from_checkpoint = -1 };
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'v':
			s.opt.verify = true;
			break;
		case 'c':
			s.from_checkpoint = strtol(optarg, &end, 10);
			if (*end || end == optarg || s.from_checkpoint < 0) {
				fprintf(stderr, "rewind replay: bad checkpoint number '%s'\n", optarg);
				return STATUS_ERROR;
			}
			break;
		case 't':
			if (parse_seconds("replay", "timeout", optarg, false, &s.timeout))
				return STATUS_ERROR;
			break;
		case 'l':
			if (strcmp(optarg, "soft") && strcmp(optarg, "breakpoint")) {
				fprintf(stderr, "rewind replay: --landing-search is soft or breakpoint, not '%s'\n",
					optarg);
				return STATUS_ERROR;
			}
			s.opt.landing_breakpoint = !strcmp(optarg, "breakpoint");
			break;
		case 'h':
			replay_usage(stdout);
			return 0;
		default:
			return bad_option("replay", argv, replay_usage);
		}
	}
	const char *path = one_operand(argc, argv, "replay", "trace FILE");
	return path ? replay_session(path, &s) : STATUS_ERROR;
}
