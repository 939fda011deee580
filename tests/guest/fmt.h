/* testos: a small printf-style formatter shared by the kernel and user tasks. */
#ifndef TESTOS_FMT_H
#define TESTOS_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* fmt.c is built twice: into the kernel and into the user region (user tasks cannot
   execute supervisor pages), so the user copy gets its own name. */
#ifdef TESTOS_USER
#define vformat u_vformat
#define snformat u_snformat
#endif

/* Supports %s %c %d %u %x %p %% with optional '0' flag, width, 'l' modifiers, and
   '.*' precision for %s.
   Always NUL-terminates (cap > 0); returns the length written. */
size_t vformat(char *buf, size_t cap, const char *fmt, va_list ap);
size_t snformat(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
