/* The protocol engine on raw packet bytes, against the in-memory target. */
#include "gdb/packet.h"
#include "gdb/regs.h"
#include "gdb/session.h"
#include "tests/unit/check.h"
#include "tests/unit/test_gdb_fake.h"
#include "tests/unit/test_gdb_wire.h"

#include <stdlib.h>
#include <string.h>

/* Register numbers in the 'g' layout (see gdb/regs.c). */
enum { R_RAX = 0, R_RIP = 16, R_EFLAGS = 17, R_CS = 18, R_FTAG = 34, R_XMM1 = 41, R_MXCSR = 56,
       R_FS_BASE = 57, R_GS_BASE = 58, R_CR0 = 59, R_CR3 = 61, R_EFER = 64, NREGS = 65 };

TEST(supported_and_thread_queries)
{
	struct ctx *c = setup();
	const char *r = req(c, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
	CHECK(c->acked && c->framing_ok);
	CHECK(strstr(r, "PacketSize=4000"));
	CHECK(strstr(r, "qXfer:features:read+"));
	CHECK(strstr(r, "swbreak+") && strstr(r, "hwbreak+"));
	CHECK(strstr(r, "ReverseStep+") && strstr(r, "ReverseContinue+"));
	CHECK(strstr(r, "QStartNoAckMode+"));
	CHECK(!strcmp(req(c, "qC"), "QC1"));
	CHECK(!strcmp(req(c, "qfThreadInfo"), "m1"));
	CHECK(!strcmp(req(c, "qsThreadInfo"), "l"));
	CHECK(!strcmp(req(c, "qAttached"), "1"));
	CHECK(!strcmp(req(c, "Hg0"), "OK"));
	CHECK(!strcmp(req(c, "Hc-1"), "OK"));
	CHECK(!strcmp(req(c, "Hg1"), "OK"));
	CHECK(!strcmp(req(c, "Hg2"), "E03"));
	CHECK(!strcmp(req(c, "T1"), "OK"));
	CHECK(!strcmp(req(c, "T5"), "E03"));
	CHECK(!strcmp(req(c, "qThreadExtraInfo,1"), "764350552030"));	/* "vCPU 0" */
	CHECK(!strcmp(req(c, "vCont?"), "vCont;c;C;s;S"));
	CHECK(!strcmp(req(c, "vMustReplyEmpty"), ""));
	CHECK(!strcmp(req(c, "qTStatus"), ""));
	CHECK(starts(req(c, "?"), "T05thread:1;"));
	teardown(c);
}

TEST(no_reverse_without_history)
{
	struct ctx *c = setup();
	struct gdb_target_ops ops = fake_ops;
	ops.can_reverse = false;
	gdb_session_init(&c->s, &ops, &c->f, cap_send, c, NULL);
	CHECK(!strstr(req(c, "qSupported"), "Reverse"));
	CHECK(!strcmp(req(c, "bs"), ""));
	CHECK(!strcmp(req(c, "bc"), ""));
	CHECK_EQ(c->f.resumes, 0);
	teardown(c);
}

TEST(target_xml)
{
	struct ctx *c = setup();
	static char xml[GDB_XML_MAX];
	size_t len = 0;
	for (int i = 0; i < 100; i++) {
		char q[64];
		snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%zx,3e8", len);
		const char *r = req(c, q);
		CHECK(r[0] == 'm' || r[0] == 'l');
		long n = gdb_unescape(r + 1, strlen(r + 1), (uint8_t *)xml + len, sizeof(xml) - len - 1);
		CHECK(n >= 0 && n <= 1000);
		len += (size_t)n;
		if (r[0] == 'l')
			break;
	}
	xml[len] = 0;
	CHECK(starts(xml, "<?xml"));
	CHECK(strstr(xml, "<architecture>i386:x86-64</architecture>"));
	CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.i386.core\">"));
	CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.i386.sse\">"));
	CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.i386.segments\">"));
	CHECK(strstr(xml, "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\" regnum=\"57\""));
	CHECK(strstr(xml, "<reg name=\"cr3\" bitsize=\"64\" type=\"int64\" regnum=\"61\""));
	CHECK(strstr(xml, "<reg name=\"efer\" bitsize=\"64\" type=\"x86_efer\" regnum=\"64\""));
	CHECK(strstr(xml, "</target>"));
	int regs = 0;
	for (const char *p = xml; (p = strstr(p, "<reg ")); p++)
		regs++;
	CHECK_EQ(regs, NREGS);
	CHECK_EQ(gdb_reg_count(), NREGS);
	/* Past the end, and an annex we do not have. */
	CHECK(!strcmp(req(c, "qXfer:features:read:target.xml:10000,10"), "l"));
	CHECK(!strcmp(req(c, "qXfer:features:read:i386.xml:0,10"), "E00"));
	CHECK(!strcmp(req(c, "qXfer:features:read:target.xml:zz"), "E00"));
	teardown(c);
}

