/* rewind record: run a kernel and write a trace of everything nondeterministic it saw. */
#include "cli/cli.h"
#include "core/checkpoints.h"
#include "record/recorder.h"
#include "traces/trace.h"

#include <getopt.h>
#include <stdlib.h>

static void record_usage(FILE *out)
{
	fprintf(out, "usage: rewind record -o FILE [options] KERNEL\n\nRuns like `rewind run` and writes "
		     "a self-contained trace to FILE.\nThe exit status is the guest's.\n\noptions:\n"
		     "  -o, --output FILE     the trace to write (required)\n"
		     "      --checkpoint-every SECONDS  take a checkpoint every SECONDS of guest time,\n"
		     "                        into FILE.ckpt/ (for replay --from-checkpoint)\n"
		     "      --chaos           vary where interrupts land, within what hardware could\n"
		     "                        do, to make rare interleavings common (docs/chaos.md)\n"
		     "      --seed N          the chaos generator's seed (default: from the host)\n");
	vm_options_usage(out);
}

struct record_options {
	const char *output;
	double checkpoint_every;	/* seconds; 0 = none */
	bool chaos;
	bool seeded;
	uint64_t seed;
};

enum { OPT_CHECKPOINT_EVERY = 0x300, OPT_CHAOS, OPT_SEED };

static int record_option(int opt, const char *arg, void *ctx)
{
	struct record_options *r = ctx;
	switch (opt) {
	case 'o':
		r->output = arg;
		return 0;
	case OPT_CHECKPOINT_EVERY:
		return parse_seconds("record", "--checkpoint-every", arg, false, &r->checkpoint_every);
	case OPT_CHAOS:
		r->chaos = true;
		return 0;
	case OPT_SEED:
		r->seeded = true;
		return parse_seed("record", arg, &r->seed);
	}
	return -1;
}

static void take_checkpoint(struct vm *vm, void *ctx)
{
	checkpoints_maybe_take(ctx, vm, recorder_events(vm->rec));
}

/* Checkpoints are tied to the trace by its creation stamp, known once it is written. */
static int save_checkpoints(struct checkpoint_set *set, const char *path)
{
	struct trace_reader *r;
	char err[512];
	if (trace_reader_open(&r, path, err, sizeof(err)) == 0) {
		uint64_t id = trace_reader_info(r)->created_ns;
		trace_reader_close(r);
		if (checkpoints_save(set, path, id, err, sizeof(err)) == 0)
			return 0;
	}
	fprintf(stderr, "rewind record: writing the checkpoints: %s\n", err);
	return -1;
}

int cmd_record(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "checkpoint-every", required_argument, NULL, OPT_CHECKPOINT_EVERY },
		{ "chaos", no_argument, NULL, OPT_CHAOS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ 0 },
	};
	struct record_options ro = { 0 };
	struct vm_options o;
	if (vm_options_parse(&o, argc, argv, "record", extra, record_option, &ro)) {
		record_usage(stderr);
		return STATUS_ERROR;
	}
	if (o.help) {
		record_usage(stdout);
		return 0;
	}
	const char *output = ro.output;
	if (!output) {
		fprintf(stderr, "rewind record: -o FILE is required\n");
		return STATUS_ERROR;
	}
	if (ro.seeded && !ro.chaos) {
		fprintf(stderr, "rewind record: --seed is for --chaos\n");
		return STATUS_ERROR;
	}
	/* The seed is written in the trace: it says how the recording was made. It cannot
	 * make a rerun take the same path (host timing decides too); the trace can. */
	o.cfg.chaos = ro.chaos;
	o.cfg.chaos_seed = ro.seeded ? ro.seed : host_seed();
	static struct vm vm;
	struct vm_files files = { 0 };
	char err[512];
	int status = vm_options_check_output(&o, "record", output);
	if (!status)
		status = vm_start(&vm, &o, &files);
	if (!status) {
		vm.rec = recorder_open(output, &vm, &files.boot, err, sizeof(err));
		if (vm.rec)
			checkpoints_remove(output);
		if (!vm.rec) {
			fprintf(stderr, "rewind record: %s\n", err);
			status = STATUS_ERROR;
		}
	}
	struct checkpoint_set ckpt;
	bool checkpoints = !status && ro.checkpoint_every > 0;
	if (checkpoints && checkpoints_init(&ckpt, (uint64_t)(ro.checkpoint_every * 1e9), 0)) {
		fprintf(stderr, "rewind record: out of memory\n");
		status = STATUS_ERROR;
		checkpoints = false;
	}
	if (checkpoints) {
		vm.quiet_point = take_checkpoint;
		vm.quiet_ctx = &ckpt;
	}
	if (!status) {
		status = vm_run(&vm);
		if (recorder_close(vm.rec, &vm))
			status = STATUS_ERROR;
		else if (checkpoints && save_checkpoints(&ckpt, output))
			status = STATUS_ERROR;
		vm.rec = NULL;
	}
	if (checkpoints)
		checkpoints_free(&ckpt);
	console_detach(&vm);
	vm_destroy(&vm);
	vm_files_free(&files);
	return status;
}
