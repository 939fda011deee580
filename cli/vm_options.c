/* Options shared by the commands that start a VM, and booting a VM from them. */
#include "cli/cli.h"
#include "core/outfile.h"
#include "core/waker.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIN_MEM (4ULL << 20)
/* Above 3 GiB the RAM would run into the MMIO hole below 4 GiB, which rewind does not split. */
#define MAX_MEM (3ULL << 30)

enum { OPT_CMDLINE = 0x100, OPT_TIMEOUT, OPT_SERIAL_IN, OPT_ENGINE, OPT_CONSOLE, OPT_INITRD,
       OPT_SYMBOLS };

void vm_options_usage(FILE *out)
{
	fprintf(out,
		"  -m, --memory SIZE     guest RAM, e.g. 256M or 1G (default 256M; 4M to 3G)\n"
		"      --cmdline STRING  kernel command line (e.g. \"workload=hello\")\n"
		"      --initrd FILE     initial ramdisk for the kernel (Linux: an initramfs)\n"
		"      --symbols FILE    the kernel's symbols for reports (a vmlinux or System.map)\n"
		"      --engine NAME     kvm (default) or soft\n"
		"      --timeout SECONDS stop the guest after this much wall time (status 124)\n"
		"      --serial-in FILE  feed the guest's COM1 input from FILE (default: stdin)\n"
		"      --console escape|raw  a terminal on stdin is raw, keys go to the guest as\n"
		"                        typed; escape (default): Ctrl-C too, Ctrl-A x quits, Ctrl-A h\n"
		"                        helps; raw: no escape key, Ctrl-C quits\n"
		"  -h, --help            this help\n");
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	uint64_t mul = 1ULL << 20; /* a bare number is MiB, as in QEMU */
	if (*end) {
		switch (*end) {
		case 'k': case 'K': mul = 1ULL << 10; break;
		case 'm': case 'M': mul = 1ULL << 20; break;
		case 'g': case 'G': mul = 1ULL << 30; break;
		default: return -1;
		}
		if (end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
			return -1;
	}
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int vm_options_parse(struct vm_options *o, int argc, char **argv, const char *cmd,
		     const struct option *extra, int (*on_extra)(int opt, const char *arg, void *ctx),
		     void *ctx)
{
	static const struct option base[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "symbols", required_argument, NULL, OPT_SYMBOLS },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "serial-in", required_argument, NULL, OPT_SERIAL_IN },
		{ "engine", required_argument, NULL, OPT_ENGINE },
		{ "console", required_argument, NULL, OPT_CONSOLE },
		{ "help", no_argument, NULL, 'h' },
	};
	enum { NBASE = sizeof(base) / sizeof(base[0]) };
	struct option opts[NBASE + 16];
	int n = 0;
	memcpy(opts, base, sizeof(base));
	while (extra && extra[n].name && n < 15) {
		opts[NBASE + n] = extra[n];
		n++;
	}
	memset(&opts[NBASE + n], 0, sizeof(opts[0]));
	/* No '+': options may follow the KERNEL operand too, as gcc, git and QEMU allow. */
	char shortopts[64] = "m:h";
	for (int i = 0; i < n; i++) {
		if (extra[i].val <= 0 || extra[i].val >= 128 || strlen(shortopts) > sizeof(shortopts) - 3)
			continue;
		size_t at = strlen(shortopts);
		shortopts[at++] = (char)extra[i].val;
		if (extra[i].has_arg == required_argument)
			shortopts[at++] = ':';
		shortopts[at] = 0;
	}

	memset(o, 0, sizeof(*o));
	o->cfg.mem_size = 256ULL << 20;
	o->cfg.engine = "kvm";
	o->cfg.cmdline = "";
	o->cfg.serial_in_fd = -1;
	o->cfg.console = stdout;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_size(optarg, &o->cfg.mem_size) || o->cfg.mem_size < MIN_MEM ||
			    o->cfg.mem_size > MAX_MEM || o->cfg.mem_size % PAGE_SIZE) {
				fprintf(stderr, "rewind %s: bad memory size '%s' (want 4M..3G, e.g. 256M)\n",
					cmd, optarg);
				return -1;
			}
			break;
		case OPT_CMDLINE:
			o->cfg.cmdline = optarg;
			break;
		case OPT_INITRD:
			o->initrd = optarg;
			break;
		case OPT_SYMBOLS:
			o->symbols = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_seconds(cmd, "timeout", optarg, false, &o->cfg.timeout))
				return -1;
			break;
		case OPT_SERIAL_IN:
			o->serial_in = optarg;
			break;
		case OPT_ENGINE:
			if (strcmp(optarg, "kvm") && strcmp(optarg, "soft")) {
				fprintf(stderr, "rewind %s: unknown engine '%s' (kvm or soft)\n", cmd, optarg);
				return -1;
			}
			o->cfg.engine = optarg;
			break;
		case OPT_CONSOLE:
			if (strcmp(optarg, "escape") && strcmp(optarg, "raw")) {
				fprintf(stderr, "rewind %s: --console is escape or raw, not '%s'\n", cmd, optarg);
				return -1;
			}
			o->console = strcmp(optarg, "raw") ? CONSOLE_ESCAPE : CONSOLE_RAW;
			break;
		case 'h':
			o->help = true;
			return 0;
		case '?':
			if (optopt)
				fprintf(stderr, "rewind %s: option -%c needs an argument or is unknown\n", cmd, optopt);
			else
				fprintf(stderr, "rewind %s: unknown option or missing argument: %s\n", cmd,
					argv[optind - 1]);
			return -1;
		default:
			if (!on_extra || on_extra(c, optarg, ctx))
				return -1;
			break;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "rewind %s: expected one KERNEL argument (see rewind %s --help)\n", cmd, cmd);
		return -1;
	}
	o->kernel = argv[optind];
	return 0;
}

