/* The remote protocol's framing: "$data#cc" packets with a modulo-256 checksum, '+'/'-'
 * acknowledgements, the 0x03 interrupt byte, '}' escapes and '*' run-length encoding, and the
 * hex encodings the packets carry. Nothing here knows what a packet means. */
#ifndef REWIND_GDB_PACKET_H
#define REWIND_GDB_PACKET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet body we accept, advertised to gdb as PacketSize. */
#define GDB_PACKET_MAX 16384

enum gdb_rx_event {
	GDB_RX_NONE,		/* byte consumed, nothing complete yet (or garbage skipped) */
	GDB_RX_PACKET,		/* rx->buf holds a packet with a good checksum */
	GDB_RX_BAD_CHECKSUM,	/* a packet ended with a wrong or malformed checksum */
	GDB_RX_OVERSIZE,	/* a packet longer than GDB_PACKET_MAX ended; its body is lost */
	GDB_RX_ACK,
	GDB_RX_NACK,
	GDB_RX_INTERRUPT,	/* 0x03 outside a packet */
};

struct gdb_rx {
	enum { RX_IDLE, RX_BODY, RX_SUM1, RX_SUM2 } state;
	uint8_t sum, sum_hi;
	bool sum_bad, overflow;
	size_t len;
	char buf[GDB_PACKET_MAX + 1];	/* the raw body, NUL-terminated once complete */
};

void gdb_rx_init(struct gdb_rx *rx);
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

/* Expands '*' run-length encoding: "x*N" is x repeated N-29 more times. Returns the expanded
 * length, or -1 on a malformed run or if it would not fit in cap. */
long gdb_rle_expand(const char *in, size_t len, char *out, size_t cap);
/* Decodes '}'-escaped binary data (each "}c" is c ^ 0x20). Returns the length, or -1 on a
 * trailing '}' or overflow. */
long gdb_unescape(const char *in, size_t len, uint8_t *out, size_t cap);
/* Escapes binary data for a reply, stopping before cap would be exceeded; *used says how many
 * input bytes went in. Returns the output length. */
size_t gdb_escape(const uint8_t *in, size_t len, char *out, size_t cap, size_t *used);

/* Wraps a body as "$body#cc" into out; returns the frame length, or 0 if cap is too small. */
size_t gdb_frame(const char *body, size_t len, char *out, size_t cap);

int gdb_hex_digit(int c);
/* Decodes 2*n hex digits into n bytes; returns 0, or -1 on a non-hex digit. */
int gdb_hex_decode(const char *hex, size_t n, uint8_t *out);
void gdb_hex_encode(const uint8_t *in, size_t n, char *out);
/* Parses a big-endian hex number (at least one digit, at most 64 bits) at *p, advancing *p.
 * Returns 0 or -1. */
int gdb_parse_hex(const char **p, uint64_t *v);

#endif
