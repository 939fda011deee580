/* Drives a gdb session with raw packet bytes and splits what it sends back into checked
 * packets: shared by the gdb protocol tests. */
#ifndef REWIND_TEST_GDB_WIRE_H
#define REWIND_TEST_GDB_WIRE_H
#include "gdb/packet.h"
#include "gdb/session.h"
#include "tests/unit/test_gdb_fake.h"

#include <stdlib.h>
#include <string.h>

struct ctx {
	struct fake f;
	struct gdb_session s;
	char out[1 << 17];	/* everything the session sent for the last request */
	size_t out_len;
	char body[1 << 16];	/* the last packet body in out */
	int packets;		/* packets in out */
	char console[1 << 14];	/* decoded 'O' packets */
	size_t console_len;
	bool acked;		/* out began with '+' */
	bool framing_ok;
};

static inline int cap_send(void *io, const void *buf, size_t len)
{
	struct ctx *c = io;
	if (c->out_len + len > sizeof(c->out))
		return -1;
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

static inline struct ctx *setup(void)
{
	struct ctx *c = calloc(1, sizeof(*c));
	fake_init(&c->f);
	gdb_session_init(&c->s, &fake_ops, &c->f, cap_send, c, NULL);
	return c;
}

static inline void teardown(struct ctx *c)
{
	fake_free(&c->f);
	free(c);
}

/* Splits what the session sent into packets, checking each frame's checksum. */
static inline void parse_out(struct ctx *c)
{
	size_t i = 0;
	c->packets = 0;
	c->console_len = 0;
	c->body[0] = 0;
	c->acked = c->out_len && c->out[0] == '+';
	c->framing_ok = true;
	while (i < c->out_len) {
		if (c->out[i] == '+' || c->out[i] == '-') {
			i++;
			continue;
		}
		char *hash = memchr(c->out + i, '#', c->out_len - i);
		if (c->out[i] != '$' || !hash || (size_t)(hash - c->out) + 3 > c->out_len) {
			c->framing_ok = false;
			return;
		}
		size_t n = (size_t)(hash - c->out) - i - 1;
		uint8_t sum = 0, want;
		for (size_t k = 0; k < n; k++)
			sum += (uint8_t)c->out[i + 1 + k];
		if (gdb_hex_decode(hash + 1, 1, &want) || want != sum)
			c->framing_ok = false;
		memcpy(c->body, c->out + i + 1, n);
		c->body[n] = 0;
		if (c->body[0] == 'O' && n > 1 && n % 2) {
			gdb_hex_decode(c->body + 1, n / 2, (uint8_t *)c->console + c->console_len);
			c->console_len += n / 2;
			c->console[c->console_len] = 0;
		}
		c->packets++;
		i += n + 4;
	}
}

static inline void raw(struct ctx *c, const void *bytes, size_t n)
{
	c->out_len = 0;
	gdb_session_input(&c->s, bytes, n);
	parse_out(c);
}

/* Sends one well-formed packet; returns the body of the last reply. */
static inline const char *req_n(struct ctx *c, const char *body, size_t n)
{
	char *frame = malloc(n + 4);
	size_t len = gdb_frame(body, n, frame, n + 4);
	raw(c, frame, len);
	free(frame);
	return c->body;
}

static inline const char *req(struct ctx *c, const char *body)
{
	return req_n(c, body, strlen(body));
}

static inline bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

#endif
