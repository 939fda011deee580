/* One gdb session: the protocol state machine between the packet layer and the target. It is
 * driven by bytes (gdb_session_input) and answers through a send callback, so it runs the same
 * over a socket (gdb/server.c) and in the unit tests. */
#ifndef REWIND_GDB_SESSION_H
#define REWIND_GDB_SESSION_H
#include "gdb/gdb.h"
#include "gdb/packet.h"

#include <stdio.h>

#define GDB_REPLY_MAX (GDB_PACKET_MAX + 64)
#define GDB_XML_MAX 16384

struct gdb_session {
	const struct gdb_target_ops *ops;
	void *t;
	/* Sends bytes to gdb; returns 0, or -1 when the connection is gone. */
	int (*send)(void *io, const void *buf, size_t len);
	/* Runs the target; the server wraps ops->resume here to watch for Ctrl-C meanwhile.
	 * NULL: ops->resume is called directly. */
	int (*run)(void *io, enum gdb_resume how, struct gdb_stop *stop);
	void *io;
	FILE *log;

	struct gdb_rx rx;
	bool noack;
	bool done;
	enum gdb_session_end end;
	struct gdb_stop stop;		/* the last stop, repeated for '?' */

	struct gdb_breakpoint bps[GDB_MAX_BREAKPOINTS];
	int nbps;

	char pkt[GDB_PACKET_MAX + 1];	/* the current packet, run-length expanded */
	size_t pkt_len;
	char reply[GDB_REPLY_MAX];
	size_t reply_len;
	bool reply_overflow, no_reply;
	char frame[GDB_REPLY_MAX + 4];	/* the last packet sent, for a '-' retransmission */
	size_t frame_len;
	uint8_t data[GDB_PACKET_MAX];	/* decoded memory and register bytes */
	char xml[GDB_XML_MAX];
	size_t xml_len;
};

void gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops, void *t,
		      int (*send)(void *io, const void *buf, size_t len), void *io, FILE *log);
/* Processes bytes from gdb; replies go out through send. Stops early once s->done. */
void gdb_session_input(struct gdb_session *s, const void *buf, size_t len);
/* Ends the session with the target: clears its breakpoints and tells it gdb left. */
void gdb_session_finish(struct gdb_session *s);

#endif
