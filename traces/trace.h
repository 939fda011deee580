/* Rewind traces (*.rwd): the writer the recorder feeds and the reader the replayer and the
 * `rewind trace` tools walk. The byte layout is in docs/trace-format.md.
 *
 * Writer: open with the header sections (VM config, embedded images), append events in
 * non-decreasing position order, flush now and then so a crash loses little, close with the
 * final blob. Reader: open (validates the header and the embedded images), iterate events in
 * order or seek to a position, read the final blob. Every failure is a message naming what
 * and where (file offset); no input makes either side crash. */
#ifndef REWIND_TRACE_H
#define REWIND_TRACE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_VERSION 1
/* The largest event payload; a reader refuses bigger ones, so a writer does too. */
#define TRACE_MAX_PAYLOAD (1u << 20)

/* Section types in the header. Readers keep unknown types as opaque sections. */
enum trace_section_type {
	SEC_CONFIG = 1, /* the VM configuration, serialized by the recorder ("key=value" lines) */
	SEC_IMAGE = 2,	/* an embedded guest image; the trace verifies its XXH3-128 on open */
	SEC_CPUID = 3,	/* the CPUID model, serialized by the recorder */
};

/* The names of the embedded images rewind's recorder writes and its replayer boots from. */
#define TRACE_IMAGE_KERNEL "kernel"
#define TRACE_IMAGE_INITRD "initrd"	/* only when the run had one */

struct trace_section {
	uint32_t type;
	const char *name;	/* NUL-terminated; "" when unnamed */
	const void *data;	/* for SEC_IMAGE: the image bytes */
	uint64_t len;
	uint8_t hash[16];	/* SEC_IMAGE: XXH3-128 of data, canonical (big-endian) bytes */
};

/* Negative status codes returned by the open calls (besides the message). */
enum trace_status {
	TRACE_OK = 0,
	TRACE_EIO = 1,		/* the file cannot be opened or read */
	TRACE_EFORMAT = 2,	/* not a trace, other version, corrupt header */
	TRACE_EIMAGE = 3,	/* an embedded image does not match its hash */
	TRACE_ECORRUPT = 4,	/* a chunk, the index or the trailer is damaged */
	TRACE_ENOMEM = 5,
};

/* ---- writer ---- */

struct trace_writer;

/* Creates `path` and writes and fsyncs the header. On failure returns NULL with a message. */
struct trace_writer *trace_writer_open(const char *path, const struct trace_section *sections,
				       size_t nsections, char *err, size_t errlen);

/* Appends one event. `pos` must not be below the previous event's. Returns 0, -EINVAL for a
 * bad argument (position going backwards, payload above TRACE_MAX_PAYLOAD), or -errno of a
 * failed write; after a write error every later call returns the same error. */
int trace_write_event(struct trace_writer *w, uint8_t type, uint64_t pos, const void *payload,
		      size_t len);

/* Writes the buffered events as a chunk now (nothing when none are buffered). A recorder
 * killed after this leaves them readable. Returns 0 or -errno. */
int trace_writer_flush(struct trace_writer *w);

/* trace_writer_flush, then fdatasync: survives a host crash too. */
int trace_writer_sync(struct trace_writer *w);

/* Flushes, writes the index (with `final_blob`, e.g. final digest and exit status) and the
 * trailer, fsyncs and closes. Frees `w` in every case. Returns 0 or -errno. */
int trace_writer_close(struct trace_writer *w, const void *final_blob, size_t len);

/* Closes and frees without writing the buffered events, the index or the trailer: the file
 * is left as a killed recorder leaves it (whole chunks written so far, reported truncated). */
void trace_writer_abandon(struct trace_writer *w);

/* Events written so far and the last position, for the recorder's progress reports. */
uint64_t trace_writer_events(const struct trace_writer *w);

/* ---- reader ---- */

struct trace_reader;