static uint64_t reg_value(struct ctx *c, int n)
{
	char q[16];
	uint8_t v[8] = { 0 };
	snprintf(q, sizeof(q), "p%x", n);
	const char *r = req(c, q);
	gdb_hex_decode(r, strlen(r) / 2 > 8 ? 8 : strlen(r) / 2, v);
	uint64_t x;
	memcpy(&x, v, 8);
	return x;
}

TEST(registers)
{
	struct ctx *c = setup();
	const char *r = req(c, "g");
	CHECK_EQ(strlen(r), 2 * (size_t)gdb_regs_size());
	CHECK(starts(r, "8877665544332211"));
	CHECK_EQ(reg_value(c, R_RAX), 0x1122334455667788ULL);
	CHECK_EQ(reg_value(c, R_RIP), FAKE_CODE_VA);
	CHECK(!strcmp(req(c, "p11"), "46020000"));	/* eflags, 32 bits */
	CHECK(!strcmp(req(c, "p12"), "10000000"));	/* cs selector */
	CHECK_EQ(reg_value(c, R_FS_BASE), 0x7f0000001000ULL);
	CHECK_EQ(reg_value(c, R_GS_BASE), 0xffff888000000000ULL);
	CHECK_EQ(reg_value(c, R_CR0), 0x80050033ULL);
	CHECK_EQ(reg_value(c, R_CR3), FAKE_PML4);
	CHECK_EQ(reg_value(c, R_EFER), 0x501);
	CHECK_EQ(reg_value(c, R_MXCSR), 0x1f80);
	CHECK(!strcmp(req(c, "p22"), "ffff0000"));	/* ftag: all empty */
	CHECK(starts(req(c, "p29"), "42000000"));	/* xmm1 */
	CHECK_EQ(strlen(req(c, "p18")), 20);		/* st0 is 80 bits */
	CHECK(!strcmp(req(c, "p41"), "E22"));		/* no register 65 */

	CHECK(!strcmp(req(c, "P10=0010000000000000"), "OK"));
	CHECK_EQ(c->f.regs.rip, 0x1000);
	CHECK(!strcmp(req(c, "P3d=0020000000000000"), "OK"));
	CHECK_EQ(c->f.sregs.cr3, 0x2000);
	CHECK(!strcmp(req(c, "P39=0010000000000000"), "OK"));
	CHECK_EQ(c->f.sregs.fs.base, 0x1000);
	CHECK(!strcmp(req(c, "P10=00"), "E22"));	/* wrong size */
	CHECK(!strcmp(req(c, "P10=zz10000000000000"), "E22"));

	/* G writes back what g read, with rax changed. */
	static char g[4096];
	snprintf(g, sizeof(g), "G%s", req(c, "g"));
	memcpy(g + 1, "0100000000000000", 16);
	CHECK(!strcmp(req(c, g), "OK"));
	CHECK_EQ(c->f.regs.rax, 1);
	CHECK_EQ(c->f.sregs.cr3, 0x2000);
	g[strlen(g) - 2] = 0;
	CHECK(!strcmp(req(c, g), "E22"));
	teardown(c);
}

