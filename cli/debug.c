/* rewind debug: serve a recorded run to gdb, forwards and backwards. */
#include "cli/cli.h"
#include "gdb/gdb.h"
#include "replay/debugger.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void debug_usage(FILE *out)
{
	fprintf(out, "usage: rewind debug [--port N | --socket PATH] [--checkpoint-every EXITS] FILE\n\n"
		     "Replays FILE under the GDB remote protocol on 127.0.0.1 (port N, default any free\n"
		     "one) or a Unix socket, and prints the gdb command that connects. gdb can step,\n"
		     "break and watch forwards and backwards (reverse-stepi, reverse-continue, ...).\n"
		     "Monitor commands: monitor when | goto EXIT[.STEP] | checkpoint | info.\n");
}

int cmd_debug(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "checkpoint-every", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	long port = 0;
	const char *socket_path = NULL;
	struct debugger_options dopt = { 0 };
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end || port < 0 || port > 65535) {
				fprintf(stderr, "rewind debug: bad port '%s'\n", optarg);
				return STATUS_ERROR;
			}
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'c':
			dopt.checkpoint_exits = strtoull(optarg, &end, 10);
			if (*end || !dopt.checkpoint_exits) {
				fprintf(stderr, "rewind debug: bad --checkpoint-every '%s' (exits)\n", optarg);
				return STATUS_ERROR;
			}
			break;
		case 'h':
			debug_usage(stdout);
			return 0;
		default:
			return bad_option("debug", argv, debug_usage);
		}
	}
	const char *path = one_operand(argc, argv, "debug", "trace FILE");
	if (!path)
		return STATUS_ERROR;
	char err[512];
	struct debugger *d = debugger_open(path, &dopt, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "rewind debug: %s\n", err);
		return STATUS_ERROR;
	}
	struct gdb_server srv;
	int rc = socket_path ? gdb_server_listen_unix(&srv, socket_path, stderr)
			     : gdb_server_listen_tcp(&srv, (uint16_t)port, stderr);
	if (rc) {
		fprintf(stderr, "rewind debug: cannot listen: %s\n", strerror(-rc));
		debugger_close(d);
		return STATUS_ERROR;
	}
	if (socket_path)
		printf("rewind debug: waiting for gdb: gdb -ex 'target remote %s' KERNEL.elf\n", socket_path);
	else
		printf("rewind debug: waiting for gdb: gdb -ex 'target remote 127.0.0.1:%u' KERNEL.elf\n",
		       srv.port);
	fflush(stdout);
	rc = gdb_server_serve(&srv, &debugger_target_ops, d);
	gdb_server_close(&srv);
	debugger_close(d);
	return rc < 0 ? STATUS_ERROR : 0;
}
