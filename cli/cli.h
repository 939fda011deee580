/* The rewind command line: one table of subcommands (cli/main.c), one file per command. */
#ifndef REWIND_CLI_H
#define REWIND_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vm.h"

#define REWIND_VERSION "0.1.0"

/* How a terminal on stdin serves as the guest's console (cli/console.c). */
enum console_mode {
	CONSOLE_ESCAPE,	/* raw, Ctrl-C to the guest, Ctrl-A the escape key (QEMU -nographic) */
	CONSOLE_RAW,	/* raw, no escape key, Ctrl-C stops rewind */
};

/* Options shared by the commands that start a VM (run, record). */
struct vm_options {
	struct vm_config cfg;
	const char *kernel;
	const char *initrd;	/* --initrd FILE, or NULL */
	const char *symbols;	/* --symbols FILE, or NULL: the kernel image's own */
	const char *serial_in;	/* --serial-in FILE; NULL or "-": stdin */
	enum console_mode console;
	bool help;
};

/* Parses argv of a VM-starting command. extra is a NULL-terminated list of long options the
 * command adds; on_extra handles them. Returns 0, or -1 after printing the error. */
struct option;
int vm_options_parse(struct vm_options *o, int argc, char **argv, const char *cmd,
		     const struct option *extra, int (*on_extra)(int opt, const char *arg, void *ctx),
		     void *ctx);
void vm_options_usage(FILE *out);
/* Parses SECONDS given to option `opt` of command `cmd`: a number above 0 (or 0 too when
 * zero_ok). Returns 0, or -1 after printing what is wrong. */
int parse_seconds(const char *cmd, const char *opt, const char *arg, bool zero_ok, double *out);
/* Parses the --seed N of command `cmd` (0 to 2^64-1). 0, or -1 after saying what is wrong. */
int parse_seed(const char *cmd, const char *arg, uint64_t *out);
/* A chaos seed from the host, for --chaos without --seed. */
uint64_t host_seed(void);
/* getopt_long met an unknown option or a missing argument: says which, prints the usage, and
 * returns STATUS_ERROR. */
int bad_option(const char *cmd, char **argv, void (*usage)(FILE *out));
/* The one operand left after the options (a WHAT), or NULL after saying so. */
const char *one_operand(int argc, char **argv, const char *cmd, const char *what);
/* Reads a whole file; returns NULL and prints "rewind: PATH: reason" on failure. */
uint8_t *read_file(const char *path, size_t *len);
/* Before a VM starts: OUTPUT may be written (absent or a regular file) and is none of the
 * inputs. 0, or STATUS_ERROR after saying why. */
int vm_options_check_output(const struct vm_options *o, const char *cmd, const char *output);
/* STATUS_ERROR after saying so when OUTPUT is the same file as INPUT (`what` names it, as in
 * "the kernel"); 0 otherwise, and when INPUT is NULL. */
int check_not_input(const char *cmd, const char *output, const char *what, const char *input);
/* The kernel and initrd files as read, and as the loader and the recorder take them. */
struct vm_files {
	uint8_t *kernel, *initrd;	/* owned */
	struct boot_files boot;
};
void vm_files_free(struct vm_files *f);
/* Boots the VM from the options: returns 0, or prints the error and returns STATUS_ERROR.
 * Fills files either way; vm_files_free() them after the run. The console is attached
 * (console_attach) once the VM exists: console_detach before vm_destroy. */
int vm_start(struct vm *vm, struct vm_options *o, struct vm_files *files);

/* From vm_create to vm_destroy: SIGINT, SIGTERM and SIGHUP ask vm to stop at the guest's next
 * exit (a second one aborts at once), and a terminal on the VM's serial input (stdin) is put in
 * raw mode for `mode`. console_detach restores both. */
void console_attach(struct vm *vm, enum console_mode mode);
void console_detach(struct vm *vm);

/* A replay as the CLI runs it: `replay` and `trace checkpoint` (which takes checkpoints). */
#include "replay/replayer.h"
struct checkpoint_set;
struct replay_session {
	struct replay_options opt;
	double timeout;
	long from_checkpoint;		/* -1: from the start */
	struct checkpoint_set *take;	/* take checkpoints into this set and save it; or NULL */
	FILE *console;			/* the guest's console; NULL = stdout */
	const char *symbols;		/* --symbols FILE, or NULL: the embedded kernel's own */
	bool saved;			/* out: `take` was written beside the trace */
};
int replay_session(const char *path, struct replay_session *s);

int cmd_run(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_debug(int argc, char **argv);
int cmd_hunt(int argc, char **argv);

#endif
