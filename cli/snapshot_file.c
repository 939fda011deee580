/* `rewind run -S FILE --snapshot-after T` writes a snapshot; `rewind restore FILE` resumes it. */
#include "cli/cli.h"
#include "cli/snapshot_file.h"
#include "core/digest.h"
#include "core/vm_config.h"
#include "core/vm_state.h"
#include "core/waker.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* The position blob of a standalone snapshot. */
struct run_position {
	char magic[4];		/* "RUNP" */
	uint32_t version;	/* 1 */
	uint64_t exits;
	uint8_t digest[16];	/* vm_state_digest with memory, when taken */
} __attribute__((packed));

int snapshot_file_save(struct vm *vm, const char *path)
{
	char err[512];
	struct pagestore ps;
	struct snapshot snap;
	struct run_position pos = { { 'R', 'U', 'N', 'P' }, 1, vm->exits, { 0 } };
	struct vm_config_text cfg;
	int rc = -1;

	if (pagestore_init(&ps)) {
		fprintf(stderr, "rewind: snapshot: out of memory\n");
		return -1;
	}
	if (vm_state_digest(vm, true, pos.digest) ||
	    vm_state_capture(vm, &ps, NULL, &snap, err, sizeof(err))) {
		fprintf(stderr, "rewind: snapshot: %s\n", err);
		pagestore_free(&ps);
		return -1;
	}
	vm_config_format(&cfg, &vm->cfg, vm->clock.epoch_at_boot);
	snap.config = cfg.text;
	snap.config_len = cfg.len;
	snap.position = &pos;
	snap.position_len = sizeof(pos);
	if (snapshot_write(path, &snap, &ps, NULL, err, sizeof(err)))
		fprintf(stderr, "rewind: snapshot: %s\n", err);
	else
		rc = 0;
	if (!rc)
		fprintf(stderr, "rewind: snapshot of guest time %.3f s (exit %llu) written to %s\n",
			snap.guest_ns / 1e9, (unsigned long long)vm->exits, path);
	vm_state_release(&snap);
	pagestore_free(&ps);
	return rc;
}

static void restore_usage(FILE *out)
{
	fprintf(out, "usage: rewind restore [--timeout SECONDS] FILE\n\n"
		     "Resumes the VM saved by `rewind run -S FILE --snapshot-after T`. Its state is\n"
		     "checked against the digest taken with it before the guest runs again.\n");
}

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	double timeout = 0;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			restore_usage(stdout);
			return 0;
		}
		if (c != 't')
			return bad_option("restore", argv, restore_usage);
		if (parse_seconds("restore", "timeout", optarg, false, &timeout))
			return STATUS_ERROR;
	}
	const char *path = one_operand(argc, argv, "restore", "snapshot FILE");
	if (!path)
		return STATUS_ERROR;
	char err[512];
	struct pagestore ps;
	struct snapshot snap;
	if (pagestore_init(&ps)) {
		fprintf(stderr, "rewind restore: out of memory\n");
		return STATUS_ERROR;
	}
	if (snapshot_read(path, &ps, &snap, err, sizeof(err))) {
		fprintf(stderr, "rewind restore: %s\n", err);
		pagestore_free(&ps);
		return STATUS_ERROR;
	}
	int status = STATUS_ERROR;
	struct vm_config_parsed parsed;
	struct run_position pos;
	static struct vm vm;
	if (snap.position_len != sizeof(pos) || memcmp(snap.position, "RUNP", 4)) {
		fprintf(stderr, "rewind restore: %s: not a snapshot written by `rewind run -S`\n", path);
		goto out;
	}
	memcpy(&pos, snap.position, sizeof(pos));
	if (vm_config_parse(&parsed, snap.config, snap.config_len, err, sizeof(err))) {
		fprintf(stderr, "rewind restore: %s: %s\n", path, err);
		goto out;
	}
	struct vm_config cfg = {
		.mem_size = parsed.mem_size, .engine = parsed.engine, .cmdline = parsed.cmdline,
		.legacy_machine = !parsed.acpi_machine, .timeout = timeout, .serial_in_fd = 0,
		.console = stdout,
	};
	if (vm_create(&vm, &cfg, err, sizeof(err)) ||
	    vm_state_restore(&vm, &ps, &snap, err, sizeof(err))) {
		fprintf(stderr, "rewind restore: %s\n", err);
		goto out;
	}
	console_attach(&vm, CONSOLE_ESCAPE);
	vm.clock.epoch_at_boot = parsed.epoch;
	vm.clock_origin_ns = host_now_ns() - snap.guest_ns;
	vm.clock.last = snap.guest_ns;
	vm.exits = pos.exits;
	uint8_t d[16];
	if (vm_state_digest(&vm, true, d) || memcmp(d, pos.digest, 16)) {
		fprintf(stderr, "rewind restore: %s: the restored state does not match the digest taken "
				"with the snapshot\n", path);
		goto out;
	}
	status = vm_run(&vm);
out:
	console_detach(&vm);
	vm_destroy(&vm);
	snapshot_free(&snap);
	pagestore_free(&ps);
	return status;
}
