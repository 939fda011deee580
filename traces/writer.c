/* Writes a rewind trace. Crash safety rests on two habits: the header is fsync'd before the
 * first event, and every chunk leaves in one write() of header + compressed block, so a
 * recorder killed at any moment leaves whole chunks followed by at most one torn one. */
#include "traces/trace.h"
#include "traces/format.h"
#include "core/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <lz4.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

struct trace_writer {
	int fd;
	int error;		/* sticky -errno of the first failed write */
	uint64_t off;		/* file offset of the next byte */

	uint8_t *buf;		/* events of the chunk being filled */
	size_t len, cap;
	uint8_t *out;		/* chunk header + compressed block */
	size_t out_cap;
	uint32_t chunk_events;
	uint64_t chunk_first, prev_pos;
	bool have_pos;

	uint8_t *index;		/* index entries, IDX_ENTRY_SIZE each */
	uint64_t nchunks, index_cap;
	uint64_t nevents, usize, csize;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int write_all(struct trace_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	if (w->error)
		return w->error;
	while (len) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			w->error = -errno;
			return w->error;
		}
		if (n == 0) {
			w->error = -EIO;
			return w->error;
		}
		p += n;
		len -= (size_t)n;
		w->off += (uint64_t)n;
	}
	return 0;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 4096;
	while (ncap < need)
		ncap *= 2;
	uint8_t *nb = realloc(*buf, ncap);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = ncap;
	return 0;
}

static size_t section_record_size(const struct trace_section *s)
{
	size_t body = s->type == SEC_IMAGE ? IMAGE_HASH_SIZE + s->len : s->len;
	return SEC_REC_FIXED + strlen(s->name ? s->name : "") + body + 8;
}

/* Serializes one section at p; returns its size. */
static size_t put_section(uint8_t *p, const struct trace_section *s)
{
	const char *name = s->name ? s->name : "";
	size_t nlen = strlen(name);
	uint64_t body = s->type == SEC_IMAGE ? IMAGE_HASH_SIZE + s->len : s->len;
	uint8_t *q = p;
	put_le32(q, s->type);
	put_le32(q + 4, (uint32_t)nlen);
	put_le64(q + 8, body);
	q += SEC_REC_FIXED;
	memcpy(q, name, nlen);
	q += nlen;
	if (s->type == SEC_IMAGE) {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits(s->data, s->len));
		memcpy(q, c.digest, IMAGE_HASH_SIZE);
		q += IMAGE_HASH_SIZE;
	}
	if (s->len)
		memcpy(q, s->data, s->len);
	q += s->len;
	put_le64(q, XXH3_64bits(p, (size_t)(q - p)));
	return (size_t)(q - p) + 8;
}

