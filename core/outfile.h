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
 * the user's), mode 0644, and stores its name in tmp (tmplen bytes); the file is unfinished
 * (below). Returns the descriptor, or -errno with err set. */
int outfile_temp(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen);
/* True when a and b name the same file (device and inode); false when either does not exist. */
bool outfile_same(const char *a, const char *b);

/* Outputs being written are unfinished: a temporary file from outfile_temp(), and a directory
 * made by outfile_temp_dir(), until outfile_finished(its path) once it is renamed into place
 * or removed (the path must stay valid until then). A process that aborts on a signal calls
 * outfile_remove_unfinished() from its handler, so that no partial output outlives it. A
 * handler on another thread than the writer's could race with it: signals that abort must be
 * taken on the writing thread.
 *
 * outfile_temp_dir makes directory PATH (mode 0755), unfinished, for the files that `ours`
 * names. 0, or -errno with err set. */
int outfile_temp_dir(const char *path, bool (*ours)(const char *name), char *err, size_t errlen);
void outfile_finished(const char *path);
/* Removes every unfinished output. Async-signal-safe. */
void outfile_remove_unfinished(void);
/* Removes directory PATH and the files in it that `ours` names; anything else keeps it. A
 * symbolic link is not followed. Async-signal-safe. */
void outfile_remove_dir(const char *path, bool (*ours)(const char *name));

#endif
