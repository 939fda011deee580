/* The packet layer on raw bytes: framing, checksums, acks, escapes, run-length encoding. */
#include "gdb/packet.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>

static struct gdb_rx rx;

/* Feeds a string; returns the last event that was not NONE. */
static enum gdb_rx_event feed(const char *bytes, size_t n)
{
	enum gdb_rx_event last = GDB_RX_NONE;
	for (size_t i = 0; i < n; i++) {
		enum gdb_rx_event e = gdb_rx_byte(&rx, (uint8_t)bytes[i]);
		if (e != GDB_RX_NONE)
			last = e;
	}
	return last;
}

#define FEED(s) feed(s, sizeof(s) - 1)

TEST(good_packet)
{
	gdb_rx_init(&rx);
	CHECK_EQ(FEED("$g#67"), GDB_RX_PACKET);
	CHECK(!strcmp(rx.buf, "g"));
	CHECK_EQ(FEED("$qSupported#37"), GDB_RX_PACKET);
	CHECK(!strcmp(rx.buf, "qSupported"));
	CHECK_EQ(FEED("$#00"), GDB_RX_PACKET);	/* empty body */
	CHECK_EQ(rx.len, 0);
	CHECK_EQ(FEED("$g#6"), GDB_RX_NONE);	/* incomplete */
	CHECK_EQ(FEED("7"), GDB_RX_PACKET);
	CHECK_EQ(FEED("$m0,1#FA"), GDB_RX_PACKET);	/* upper-case checksum digits */
}

TEST(acks_and_interrupt)
{
	gdb_rx_init(&rx);
	CHECK_EQ(FEED("+"), GDB_RX_ACK);
	CHECK_EQ(FEED("-"), GDB_RX_NACK);
	CHECK_EQ(FEED("\x03"), GDB_RX_INTERRUPT);
	/* Inside a body, + - and 0x03 are data. */
	CHECK_EQ(FEED("$+-\x03#5b"), GDB_RX_PACKET);
	CHECK_EQ(rx.len, 3);
}

TEST(bad_checksums)
{
	gdb_rx_init(&rx);
	CHECK_EQ(FEED("$g#68"), GDB_RX_BAD_CHECKSUM);
	CHECK_EQ(FEED("$g#zz"), GDB_RX_BAD_CHECKSUM);
	CHECK_EQ(FEED("$g#6"), GDB_RX_NONE);
	CHECK_EQ(FEED("$"), GDB_RX_BAD_CHECKSUM);	/* '$' is no hex digit */
	CHECK_EQ(FEED("$g#67"), GDB_RX_PACKET);	/* and the stream recovers */
}

TEST(garbage_and_resync)
{
	gdb_rx_init(&rx);
	CHECK_EQ(FEED("hello\r\n\xff\x00 world"), GDB_RX_NONE);
	/* A packet cut off by a new '$' is dropped; the new one counts. */
	CHECK_EQ(FEED("$m1234,$g#67"), GDB_RX_PACKET);
	CHECK(!strcmp(rx.buf, "g"));
}

TEST(oversize_is_refused_without_overflow)
{
	gdb_rx_init(&rx);
	size_t n = GDB_PACKET_MAX + 100;
	char *big = malloc(n + 5);
	uint8_t sum = 0;
	big[0] = '$';
	for (size_t i = 1; i <= n; i++) {
		big[i] = 'a';
		sum += 'a';
	}
	snprintf(big + n + 1, 4, "#%02x", sum);
	CHECK_EQ(feed(big, n + 4), GDB_RX_OVERSIZE);
	CHECK_EQ(rx.len, GDB_PACKET_MAX);
	free(big);
	CHECK_EQ(FEED("$g#67"), GDB_RX_PACKET);
}

TEST(run_length)
{
	char out[64];
	CHECK_EQ(gdb_rle_expand("0* ", 3, out, sizeof(out)), 4);	/* ' ' = 32: 3 more */
	CHECK(!memcmp(out, "0000", 4));
	CHECK_EQ(gdb_rle_expand("ab*\"c", 5, out, sizeof(out)), 8);	/* '"' = 34: 5 more */
	CHECK(!memcmp(out, "abbbbbbc", 8));
	CHECK_EQ(gdb_rle_expand("*  ", 3, out, sizeof(out)), -1);	/* nothing to repeat */
	CHECK_EQ(gdb_rle_expand("a*", 2, out, sizeof(out)), -1);	/* no count */
	CHECK_EQ(gdb_rle_expand("a*\x01", 3, out, sizeof(out)), -1);	/* count too small */
	CHECK_EQ(gdb_rle_expand("a*~", 3, out, 10), -1);		/* would overflow */
}

TEST(escapes_round_trip)
{
	uint8_t in[256], back[256];
	char enc[512];
	size_t used;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	size_t n = gdb_escape(in, 256, enc, sizeof(enc), &used);
	CHECK_EQ(used, 256);
	CHECK_EQ(n, 260);	/* $ # } * each take two bytes */
	for (size_t i = 0; i < n; i++)
		CHECK(enc[i] != '$' && enc[i] != '#' && enc[i] != '*');
	CHECK_EQ(gdb_unescape(enc, n, back, sizeof(back)), 256);
	CHECK(!memcmp(in, back, 256));
	CHECK_EQ(gdb_unescape("ab}", 3, back, sizeof(back)), -1);	/* trailing escape */
	CHECK_EQ(gdb_unescape("abc", 3, back, 2), -1);		/* overflow */
	/* Escaping stops before a pair that would not fit. */
	n = gdb_escape((const uint8_t *)"a#", 2, enc, 2, &used);
	CHECK_EQ(n, 1);
	CHECK_EQ(used, 1);
}

TEST(framing_and_hex)
{
	char out[16];
	CHECK_EQ(gdb_frame("OK", 2, out, sizeof(out)), 6);
	CHECK(!memcmp(out, "$OK#9a", 6));
	CHECK_EQ(gdb_frame("OK", 2, out, 5), 0);
	const char *p = "ffffffff81000000,10";
	uint64_t v;
	CHECK_EQ(gdb_parse_hex(&p, &v), 0);
	CHECK_EQ(v, 0xffffffff81000000ULL);
	CHECK_EQ(*p, ',');
	p = "0000000000000000001";	/* leading zeros are fine */
	CHECK_EQ(gdb_parse_hex(&p, &v), 0);
	CHECK_EQ(v, 1);
	p = "10000000000000000";	/* 65 bits */
	CHECK_EQ(gdb_parse_hex(&p, &v), -1);
	p = ",1";
	CHECK_EQ(gdb_parse_hex(&p, &v), -1);
	uint8_t b[2];
	CHECK_EQ(gdb_hex_decode("1f", 1, b), 0);
	CHECK_EQ(b[0], 0x1f);
	CHECK_EQ(gdb_hex_decode("1g", 1, b), -1);
	CHECK_EQ(gdb_hex_decode("1", 1, b), -1);	/* stops at the NUL */
}

RUN_TESTS(T(good_packet), T(acks_and_interrupt), T(bad_checksums), T(garbage_and_resync),
	  T(oversize_is_refused_without_overflow), T(run_length), T(escapes_round_trip),
	  T(framing_and_hex))
