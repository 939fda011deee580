/* testos: the CPL3 side of the workloads. The compute tasks do seconds of native work
   between them so that preemption, not cooperation, interleaves them. */
#include "user.h"

#define PRIME_LIMIT 3000000
#define COLLATZ_LIMIT 1000000
#define HASH_WORDS 100000000
#define FERMAT_LIMIT 6000000
#define RACE_BATCH 32
#define PANIC_GIVE_UP_TICKS 3000
#define PANIC_CHECK_EVERY 256

long u_hello_main(long arg)
{
	uint16_t cs;

	(void)arg;
	__asm__("mov %%cs, %0" : "=r"(cs));
	u_printf("hello: hello from a user task at CPL %u\n", cs & 3);
	return 0;
}

/* Trial division by odd numbers: division-heavy on purpose. */
static uint64_t count_primes(uint32_t limit)
{
	uint64_t count = limit > 2;

	for (uint32_t n = 3; n < limit; n += 2) {
		int prime = 1;
		for (uint32_t d = 3; d * d <= n; d += 2)
			if (n % d == 0) {
				prime = 0;
				break;
			}
		count += prime;
	}
	return count;
}

/* The start below limit with the longest Collatz sequence; *terms gets its length. */
static uint64_t collatz_longest(uint32_t limit, uint64_t *terms)
{
	uint64_t best = 1, best_terms = 1;

	for (uint64_t start = 1; start < limit; start++) {
		uint64_t n = start, t = 1;
		while (n != 1) {
			n = n & 1 ? 3 * n + 1 : n >> 1;
			t++;
		}
		if (t > best_terms) {
			best_terms = t;
			best = start;
		}
	}
	*terms = best_terms;
	return best;
}

/* FNV-1a over a xorshift64 stream: a long dependent multiply chain. */
static uint64_t hash_stream(uint64_t words)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, h = 0xcbf29ce484222325ULL;

	for (uint64_t i = 0; i < words; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		h = (h ^ x) * 0x100000001b3ULL;
	}
	return h;
}

static uint64_t pow_mod(uint64_t base, uint64_t exp, uint64_t mod)
{
	uint64_t r = 1;

	base %= mod;
	while (exp) {
		if (exp & 1)
			r = r * base % mod;
		base = base * base % mod;
		exp >>= 1;
	}
	return r;
}

/* Odd n below limit with 2^(n-1) = 1 (mod n): primes plus base-2 pseudoprimes. */
static uint64_t count_fermat(uint32_t limit)
{
	uint64_t count = 0;

	for (uint64_t n = 3; n < limit; n += 2)
		count += pow_mod(2, n - 1, n) == 1;
	return count;
}

/* Tasks finish in any order; each waits for its turn to print so the output is fixed. */
static int u_turn;

/* arg: the task's number in its low byte, and above it a divisor of the work (0 or 1: all of
 * it; compute scale=N). */
long u_compute_main(long arg)
{
	long which = arg & 0xff;
	unsigned div = (unsigned)(arg >> 8) ? (unsigned)(arg >> 8) : 1;
	uint64_t result = 0, terms = 0;
	char line[128];

	switch (which) {
	case 0:
		result = count_primes(PRIME_LIMIT / div);
		snformat(line, sizeof(line), "primes below %u: %lu", PRIME_LIMIT / div, result);
		break;
	case 1:
		result = collatz_longest(COLLATZ_LIMIT / div, &terms);
		snformat(line, sizeof(line), "longest Collatz start below %u: %lu (%lu terms)",
			    COLLATZ_LIMIT / div, result, terms);
		break;
	case 2:
		result = hash_stream(HASH_WORDS / div);
		snformat(line, sizeof(line), "FNV-1a of %u xorshift words: 0x%016lx",
			    HASH_WORDS / div, result);
		break;
	case 3:
		result = count_fermat(FERMAT_LIMIT / div);
		snformat(line, sizeof(line), "base-2 Fermat probable primes below %u: %lu",
			    FERMAT_LIMIT / div, result);
		break;
	}
	while (READ_ONCE(u_turn) != which)
		u_yield();
	u_printf("compute: task %ld: %s\n", which, line);
	WRITE_ONCE(u_turn, (int)which + 1);
	return (long)result;
}

long u_echo_main(long arg)
{
	char line[128];

	(void)arg;
	for (unsigned count = 1;; count++) {
		long len = u_read_line(line, sizeof(line));
		if (len < 0) {
			u_printf("echo: read_line failed: %ld\n", len);
			return 1;
		}
		if (u_streq(line, "quit")) {
			u_printf("echo: quit after %u lines\n", count - 1);
			return 0;
		}
		u_printf("%03u: %s\n", count, line);
	}
}

/* Races for `ticks` timer ticks. */
long u_race_main(long ticks)
{
	uint64_t start = u_ticks();

	while (u_ticks() - start < (uint64_t)ticks)
		u_race_step(RACE_BATCH);
	return 0;
}

/* User work between two flaky system calls: long enough that a timer tick mostly falls in
   it, as a tick would in a real program that mostly computes. */
#define FLAKY_SPIN 2000000

/* Makes the flaky system call between stretches of user work for `ticks` timer ticks. */
long u_flaky_main(long ticks)
{
	uint64_t start = u_ticks();

	while (u_ticks() - start < (uint64_t)ticks) {
		u_flaky_touch();
		for (volatile long i = 0; i < FLAKY_SPIN; i++)
			;
	}
	return 0;
}

/* Runs the buggy system call until the timer catches it in its window (the kernel then
   panics); giving up means the bug did not reproduce. */
long u_panic_main(long arg)
{
	(void)arg;
	for (uint64_t i = 1;; i++) {
		u_session_touch();
		if (i % PANIC_CHECK_EVERY == 0 && u_ticks() > PANIC_GIVE_UP_TICKS)
			return 1;
	}
}
