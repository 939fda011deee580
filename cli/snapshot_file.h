/* Standalone snapshot files (`run -S`, `restore`): the machine state plus the VM
 * configuration and the state digest at the moment it was taken, which restore checks. */
#ifndef REWIND_CLI_SNAPSHOT_FILE_H
#define REWIND_CLI_SNAPSHOT_FILE_H
#include <stddef.h>

struct vm;

/* Captures vm into a standalone snapshot at path. Returns 0, or -1 after printing why. */
int snapshot_file_save(struct vm *vm, const char *path);
int cmd_restore(int argc, char **argv);

#endif