int bad_option(const char *cmd, char **argv, void (*usage)(FILE *out))
{
	fprintf(stderr, "rewind %s: unknown option or missing argument: %s\n", cmd, argv[optind - 1]);
	usage(stderr);
	return STATUS_ERROR;
}

const char *one_operand(int argc, char **argv, const char *cmd, const char *what)
{
	if (optind == argc - 1)
		return argv[optind];
	fprintf(stderr, "rewind %s: expected one %s\n", cmd, what);
	return NULL;
}

int parse_seconds(const char *cmd, const char *opt, const char *arg, bool zero_ok, double *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (*end || end == arg || !(v > 0 || (zero_ok && v == 0)) || v > 1e9) {
		fprintf(stderr, "rewind %s: bad %s '%s' (seconds%s)\n", cmd, opt, arg, zero_ok ? "" : ", above 0");
		return -1;
	}
	*out = v;
	return 0;
}

int parse_seed(const char *cmd, const char *arg, uint64_t *out)
{
	char *end;
	errno = 0;
	*out = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || *arg == '-') {
		fprintf(stderr, "rewind %s: --seed wants a number from 0 to 2^64-1, not '%s'\n", cmd, arg);
		return -1;
	}
	return 0;
}

uint64_t host_seed(void)
{
	uint64_t seed;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = host_now_ns() ^ ((uint64_t)getpid() << 32);
	return seed;
}

uint8_t *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "rewind: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "rewind: %s: not a regular file\n", path);
		close(fd);
		return NULL;
	}
	uint8_t *buf = malloc(st.st_size ? st.st_size : 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);
		if (n <= 0) {
			fprintf(stderr, "rewind: %s: %s\n", path, n ? strerror(errno) : "file shrank while reading");
			free(buf);
			buf = NULL;
		} else {
			got += n;
		}
	}
	close(fd);
	if (buf)
		*len = got;
	return buf;
}

static int open_serial_input(const char *path)
{
	if (path && strcmp(path, "-")) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		/* A directory opens, but every read fails: the guest would wait for input forever. */
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			fd = -1;
			errno = EISDIR;
		}
		if (fd < 0)
			fprintf(stderr, "rewind: --serial-in %s: %s\n", path, strerror(errno));
		return fd < 0 ? -2 : fd;
	}
	return STDIN_FILENO;
}

int check_not_input(const char *cmd, const char *output, const char *what, const char *input)
{
	if (!input || !outfile_same(output, input))
		return 0;
	fprintf(stderr, "rewind %s: the output %s is %s %s: refusing to overwrite an input\n", cmd,
		output, what, input);
	return STATUS_ERROR;
}

int vm_options_check_output(const struct vm_options *o, const char *cmd, const char *output)
{
	const char *inputs[][2] = { { "the kernel", o->kernel },
				    { "the initrd", o->initrd },
				    { "the --serial-in file", o->serial_in } };
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		if (check_not_input(cmd, output, inputs[i][0], inputs[i][1]))
			return STATUS_ERROR;
	char err[512];
	if (outfile_check(output, err, sizeof(err))) {
		fprintf(stderr, "rewind %s: %s\n", cmd, err);
		return STATUS_ERROR;
	}
	return 0;
}

void vm_files_free(struct vm_files *f)
{
	free(f->kernel);
	free(f->initrd);
	memset(f, 0, sizeof(*f));
}

int vm_start(struct vm *vm, struct vm_options *o, struct vm_files *files)
{
	char err[512];
	memset(files, 0, sizeof(*files));
	struct boot_files *b = &files->boot;
	b->kernel_name = o->kernel;
	b->initrd_name = o->initrd;
	files->kernel = read_file(o->kernel, &b->kernel_len);
	if (!files->kernel)
		return STATUS_ERROR;
	b->kernel = files->kernel;
	if (o->initrd) {
		files->initrd = read_file(o->initrd, &b->initrd_len);
		if (!files->initrd)
			return STATUS_ERROR;
		b->initrd = files->initrd;
	}
	o->cfg.serial_in_fd = open_serial_input(o->serial_in);
	if (o->cfg.serial_in_fd == -2)
		return STATUS_ERROR;
	if (vm_create(vm, &o->cfg, err, sizeof(err))) {
		fprintf(stderr, "rewind: %s\n", err);
		return STATUS_ERROR;
	}
	console_attach(vm, o->console);
	if (vm_boot(vm, b, err, sizeof(err)) ||
	    (o->symbols && vm_load_symbols(vm, o->symbols, err, sizeof(err)))) {
		fprintf(stderr, "rewind: %s\n", err);
		return STATUS_ERROR;
	}
	return 0;
}