TEST(fpu_optional)
{
	struct ctx *c = setup();
	struct gdb_target_ops ops = fake_ops;
	ops.get_fpu = NULL;
	ops.set_fpu = NULL;
	gdb_session_init(&c->s, &ops, &c->f, cap_send, c, NULL);
	CHECK_EQ(reg_value(c, R_MXCSR), 0);
	CHECK(!strcmp(req(c, "P39=0100000000000000"), "OK"));	/* not FPU: fine */
	CHECK(starts(req(c, "P38=01000000"), "E"));	/* mxcsr without set_fpu */
	CHECK(starts(req(c, "P29=01000000000000000000000000000000"), "E"));
	teardown(c);
}

TEST(memory_reads_walk_the_page_tables)
{
	struct ctx *c = setup();
	char q[64];
	snprintf(q, sizeof(q), "m%llx,4", (unsigned long long)FAKE_CODE_VA);
	CHECK(!strcmp(req(c, q), "90909090"));
	c->f.pos = 7;
	fake_sync(&c->f);
	snprintf(q, sizeof(q), "m%llx,8", (unsigned long long)FAKE_DATA_VA);
	CHECK(!strcmp(req(c, q), "0700000000000000"));
	/* The 1 GiB page maps guest-physical 0: the code's frame is at 0x5000. */
	snprintf(q, sizeof(q), "m%llx,2", (unsigned long long)FAKE_GIG_VA + FAKE_CODE_PA);
	CHECK(!strcmp(req(c, q), "9090"));
	/* Inside that page but past the end of RAM. */
	snprintf(q, sizeof(q), "m%llx,2", (unsigned long long)FAKE_GIG_VA + FAKE_RAM);
	CHECK(!strcmp(req(c, q), "E14"));
	CHECK(!strcmp(req(c, "m1000,4"), "E14"));		/* not mapped */
	CHECK(!strcmp(req(c, "m800000000000,4"), "E14"));	/* not canonical */
	/* A read running into an unmapped page stops there. */
	snprintf(q, sizeof(q), "m%llx,8", (unsigned long long)FAKE_CODE_VA + 0xffc);
	CHECK(!strcmp(req(c, q), "90909090"));
	snprintf(q, sizeof(q), "m%llx,0", (unsigned long long)FAKE_CODE_VA);
	CHECK(!strcmp(req(c, q), ""));
	/* An absurd length is cut to what fits in a packet. */
	snprintf(q, sizeof(q), "m%llx,ffffffffffffffff", (unsigned long long)FAKE_GIG_VA);
	CHECK_EQ(strlen(req(c, q)), GDB_PACKET_MAX);
	/* With paging off addresses are physical. */
	c->f.sregs.cr0 = 0x11;
	snprintf(q, sizeof(q), "m%llx,2", (unsigned long long)FAKE_CODE_PA);
	CHECK(!strcmp(req(c, q), "9090"));
	teardown(c);
}

