/* Writes the fuzz seed corpus: small valid traces of every shape the reader distinguishes
 * (complete, truncated, empty, one big event), made by the real writer. */
#include "tests/unit/test_trace_sample.h"

#include <stdio.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	static const struct sample_opts shapes[] = {
		{ .seed = 1, .nevents = 40, .flush_every = 8 },
		{ .seed = 2, .nevents = 120 },
		{ .seed = 3, .nevents = 60, .flush_every = 10, .no_close = true },
		{ .seed = 4, .nevents = 0 },
		{ .seed = 5, .nevents = 3, .big_every = 2 },
	};
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	mkdir(argv[1], 0755);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		char path[4096];
		struct sample s;
		snprintf(path, sizeof(path), "%s/seed-%zu.rwd", argv[1], i);
		if (sample_write(path, &shapes[i], &s)) {
			fprintf(stderr, "make_seeds: cannot write %s\n", path);
			return 1;
		}
		sample_free(&s);
	}
	return 0;
}
