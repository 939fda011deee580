/* rewind run: boot a kernel and run it until it exits. */
#include "cli/cli.h"
#include "cli/snapshot_file.h"
#include "gdb/gdb.h"
#include "replay/debugger.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct run_snapshot {
	long gdb_port;		/* --gdb PORT; -1 = none */
	const char *gdb_socket;	/* --gdb-socket PATH */
	const char *path;	/* -S FILE */
	double after;		/* --snapshot-after SECONDS of guest time; < 0 = unset */
	bool stop_after;	/* --stop-after-snapshot */
	bool taken;
};

enum { OPT_SNAPSHOT_AFTER = 0x200, OPT_STOP_AFTER_SNAPSHOT, OPT_GDB, OPT_GDB_SOCKET };

static void run_usage(FILE *out)
{
	fprintf(out, "usage: rewind run [options] KERNEL\n\nBoots a kernel (PVH ELF or bzImage) and runs it; the exit "
		     "status is the guest's debug-exit value.\n\noptions:\n");
	vm_options_usage(out);
	fprintf(out, "  -S, --snapshot FILE   write a snapshot of the VM to FILE (with --snapshot-after)\n"
		     "      --snapshot-after SECONDS  when guest time reaches SECONDS\n"
		     "      --stop-after-snapshot     stop once the snapshot is written (status 0)\n"
		     "      --gdb PORT        wait for gdb on 127.0.0.1:PORT (0: any free port) before\n"
		     "                        the first instruction; forwards only (see rewind debug)\n"
		     "      --gdb-socket PATH the same on a Unix socket\n");
}

static int run_option(int opt, const char *arg, void *ctx)
{
	struct run_snapshot *s = ctx;
	char *end;
	switch (opt) {
	case 'S':
		s->path = arg;
		return 0;
	case OPT_SNAPSHOT_AFTER:
		return parse_seconds("run", "--snapshot-after", arg, true, &s->after);
	case OPT_STOP_AFTER_SNAPSHOT:
		s->stop_after = true;
		return 0;
	case OPT_GDB:
		s->gdb_port = strtol(arg, &end, 10);
		if (*end || end == arg || s->gdb_port < 0 || s->gdb_port > 65535) {
			fprintf(stderr, "rewind run: bad --gdb port '%s'\n", arg);
			return -1;
		}
		return 0;
	case OPT_GDB_SOCKET:
		s->gdb_socket = arg;
		return 0;
	}
	return -1;
}

static void snapshot_when_due(struct vm *vm, void *ctx)
{
	struct run_snapshot *s = ctx;
	if (s->taken || vm_guest_ns(vm) < (uint64_t)(s->after * 1e9))
		return;
	s->taken = true;
	if (snapshot_file_save(vm, s->path)) {
		vm->stop = VM_STOP_ERROR;
		vm->status = STATUS_ERROR;
		snprintf(vm->error, sizeof(vm->error), "the snapshot could not be written");
	} else if (s->stop_after) {
		vm->stop = VM_STOP_SNAPSHOT;
		vm->status = 0;
	}
}

/* Serves the VM to one gdb session; the VM then runs on if gdb detached. */
static int serve_gdb(struct vm *vm, const struct run_snapshot *o)
{
	struct gdb_server srv;
	int rc = o->gdb_socket ? gdb_server_listen_unix(&srv, o->gdb_socket, stderr)
			       : gdb_server_listen_tcp(&srv, (uint16_t)o->gdb_port, stderr);
	if (rc) {
		fprintf(stderr, "rewind run: cannot listen for gdb: %s\n", strerror(-rc));
		return STATUS_ERROR;
	}
	struct debugger *d = debugger_attach_live(vm);
	if (!d) {
		gdb_server_close(&srv);
		return STATUS_ERROR;
	}
	if (o->gdb_socket)
		fprintf(stderr, "rewind run: waiting for gdb: gdb -ex 'target remote %s' KERNEL\n", o->gdb_socket);
	else
		fprintf(stderr, "rewind run: waiting for gdb: gdb -ex 'target remote 127.0.0.1:%u' KERNEL\n",
			srv.port);
	rc = gdb_server_serve(&srv, &debugger_live_ops, d);
	gdb_server_close(&srv);
	debugger_close(d);
	if (vm->stop == VM_STOP_PAUSED)
		vm->stop = VM_RUNNING; /* gdb left: the guest goes on */
	if (rc == GDB_END_KILL && vm->stop == VM_RUNNING) {
		fprintf(stderr, "rewind run: the VM was killed from gdb\n");
		vm->stop = VM_STOP_ERROR;
		vm->status = STATUS_ERROR;
	}
	return rc < 0 ? STATUS_ERROR : 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "snapshot", required_argument, NULL, 'S' },
		{ "snapshot-after", required_argument, NULL, OPT_SNAPSHOT_AFTER },
		{ "stop-after-snapshot", no_argument, NULL, OPT_STOP_AFTER_SNAPSHOT },
		{ "gdb", required_argument, NULL, OPT_GDB },
		{ "gdb-socket", required_argument, NULL, OPT_GDB_SOCKET },
		{ 0 },
	};
	struct run_snapshot snap = { .after = -1, .gdb_port = -1 };
	struct vm_options o;
	if (vm_options_parse(&o, argc, argv, "run", extra, run_option, &snap)) {
		run_usage(stderr);
		return STATUS_ERROR;
	}
	if (o.help) {
		run_usage(stdout);
		return 0;
	}
	if (!snap.path != (snap.after < 0) || (snap.stop_after && !snap.path)) {
		fprintf(stderr, "rewind run: -S FILE and --snapshot-after SECONDS go together\n");
		return STATUS_ERROR;
	}
	static struct vm vm; /* large: keep it off the stack */
	struct vm_files files = { 0 };
	int status = snap.path ? vm_options_check_output(&o, "run", snap.path) : 0;
	if (!status)
		status = vm_start(&vm, &o, &files);
	if (!status && snap.path) {
		vm.quiet_point = snapshot_when_due;
		vm.quiet_ctx = &snap;
	}
	if (!status && (snap.gdb_port >= 0 || snap.gdb_socket))
		status = serve_gdb(&vm, &snap);
	if (!status && vm.stop == VM_RUNNING)
		status = vm_run(&vm);
	else if (vm.stop != VM_RUNNING)
		status = vm.status;
	if (snap.path && !snap.taken && (!status || vm.stop == VM_STOP_USER)) {
		fprintf(stderr, "rewind run: the guest %s before guest time %g s: no snapshot written\n",
			status ? "was stopped" : "exited", snap.after);
		if (!status)
			status = STATUS_ERROR;
	}
	console_detach(&vm);
	vm_destroy(&vm);
	vm_files_free(&files);
	return status;
}
