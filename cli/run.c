/* rewind run: boot a kernel and run it until it exits. */
#include "cli/cli.h"

#include <stdlib.h>

static void run_usage(FILE *out)
{
	fprintf(out, "usage: rewind run [options] KERNEL\n\nBoots a PVH ELF kernel and runs it; the exit "
		     "status is the guest's debug-exit value.\n\noptions:\n");
	vm_options_usage(out);
}

int cmd_run(int argc, char **argv)
{
	struct vm_options o;
	if (vm_options_parse(&o, argc, argv, "run", NULL, NULL, NULL)) {
		run_usage(stderr);
		return STATUS_ERROR;
	}
	if (o.help) {
		run_usage(stdout);
		return 0;
	}
	static struct vm vm; /* large: keep it off the stack */
	uint8_t *image = NULL;
	size_t len = 0;
	int status = vm_start(&vm, &o, &image, &len);
	if (!status)
		status = vm_run(&vm);
	vm_destroy(&vm);
	free(image);
	return status;
}
