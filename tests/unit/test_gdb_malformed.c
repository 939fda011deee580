/* Hostile input: every malformed packet gets an error or the empty reply (or, for broken
 * framing, a nack or nothing), and nothing crashes; then a few thousand random packets and
 * random byte streams must all be answered with well-formed frames. */
#include "gdb/packet.h"
#include "gdb/session.h"
#include "tests/unit/check.h"
#include "tests/unit/test_gdb_fake.h"
#include "tests/unit/test_gdb_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *pkt;
	const char *reply;
} hostile[] = {
	{ "m", "E22" }, { "m,", "E22" }, { "mzz,4", "E22" }, { "m1234", "E22" }, { "m1234,", "E22" },
	{ "m1,2,3", "E22" }, { "m10000000000000000,1", "E22" }, { "m-1,4", "E22" },
	{ "mfffffffffffffff8,10", "E14" },	/* wraps around the address space */
	{ "M1,2:zz", "E22" }, { "M1,1:", "E22" }, { "M1,1:000", "E22" },
	{ "Mffffffffffffffff,ffffffffffffffff:00", "E22" }, { "M400000,1;00", "E22" },
	{ "X1,ffffffff:", "E22" }, { "X400000,1:}", "E22" }, { "X400000,2:a", "E22" },
	{ "X400000", "E22" },
	{ "p", "E22" }, { "pzz", "E22" }, { "p-1", "E22" }, { "p1=", "E22" }, { "p10000", "E22" },
	{ "P", "E22" }, { "P1", "E22" }, { "P1=", "E22" }, { "Pffff=00", "E22" },
	{ "P10=00000000000000000", "E22" }, { "G", "E22" }, { "Gzz", "E22" }, { "g1", "E22" },
	{ "Z", "E22" }, { "Z0", "E22" }, { "Z0,", "E22" }, { "Z0,1,", "E22" }, { "Z0,1,1x", "E22" },
	{ "Z9,1,1", "" }, { "z", "E22" }, { "Z0,1,ffffffffffffffff", "E22" },
	{ "H", "E03" }, { "Hx1", "E03" }, { "Hgzz", "E03" }, { "Hg", "E03" }, { "T", "E03" },
	{ "T-2", "E03" }, { "qThreadExtraInfo,zz", "E03" },
	{ "qXfer:features:read:target.xml:", "E00" }, { "qXfer:features:read:target.xml:0", "E00" },
	{ "qXfer:features:read:target.xml:ffffffffffffffff,1", "l" },
	{ "qXfer:features:read:../../etc/passwd:0,10", "E00" },
	{ "qRcmd,", "E22" }, { "qRcmd,4", "E22" },
	{ "vCont;x", "E22" }, { "vCont;c:zz", "E22" }, { "vCont;Cz", "E22" }, { "vCont;;", "E22" },
	{ "c1,2", "E22" }, { "Cxyz", "E22" }, { "S", "E22" }, { "C05;", "E22" },
	{ "bsx", "" }, { "bcc", "" }, { "?x", "" }, { "", "" }, { "\xff\xfe", "" },
	{ "QStartNoAckModeX", "E22" }, { "qCx", "" }, { "vKil", "" },
	{ "m*", "E22" }, { "m1*", "E22" },	/* broken run-length encoding */
};

TEST(hostile_packets_get_errors)
{
	struct ctx *c = setup();
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const char *r = req(c, hostile[i].pkt);
		if (!c->framing_ok || c->packets != 1 + (c->console_len > 0) || strcmp(r, hostile[i].reply)) {
			printf("  \"%s\" -> \"%s\" (%d packets), want \"%s\"\n", hostile[i].pkt, r,
			       c->packets, hostile[i].reply);
			CHECK(0);
		}
	}
	CHECK(!c->s.done);
	CHECK_EQ(c->f.resumes, 0);
	CHECK_EQ(c->f.nbps, 0);
	teardown(c);
}

