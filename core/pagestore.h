/* The content-addressed page store: every page of every snapshot and checkpoint lives here once.
 * Pages are keyed by XXH3-128 of their 4 KiB, and the bytes are compared on every hash hit, so a
 * collision costs a second slot instead of a wrong page. The all-zero page is never stored: it is
 * the well-known reference PAGE_REF_ZERO.
 *
 * The store is append-only: a reference, once handed out, names the same bytes for the life of the
 * store and of every file saved from it. That is what lets checkpoints written at different times
 * share one store file. Nothing is ever freed short of pagestore_free().
 *
 * Memory images (memimage_*) are guest RAM as one reference per page.
 * File layouts: docs/snapshot-format.md. */
#ifndef REWIND_PAGESTORE_H
#define REWIND_PAGESTORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <xxhash.h>

#include "core/memory.h"

typedef uint32_t page_ref;
#define PAGE_REF_ZERO ((page_ref)0)

typedef XXH128_hash_t (*pagestore_hash_fn)(const void *page);

struct pagestore_slot;

struct pagestore {
	pagestore_hash_fn hash;
	uint64_t id;		    /* names this store in files that reference it */
	uint32_t npages;	    /* stored pages: valid refs are 1..npages */
	uint8_t **slabs;	    /* PAGESTORE_SLAB_PAGES pages each */
	uint32_t nslabs;
	XXH128_hash_t *hashes;	    /* hashes[ref], ref 0 is the zero page */
	uint32_t hashes_cap;
	struct pagestore_slot *table; /* open addressing, linear probing */
	uint32_t table_mask;
	uint64_t puts, zero_puts, collisions;
};

struct pagestore_stats {
	uint64_t pages_referenced;  /* pagestore_put() calls, zero pages included */
	uint64_t zero_pages;	    /* of which all-zero (elided) */
	uint64_t unique_pages;	    /* pages actually stored */
	uint64_t bytes_stored;	    /* page bytes held (unique_pages * PAGE_SIZE) */
	uint64_t collisions;	    /* hash hits whose bytes differed */
	double dedup_ratio;	    /* bytes referenced / bytes stored (0 when nothing is stored) */
};

/* Errors are negative errno values; functions that can meet a bad file also fill err. */
int pagestore_init(struct pagestore *ps);
/* Same, with a different page hash: tests use it to force collisions. */
int pagestore_init_hashfn(struct pagestore *ps, pagestore_hash_fn hash);
void pagestore_free(struct pagestore *ps);

/* Stores a copy of the page (or finds the identical one) and returns its reference; -ENOMEM. */
int pagestore_put(struct pagestore *ps, const void *page, page_ref *ref);
/* The page's bytes (the shared zero page for PAGE_REF_ZERO), or NULL for a ref never handed out. */
const void *pagestore_get(const struct pagestore *ps, page_ref ref);
static inline bool pagestore_valid(const struct pagestore *ps, page_ref ref)
{
	return ref <= ps->npages;
}
/* The key of a stored page (the hash of the zero page for PAGE_REF_ZERO). */
XXH128_hash_t pagestore_hash(const struct pagestore *ps, page_ref ref);
void pagestore_stats(const struct pagestore *ps, struct pagestore_stats *st);

/* The store file: written to PATH.tmp-XXXXXX and renamed over PATH once complete and synced. Loading
 * validates every record; on error *ps is left untouched (uninitialized) and err says what and
 * where. On success *ps is a new store with the same refs, hashes and id. */
int pagestore_save(const struct pagestore *ps, const char *path, char *err, size_t errlen);
int pagestore_load(struct pagestore *ps, const char *path, char *err, size_t errlen);

/* ---- Memory images ---- */

struct memimage {
	uint64_t npages;
	page_ref *refs;
};

/* Captures all of mem. With prev (an image of the same mem) and a dirty bitmap (bit i of
 * dirty[i / 64] set when page i was written since prev, KVM_GET_DIRTY_LOG's layout), only dirty
 * pages are read; the others keep prev's refs. out is allocated here; memimage_free() frees it. */
int memimage_capture(struct pagestore *ps, const struct guest_mem *mem, const struct memimage *prev,
		     const uint64_t *dirty, struct memimage *out);
