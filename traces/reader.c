/* Reads a rewind trace. Nothing read from the file is trusted: every length is checked against
 * the bytes that exist and against the format's limits before it is used, every checksum is
 * verified before the bytes it covers are interpreted, and each failure becomes a message that
 * says what is wrong and at which file offset. */
#include "traces/trace.h"
#include "traces/format.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

struct trace_reader {
	int fd;			/* -1 when reading from memory */
	const uint8_t *mem;
	uint64_t size;

	uint8_t *header;
	struct trace_section *sections;
	char *names;		/* NUL-terminated copies of the section names */
	size_t nsections;
	struct trace_file_info info;

	struct trace_chunk_ref *chunks;
	uint64_t nchunks;
	uint8_t *index;		/* the raw index; the final blob points into it */
	const uint8_t *blob;
	size_t bloblen;

	/* Iteration: `cur` is the next chunk to load; `data`/`at`/`left` walk the loaded one. */
	uint64_t cur;
	uint8_t *cbuf, *data;	/* grown to the largest chunk loaded so far */
	size_t cbuf_cap, data_cap;
	size_t at, ulen;
	uint32_t left;
	uint64_t prev_pos;
	struct trace_load_stats stats;

	char err[256];
};

static int fail(struct trace_reader *r, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return -status;
}

