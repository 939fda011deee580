/* rewind run: boot a kernel and run it until it exits. */
#include "cli/cli.h"
#include "cli/snapshot_file.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct run_snapshot {
	const char *path;	/* -S FILE */
	double after;		/* --snapshot-after SECONDS of guest time; < 0 = unset */
	bool stop_after;	/* --stop-after-snapshot */
	bool taken;
};

enum { OPT_SNAPSHOT_AFTER = 0x200, OPT_STOP_AFTER_SNAPSHOT };

static void run_usage(FILE *out)
{
	fprintf(out, "usage: rewind run [options] KERNEL\n\nBoots a PVH ELF kernel and runs it; the exit "
		     "status is the guest's debug-exit value.\n\noptions:\n");
	vm_options_usage(out);
	fprintf(out, "  -S, --snapshot FILE   write a snapshot of the VM to FILE (with --snapshot-after)\n"
		     "      --snapshot-after SECONDS  when guest time reaches SECONDS\n"
		     "      --stop-after-snapshot     stop once the snapshot is written (status 0)\n");
}

static int run_option(int opt, const char *arg, void *ctx)
{
	struct run_snapshot *s = ctx;
	char *end;
	switch (opt) {
	case 'S':
		s->path = arg;
		return 0;
	case OPT_SNAPSHOT_AFTER:
		s->after = strtod(arg, &end);
		if (*end || end == arg || s->after < 0) {
			fprintf(stderr, "rewind run: bad --snapshot-after '%s' (seconds of guest time)\n", arg);
			return -1;
		}
		return 0;
	case OPT_STOP_AFTER_SNAPSHOT:
		s->stop_after = true;
		return 0;
	}
	return -1;
}

static void snapshot_when_due(struct vm *vm, void *ctx)
{
	struct run_snapshot *s = ctx;
	if (s->taken || vm_guest_ns(vm) < (uint64_t)(s->after * 1e9))
		return;
	s->taken = true;
	if (snapshot_file_save(vm, s->path)) {
		vm->stop = VM_STOP_ERROR;
		vm->status = STATUS_ERROR;
		snprintf(vm->error, sizeof(vm->error), "the snapshot could not be written");
	} else if (s->stop_after) {
		vm->stop = VM_STOP_SNAPSHOT;
		vm->status = 0;
	}
}

int cmd_run(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "snapshot", required_argument, NULL, 'S' },
		{ "snapshot-after", required_argument, NULL, OPT_SNAPSHOT_AFTER },
		{ "stop-after-snapshot", no_argument, NULL, OPT_STOP_AFTER_SNAPSHOT },
		{ 0 },
	};
	struct run_snapshot snap = { .after = -1 };
	struct vm_options o;
	if (vm_options_parse(&o, argc, argv, "run", extra, run_option, &snap)) {
		run_usage(stderr);
		return STATUS_ERROR;
	}
	if (o.help) {
		run_usage(stdout);
		return 0;
	}
	if (!snap.path != (snap.after < 0) || (snap.stop_after && !snap.path)) {
		fprintf(stderr, "rewind run: -S FILE and --snapshot-after SECONDS go together\n");
		return STATUS_ERROR;
	}
	static struct vm vm; /* large: keep it off the stack */
	uint8_t *image = NULL;
	size_t len = 0;
	int status = vm_start(&vm, &o, &image, &len);
	if (!status && snap.path) {
		vm.quiet_point = snapshot_when_due;
		vm.quiet_ctx = &snap;
	}
	if (!status)
		status = vm_run(&vm);
	if (!status && snap.path && !snap.taken) {
		fprintf(stderr, "rewind run: the guest exited before guest time %g s: no snapshot written\n",
			snap.after);
		status = STATUS_ERROR;
	}
	vm_destroy(&vm);
	free(image);
	return status;
}
