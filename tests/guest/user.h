/* testos: what the CPL3 tasks see. Files named u_*.c are linked into the user region and
   may call nothing outside it (the Makefile checks). */
#ifndef TESTOS_USER_H
#define TESTOS_USER_H

#include <stddef.h>
#include <stdint.h>

#include "defs.h"
#include "fmt.h"
#include "tasks.h"

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

long u_write(const void *buf, size_t len);
__attribute__((noreturn)) void u_exit(long status);
long u_yield(void);
long u_read_line(char *buf, size_t cap);
uint64_t u_ticks(void);
long u_race_step(long n);
long u_session_touch(void);
long u_flaky_touch(void);

/* Formats one line and writes it with a single system call, so lines never interleave. */
long u_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int u_streq(const char *a, const char *b);


#endif