/* Reads exactly len bytes at off: 0, or 1 when the file ends first, or -1 on an I/O error. */
static int read_at(struct trace_reader *r, uint64_t off, void *buf, size_t len)
{
	if (off > r->size || len > r->size - off)
		return 1;
	if (r->fd < 0) {
		memcpy(buf, r->mem + off, len);
		return 0;
	}
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(r->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 1;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_or_fail(struct trace_reader *r, uint64_t off, void *buf, size_t len,
			const char *what)
{
	int rc = read_at(r, off, buf, len);
	if (rc < 0)
		return fail(r, TRACE_EIO, "reading %s at offset %llu: %s", what,
			    (unsigned long long)off, strerror(errno));
	if (rc > 0)
		return fail(r, TRACE_ECORRUPT, "%s at offset %llu: %zu bytes run past the end of the "
			    "file (%llu bytes)", what, (unsigned long long)off, len,
			    (unsigned long long)r->size);
	return 0;
}

/* ---- header ---- */

/* Names end up in messages and on terminals: control characters from a hostile file must not. */
static void copy_printable(char *dst, const uint8_t *src, size_t n)
{
	size_t i;
	for (i = 0; i < n && src[i]; i++)
		dst[i] = src[i] < 0x20 || src[i] == 0x7f ? '?' : (char)src[i];
	dst[i] = 0;
}

static int parse_sections(struct trace_reader *r)
{
	const uint8_t *h = r->header;
	uint64_t hlen = r->info.header_len;
	uint64_t end = hlen - 8;
	uint32_t n = get_le32(h + HDR_NSECTIONS);
	if (n > SEC_COUNT_MAX)
		return fail(r, TRACE_EFORMAT, "header: %u sections at offset %d (at most %d)", n,
			    HDR_NSECTIONS, SEC_COUNT_MAX);
	r->sections = calloc(n ? n : 1, sizeof(*r->sections));
	/* Names are at most the header's size in total, plus one NUL each. */
	r->names = malloc((size_t)hlen + n + 1);
	if (!r->sections || !r->names)
		return fail(r, TRACE_ENOMEM, "out of memory for %u sections", n);
	char *names = r->names;
	uint64_t at = HDR_FIXED_SIZE;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t rec = at;
		if (end - at < SEC_REC_FIXED + 8)
			return fail(r, TRACE_EFORMAT, "section %u at offset %llu: runs past the end "
				    "of the header (%llu bytes)", i, (unsigned long long)rec,
				    (unsigned long long)hlen);
		uint32_t type = get_le32(h + at);
		uint32_t nlen = get_le32(h + at + 4);
		uint64_t dlen = get_le64(h + at + 8);
		at += SEC_REC_FIXED;
		if (nlen > SEC_NAME_MAX || nlen > end - at - 8 || dlen > end - at - 8 - nlen)
			return fail(r, TRACE_EFORMAT, "section %u at offset %llu: name (%u bytes) or "
				    "data (%llu bytes) runs past the end of the header", i,
				    (unsigned long long)rec, nlen, (unsigned long long)dlen);
		struct trace_section *s = &r->sections[i];
		s->type = type;
		copy_printable(names, h + at, nlen);
		s->name = names;
		names += nlen + 1;
		at += nlen;
		s->data = h + at;
		s->len = dlen;
		if (type == SEC_IMAGE) {
			if (dlen < IMAGE_HASH_SIZE)
				return fail(r, TRACE_EFORMAT, "image section %u ('%s') at offset %llu: "
					    "%llu bytes, too short for its hash", i, s->name,
					    (unsigned long long)rec, (unsigned long long)dlen);
			memcpy(s->hash, h + at, IMAGE_HASH_SIZE);
			s->data = h + at + IMAGE_HASH_SIZE;
			s->len = dlen - IMAGE_HASH_SIZE;
			/* Checked before the section checksum so that an altered image is named as
			 * such rather than reported as a generic checksum failure. */
			XXH128_canonical_t c;
			XXH128_canonicalFromHash(&c, XXH3_128bits(s->data, (size_t)s->len));
			if (!checksum_ok(memcmp(c.digest, s->hash, IMAGE_HASH_SIZE) == 0, 1))
				return fail(r, TRACE_EIMAGE, "embedded image '%s' (section %u at offset "
					    "%llu) is altered: its content does not match its "
					    "XXH3-128 hash", s->name, i, (unsigned long long)rec);
		}
		at += dlen;
		if (!checksum_ok(get_le64(h + at), XXH3_64bits(h + rec, (size_t)(at - rec))))
			return fail(r, TRACE_EFORMAT, "section %u ('%s') at offset %llu: checksum "
				    "mismatch", i, s->name, (unsigned long long)rec);
		at += 8;
	}
	if (at != end)
		return fail(r, TRACE_EFORMAT, "header: %llu stray bytes after the sections at offset "
			    "%llu", (unsigned long long)(end - at), (unsigned long long)at);
	r->nsections = n;
	return 0;
}

static int read_header(struct trace_reader *r)
{
	uint8_t fixed[HDR_FIXED_SIZE];
	if (r->size == 0)
		return fail(r, TRACE_EFORMAT, "empty file (0 bytes): not a rewind trace");
	size_t got = r->size < HDR_FIXED_SIZE ? (size_t)r->size : HDR_FIXED_SIZE;
	if (read_at(r, 0, fixed, got) < 0)
		return fail(r, TRACE_EIO, "reading the header: %s", strerror(errno));
	if (got < 8 || memcmp(fixed, TRACE_MAGIC, 8))
		return fail(r, TRACE_EFORMAT, "not a rewind trace: bad magic at offset 0 "
			    "(expected \"%s\")", TRACE_MAGIC);
	if (got < HDR_FLAGS)
		return fail(r, TRACE_EFORMAT, "header cut short at %zu bytes", got);
	uint32_t version = get_le32(fixed + HDR_VERSION);
	if (version != TRACE_VERSION)
		return fail(r, TRACE_EFORMAT, "unsupported trace format version %u (this build "
			    "reads version %d only)", version, TRACE_VERSION);
	if (got < HDR_FIXED_SIZE)
		return fail(r, TRACE_EFORMAT, "header cut short at %zu bytes", got);
	r->info.version = version;
	r->info.flags = get_le32(fixed + HDR_FLAGS);
	if (r->info.flags)
		return fail(r, TRACE_EFORMAT, "header: unknown flags 0x%x at offset %d",
			    r->info.flags, HDR_FLAGS);
	/* A reserved field in use is a format extension this reader does not know. */
	if (get_le32(fixed + HDR_RESERVED))
		return fail(r, TRACE_EFORMAT, "header: reserved field at offset %d is 0x%x, not 0",
			    HDR_RESERVED, get_le32(fixed + HDR_RESERVED));
	uint64_t hlen = get_le64(fixed + HDR_LEN);
	if (hlen < HDR_FIXED_SIZE + 8 || hlen > r->size)
		return fail(r, TRACE_EFORMAT, "header: length %llu at offset %d is impossible in a "
			    "%llu-byte file", (unsigned long long)hlen, HDR_LEN,
			    (unsigned long long)r->size);
	r->info.header_len = hlen;
	r->header = malloc((size_t)hlen);
	if (!r->header)
		return fail(r, TRACE_ENOMEM, "out of memory for a %llu-byte header",
			    (unsigned long long)hlen);
	int rc = read_or_fail(r, 0, r->header, (size_t)hlen, "header");
	if (rc)
		return rc;
	r->info.created_ns = get_le64(r->header + HDR_CREATED);
	copy_printable(r->info.writer, r->header + HDR_WRITER, 32);
	rc = parse_sections(r);
	if (rc)
		return rc;
	if (!checksum_ok(get_le64(r->header + hlen - 8), XXH3_64bits(r->header, (size_t)hlen - 8)))
		return fail(r, TRACE_EFORMAT, "header checksum mismatch (checksum at offset %llu)",
			    (unsigned long long)(hlen - 8));
	return 0;
}

/* ---- chunks ---- */

/* Checks a chunk header on its own and against what precedes it. Returns NULL or why not. */
static const char *check_chunk_header(const uint8_t *h, uint64_t seq, uint64_t min_pos,
				      char *why, size_t whylen)
{
	if (memcmp(h + CHK_MAGIC, TRACE_CHUNK_MAGIC, 4))
		return "bad chunk magic";
	if (!checksum_ok(get_le64(h + CHK_HDR_HASH), XXH3_64bits(h, CHK_HDR_HASH)))
		return "chunk header checksum mismatch";
	uint64_t cseq = get_le64(h + CHK_SEQ);
	uint64_t first = get_le64(h + CHK_FIRST_POS), last = get_le64(h + CHK_LAST_POS);
	uint32_t nev = get_le32(h + CHK_NEVENTS);
	uint32_t usize = get_le32(h + CHK_USIZE), csize = get_le32(h + CHK_CSIZE);
	if (get_le32(h + CHK_FLAGS) || get_le32(h + CHK_RESERVED))
		return "unknown chunk flags";
	if (cseq != seq) {
		snprintf(why, whylen, "sequence number %llu where %llu was expected",
			 (unsigned long long)cseq, (unsigned long long)seq);
		return why;
	}
	if (first > last || first < min_pos) {
		snprintf(why, whylen, "positions %llu..%llu go backwards (previous chunk ends at "
			 "%llu)", (unsigned long long)first, (unsigned long long)last,
			 (unsigned long long)min_pos);
		return why;
	}
	/* The smallest event is 3 bytes: type, a one-byte delta, a one-byte length. */
	if (nev == 0 || usize > TRACE_CHUNK_MAX || usize / 3 < nev)
		return "impossible event count or uncompressed size";
	if (csize == 0 || csize > (uint32_t)LZ4_compressBound((int)usize))
		return "impossible compressed size";
	return NULL;
}

/* Looks for any plausible chunk header strictly after `from`: if one exists, the bytes at
 * `from` are damage in the middle of the data, not a torn tail. Returns its offset or 0. */
static uint64_t find_chunk_after(struct trace_reader *r, uint64_t from)
{
	enum { WIN = 1 << 20 };
	uint8_t *buf = malloc(r->size - from < WIN ? (size_t)(r->size - from) : WIN);
	uint64_t found = 0;
	if (!buf)
		return 0;
	for (uint64_t off = from + 1; !found && off + CHK_HEADER_SIZE <= r->size;) {
		size_t n = r->size - off < WIN ? (size_t)(r->size - off) : WIN;
		if (read_at(r, off, buf, n))
			break;
		for (size_t i = 0; i + CHK_HEADER_SIZE <= n; i++) {
			if (buf[i] == 'R' && !memcmp(buf + i, TRACE_CHUNK_MAGIC, 4) &&
			    checksum_ok(get_le64(buf + i + CHK_HDR_HASH),
						XXH3_64bits(buf + i, CHK_HDR_HASH))) {
				found = off + i;
				break;
			}
		}
		if (n < WIN)
			break;
		off += WIN - CHK_HEADER_SIZE + 1;
	}
	free(buf);
	return found;
}

static int add_chunk(struct trace_reader *r, uint64_t *cap, const struct trace_chunk_ref *c)
{
	if (r->nchunks == *cap) {
		uint64_t ncap = *cap ? *cap * 2 : 64;
		void *p = realloc(r->chunks, (size_t)ncap * sizeof(*r->chunks));
		if (!p)
			return fail(r, TRACE_ENOMEM, "out of memory for the chunk table");
		r->chunks = p;
		*cap = ncap;
	}
	r->chunks[r->nchunks++] = *c;
	return 0;
}

/* Without a trailer: walk the chunk headers to find every whole chunk. What follows the last
 * whole one is a torn tail unless a valid chunk header appears further on. */
static int scan_chunks(struct trace_reader *r)
{
	uint64_t off = r->info.header_len, cap = 0, min_pos = 0;
	uint8_t h[CHK_HEADER_SIZE];
	char why[128];
	for (;;) {
		if (r->size - off < CHK_HEADER_SIZE)
			break;
		if (read_at(r, off, h, CHK_HEADER_SIZE))
			return fail(r, TRACE_EIO, "reading chunk %llu at offset %llu: %s",
				    (unsigned long long)r->nchunks, (unsigned long long)off,
				    strerror(errno));
		const char *bad = check_chunk_header(h, r->nchunks, min_pos, why, sizeof(why));
		if (bad) {
			uint64_t next = find_chunk_after(r, off);
			if (next)
				return fail(r, TRACE_ECORRUPT, "chunk %llu at offset %llu: %s (a valid "
					    "chunk header follows at offset %llu, so this is damage, "
					    "not a torn tail)", (unsigned long long)r->nchunks,
					    (unsigned long long)off, bad, (unsigned long long)next);
			break;
		}
		uint64_t end = off + CHK_HEADER_SIZE + get_le32(h + CHK_CSIZE);
		if (end > r->size)
			break;
		struct trace_chunk_ref c = {
			.offset = off,
			.first_pos = get_le64(h + CHK_FIRST_POS),
			.last_pos = get_le64(h + CHK_LAST_POS),
			.nevents = get_le32(h + CHK_NEVENTS),
		};
		int rc = add_chunk(r, &cap, &c);
		if (rc)
			return rc;
		min_pos = c.last_pos;
		off = end;
	}
	r->info.good_end = off;
	return 0;
}

/* With a valid trailer: the index lists the chunks; check it is self-consistent here, and
 * against each chunk's own header as the chunk is loaded. */
static int read_index(struct trace_reader *r, uint64_t ioff, uint64_t ilen)
{
	if (ioff < r->info.header_len || ilen < IDX_FIXED_SIZE + 8 ||
	    ilen > r->size - TRL_SIZE || ioff != r->size - TRL_SIZE - ilen)
		return fail(r, TRACE_ECORRUPT, "trailer at offset %llu: index offset %llu / length "
			    "%llu do not fit the file", (unsigned long long)(r->size - TRL_SIZE),
			    (unsigned long long)ioff, (unsigned long long)ilen);
	r->index = malloc((size_t)ilen);
	if (!r->index)
		return fail(r, TRACE_ENOMEM, "out of memory for a %llu-byte index",
			    (unsigned long long)ilen);
	int rc = read_or_fail(r, ioff, r->index, (size_t)ilen, "index");
	if (rc)
		return rc;
	const uint8_t *x = r->index;
	if (memcmp(x + IDX_MAGIC, TRACE_INDEX_MAGIC, 4))
		return fail(r, TRACE_ECORRUPT, "index at offset %llu: bad magic",
			    (unsigned long long)ioff);
	if (!checksum_ok(get_le64(x + ilen - 8), XXH3_64bits(x, (size_t)ilen - 8)))
		return fail(r, TRACE_ECORRUPT, "index at offset %llu: checksum mismatch",
			    (unsigned long long)ioff);
	uint64_t n = get_le64(x + IDX_NCHUNKS), blen = get_le64(x + IDX_BLOB_LEN);
	uint64_t room = ilen - IDX_FIXED_SIZE - 8;
	if (get_le32(x + IDX_FLAGS) || n > room / IDX_ENTRY_SIZE ||
	    blen != room - n * IDX_ENTRY_SIZE)
		return fail(r, TRACE_ECORRUPT, "index at offset %llu: %llu chunks and a %llu-byte "
			    "blob do not fill its %llu bytes", (unsigned long long)ioff,
			    (unsigned long long)n, (unsigned long long)blen,
			    (unsigned long long)ilen);
	r->chunks = calloc(n ? (size_t)n : 1, sizeof(*r->chunks));
	if (!r->chunks)
		return fail(r, TRACE_ENOMEM, "out of memory for %llu index entries",
			    (unsigned long long)n);
	uint64_t prev_off = 0, min_pos = 0, nev = 0;
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *e = x + IDX_FIXED_SIZE + i * IDX_ENTRY_SIZE;
		struct trace_chunk_ref *c = &r->chunks[i];
		c->offset = get_le64(e + IDX_ENT_OFFSET);
		c->first_pos = get_le64(e + IDX_ENT_FIRST_POS);
		c->last_pos = get_le64(e + IDX_ENT_LAST_POS);
		c->nevents = get_le64(e + IDX_ENT_NEVENTS);
		bool off_ok = i == 0 ? c->offset == r->info.header_len
				     : c->offset > prev_off + CHK_HEADER_SIZE;
		/* ioff >= header_len > CHK_HEADER_SIZE: a chunk needs its header and >= 1 byte */
		if (!off_ok || c->offset > ioff - CHK_HEADER_SIZE - 1 ||
		    c->first_pos > c->last_pos || c->first_pos < min_pos || c->nevents == 0 ||
		    c->nevents > TRACE_CHUNK_MAX)
			return fail(r, TRACE_ECORRUPT, "index entry %llu (at offset %llu): chunk "
				    "offset %llu, positions %llu..%llu, %llu events are inconsistent",
				    (unsigned long long)i,
				    (unsigned long long)(ioff + IDX_FIXED_SIZE + i * IDX_ENTRY_SIZE),
				    (unsigned long long)c->offset, (unsigned long long)c->first_pos,
				    (unsigned long long)c->last_pos, (unsigned long long)c->nevents);
		prev_off = c->offset;
		min_pos = c->last_pos;
		nev += c->nevents;
	}
	if (n == 0 && ioff != r->info.header_len)
		return fail(r, TRACE_ECORRUPT, "index at offset %llu lists no chunks but %llu bytes "
			    "of data precede it", (unsigned long long)ioff,
			    (unsigned long long)(ioff - r->info.header_len));
	if (nev != get_le64(x + IDX_NEVENTS))
		return fail(r, TRACE_ECORRUPT, "index at offset %llu: entries hold %llu events, "
			    "the total says %llu", (unsigned long long)ioff, (unsigned long long)nev,
			    (unsigned long long)get_le64(x + IDX_NEVENTS));
	/* Chunks lie back to back up to the index (each one's end is checked when it is read),
	 * so their compressed sizes add up to what is left of that span after their headers. */
	uint64_t csize = ioff - r->info.header_len - n * CHK_HEADER_SIZE;
	if (csize != get_le64(x + IDX_CSIZE))
		return fail(r, TRACE_ECORRUPT, "index at offset %llu: the chunks hold %llu compressed "
			    "bytes, the total says %llu", (unsigned long long)ioff,
			    (unsigned long long)csize, (unsigned long long)get_le64(x + IDX_CSIZE));
	r->nchunks = n;
	r->blob = x + IDX_FIXED_SIZE + n * IDX_ENTRY_SIZE;
	r->bloblen = (size_t)blen;
	r->info.index_off = ioff;
	r->info.nevents = nev;
	r->info.usize = get_le64(x + IDX_USIZE);
	r->info.csize = get_le64(x + IDX_CSIZE);
	r->info.good_end = ioff;
	return 0;
}