TEST(memory_writes)
{
	struct ctx *c = setup();
	char q[128];
	snprintf(q, sizeof(q), "M%llx,4:deadbeef", (unsigned long long)FAKE_DATA_VA + 16);
	CHECK(!strcmp(req(c, q), "OK"));
	CHECK(!memcmp(c->f.ram + FAKE_DATA_PA + 16, "\xde\xad\xbe\xef", 4));
	snprintf(q, sizeof(q), "M%llx,4:dead", (unsigned long long)FAKE_DATA_VA);
	CHECK(!strcmp(req(c, q), "E22"));	/* too little data */
	CHECK(!strcmp(req(c, "M1000,1:00"), "E14"));
	/* X carries binary: $ # } * are escaped, NUL is not. */
	static const uint8_t data[] = { 0x23, 0x24, 0x7d, 0x2a, 0x00, 0x41 };
	int n = snprintf(q, sizeof(q), "X%llx,6:", (unsigned long long)FAKE_DATA_VA + 32);
	size_t used;
	n += (int)gdb_escape(data, sizeof(data), q + n, sizeof(q) - (size_t)n, &used);
	CHECK(!strcmp(req_n(c, q, (size_t)n), "OK"));
	CHECK(!memcmp(c->f.ram + FAKE_DATA_PA + 32, data, sizeof(data)));
	snprintf(q, sizeof(q), "X%llx,0:", (unsigned long long)FAKE_DATA_VA);
	CHECK(!strcmp(req(c, q), "OK"));
	snprintf(q, sizeof(q), "X%llx,3:ab", (unsigned long long)FAKE_DATA_VA);
	CHECK(!strcmp(req(c, q), "E22"));
	/* A target without write_phys (a read-only trace) refuses. */
	struct gdb_target_ops ops = fake_ops;
	ops.write_phys = NULL;
	gdb_session_init(&c->s, &ops, &c->f, cap_send, c, NULL);
	snprintf(q, sizeof(q), "M%llx,1:00", (unsigned long long)FAKE_DATA_VA);
	CHECK(!strcmp(req(c, q), "E30"));
	teardown(c);
}

TEST(breakpoints_and_stops)
{
	struct ctx *c = setup();
	char q[64], want[128];
	uint64_t bp = FAKE_CODE_VA + 100;
	snprintf(q, sizeof(q), "Z0,%llx,1", (unsigned long long)bp);
	CHECK(!strcmp(req(c, q), "OK"));
	CHECK(!strcmp(req(c, q), "OK"));	/* idempotent */
	CHECK_EQ(c->f.nbps, 1);
	CHECK_EQ(c->f.bps[0].addr, bp);
	CHECK_EQ(c->f.bps[0].type, GDB_BP_SOFTWARE);
	const char *r = req(c, "c");
	CHECK(starts(r, "T05swbreak:;thread:1;"));
	snprintf(want, sizeof(want), "10:%016llx;", (unsigned long long)__builtin_bswap64(bp));
	CHECK(strstr(r, want));		/* rip expedited */
	CHECK_EQ(c->f.pos, 100);
	CHECK(starts(req(c, "s"), "T05thread:1;"));
	CHECK_EQ(c->f.pos, 101);
	CHECK(starts(req(c, "bs"), "T05thread:1;"));
	CHECK_EQ(c->f.pos, 100);
	CHECK(starts(req(c, "bc"), "T05replaylog:begin;"));
	CHECK_EQ(c->f.pos, 0);
	CHECK(starts(req(c, "?"), "T05replaylog:begin;"));
	snprintf(q, sizeof(q), "z0,%llx,1", (unsigned long long)bp);
	CHECK(!strcmp(req(c, q), "OK"));
	CHECK(!strcmp(req(c, q), "OK"));
	CHECK_EQ(c->f.nbps, 0);

	snprintf(q, sizeof(q), "Z1,%llx,1", (unsigned long long)bp + 5);
	CHECK(!strcmp(req(c, q), "OK"));
	CHECK(starts(req(c, "vCont;c"), "T05hwbreak:;"));
	CHECK_EQ(c->f.pos, 105);
	CHECK(!strcmp(req(c, "bc"), c->body));
	CHECK(starts(c->body, "T05replaylog:begin;"));
	snprintf(q, sizeof(q), "z1,%llx,1", (unsigned long long)bp + 5);
	req(c, q);

	/* Watchpoints: every instruction writes the data word. */
	snprintf(q, sizeof(q), "Z2,%llx,8", (unsigned long long)FAKE_DATA_VA);
	CHECK(!strcmp(req(c, q), "OK"));
	CHECK(starts(req(c, "c"), "T05watch:400000;"));
	CHECK_EQ(c->f.pos, 1);
	snprintf(q, sizeof(q), "z2,%llx,8", (unsigned long long)FAKE_DATA_VA);
	req(c, q);
	snprintf(q, sizeof(q), "Z4,%llx,4", (unsigned long long)FAKE_DATA_VA);
	req(c, q);
	CHECK(starts(req(c, "vCont;s:1"), "T05awatch:400000;"));
	snprintf(q, sizeof(q), "z4,%llx,4", (unsigned long long)FAKE_DATA_VA);
	req(c, q);

	CHECK(starts(req(c, "c"), "T05replaylog:end;"));
	CHECK_EQ(c->f.pos, FAKE_HISTORY);
	teardown(c);
}