TEST(broken_framing)
{
	struct ctx *c = setup();
	static const char *const streams[] = {
		"$g#",		/* cut short: nothing until the checksum completes */
		"$g#6",
		"#67",		/* a checksum without a packet */
		"$$$$",		/* starts only */
		"\x03\x03\x03",	/* interrupts while stopped */
		"}}}}****",	/* escape and run characters outside packets */
	};
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		raw(c, streams[i], strlen(streams[i]));
		CHECK_EQ(c->packets, 0);
	}
	/* The session is intact afterwards (after resynchronising on a fresh '$'). */
	CHECK(!strcmp(req(c, "qC"), "QC1"));
	raw(c, "$qC#zz", 6);
	CHECK_EQ(c->out_len, 1);
	CHECK_EQ(c->out[0], '-');
	/* An oversized packet is consumed whole and refused. */
	size_t n = GDB_PACKET_MAX + 10;
	char *big = malloc(n + 1);
	memset(big, '0', n);
	big[0] = 'M';
	big[n] = 0;
	req(c, big);
	CHECK(c->framing_ok);
	CHECK(!strcmp(c->body, "E90"));
	free(big);
	CHECK(!strcmp(req(c, "qC"), "QC1"));
	teardown(c);
}

/* xorshift64: a fixed seed keeps every run the same. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void random_tail(uint64_t *seed, char *p, size_t n)
{
	/* No '$' or '#': those break the framing, which random_byte_streams covers. */
	static const char alphabet[] = "0123456789abcdefABCDEFxyz,:;=-}* \x03\xff";
	for (size_t i = 0; i < n; i++)
		p[i] = alphabet[rnd(seed) % (sizeof(alphabet) - 1)];
}

TEST(random_packets)
{
	static const char *const prefixes[] = {
		"m", "M", "X", "p", "P", "g", "G", "Z0,", "Z2,", "z1,", "Z", "z", "H", "T", "c", "s",
		"C", "S", "vCont;", "vCont?", "qRcmd,", "qXfer:features:read:target.xml:",
		"qSupported", "qThreadExtraInfo,", "bs", "bc", "?", "qC", "qfThreadInfo",
		"QStartNoAckMode", "D", "k", "vKill",
	};
	struct ctx *c = setup();
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char pkt[512];
	int sessions = 1;
	for (int i = 0; i < 20000; i++) {
		const char *pre = prefixes[rnd(&seed) % (sizeof(prefixes) / sizeof(prefixes[0]))];
		size_t plen = strlen(pre), tail = rnd(&seed) % 64;
		memcpy(pkt, pre, plen);
		random_tail(&seed, pkt + plen, tail);
		req_n(c, pkt, plen + tail);
		CHECK(c->framing_ok);
		if (!(c->packets <= 1 || c->console_len)) {
			printf("  %.*s -> %d packets: %.*s\n", (int)(plen + tail), pkt, c->packets, (int)c->out_len, c->out);
			CHECK(0);	/* only monitor output adds packets */
		}
		if (c->s.done) {
			gdb_session_finish(&c->s);
			gdb_session_init(&c->s, &fake_ops, &c->f, cap_send, c, NULL);
			sessions++;
		}
	}
	CHECK(sessions > 1);	/* D and k came up and were handled */
	teardown(c);
}

TEST(random_byte_streams)
{
	struct ctx *c = setup();
	uint64_t seed = 12345;
	uint8_t buf[300];
	for (int i = 0; i < 5000; i++) {
		size_t n = rnd(&seed) % sizeof(buf);
		for (size_t k = 0; k < n; k++) {
			/* Mostly framing characters, so packets do form now and then. */
			uint64_t r = rnd(&seed);
			buf[k] = (r & 3) == 0 ? "$#+-"[(r >> 2) & 3] : (uint8_t)(r >> 8);
		}
		raw(c, buf, n);
		CHECK(c->framing_ok);
		if (c->s.done) {
			gdb_session_finish(&c->s);
			gdb_session_init(&c->s, &fake_ops, &c->f, cap_send, c, NULL);
		}
	}
	/* Still answering properly. */
	raw(c, "$qC#b4", 6);
	CHECK(!strcmp(c->body, "QC1"));
	teardown(c);
}

RUN_TESTS(T(hostile_packets_get_errors), T(broken_framing), T(random_packets), T(random_byte_streams))
