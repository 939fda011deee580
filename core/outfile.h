/* Files rewind writes: what it may replace and what it may remove again. rewind never destroys
 * a file it did not create: an existing output is replaced only when it is a regular file (never
 * a device node, a FIFO, a socket or a directory), and only files rewind created in this run
 * are ever unlinked. */
#ifndef REWIND_OUTFILE_H
#define REWIND_OUTFILE_H
#include <stdbool.h>
#include <stddef.h>

/* 0 when PATH may be written as an output: it does not exist, or it is a regular file.
 * Otherwise -errno with err saying why. */
int outfile_check(const char *path, char *err, size_t errlen);
/* Opens PATH to be written from its start: created (mode 0644) when absent, *created = true;
 * an existing regular file is truncated, *created = false. Refuses anything else. Returns the
 * descriptor, or -errno with err set. */
int outfile_open(const char *path, bool *created, char *err, size_t errlen);
/* Creates a new file beside PATH, named PATH.tmp-XXXXXX (exclusively: it cannot be anything of
 * the user's), mode 0644, and stores its name in tmp (tmplen bytes). Returns the descriptor,
 * or -errno with err set. */
int outfile_temp(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen);
/* True when a and b name the same file (device and inode); false when either does not exist. */
bool outfile_same(const char *a, const char *b);

#endif
