/* rewind-exit STATUS: ends the VM with STATUS (0..255) through the debug-exit port 0xf4, as
 * rewind's debug-exit device and QEMU's `-device isa-debug-exit,iobase=0xf4` understand it
 * (rewind exits with STATUS, QEMU with STATUS * 2 + 1). The guest kernel has no /dev/port,
 * so the port is opened to this process with ioperm(); that needs root, which /init is.
 * Built with the host's gcc -static: the initramfs has no C library. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

#define DEBUG_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	char *end;
	long status = argc == 2 ? strtol(argv[1], &end, 10) : -1;
	if (argc != 2 || *end || status < 0 || status > 255) {
		fprintf(stderr, "usage: rewind-exit STATUS (0..255)\n");
		return 2;
	}
	if (ioperm(DEBUG_EXIT_PORT, 1, 1)) {
		perror("rewind-exit: ioperm(0xf4)");
		return 1;
	}
	outb((unsigned char)status, DEBUG_EXIT_PORT);
	/* Still here: the machine has no debug-exit device. */
	fprintf(stderr, "rewind-exit: the write to port 0xf4 did not end the VM\n");
	return 1;
}
