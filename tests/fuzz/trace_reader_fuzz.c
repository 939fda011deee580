/* libFuzzer target: any byte string handed to the trace reader and the `trace` tools must
 * give an error or events, never a crash, a leak, undefined behaviour or a hang. The input is
 * read both from memory and through a file descriptor (a memfd), so both reader paths run. */
#include "tests/fuzz/fuzz_file.h"
#include "traces/format.h"
#include "traces/tools.h"
#include "traces/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void walk(struct trace_reader *r, const uint8_t *data, size_t size)
{
	struct trace_event ev;
	struct trace_cursor mid = { 0, 0 };
	uint64_t n = 0;
	while (trace_reader_peek(r, &ev) > 0 && trace_reader_next(r, &ev) > 0)
		if (++n == 3)
			trace_reader_tell(r, &mid);
	if (trace_reader_restore(r, &mid) == 0)
		trace_reader_next(r, &ev);
	/* seek to positions taken from the input, then read a little from there */
	for (size_t k = 0; k + 8 <= size && k < 64; k += 8) {
		if (trace_reader_seek(r, get_le64(data + k) % (trace_reader_info(r)->last_pos + 2)))
			break;
		for (int i = 0; i < 4 && trace_reader_next(r, &ev) > 0; i++)
			;
	}
	size_t bl;
	trace_reader_final_blob(r, &bl);
	for (size_t i = 0; i < trace_reader_nsections(r); i++)
		trace_reader_find_section(r, trace_reader_section(r, i)->type,
					  trace_reader_section(r, i)->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct trace_reader *r;
	if (trace_reader_open_mem(&r, data, size, err, sizeof(err)) == 0) {
		walk(r, data, size);
		trace_reader_close(r);
	}

	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	FILE *out = fopen("/dev/null", "w");
	if (out) {
		trace_verify(path, out);
		trace_info(path, out, true);
		trace_dump(path, out);
	}
	if (out)
		fclose(out);
	close(fd);
	return 0;
}