static int write_header(struct trace_writer *w, const struct trace_section *sections,
			size_t nsections, char *err, size_t errlen)
{
	size_t len = HDR_FIXED_SIZE + 8;
	for (size_t i = 0; i < nsections; i++) {
		const char *name = sections[i].name ? sections[i].name : "";
		if (strlen(name) > SEC_NAME_MAX || (sections[i].len && !sections[i].data)) {
			set_err(err, errlen, "section %zu: bad name or data", i);
			return -EINVAL;
		}
		len += section_record_size(&sections[i]);
	}
	uint8_t *h = calloc(1, len);
	if (!h) {
		set_err(err, errlen, "out of memory for a %zu-byte header", len);
		return -ENOMEM;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	memcpy(h + HDR_MAGIC, TRACE_MAGIC, 8);
	put_le32(h + HDR_VERSION, TRACE_VERSION);
	put_le32(h + HDR_FLAGS, 0);
	put_le64(h + HDR_LEN, len);
	put_le64(h + HDR_CREATED, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	put_le32(h + HDR_NSECTIONS, (uint32_t)nsections);
	snprintf((char *)h + HDR_WRITER, 32, "rewind trace v%d", TRACE_VERSION);
	size_t at = HDR_FIXED_SIZE;
	for (size_t i = 0; i < nsections; i++)
		at += put_section(h + at, &sections[i]);
	put_le64(h + at, XXH3_64bits(h, at));
	int rc = write_all(w, h, len);
	free(h);
	if (rc == 0 && fsync(w->fd) < 0)
		rc = -errno;
	if (rc)
		set_err(err, errlen, "writing the trace header: %s", strerror(-rc));
	return rc;
}

/* The directory entry must reach the disk too, or a host crash can lose the whole file. */
static void sync_parent_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

struct trace_writer *trace_writer_open(const char *path, const struct trace_section *sections,
				       size_t nsections, char *err, size_t errlen)
{
	if (nsections > SEC_COUNT_MAX) {
		set_err(err, errlen, "too many sections (%zu, at most %d)", nsections, SEC_COUNT_MAX);
		return NULL;
	}
	struct trace_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	/* Written in place, not renamed into place at the end, so that a killed recorder leaves
	 * its chunks at PATH. A failure removes PATH only when this call created it. */
	bool created;
	w->fd = outfile_open(path, &created, err, errlen);
	if (w->fd < 0) {
		free(w);
		return NULL;
	}
	if (write_header(w, sections, nsections, err, errlen)) {
		close(w->fd);
		if (created)
			unlink(path);
		free(w);
		return NULL;
	}
	sync_parent_dir(path);
	return w;
}

static int add_index_entry(struct trace_writer *w, uint64_t off, uint64_t last_pos)
{
	size_t cap = (size_t)w->index_cap;
	if (grow(&w->index, &cap, (size_t)(w->nchunks + 1) * IDX_ENTRY_SIZE))
		return -ENOMEM;
	w->index_cap = cap;
	uint8_t *e = w->index + w->nchunks * IDX_ENTRY_SIZE;
	put_le64(e + IDX_ENT_OFFSET, off);
	put_le64(e + IDX_ENT_FIRST_POS, w->chunk_first);
	put_le64(e + IDX_ENT_LAST_POS, last_pos);
	put_le64(e + IDX_ENT_NEVENTS, w->chunk_events);
	w->nchunks++;
	return 0;
}

int trace_writer_flush(struct trace_writer *w)
{
	if (w->error)
		return w->error;
	if (!w->chunk_events)
		return 0;
	size_t bound = (size_t)LZ4_compressBound((int)w->len);
	if (grow(&w->out, &w->out_cap, CHK_HEADER_SIZE + bound))
		return w->error = -ENOMEM;
	int csize = LZ4_compress_default((const char *)w->buf, (char *)w->out + CHK_HEADER_SIZE,
					 (int)w->len, (int)bound);
	if (csize <= 0)
		return w->error = -EIO;
	uint8_t *h = w->out;
	memcpy(h + CHK_MAGIC, TRACE_CHUNK_MAGIC, 4);
	put_le32(h + CHK_FLAGS, 0);
	put_le64(h + CHK_SEQ, w->nchunks);
	put_le64(h + CHK_FIRST_POS, w->chunk_first);
	put_le64(h + CHK_LAST_POS, w->prev_pos);
	put_le32(h + CHK_NEVENTS, w->chunk_events);
	put_le32(h + CHK_USIZE, (uint32_t)w->len);
	put_le32(h + CHK_CSIZE, (uint32_t)csize);
	put_le32(h + CHK_RESERVED, 0);
	put_le64(h + CHK_DATA_HASH, XXH3_64bits(w->buf, w->len));
	put_le64(h + CHK_HDR_HASH, XXH3_64bits(h, CHK_HDR_HASH));
	uint64_t off = w->off;
	if (add_index_entry(w, off, w->prev_pos))
		return w->error = -ENOMEM;
	int rc = write_all(w, w->out, CHK_HEADER_SIZE + (size_t)csize);
	if (rc)
		return rc;
	w->nevents += w->chunk_events;
	w->usize += w->len;
	w->csize += (uint64_t)csize;
	w->len = 0;
	w->chunk_events = 0;
	return 0;
}

int trace_writer_sync(struct trace_writer *w)
{
	int rc = trace_writer_flush(w);
	if (rc)
		return rc;
	if (fdatasync(w->fd) < 0)
		return w->error = -errno;
	return 0;
}

int trace_write_event(struct trace_writer *w, uint8_t type, uint64_t pos, const void *payload,
		      size_t len)
{
	if (w->error)
		return w->error;
	if ((w->have_pos && pos < w->prev_pos) || len > TRACE_MAX_PAYLOAD || (len && !payload))
		return -EINVAL;
	size_t need = TRACE_EVENT_OVERHEAD + len;
	/* Keep chunks near the target: a big event starts a fresh chunk rather than bloating one. */
	if (w->chunk_events && w->len + need > TRACE_CHUNK_TARGET) {
		int rc = trace_writer_flush(w);
		if (rc)
			return rc;
	}
	if (grow(&w->buf, &w->cap, w->len + need))
		return -ENOMEM;
	if (!w->chunk_events) {
		w->chunk_first = pos;
		w->prev_pos = pos;
	}
	uint8_t *p = w->buf + w->len;
	*p++ = type;
	p += put_varint(p, pos - w->prev_pos);
	p += put_varint(p, len);
	if (len)
		memcpy(p, payload, len);
	p += len;
	w->len = (size_t)(p - w->buf);
	w->prev_pos = pos;
	w->have_pos = true;
	w->chunk_events++;
	if (w->len >= TRACE_CHUNK_TARGET)
		return trace_writer_flush(w);
	return 0;
}

uint64_t trace_writer_events(const struct trace_writer *w)
{
	return w->nevents + w->chunk_events;
}

static int write_index(struct trace_writer *w, const void *blob, size_t bloblen)
{
	uint64_t index_off = w->off;
	size_t ilen = IDX_FIXED_SIZE + (size_t)w->nchunks * IDX_ENTRY_SIZE + bloblen + 8;
	uint8_t *b = malloc(ilen + TRL_SIZE);
	if (!b)
		return w->error = -ENOMEM;
	memcpy(b + IDX_MAGIC, TRACE_INDEX_MAGIC, 4);
	put_le32(b + IDX_FLAGS, 0);
	put_le64(b + IDX_NCHUNKS, w->nchunks);
	put_le64(b + IDX_NEVENTS, w->nevents);
	put_le64(b + IDX_USIZE, w->usize);
	put_le64(b + IDX_CSIZE, w->csize);
	put_le64(b + IDX_BLOB_LEN, bloblen);
	size_t at = IDX_FIXED_SIZE;
	if (w->nchunks)
		memcpy(b + at, w->index, (size_t)w->nchunks * IDX_ENTRY_SIZE);
	at += (size_t)w->nchunks * IDX_ENTRY_SIZE;
	if (bloblen)
		memcpy(b + at, blob, bloblen);
	at += bloblen;
	put_le64(b + at, XXH3_64bits(b, at));
	uint8_t *t = b + ilen;
	memcpy(t + TRL_MAGIC, TRACE_TRAILER_MAGIC, 8);
	put_le64(t + TRL_INDEX_OFF, index_off);
	put_le64(t + TRL_INDEX_LEN, ilen);
	put_le64(t + TRL_HASH, XXH3_64bits(t, TRL_HASH));
	int rc = write_all(w, b, ilen + TRL_SIZE);
	free(b);
	return rc;
}

static void writer_free(struct trace_writer *w)
{
	free(w->buf);
	free(w->out);
	free(w->index);
	free(w);
}

void trace_writer_abandon(struct trace_writer *w)
{
	close(w->fd);
	writer_free(w);
}

int trace_writer_close(struct trace_writer *w, const void *final_blob, size_t len)
{
	int rc = trace_writer_flush(w);
	if (!rc && len && !final_blob)
		rc = -EINVAL;
	if (!rc)
		rc = write_index(w, final_blob, len);
	if (!rc && fsync(w->fd) < 0)
		rc = -errno;
	if (close(w->fd) < 0 && !rc)
		rc = -errno;
	writer_free(w);
	return rc;
}
