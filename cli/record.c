/* rewind record: run a kernel and write a trace of everything nondeterministic it saw. */
#include "cli/cli.h"
#include "record/recorder.h"

#include <getopt.h>
#include <stdlib.h>

static void record_usage(FILE *out)
{
	fprintf(out, "usage: rewind record -o FILE [options] KERNEL\n\nRuns like `rewind run` and writes "
		     "a self-contained trace to FILE.\nThe exit status is the guest's.\n\noptions:\n"
		     "  -o, --output FILE     the trace to write (required)\n");
	vm_options_usage(out);
}

static int record_option(int opt, const char *arg, void *ctx)
{
	if (opt != 'o')
		return -1;
	*(const char **)ctx = arg;
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct option extra[] = { { "output", required_argument, NULL, 'o' }, { 0 } };
	const char *output = NULL;
	struct vm_options o;
	if (vm_options_parse(&o, argc, argv, "record", extra, record_option, &output)) {
		record_usage(stderr);
		return STATUS_ERROR;
	}
	if (o.help) {
		record_usage(stdout);
		return 0;
	}
	if (!output) {
		fprintf(stderr, "rewind record: -o FILE is required\n");
		return STATUS_ERROR;
	}
	static struct vm vm;
	uint8_t *image = NULL;
	size_t len = 0;
	char err[512];
	int status = vm_start(&vm, &o, &image, &len);
	if (!status) {
		vm.rec = recorder_open(output, &vm, image, len, err, sizeof(err));
		if (!vm.rec) {
			fprintf(stderr, "rewind record: %s\n", err);
			status = STATUS_ERROR;
		}
	}
	if (!status) {
		status = vm_run(&vm);
		if (recorder_close(vm.rec, &vm))
			status = STATUS_ERROR;
		vm.rec = NULL;
	}
	vm_destroy(&vm);
	free(image);
	return status;
}
