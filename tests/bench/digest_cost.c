/* digest_cost: what a whole-memory state digest costs on this host, for tests/bench/run.sh.
 *   build/bench/run/digest_cost [MiB]     (default 256, rewind's default guest RAM)
 * rewind's final state digest (core/digest.c, vm_state_digest with memory) hashes all of guest
 * RAM with XXH3-128 at the end of every record and every replay --verify. Guest RAM is an
 * anonymous mapping of which a small guest touches a few MiB, so that hash first faults in
 * every untouched page. This maps fresh memory the same way and prints, in milliseconds:
 *   first=MS second=MS
 * first: the hash over untouched memory (faults and hashing, what the digest pays);
 * second: the same hash again (hashing only). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <xxhash.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
	if (mib == 0 || mib > 4096) {
		fprintf(stderr, "usage: digest_cost [MiB, 1..4096]\n");
		return 2;
	}
	size_t size = mib << 20;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (p == MAP_FAILED) {
		perror("digest_cost: mmap");
		return 1;
	}
	double t0 = now();
	XXH128_hash_t a = XXH3_128bits(p, size);
	double t1 = now();
	XXH128_hash_t b = XXH3_128bits(p, size);
	double t2 = now();
	if (!XXH128_isEqual(a, b)) {
		fprintf(stderr, "digest_cost: two hashes of unchanged memory differ\n");
		return 1;
	}
	printf("first=%.3f second=%.3f\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3);
	munmap(p, size);
	return 0;
}
