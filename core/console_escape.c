#include "core/console_escape.h"

const char console_escape_help[] =
	"\nrewind console escape keys:\n"
	"  Ctrl-A x        stop the guest at its next exit and quit (a recording is closed)\n"
	"  Ctrl-A h        this help\n"
	"  Ctrl-A Ctrl-A   send Ctrl-A to the guest\n"
	"Every other key, Ctrl-C included, goes to the guest.\n";

size_t console_escape_filter(struct console_escape *e, uint8_t *buf, size_t n, unsigned *commands)
{
	size_t out = 0;
	*commands = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = buf[i];
		if (!e->pending) {
			if (c == CONSOLE_ESCAPE_KEY)
				e->pending = true;
			else
				buf[out++] = c;
			continue;
		}
		e->pending = false;
		switch (c) {
		case CONSOLE_ESCAPE_KEY:
			buf[out++] = c;
			break;
		case 'x':
		case 'X':
			*commands |= CONSOLE_QUIT;
			return out;
		case 'h':
		case 'H':
		case '?':
			*commands |= CONSOLE_HELP;
			break;
		default:
			break; /* unknown commands are dropped, as in QEMU */
		}
	}
	return out;
}
