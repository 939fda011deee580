/* The VMM's own fatal-error report: on a crash signal or an assertion failure inside rewind,
 * print rewind's backtrace (libunwind) and whatever the registered reporter knows of the
 * guest (its registers), then exit with the VMM-error status. */
#ifndef REWIND_CRASH_H
#define REWIND_CRASH_H
#include <stdio.h>

typedef void (*crash_reporter)(void *ctx, FILE *out);

/* Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT. */
void crash_install(void);
/* What to print about the guest when rewind itself crashes; NULL to clear. */
void crash_set_reporter(crash_reporter fn, void *ctx);
/* Prints the calling thread's backtrace. */
void crash_backtrace(FILE *out);

#endif
