/* libFuzzer target: any byte stream from gdb — framing, acks, interrupts, escapes, run-length
 * encoding and every packet's arguments — must get well-formed answers from the session and
 * never crash it. The target is the unit tests' in-memory fake (tests/unit/test_gdb_fake.h),
 * made once, as is a fresh session to copy: its 4 MiB of RAM and the session's target
 * description would cost more per input than the parsing. */
#include "gdb/session.h"
#include "tests/unit/test_gdb_fake.h"

static int discard(void *io, const void *buf, size_t len)
{
	(void)io, (void)buf, (void)len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake *f;
	static struct gdb_session fresh, s;
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return 0;
		fake_init(f);
		gdb_session_init(&fresh, &fake_ops, f, discard, NULL, NULL);
	}
	f->pos = 0;
	f->nbps = 0;
	fake_sync(f);
	s = fresh;
	gdb_session_input(&s, data, size);
	gdb_session_finish(&s);
	return 0;
}
