#include "gdb/packet.h"

#include <string.h>

void gdb_rx_init(struct gdb_rx *rx)
{
	rx->state = RX_IDLE;
	rx->len = 0;
	rx->buf[0] = 0;
}

int gdb_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	switch (rx->state) {
	case RX_IDLE:
		if (c == '$') {
			rx->state = RX_BODY;
			rx->len = 0;
			rx->sum = 0;
			rx->overflow = false;
			return GDB_RX_NONE;
		}
		if (c == '+')
			return GDB_RX_ACK;
		if (c == '-')
			return GDB_RX_NACK;
		if (c == 0x03)
			return GDB_RX_INTERRUPT;
		return GDB_RX_NONE;	/* line noise between packets */
	case RX_BODY:
		if (c == '#') {
			rx->state = RX_SUM1;
			return GDB_RX_NONE;
		}
		if (c == '$') {
			/* A '$' cannot be in a body (it is escaped): the previous packet was cut off,
			 * resynchronise on the new one. */
			rx->len = 0;
			rx->sum = 0;
			rx->overflow = false;
			return GDB_RX_NONE;
		}
		rx->sum += c;
		if (rx->len < GDB_PACKET_MAX)
			rx->buf[rx->len++] = (char)c;
		else
			rx->overflow = true;
		return GDB_RX_NONE;
	case RX_SUM1:
		rx->sum_bad = gdb_hex_digit(c) < 0;
		rx->sum_hi = rx->sum_bad ? 0 : (uint8_t)gdb_hex_digit(c);
		rx->state = RX_SUM2;
		return GDB_RX_NONE;
	case RX_SUM2: {
		rx->state = RX_IDLE;
		rx->buf[rx->len] = 0;
		int lo = gdb_hex_digit(c);
		if (rx->sum_bad || lo < 0 || (uint8_t)(rx->sum_hi << 4 | lo) != rx->sum)
			return GDB_RX_BAD_CHECKSUM;
		return rx->overflow ? GDB_RX_OVERSIZE : GDB_RX_PACKET;
	}
	}
	return GDB_RX_NONE;
}

long gdb_rle_expand(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (in[i] != '*') {
			if (o >= cap)
				return -1;
			out[o++] = in[i];
			continue;
		}
		/* A run needs something to repeat and a count character; gdb never sends counts
		 * that would encode as '#' or '$', nor below 3. */
		if (o == 0 || i + 1 >= len)
			return -1;
		int n = (uint8_t)in[++i] - 29;
		if (n < 3 || n > 97 || in[i] == '#' || in[i] == '$')
			return -1;
		if (cap - o < (size_t)n)
			return -1;
		memset(out + o, out[o - 1], (size_t)n);
		o += (size_t)n;
	}
	return (long)o;
}

long gdb_unescape(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)in[i];
		if (c == '}') {
			if (++i >= len)
				return -1;
			c = (uint8_t)in[i] ^ 0x20;
		}
		if (o >= cap)
			return -1;
		out[o++] = c;
	}
	return (long)o;
}

size_t gdb_escape(const uint8_t *in, size_t len, char *out, size_t cap, size_t *used)
{
	size_t o = 0, i = 0;
	for (; i < len; i++) {
		uint8_t c = in[i];
		int esc = c == '$' || c == '#' || c == '}' || c == '*';
		if (o + 1 + (size_t)esc > cap)
			break;
		if (esc) {
			out[o++] = '}';
			c ^= 0x20;
		}
		out[o++] = (char)c;
	}
	*used = i;
	return o;
}

size_t gdb_frame(const char *body, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	if (len + 4 > cap)
		return 0;
	uint8_t sum = 0;
	out[0] = '$';
	for (size_t i = 0; i < len; i++) {
		sum += (uint8_t)body[i];
		out[1 + i] = body[i];
	}
	out[len + 1] = '#';
	out[len + 2] = hex[sum >> 4];
	out[len + 3] = hex[sum & 15];
	return len + 4;
}

int gdb_hex_decode(const char *hex, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = gdb_hex_digit((uint8_t)hex[2 * i]), lo;
		if (hi < 0 || (lo = gdb_hex_digit((uint8_t)hex[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void gdb_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
}

int gdb_parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;
	for (int d; (d = gdb_hex_digit((uint8_t)*s)) >= 0; s++, n++) {
		if (x >> 60)
			return -1;	/* more than 64 bits */
		x = x << 4 | (uint64_t)d;
	}
	if (n == 0)
		return -1;
	*p = s;
	*v = x;
	return 0;
}