struct trace_event {
	uint8_t type;
	uint64_t pos;
	uint32_t len;
	const uint8_t *payload; /* valid until the next trace_reader_next/seek */
};

struct trace_file_info {
	uint32_t version;
	uint32_t flags;
	uint64_t created_ns;	/* host wall clock when recorded; never seen by the guest */
	char writer[33];
	uint64_t header_len;	/* offset of the first chunk */
	uint64_t file_size;
	bool truncated;		/* no valid trailer: a recorder that did not close */
	uint64_t nchunks;	/* chunks found (whole ones, when truncated) */
	uint64_t good_end;	/* offset just past the last whole chunk */
	uint64_t last_chunk_off;/* offset of the last whole chunk (0 when none) */
	uint64_t last_pos;	/* position of the last event in a whole chunk */
	bool have_pos;		/* false for a trace without events */
	/* From the index; zero when truncated. */
	uint64_t index_off, nevents, usize, csize;
};

/* Opens and validates a trace: magic, version, header checksum, sections, embedded image
 * hashes; reads the index when the trailer is valid, otherwise walks the chunk headers and
 * marks the trace truncated. Returns 0 and sets *out, or a negative trace_status with a
 * message in err. */
int trace_reader_open(struct trace_reader **out, const char *path, char *err, size_t errlen);
/* The same over a buffer (kept, not copied, until close). */
int trace_reader_open_mem(struct trace_reader **out, const void *data, size_t len, char *err,
			  size_t errlen);
void trace_reader_close(struct trace_reader *r);

const struct trace_file_info *trace_reader_info(const struct trace_reader *r);
size_t trace_reader_nsections(const struct trace_reader *r);
const struct trace_section *trace_reader_section(const struct trace_reader *r, size_t i);
/* The first section of `type` (and `name`, unless NULL), or NULL. */
const struct trace_section *trace_reader_find_section(const struct trace_reader *r, uint32_t type,
						      const char *name);

/* Next event in position order across chunks: 1 with *ev filled, 0 at the end of the trace
 * (for a truncated one: after the last whole chunk), or a negative trace_status with the
 * message in trace_reader_error() (e.g. "chunk 3 at offset 201344: data checksum mismatch"). */
int trace_reader_next(struct trace_reader *r, struct trace_event *ev);

/* The event trace_reader_next would return, without consuming it. Same return values. */
int trace_reader_peek(struct trace_reader *r, struct trace_event *ev);

/* An exact place in the event stream (several events can share a position, so a position
 * alone cannot name one): what a checkpoint stores to resume reading where it was taken. */
struct trace_cursor {
	uint64_t chunk;
	uint32_t event; /* events of that chunk already consumed */
};
void trace_reader_tell(const struct trace_reader *r, struct trace_cursor *c);
/* Returns 0 (the next event is the one that was next at tell), or a negative trace_status. */
int trace_reader_restore(struct trace_reader *r, const struct trace_cursor *c);

/* Positions the reader so the next event is the first one with pos >= `pos`, loading only
 * the chunk that holds it. Returns 0 (also when no such event exists: next then returns 0),
 * or a negative trace_status. */
int trace_reader_seek(struct trace_reader *r, uint64_t pos);

/* The final blob from the index: NULL when truncated. */
const void *trace_reader_final_blob(const struct trace_reader *r, size_t *len);

const char *trace_reader_error(const struct trace_reader *r);

/* Where a chunk is: for tools and for seeking by chunk. Returns false past the end. */
struct trace_chunk_ref {
	uint64_t offset, first_pos, last_pos, nevents;
};
bool trace_reader_chunk(const struct trace_reader *r, uint64_t i, struct trace_chunk_ref *out);
/* Sums over the chunks this reader has loaded so far (for tools' statistics). */
struct trace_load_stats {
	uint64_t chunks, events, usize, csize;
};
void trace_reader_stats(const struct trace_reader *r, struct trace_load_stats *out);

#endif
