/* The console's escape key, modelled on QEMU's -nographic console: Ctrl-A followed by a
 * command key. It sits between the host terminal and the UART, so escape sequences never
 * reach the guest, nor the trace that logs what the guest received. */
#ifndef REWIND_CONSOLE_ESCAPE_H
#define REWIND_CONSOLE_ESCAPE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ESCAPE_KEY 0x01 /* Ctrl-A */

/* Commands seen by console_escape_filter, as bits. */
enum {
	CONSOLE_QUIT = 1,	/* Ctrl-A x */
	CONSOLE_HELP = 2,	/* Ctrl-A h or Ctrl-A ? */
};

struct console_escape {
	bool pending;	/* the last byte was the escape key: the next one is a command */
};

/* Takes the escape sequences out of buf[0..n) in place and returns how many bytes are left
 * for the guest; *commands gets the commands seen. Ctrl-A Ctrl-A leaves one Ctrl-A; Ctrl-A
 * and any other key is dropped, as QEMU does. After Ctrl-A x the rest is dropped: the VM is
 * stopping. An escape key at the end of buf carries over to the next call. */
size_t console_escape_filter(struct console_escape *e, uint8_t *buf, size_t n, unsigned *commands);

/* What Ctrl-A h prints. */
extern const char console_escape_help[];

#endif