TEST(breakpoint_table_limits)
{
	struct ctx *c = setup();
	char q[64];
	for (int i = 0; i < 4; i++) {
		snprintf(q, sizeof(q), "Z2,%x,4", 0x1000 + 8 * i);
		CHECK(!strcmp(req(c, q), "OK"));
	}
	/* The target has four watch registers: the fifth is refused and the table kept. */
	CHECK(!strcmp(req(c, "Z3,2000,4"), "E28"));
	CHECK_EQ(c->f.nbps, 4);
	CHECK_EQ(c->s.nbps, 4);
	for (int i = 4; i < GDB_MAX_BREAKPOINTS; i++) {
		snprintf(q, sizeof(q), "Z0,%x,1", 0x5000 + i);
		CHECK(!strcmp(req(c, q), "OK"));
	}
	CHECK(!strcmp(req(c, "Z0,9999,1"), "E28"));
	CHECK(!strcmp(req(c, "Z5,1000,1"), ""));	/* no such type */
	CHECK(!strcmp(req(c, "Z0,1000"), "E22"));
	CHECK(!strcmp(req(c, "Z0,1000,0"), "E22"));
	CHECK(!strcmp(req(c, "Z0,,1"), "E22"));
	CHECK(!strcmp(req(c, "z0,5004,1;X1,ab"), "OK"));	/* conditions ignored */
	/* Ending the session clears the target's table. */
	gdb_session_finish(&c->s);
	CHECK_EQ(c->f.nbps, 0);
	CHECK(c->f.detached && !c->f.killed);
	teardown(c);
}

TEST(resume_variants)
{
	struct ctx *c = setup();
	char q[64];
	snprintf(q, sizeof(q), "s%llx", (unsigned long long)FAKE_CODE_VA + 50);
	CHECK(starts(req(c, q), "T05"));
	CHECK_EQ(c->f.pos, 51);
	CHECK(starts(req(c, "S05"), "T05"));
	CHECK_EQ(c->f.pos, 52);
	snprintf(q, sizeof(q), "S0b;%llx", (unsigned long long)FAKE_CODE_VA + 10);
	CHECK(starts(req(c, q), "T05"));
	CHECK_EQ(c->f.pos, 11);
	CHECK(starts(req(c, "vCont;S05:1;c"), "T05"));
	CHECK_EQ(c->f.pos, 12);
	CHECK(starts(req(c, "vCont;s:2;c"), "T05replaylog:end;"));	/* s is for another thread */
	CHECK(!strcmp(req(c, "vCont;t"), "E22"));
	CHECK(!strcmp(req(c, "vCont;r1,2"), "E22"));
	CHECK(!strcmp(req(c, "vCont;"), "E22"));
	CHECK(!strcmp(req(c, "sxyz"), "E22"));
	CHECK(!strcmp(req(c, "Czz"), "E22"));
	teardown(c);
}

TEST(exit_is_final)
{
	struct ctx *c = setup();
	c->f.exit_at_end = true;
	CHECK(!strcmp(req(c, "c"), "W03"));
	CHECK(!strcmp(req(c, "?"), "W03"));
	int resumes = c->f.resumes;
	CHECK(!strcmp(req(c, "c"), "W03"));
	CHECK_EQ(c->f.resumes, resumes);
	teardown(c);
}