static int read_trailer(struct trace_reader *r)
{
	uint8_t t[TRL_SIZE];
	if (r->size - r->info.header_len >= TRL_SIZE) {
		int rc = read_or_fail(r, r->size - TRL_SIZE, t, TRL_SIZE, "trailer");
		if (rc)
			return rc;
		if (!memcmp(t + TRL_MAGIC, TRACE_TRAILER_MAGIC, 8) &&
		    checksum_ok(get_le64(t + TRL_HASH), XXH3_64bits(t, TRL_HASH)))
			return read_index(r, get_le64(t + TRL_INDEX_OFF), get_le64(t + TRL_INDEX_LEN));
	}
	/* No valid trailer: the recorder did not close (killed, crashed, disk full). */
	r->info.truncated = true;
	return scan_chunks(r);
}

static int drop_torn_last_chunk(struct trace_reader *r);

static int open_common(struct trace_reader *r, char *err, size_t errlen)
{
	int rc = read_header(r);
	if (!rc)
		rc = read_trailer(r);
	if (!rc)
		rc = drop_torn_last_chunk(r);
	if (!rc) {
		r->info.file_size = r->size;
		r->info.nchunks = r->nchunks;
		if (r->nchunks) {
			r->info.last_chunk_off = r->chunks[r->nchunks - 1].offset;
			r->info.last_pos = r->chunks[r->nchunks - 1].last_pos;
			r->info.have_pos = true;
		}
	}
	if (rc && err && errlen)
		snprintf(err, errlen, "%s", r->err);
	return rc;
}