/* Writes the image back into mem. Hint (both may be NULL): when mem is known to hold the image
 * `cur` except for the pages set in `dirty`, pages whose ref is the same in both are skipped.
 * Returns -EINVAL when the sizes differ or a ref is not in the store, before writing anything. */
int memimage_restore(const struct pagestore *ps, const struct memimage *img, struct guest_mem *mem,
		     const struct memimage *cur, const uint64_t *dirty);
/* XXH3-64 over the page hashes of the image in order: equal for equal memory contents. */
uint64_t memimage_digest(const struct pagestore *ps, const struct memimage *img);
void memimage_free(struct memimage *img);

/* ---- Store images inside other files ----
 * A store image is the body of a store file: header, page records, trailer. An image with
 * base B holds the pages B+1..B+n of a store (a store file has base 0; a trace can carry a store
 * as a series of such deltas). Snapshots embed an image of base 0 holding exactly their own pages,
 * whose refs are local to it. */

struct store_image_info {
	uint64_t id;		/* the store's id */
	uint32_t base;		/* refs before the first record */
	uint32_t npages;	/* records */
};

/* Appends an image of refs[0..n) (image ref i+1 = refs[i]; base 0; no zero refs) or, with refs
 * NULL, of the store's refs base+1..base+n, to out. */
struct afile;
int pagestore_image_write(const struct pagestore *ps, const page_ref *refs, uint32_t n,
			  uint32_t base, struct afile *out);
/* Bytes an image of n pages takes. */
uint64_t pagestore_image_size(uint32_t n);
/* Validates an image entirely. `what` names it in errors and `off` is its offset in the
 * enclosing file, so errors give file offsets. */
int pagestore_image_check(const uint8_t *buf, uint64_t len, const char *what, uint64_t off,
			  struct store_image_info *info, char *err, size_t errlen);
/* Record i (1..npages) of a checked image. */
const void *pagestore_image_page(const uint8_t *buf, uint32_t i);
/* Adds an image's pages to the store they came from: the image's id must be ps's and its base
 * ps->npages, and every page must be new, so refs stay what they were. All or nothing: on error
 * ps is as it was. */
int pagestore_append(struct pagestore *ps, const uint8_t *buf, uint64_t len, const char *what,
		     uint64_t off, char *err, size_t errlen);

/* ---- Files shared with the snapshot writer/reader ---- */

/* A file being written atomically: bytes go to a new PATH.tmp-XXXXXX (see core/outfile.h:
 * PATH itself must be absent or a regular file); afile_commit() syncs it and renames it
 * over PATH, afile_abort() removes it. afile_attach() writes to the caller's stream instead (an
 * open_memstream() buffer, a trace being written): commit only flushes, and neither closes it.
 * The first write error sticks and is reported by commit. While `summing`, every byte written
 * also feeds `sum`. */
struct afile {
	FILE *f;
	char *path, *tmp;	/* both NULL when attached */
	int error;
	uint64_t written;
	bool summing;
	XXH3_state_t *sum;
};
int afile_open(struct afile *af, const char *path, char *err, size_t errlen);
int afile_attach(struct afile *af, FILE *f);
void afile_write(struct afile *af, const void *buf, size_t len);
int afile_commit(struct afile *af, char *err, size_t errlen);
void afile_abort(struct afile *af);

/* A whole file mapped read-only. */
struct mapped_file {
	const uint8_t *data;
	uint64_t len;
};
int mapped_file_open(struct mapped_file *mf, const char *path, char *err, size_t errlen);
void mapped_file_close(struct mapped_file *mf);

/* Formats err (when err is not NULL) and returns code: `return file_err(err, n, -EIO, ...)`. */
int file_err(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Multi-byte fields in rewind's files are little-endian; these read/write them at any alignment. */
static inline uint32_t le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64_get(const uint8_t *p)
{
	return (uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32;
}
static inline void le32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static inline void le64_put(uint8_t *p, uint64_t v)
{
	le32_put(p, (uint32_t)v);
	le32_put(p + 4, (uint32_t)(v >> 32));
}

#endif
