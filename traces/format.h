/* The on-disk layout of a rewind trace, shared by the writer and the reader. Every number is
 * little-endian; docs/trace-format.md is the normative description of these bytes. */
#ifndef REWIND_TRACE_FORMAT_H
#define REWIND_TRACE_FORMAT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "traces/trace.h"

#define TRACE_MAGIC "RWNDTRCF"
#define TRACE_CHUNK_MAGIC "RWCK"
#define TRACE_INDEX_MAGIC "RWIX"
#define TRACE_TRAILER_MAGIC "RWNDEND\0"

/* File header: fixed part, then the sections, then an XXH3-64 of everything before it. */
enum {
	HDR_MAGIC = 0,		/* 8 bytes */
	HDR_VERSION = 8,	/* u32 */
	HDR_FLAGS = 12,		/* u32, must be 0 */
	HDR_LEN = 16,		/* u64: whole header including its checksum */
	HDR_CREATED = 24,	/* u64: host wall clock at open, ns since the epoch */
	HDR_NSECTIONS = 32,	/* u32 */
	HDR_RESERVED = 36,	/* u32, 0 */
	HDR_WRITER = 40,	/* 32 bytes, NUL-padded name of the writing program */
	HDR_FIXED_SIZE = 72,
};

/* Section record: type u32, name length u32, data length u64, name, data, XXH3-64 of the record. */
enum {
	SEC_REC_FIXED = 16,
	SEC_NAME_MAX = 4096,
	SEC_COUNT_MAX = 4096,
	IMAGE_HASH_SIZE = 16,
};

/* Chunk header, then `csize` bytes of one LZ4 block. */
enum {
	CHK_MAGIC = 0,		/* 4 bytes */
	CHK_FLAGS = 4,		/* u32, 0 */
	CHK_SEQ = 8,		/* u64, 0-based */
	CHK_FIRST_POS = 16,	/* u64 */
	CHK_LAST_POS = 24,	/* u64 */
	CHK_NEVENTS = 32,	/* u32 */
	CHK_USIZE = 36,		/* u32 */
	CHK_CSIZE = 40,		/* u32 */
	CHK_RESERVED = 44,	/* u32, 0 */
	CHK_DATA_HASH = 48,	/* u64: XXH3-64 of the uncompressed bytes */
	CHK_HDR_HASH = 56,	/* u64: XXH3-64 of bytes [0, 56) */
	CHK_HEADER_SIZE = 64,
};

/* Index: fixed part, one entry per chunk, the final blob, then an XXH3-64 of all of it. */
enum {
	IDX_MAGIC = 0,		/* 4 bytes */
	IDX_FLAGS = 4,		/* u32, 0 */
	IDX_NCHUNKS = 8,	/* u64 */
	IDX_NEVENTS = 16,	/* u64 */
	IDX_USIZE = 24,		/* u64: sum of chunks' uncompressed sizes */
	IDX_CSIZE = 32,		/* u64: sum of chunks' compressed sizes */
	IDX_BLOB_LEN = 40,	/* u64 */
	IDX_FIXED_SIZE = 48,
	IDX_ENT_OFFSET = 0,	/* u64: file offset of the chunk header */
	IDX_ENT_FIRST_POS = 8,
	IDX_ENT_LAST_POS = 16,
	IDX_ENT_NEVENTS = 24,	/* u64 */
	IDX_ENTRY_SIZE = 32,
};

/* Trailer: the last 32 bytes of a complete trace. */
enum {
	TRL_MAGIC = 0,		/* 8 bytes */
	TRL_INDEX_OFF = 8,	/* u64 */
	TRL_INDEX_LEN = 16,	/* u64: including the index checksum */
	TRL_HASH = 24,		/* u64: XXH3-64 of bytes [0, 24) */
	TRL_SIZE = 32,
};

/* Writers cut a chunk once it holds this much; a single larger event gets a chunk of its own. */
#define TRACE_CHUNK_TARGET (64u * 1024)
/* Readers refuse bigger chunks (and payloads above TRACE_MAX_PAYLOAD), so a corrupt size can
 * never make them allocate much. */
#define TRACE_CHUNK_MAX (2u << 20)
/* type + two 10-byte varints */
#define TRACE_EVENT_OVERHEAD 21

/* Every checksum comparison goes through here. Fuzz builds accept any checksum so the fuzzer
 * reaches the parsers behind them; the checksums themselves are tested by the unit tests. */
static inline bool checksum_ok(uint64_t stored, uint64_t computed)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)stored;
	(void)computed;
	return true;
#else
	return stored == computed;
#endif
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* Unsigned LEB128. Returns the number of bytes written (at most 10). */
static inline size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Returns the bytes consumed, or 0 when the encoding runs past `end` or does not fit 64 bits. */
static inline size_t get_varint(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < 10 && p + i < end; i++) {
		uint64_t b = p[i] & 0x7f;
		if (i == 9 && b > 1)
			return 0;
		v |= b << (7 * i);
		if (!(p[i] & 0x80)) {
			*out = v;
			return i + 1;
		}
	}
	return 0;
}

#endif