TEST(monitor_commands)
{
	struct ctx *c = setup();
	c->f.pos = 42;
	CHECK(!strcmp(req(c, "qRcmd,7768656e"), "OK"));	/* "when" */
	CHECK_EQ(c->packets, 2);
	CHECK(!strcmp(c->console, "position 42 of 1000\n"));
	CHECK(!strcmp(req(c, "qRcmd,676f746f20333333"), "OK"));	/* "goto 333" */
	CHECK_EQ(c->f.pos, 333);
	CHECK(!strcmp(req(c, "qRcmd,6c6f6e67"), "OK"));	/* "long": several O packets */
	CHECK(c->packets > 5);
	CHECK_EQ(c->console_len, 300 * 26);
	CHECK(starts(c->console + 299 * 26, "line 299 of a long answer\n"));
	CHECK(!strcmp(req(c, "qRcmd,78"), "E22"));	/* "x": unknown */
	CHECK(!strcmp(c->console, "unknown command: x\n"));
	CHECK(!strcmp(req(c, "qRcmd,7"), "E22"));	/* odd hex */
	CHECK(!strcmp(req(c, "qRcmd,7800"), "E22"));	/* NUL inside */
	CHECK(!strcmp(req(c, "qRcmd,zz"), "E22"));
	struct gdb_target_ops ops = fake_ops;
	ops.monitor = NULL;
	gdb_session_init(&c->s, &ops, &c->f, cap_send, c, NULL);
	CHECK(!strcmp(req(c, "qRcmd,7768656e"), ""));
	teardown(c);
}

TEST(acks_retransmit_and_noack)
{
	struct ctx *c = setup();
	req(c, "qC");
	CHECK(c->acked);
	raw(c, "-", 1);	/* gdb did not get it: send it again */
	CHECK(!strcmp(c->out, "$QC1#c5") || !memcmp(c->out, "$QC1#c5", 7));
	raw(c, "$qC#00", 6);	/* bad checksum: nack, no reply */
	CHECK_EQ(c->out_len, 1);
	CHECK_EQ(c->out[0], '-');
	raw(c, "junk\r\n+++", 9);	/* noise and acks alone: nothing */
	CHECK_EQ(c->out_len, 0);
	raw(c, "\x03", 1);	/* nothing runs: ignored */
	CHECK_EQ(c->out_len, 0);
	CHECK(!strcmp(req(c, "QStartNoAckMode"), "OK"));
	CHECK(c->acked);
	CHECK(!strcmp(req(c, "qC"), "QC1"));
	CHECK(!c->acked);
	raw(c, "$qC#00", 6);	/* without acks, a bad packet is just dropped */
	CHECK_EQ(c->out_len, 0);
	raw(c, "-", 1);
	CHECK_EQ(c->out_len, 0);
	teardown(c);
}

TEST(detach_and_kill)
{
	struct ctx *c = setup();
	req(c, "Z0,1234,1");
	CHECK(!strcmp(req(c, "D"), "OK"));
	CHECK(c->s.done);
	CHECK_EQ(c->s.end, GDB_END_DETACH);
	req(c, "qC");	/* nothing after the end */
	CHECK_EQ(c->out_len, 0);
	gdb_session_finish(&c->s);
	CHECK_EQ(c->f.nbps, 0);
	CHECK(c->f.detached && !c->f.killed);

	gdb_session_init(&c->s, &fake_ops, &c->f, cap_send, c, NULL);
	req(c, "k");
	CHECK_EQ(c->packets, 0);	/* k has no reply */
	CHECK(c->s.done);
	CHECK_EQ(c->s.end, GDB_END_KILL);
	gdb_session_finish(&c->s);
	CHECK(c->f.killed);

	gdb_session_init(&c->s, &fake_ops, &c->f, cap_send, c, NULL);
	CHECK(!strcmp(req(c, "vKill;1"), "OK"));
	CHECK_EQ(c->s.end, GDB_END_KILL);
	teardown(c);
}

RUN_TESTS(T(supported_and_thread_queries), T(no_reverse_without_history), T(target_xml),
	  T(registers), T(fpu_optional), T(memory_reads_walk_the_page_tables), T(memory_writes),
	  T(breakpoints_and_stops), T(breakpoint_table_limits), T(resume_variants), T(exit_is_final),
	  T(monitor_commands), T(acks_retransmit_and_noack), T(detach_and_kill))
