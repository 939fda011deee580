/* The console's escape key (core/console_escape.c): what reaches the guest and what acts. */
#include "core/console_escape.h"
#include "tests/unit/check.h"

#include <string.h>

/* Filters `in` (len bytes) into buf; returns the bytes left for the guest. */
static size_t filter(struct console_escape *e, uint8_t *buf, const char *in, size_t len,
		     unsigned *commands)
{
	memcpy(buf, in, len);
	return console_escape_filter(e, buf, len, commands);
}

TEST(plain_keys_and_ctrl_c_pass_unchanged)
{
	struct console_escape e = { 0 };
	uint8_t buf[16];
	unsigned cmds;
	CHECK_EQ(filter(&e, buf, "ab\x03\r\x7f", 5, &cmds), 5);
	CHECK(!memcmp(buf, "ab\x03\r\x7f", 5));
	CHECK_EQ(cmds, 0);
}

TEST(ctrl_a_twice_sends_one_ctrl_a)
{
	struct console_escape e = { 0 };
	uint8_t buf[16];
	unsigned cmds;
	CHECK_EQ(filter(&e, buf, "a\x01\x01z", 4, &cmds), 3);
	CHECK(!memcmp(buf, "a\x01z", 3));
	CHECK_EQ(cmds, 0);
}

TEST(help_and_unknown_commands_are_taken_out)
{
	struct console_escape e = { 0 };
	uint8_t buf[16];
	unsigned cmds;
	CHECK_EQ(filter(&e, buf, "a\x01hb\x01qc", 7, &cmds), 3);
	CHECK(!memcmp(buf, "abc", 3));
	CHECK_EQ(cmds, CONSOLE_HELP);
}

TEST(quit_drops_the_rest)
{
	struct console_escape e = { 0 };
	uint8_t buf[16];
	unsigned cmds;
	CHECK_EQ(filter(&e, buf, "ok\x01xlost", 8, &cmds), 2);
	CHECK_EQ(cmds, CONSOLE_QUIT);
}

/* A terminal can hand over Ctrl-A and its command in two reads. */
TEST(escape_key_carries_over_between_reads)
{
	struct console_escape e = { 0 };
	uint8_t buf[16];
	unsigned cmds;
	CHECK_EQ(filter(&e, buf, "a\x01", 2, &cmds), 1);
	CHECK_EQ(cmds, 0);
	CHECK_EQ(filter(&e, buf, "x", 1, &cmds), 0);
	CHECK_EQ(cmds, CONSOLE_QUIT);
	e.pending = false;
	CHECK_EQ(filter(&e, buf, "\x01", 1, &cmds), 0);
	CHECK_EQ(filter(&e, buf, "\x01", 1, &cmds), 1);
	CHECK_EQ(buf[0], 1);
}

RUN_TESTS(T(plain_keys_and_ctrl_c_pass_unchanged), T(ctrl_a_twice_sends_one_ctrl_a),
	  T(help_and_unknown_commands_are_taken_out), T(quit_drops_the_rest),
	  T(escape_key_carries_over_between_reads))