static struct trace_reader *reader_new(void)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	if (r)
		r->fd = -1;
	return r;
}

int trace_reader_open(struct trace_reader **out, const char *path, char *err, size_t errlen)
{
	*out = NULL;
	struct trace_reader *r = reader_new();
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -TRACE_ENOMEM;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (r->fd < 0 || fstat(r->fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		trace_reader_close(r);
		return -TRACE_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		trace_reader_close(r);
		return -TRACE_EIO;
	}
	r->size = (uint64_t)st.st_size;
	int rc = open_common(r, err, errlen);
	if (rc) {
		trace_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int trace_reader_open_mem(struct trace_reader **out, const void *data, size_t len, char *err,
			  size_t errlen)
{
	*out = NULL;
	struct trace_reader *r = reader_new();
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -TRACE_ENOMEM;
	}
	r->mem = data;
	r->size = len;
	int rc = open_common(r, err, errlen);
	if (rc) {
		trace_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->header);
	free(r->sections);
	free(r->names);
	free(r->chunks);
	free(r->index);
	free(r->cbuf);
	free(r->data);
	free(r);
}

/* ---- events ---- */

/* Decodes the event at data[*at]; 0, or why not. */
static const char *decode_event(const uint8_t *data, size_t end, size_t *at, uint64_t *prev,
				struct trace_event *ev)
{
	const uint8_t *p = data + *at, *e = data + end;
	uint64_t delta, len;
	size_t n;
	if (p >= e)
		return "event runs past the chunk";
	ev->type = *p++;
	if (!(n = get_varint(p, e, &delta)))
		return "bad position varint";
	p += n;
	if (!(n = get_varint(p, e, &len)))
		return "bad length varint";
	p += n;
	if (delta > UINT64_MAX - *prev)
		return "position overflows";
	if (len > TRACE_MAX_PAYLOAD || len > (uint64_t)(e - p))
		return "payload runs past the chunk";
	ev->pos = *prev + delta;
	ev->len = (uint32_t)len;
	ev->payload = p;
	*prev = ev->pos;
	*at = (size_t)(p - data) + (size_t)len;
	return NULL;
}

/* Sizes are bounded by check_chunk_header before they get here. */
static int reserve(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	uint8_t *nb = realloc(*buf, need);
	if (!nb)
		return -1;
	*buf = nb;
	*cap = need;
	return 0;
}

static int load_chunk(struct trace_reader *r, uint64_t i)
{
	const struct trace_chunk_ref *c = &r->chunks[i];
	uint8_t h[CHK_HEADER_SIZE];
	char why[128];
	unsigned long long ci = (unsigned long long)i, off = (unsigned long long)c->offset;
	int rc = read_at(r, c->offset, h, CHK_HEADER_SIZE);
	if (rc)
		return rc < 0 ? fail(r, TRACE_EIO, "chunk %llu at offset %llu: %s", ci, off,
				     strerror(errno))
			      : fail(r, TRACE_ECORRUPT, "chunk %llu at offset %llu: header runs "
				     "past the end of the file", ci, off);
	const char *bad = check_chunk_header(h, i, i ? r->chunks[i - 1].last_pos : 0, why,
					     sizeof(why));
	if (bad)
		return fail(r, TRACE_ECORRUPT, "chunk %llu at offset %llu: %s", ci, off, bad);
	uint64_t first = get_le64(h + CHK_FIRST_POS), last = get_le64(h + CHK_LAST_POS);
	uint32_t nev = get_le32(h + CHK_NEVENTS);
	uint32_t usize = get_le32(h + CHK_USIZE), csize = get_le32(h + CHK_CSIZE);
	if (first != c->first_pos || last != c->last_pos || nev != c->nevents)
		return fail(r, TRACE_ECORRUPT, "chunk %llu at offset %llu: header (positions "
			    "%llu..%llu, %u events) disagrees with the index (%llu..%llu, %llu "
			    "events)", ci, off, (unsigned long long)first, (unsigned long long)last,
			    nev, (unsigned long long)c->first_pos, (unsigned long long)c->last_pos,
			    (unsigned long long)c->nevents);
	uint64_t end = c->offset + CHK_HEADER_SIZE + csize;
	uint64_t want_end = i + 1 < r->nchunks ? r->chunks[i + 1].offset : r->info.good_end;
	if (end != want_end)
		return fail(r, TRACE_ECORRUPT, "chunk %llu at offset %llu: ends at offset %llu but "
			    "the next %s starts at %llu", ci, off, (unsigned long long)end,
			    i + 1 < r->nchunks ? "chunk" : "structure",
			    (unsigned long long)want_end);
	if (reserve(&r->cbuf, &r->cbuf_cap, csize) || reserve(&r->data, &r->data_cap, usize))
		return fail(r, TRACE_ENOMEM, "chunk %llu at offset %llu: out of memory for %u + %u "
			    "bytes", ci, off, csize, usize);
	rc = read_at(r, c->offset + CHK_HEADER_SIZE, r->cbuf, csize);
	if (rc)
		return fail(r, rc < 0 ? TRACE_EIO : TRACE_ECORRUPT, "chunk %llu at offset %llu: "
			    "cannot read its %u compressed bytes", ci, off, csize);
	int got = LZ4_decompress_safe((const char *)r->cbuf, (char *)r->data, (int)csize,
				      (int)usize);
	if (got != (int)usize)
		return fail(r, TRACE_ECORRUPT, "chunk %llu at offset %llu: LZ4 block does not "
			    "decompress to its %u bytes", ci, off, usize);
	if (!checksum_ok(get_le64(h + CHK_DATA_HASH), XXH3_64bits(r->data, usize)))
		return fail(r, TRACE_ECORRUPT, "chunk %llu at offset %llu: data checksum mismatch",
			    ci, off);
	/* Validate every event before handing out any, so a bad chunk fails as a whole. */
	size_t at = 0;
	uint64_t pos = first;
	struct trace_event ev;
	for (uint32_t k = 0; k < nev; k++) {
		size_t ev_at = at;
		if ((bad = decode_event(r->data, usize, &at, &pos, &ev)))
			return fail(r, TRACE_ECORRUPT, "chunk %llu at offset %llu: event %u (byte %zu "
				    "of the uncompressed data): %s", ci, off, k, ev_at, bad);
		if (ev.pos > last)
			return fail(r, TRACE_ECORRUPT, "chunk %llu at offset %llu: event %u at "
				    "position %llu is past the chunk's last position %llu", ci, off,
				    k, (unsigned long long)ev.pos, (unsigned long long)last);
	}
	if (at != usize || pos != last)
		return fail(r, TRACE_ECORRUPT, "chunk %llu at offset %llu: %u events end at byte "
			    "%zu of %u, position %llu (header says %llu)", ci, off, nev, at, usize,
			    (unsigned long long)pos, (unsigned long long)last);
	r->ulen = usize;
	r->at = 0;
	r->left = nev;
	r->prev_pos = first;
	r->cur = i + 1;
	r->stats.chunks++;
	r->stats.events += nev;
	r->stats.usize += usize;
	r->stats.csize += csize;
	return 0;
}

/* Loads chunks until one has events left: 1, 0 at the end, or an error. */
static int fill(struct trace_reader *r)
{
	while (!r->left) {
		if (r->cur >= r->nchunks)
			return 0;
		int rc = load_chunk(r, r->cur);
		if (rc)
			return rc;
	}
	return 1;
}

/* A host crash can leave the last chunk's header and the file size on disk but not all of its
 * block. So in a truncated trace, a last chunk whose contents fail their checks belongs to the
 * torn tail; it is checked here, at open, so the reported end of the good data is right. */
static int drop_torn_last_chunk(struct trace_reader *r)
{
	if (!r->info.truncated || !r->nchunks)
		return 0;
	uint64_t last = r->nchunks - 1;
	int rc = load_chunk(r, last);
	if (rc == -TRACE_ECORRUPT) {
		r->info.good_end = r->chunks[last].offset;
		r->nchunks = last;
	} else if (rc) {
		return rc;
	}
	r->cur = 0;
	r->left = 0;
	memset(&r->stats, 0, sizeof(r->stats));
	r->err[0] = 0;
	return 0;
}

int trace_reader_next(struct trace_reader *r, struct trace_event *ev)
{
	int rc = fill(r);
	if (rc <= 0)
		return rc;
	/* Validated in load_chunk: cannot fail here. */
	decode_event(r->data, r->ulen, &r->at, &r->prev_pos, ev);
	r->left--;
	return 1;
}

int trace_reader_peek(struct trace_reader *r, struct trace_event *ev)
{
	int rc = fill(r);
	if (rc <= 0)
		return rc;
	size_t at = r->at;
	uint64_t prev = r->prev_pos;
	decode_event(r->data, r->ulen, &at, &prev, ev);
	return 1;
}

void trace_reader_tell(const struct trace_reader *r, struct trace_cursor *c)
{
	if (r->left) {
		c->chunk = r->cur - 1;
		c->event = (uint32_t)(r->chunks[c->chunk].nevents - r->left);
	} else {
		c->chunk = r->cur;
		c->event = 0;
	}
}

/* Consumes up to `count` events of the loaded chunk, stopping before the first one at or past
 * *stop_pos when that is given. */
static void skip_events(struct trace_reader *r, uint32_t count, const uint64_t *stop_pos)
{
	while (r->left && count) {
		size_t at = r->at;
		uint64_t prev = r->prev_pos;
		struct trace_event ev;
		decode_event(r->data, r->ulen, &at, &prev, &ev);
		if (stop_pos && ev.pos >= *stop_pos)
			break;
		r->at = at;
		r->prev_pos = prev;
		r->left--;
		count--;
	}
}

int trace_reader_restore(struct trace_reader *r, const struct trace_cursor *c)
{
	r->left = 0;
	if (c->chunk >= r->nchunks) {
		r->cur = r->nchunks;
		return 0;
	}
	if (c->event > r->chunks[c->chunk].nevents)
		return fail(r, TRACE_EFORMAT, "cursor (chunk %llu, event %u) is outside the trace",
			    (unsigned long long)c->chunk, c->event);
	int rc = load_chunk(r, c->chunk);
	if (rc)
		return rc;
	skip_events(r, c->event, NULL);
	return 0;
}

int trace_reader_seek(struct trace_reader *r, uint64_t pos)
{
	/* The first chunk whose last position reaches pos holds the first event at or after it. */
	uint64_t lo = 0, hi = r->nchunks;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (r->chunks[mid].last_pos < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	r->left = 0;
	r->cur = lo;
	if (lo == r->nchunks)
		return 0;
	int rc = load_chunk(r, lo);
	if (rc)
		return rc;
	skip_events(r, UINT32_MAX, &pos);
	return 0;
}

/* ---- accessors ---- */

const struct trace_file_info *trace_reader_info(const struct trace_reader *r)
{
	return &r->info;
}

size_t trace_reader_nsections(const struct trace_reader *r)
{
	return r->nsections;
}

const struct trace_section *trace_reader_section(const struct trace_reader *r, size_t i)
{
	return i < r->nsections ? &r->sections[i] : NULL;
}

const struct trace_section *trace_reader_find_section(const struct trace_reader *r, uint32_t type,
						      const char *name)
{
	for (size_t i = 0; i < r->nsections; i++)
		if (r->sections[i].type == type && (!name || !strcmp(r->sections[i].name, name)))
			return &r->sections[i];
	return NULL;
}

const void *trace_reader_final_blob(const struct trace_reader *r, size_t *len)
{
	*len = r->bloblen;
	return r->info.truncated ? NULL : r->blob;
}

const char *trace_reader_error(const struct trace_reader *r)
{
	return r->err;
}

bool trace_reader_chunk(const struct trace_reader *r, uint64_t i, struct trace_chunk_ref *out)
{
	if (i >= r->nchunks)
		return false;
	*out = r->chunks[i];
	return true;
}

void trace_reader_stats(const struct trace_reader *r, struct trace_load_stats *out)
{
	*out = r->stats;
}
