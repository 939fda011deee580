#define UNW_LOCAL_ONLY
#include "core/crash.h"

#include <libunwind.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A signal handler has no other way to reach the VM, so the reporter is the one piece of
 * process-wide state: it describes the VM being run, not any VM's state. */
static struct {
	crash_reporter fn;
	void *ctx;
} reporter;

void crash_set_reporter(crash_reporter fn, void *ctx)
{
	reporter.fn = fn;
	reporter.ctx = ctx;
}

void crash_backtrace(FILE *out)
{
	unw_context_t uc;
	unw_cursor_t cursor;
	if (unw_getcontext(&uc) || unw_init_local(&cursor, &uc))
		return;
	for (int depth = 0; depth < 64 && unw_step(&cursor) > 0; depth++) {
		unw_word_t ip, off;
		char name[128];
		unw_get_reg(&cursor, UNW_REG_IP, &ip);
		if (unw_get_proc_name(&cursor, name, sizeof(name), &off))
			strcpy(name, "?"), off = 0;
		fprintf(out, "  #%-2d 0x%016lx %s+0x%lx\n", depth, (unsigned long)ip, name,
			(unsigned long)off);
	}
}

static void crash_handler(int sig)
{
	/* Not async-signal-safe, deliberately: the process is dying and the report is worth
	 * more than the small risk of deadlocking in stdio. */
	fprintf(stderr, "\nrewind: internal error: %s\nrewind backtrace:\n", strsignal(sig));
	crash_backtrace(stderr);
	if (reporter.fn) {
		fprintf(stderr, "guest state:\n");
		reporter.fn(reporter.ctx, stderr);
	}
	fprintf(stderr, "This is a bug in rewind; please report it with the lines above.\n");
	fflush(stderr);
	_exit(125);
}

void crash_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
