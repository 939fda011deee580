/* Page store micro-benchmark: capture and restore of a 256 MiB guest memory.
 * Build and run (not part of make test):
 *   cc -O2 -I. -o build/pagestore_bench tests/bench/pagestore_bench.c build/librewind.a -lxxhash
 *   build/pagestore_bench [MiB]
 * The memory holds a realistic mix: a quarter zero pages, some duplicated pages, the rest
 * distinct. The incremental capture dirties 1% of the pages. */
#include "core/pagestore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(uint8_t *p, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (size_t i = 0; i < PAGE_SIZE; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
}

static void report(const char *what, double secs, uint64_t bytes)
{
	printf("%-36s %8.1f ms  %8.2f GiB/s\n", what, secs * 1e3,
	       bytes / secs / (1024.0 * 1024 * 1024));
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 256, n;
	struct guest_mem mem;
	struct pagestore ps;
	struct pagestore_stats st;
	struct memimage full, again, inc;
	uint64_t *dirty, digest;
	double t;

	if (!mib || guest_mem_init(&mem, mib << 20) || pagestore_init(&ps)) {
		fprintf(stderr, "pagestore_bench: cannot set up %llu MiB\n", (unsigned long long)mib);
		return 1;
	}
	n = mem.size / PAGE_SIZE;
	dirty = calloc((n + 63) / 64, 8);
	if (!dirty)
		return 1;
	for (uint64_t i = 0; i < n; i++) {
		if (i % 4)
			fill(mem.host + i * PAGE_SIZE, i % 16 == 1 ? 1 : i);
	}

	t = now();
	if (memimage_capture(&ps, &mem, NULL, NULL, &full))
		return 1;
	report("full capture, empty store", now() - t, mem.size);
	t = now();
	if (memimage_capture(&ps, &mem, NULL, NULL, &again))
		return 1;
	report("full capture, all pages known", now() - t, mem.size);

	for (uint64_t i = 0; i < n; i += 100) {
		fill(mem.host + i * PAGE_SIZE, i + n);
		dirty[i / 64] |= 1ULL << (i % 64);
	}
	t = now();
	if (memimage_capture(&ps, &mem, &full, dirty, &inc))
		return 1;
	report("incremental capture, 1% dirty", now() - t, mem.size);

	t = now();
	if (memimage_restore(&ps, &full, &mem, NULL, NULL))
		return 1;
	report("full restore", now() - t, mem.size);
	t = now();
	if (memimage_restore(&ps, &inc, &mem, &full, NULL))
		return 1;
	report("hinted restore, 1% differs", now() - t, mem.size);
	t = now();
	digest = memimage_digest(&ps, &inc);
	printf("%-36s %8.1f ms  %016llx\n", "memory digest", (now() - t) * 1e3,
	       (unsigned long long)digest);

	pagestore_stats(&ps, &st);
	printf("pages referenced %llu, zero %llu, unique %llu, stored %.1f MiB, dedup %.2fx\n",
	       (unsigned long long)st.pages_referenced, (unsigned long long)st.zero_pages,
	       (unsigned long long)st.unique_pages, st.bytes_stored / (1024.0 * 1024),
	       st.dedup_ratio);
	memimage_free(&full);
	memimage_free(&again);
	memimage_free(&inc);
	pagestore_free(&ps);
	guest_mem_free(&mem);
	free(dirty);
	return 0;
}
