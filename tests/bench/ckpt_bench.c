/* Checkpoints of a running VM: what `record --checkpoint-every` and `rewind debug` pay for them.
 * Boots the test kernel (default: 256 MiB, workload=race) exactly like `rewind run`, and at
 * quiet points every EVERY_MS of guest time takes a checkpoint into one checkpoint set with
 * checkpoints_take(): the first is full into an empty store, the others incremental (dirty log),
 * except every 10th, which is forced full (the set's log_broken flag) to time a full capture
 * into a store that already knows most pages. After COUNT checkpoints the guest is stopped, the
 * set is saved with checkpoints_save() (the files `record` writes), and several checkpoints are
 * restored with checkpoints_restore(), each restore checked page by page against the store.
 *
 * Build (tests/bench/ckpt_bench.sh does it):
 *   cc -O2 -I. -o build/bench/ckpt_bench tests/bench/ckpt_bench.c build/librewind.a \
 *      -llz4 -lxxhash -lunicorn -lunwind -lunwind-x86_64 -lpthread -lm
 * Usage: ckpt_bench KERNEL DIR [COUNT [EVERY_MS [MIB [FILL_MIB [CMDLINE]]]]]
 * FILL_MIB > 0 fills that much of the top of guest RAM with distinct non-zero pages before
 * boot (testos never touches it): it stands in for a guest that has used its memory, where
 * the test kernel alone leaves ~99.9% of RAM zero, which the store elides.
 * Prints one "key value" line per measurement (times in ms) for the script to aggregate. */
#include "core/checkpoints.h"
#include "core/dirty.h"
#include "core/vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct bench {
	struct checkpoint_set set;
	unsigned count;		/* checkpoints to take */
	uint64_t every_ns, next_ns;
	int failed;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t popcount_words(const uint64_t *w, size_t n)
{
	uint64_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += (uint64_t)__builtin_popcountll(w[i]);
	return c;
}

/* Pages whose content differs between two images of the same memory. */
static uint64_t pages_changed(const struct memimage *a, const struct memimage *b)
{
	uint64_t c = 0;
	for (uint64_t i = 0; i < a->npages; i++)
		c += a->refs[i] != b->refs[i];
	return c;
}

static void stop_vm(struct vm *vm, int status, const char *why)
{
	vm->stop = status ? VM_STOP_ERROR : VM_STOP_SNAPSHOT;
	vm->status = status;
	if (why)
		snprintf(vm->error, sizeof(vm->error), "%s", why);
}

static void quiet_point(struct vm *vm, void *ctx)
{
	struct bench *b = ctx;
	struct checkpoint_set *set = &b->set;
	uint64_t now = vm_guest_ns(vm);
	if (set->n && now < b->next_ns)
		return;
	b->next_ns = now + b->every_ns;
	bool full = set->n == 0 || set->n % 10 == 0;
	const char *kind = set->n == 0 ? "full_cold" : full ? "full_warm" : "incremental";
	if (full)
		set->log_broken = true;	/* capture every page, not just the dirty ones */

	/* The dirty log is read (timed) and counted (not timed) before the take, whose own
	 * read then finds nothing new. */
	double t0 = now_ms();
	int rc = dirty_collect(vm);
	double t1 = now_ms();
	uint64_t dirty = popcount_words(dirty_pages(vm, DIRTY_CHECKPOINT), vm->dirty.words);
	double t2 = now_ms();
	if (rc || checkpoints_take(set, vm, 0)) {
		fprintf(stderr, "ckpt_bench: checkpoint %zu: %s\n", set->n,
			rc ? "reading the dirty log failed" : set->error);
		b->failed = 1;
		stop_vm(vm, STATUS_ERROR, "checkpoint failed");
		return;
	}
	double ms = (t1 - t0) + (now_ms() - t2);
	size_t k = set->n - 1;
	uint64_t changed = k ? pages_changed(&set->v[k - 1].snap.mem, &set->v[k].snap.mem) : 0;
	printf("take %s %.3f dirty %llu changed %llu exits %llu guest_ms %.1f\n", kind, ms,
	       (unsigned long long)dirty, (unsigned long long)changed,
	       (unsigned long long)vm->exits, now / 1e6);
	if (set->n == b->count)
		stop_vm(vm, 0, NULL);
}

/* Guest RAM holds exactly checkpoint k's pages. */
static int same_memory(struct vm *vm, const struct checkpoint_set *set, size_t k)
{
	const struct memimage *img = &set->v[k].snap.mem;
	for (uint64_t i = 0; i < img->npages; i++)
		if (memcmp(vm->mem.host + i * PAGE_SIZE, pagestore_get(&set->ps, img->refs[i]),
			   PAGE_SIZE))
			return 0;
	return 1;
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

/* The top `bytes` of RAM: a distinct xorshift page each, never zero. */
static void fill(struct guest_mem *mem, uint64_t bytes)
{
	for (uint64_t off = mem->size - bytes; off < mem->size; off += PAGE_SIZE) {
		uint64_t x = off * 0x9e3779b97f4a7c15ULL | 1;
		for (size_t i = 0; i < PAGE_SIZE; i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(mem->host + off + i, &x, 8);
		}
	}
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		buf = n > 0 ? malloc((size_t)n) : NULL;
		if (buf && (fseek(f, 0, SEEK_SET) || fread(buf, 1, (size_t)n, f) != (size_t)n)) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ckpt_bench KERNEL DIR [COUNT [EVERY_MS [MIB [FILL_MIB [CMDLINE]]]]]\n");
		return 2;
	}
	const char *kernel = argv[1], *dir = argv[2];
	unsigned count = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 50;
	double every_ms = argc > 4 ? strtod(argv[4], NULL) : 100;
	uint64_t mib = argc > 5 ? strtoull(argv[5], NULL, 10) : 256;
	uint64_t fill_mib = argc > 6 ? strtoull(argv[6], NULL, 10) : 0;
	const char *cmdline = argc > 7 ? argv[7] : "workload=race ticks=1000";
	if (count < 2 || !(every_ms > 0) || mib < 4 || fill_mib + 32 > mib) {
		fprintf(stderr, "ckpt_bench: bad COUNT, EVERY_MS, MIB or FILL_MIB (the low 32 MiB stay the kernel's)\n");
		return 2;
	}

	static struct vm vm; /* large: keep it off the stack */
	static struct bench b;
	char err[512], path[4096];
	size_t len;
	uint8_t *image = read_file(kernel, &len);
	FILE *console = fopen("/dev/null", "w");
	struct vm_config cfg = {
		.mem_size = mib << 20, .engine = "kvm", .cmdline = cmdline,
		.serial_in_fd = -1, .console = console,
	};
	if (!image || !console) {
		fprintf(stderr, "ckpt_bench: cannot read %s\n", kernel);
		return 1;
	}
	struct boot_files files = { .kernel = image, .kernel_len = len, .kernel_name = kernel };
	if (vm_create(&vm, &cfg, err, sizeof(err)) || vm_boot(&vm, &files, err, sizeof(err))) {
		fprintf(stderr, "ckpt_bench: %s\n", err);
		return 1;
	}
	fill(&vm.mem, fill_mib << 20);
	int rc = dirty_init(&vm);
	if (rc || checkpoints_init(&b.set, 0, 1)) {
		fprintf(stderr, "ckpt_bench: cannot start dirty tracking or the store\n");
		return 1;
	}
	b.count = count;
	b.every_ns = (uint64_t)(every_ms * 1e6);
	vm.quiet_point = quiet_point;
	vm.quiet_ctx = &b;
	double t = now_ms();
	int status = vm_run(&vm);
	double run_ms = now_ms() - t;
	if (b.failed || vm.stop != VM_STOP_SNAPSHOT || b.set.n != count) {
		fprintf(stderr, "ckpt_bench: the guest stopped after %zu of %u checkpoints (status %d%s%s)\n",
			b.set.n, count, status, vm.error[0] ? ": " : "", vm.error);
		return 1;
	}
	printf("run_ms %.1f checkpoints %zu\n", run_ms, b.set.n);

	struct pagestore_stats st;
	pagestore_stats(&b.set.ps, &st);
	printf("store unique_pages %llu bytes %llu referenced %llu zero %llu\n",
	       (unsigned long long)st.unique_pages, (unsigned long long)st.bytes_stored,
	       (unsigned long long)st.pages_referenced, (unsigned long long)st.zero_pages);
	printf("guest_ram_bytes %llu\n", (unsigned long long)vm.mem.size);

	snprintf(path, sizeof(path), "%s/bench", dir);
	t = now_ms();
	if (checkpoints_save(&b.set, path, 1, err, sizeof(err))) {
		fprintf(stderr, "ckpt_bench: saving: %s\n", err);
		return 1;
	}
	printf("save_ms %.1f\n", now_ms() - t);
	uint64_t disk = 0, snaps = 0;
	snprintf(path, sizeof(path), "%s/bench.ckpt/store", dir);
	disk += file_size(path);
	printf("disk store %llu\n", (unsigned long long)disk);
	for (size_t i = 0; i < b.set.n; i++) {
		snprintf(path, sizeof(path), "%s/bench.ckpt/%04zu.snap", dir, i);
		snaps += file_size(path);
	}
	printf("disk snaps %llu total %llu\n", (unsigned long long)snaps,
	       (unsigned long long)(disk + snaps));

	/* Restores, newest to oldest and back, so that each one moves real state. */
	size_t order[] = { count - 1, 0, count / 2, count - 1, 1, count / 2 };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		size_t k = order[i];
		t = now_ms();
		if (checkpoints_restore(&b.set, k, &vm, err, sizeof(err))) {
			fprintf(stderr, "ckpt_bench: restoring checkpoint %zu: %s\n", k, err);
			return 1;
		}
		double ms = now_ms() - t;
		if (!same_memory(&vm, &b.set, k)) {
			fprintf(stderr, "ckpt_bench: after restoring checkpoint %zu guest RAM differs\n", k);
			return 1;
		}
		printf("restore %zu %.3f\n", k, ms);
	}
	checkpoints_free(&b.set);
	vm_destroy(&vm);
	free(image);
	fclose(console);
	return 0;
}
