#define XXH_STATIC_LINKING_ONLY
#include "core/pagestore.h"
#include "core/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* 4 MiB slabs: few enough allocations that growth is cheap, small enough not to waste much. */
#define PAGESTORE_SLAB_PAGES 1024u
#define SLAB_ALIGN (2u << 20)
#define MAX_PAGES (UINT32_MAX - 1)

/* The tag (more hash bits) lets most probes that are not hits be rejected without touching the
 * hashes array. */
struct pagestore_slot {
	uint32_t ref;	/* 0: empty */
	uint32_t tag;
};

static const uint8_t zero_page[PAGE_SIZE];

/* Store image layout (docs/snapshot-format.md, "Store file"). */
#define IMG_MAGIC "RWSTORE\0"
#define IMG_END_MAGIC "RWSTEND\0"
#define IMG_VERSION 1
#define IMG_HEADER 40u
#define IMG_RECORD (PAGE_SIZE + 8u)
#define IMG_TRAILER 32u

int file_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static XXH128_hash_t default_hash(const void *page)
{
	return XXH3_128bits(page, PAGE_SIZE);
}

static bool is_zero_page(const void *page)
{
	const uint8_t *p = page;
	/* 64-byte chunks with an early exit: most non-zero pages are rejected in the first chunk.
	 * Copied out, as a page inside a snapshot file need not be 8-byte aligned. */
	for (size_t i = 0; i < PAGE_SIZE; i += 64) {
		uint64_t w[8];
		memcpy(w, p + i, sizeof(w));
		if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
			return false;
	}
	return true;
}

static inline uint8_t *page_ptr(const struct pagestore *ps, page_ref ref)
{
	uint32_t i = ref - 1;
	return ps->slabs[i / PAGESTORE_SLAB_PAGES] + (size_t)(i % PAGESTORE_SLAB_PAGES) * PAGE_SIZE;
}

int pagestore_init_hashfn(struct pagestore *ps, pagestore_hash_fn hash)
{
	memset(ps, 0, sizeof(*ps));
	ps->hash = hash;
	if (getrandom(&ps->id, sizeof(ps->id), 0) != sizeof(ps->id))
		return -EIO;
	ps->table_mask = 1023;
	ps->table = calloc(ps->table_mask + 1, sizeof(*ps->table));
	ps->hashes_cap = 1024;
	ps->hashes = malloc(ps->hashes_cap * sizeof(*ps->hashes));
	if (!ps->table || !ps->hashes) {
		pagestore_free(ps);
		return -ENOMEM;
	}
	ps->hashes[0] = hash(zero_page);
	return 0;
}

int pagestore_init(struct pagestore *ps)
{
	return pagestore_init_hashfn(ps, default_hash);
}

void pagestore_free(struct pagestore *ps)
{
	for (uint32_t i = 0; i < ps->nslabs; i++)
		free(ps->slabs[i]);
	free(ps->slabs);
	free(ps->hashes);
	free(ps->table);
	memset(ps, 0, sizeof(*ps));
}

static uint32_t slot_of(const struct pagestore *ps, XXH128_hash_t h)
{
	return (uint32_t)h.low64 & ps->table_mask;
}

/* Re-inserts refs 1..npages into a table of `size` slots. */
static int rebuild_table(struct pagestore *ps, uint32_t size)
{
	struct pagestore_slot *t;
	if (!size)
		return -ENOMEM;
	t = calloc(size, sizeof(*t));
	if (!t)
		return -ENOMEM;
	free(ps->table);
	ps->table = t;
	ps->table_mask = size - 1;
	for (page_ref r = 1; r <= ps->npages; r++) {
		uint32_t s = slot_of(ps, ps->hashes[r]);
		while (t[s].ref)
			s = (s + 1) & ps->table_mask;
		t[s].ref = r;
		t[s].tag = (uint32_t)ps->hashes[r].high64;
	}
	return 0;
}

/* Forgets the pages after ref n. Only for undoing a failed append: refs handed out stay valid. */
static int truncate_to(struct pagestore *ps, uint32_t n)
{
	ps->npages = n;
	return rebuild_table(ps, ps->table_mask + 1);
}

/* Makes room for one more page: all allocation happens here, before the store changes. */
static int reserve_page(struct pagestore *ps)
{
	uint32_t n = ps->npages;
	if (n >= MAX_PAGES)
		return -ENOSPC;
	if ((uint64_t)(n + 1) * 2 > (uint64_t)ps->table_mask + 1 &&
	    rebuild_table(ps, (ps->table_mask + 1) * 2))
		return -ENOMEM;
	if (n + 1 >= ps->hashes_cap) {
		uint32_t cap = ps->hashes_cap * 2;
		XXH128_hash_t *h = realloc(ps->hashes, (size_t)cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		ps->hashes = h;
		ps->hashes_cap = cap;
	}
	if (n % PAGESTORE_SLAB_PAGES == 0 && n / PAGESTORE_SLAB_PAGES == ps->nslabs) {
		uint8_t **s = realloc(ps->slabs, (ps->nslabs + 1) * sizeof(*s));
		if (!s)
			return -ENOMEM;
		ps->slabs = s;
		s[ps->nslabs] = aligned_alloc(SLAB_ALIGN, PAGESTORE_SLAB_PAGES * PAGE_SIZE);
		if (!s[ps->nslabs])
			return -ENOMEM;
		/* First-touch faults dominate filling a new store; huge pages take 512x fewer. */
		madvise(s[ps->nslabs], PAGESTORE_SLAB_PAGES * PAGE_SIZE, MADV_HUGEPAGE);
		ps->nslabs++;
	}
	return 0;
}

int pagestore_put(struct pagestore *ps, const void *page, page_ref *ref)
{
	XXH128_hash_t h;
	uint32_t s, tag;
	int r;

	if (is_zero_page(page)) {
		ps->puts++;
		ps->zero_puts++;
		*ref = PAGE_REF_ZERO;
		return 0;
	}
	r = reserve_page(ps);
	if (r)
		return r;
	ps->puts++;
	h = ps->hash(page);
	tag = (uint32_t)h.high64;
	for (s = slot_of(ps, h); ps->table[s].ref; s = (s + 1) & ps->table_mask) {
		const struct pagestore_slot *e = &ps->table[s];
		if (e->tag != tag || !XXH128_isEqual(ps->hashes[e->ref], h))
			continue;
		if (!memcmp(page_ptr(ps, e->ref), page, PAGE_SIZE)) {
			*ref = e->ref;
			return 0;
		}
		/* A true collision: keep probing; the new page gets a slot of its own below. */
		ps->collisions++;
	}
	*ref = ++ps->npages;
	ps->hashes[*ref] = h;
	memcpy(page_ptr(ps, *ref), page, PAGE_SIZE);
	ps->table[s].ref = *ref;
	ps->table[s].tag = tag;
	return 0;
}

const void *pagestore_get(const struct pagestore *ps, page_ref ref)
{
	if (ref == PAGE_REF_ZERO)
		return zero_page;
	if (ref > ps->npages)
		return NULL;
	return page_ptr(ps, ref);
}

XXH128_hash_t pagestore_hash(const struct pagestore *ps, page_ref ref)
{
	return ps->hashes[ref <= ps->npages ? ref : 0];
}

void pagestore_stats(const struct pagestore *ps, struct pagestore_stats *st)
{
	st->pages_referenced = ps->puts;
	st->zero_pages = ps->zero_puts;
	st->unique_pages = ps->npages;
	st->bytes_stored = (uint64_t)ps->npages * PAGE_SIZE;
	st->collisions = ps->collisions;
	st->dedup_ratio = ps->npages ? (double)ps->puts / ps->npages : 0.0;
}

/* ---- Files ---- */

int afile_open(struct afile *af, const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path) + sizeof(".tmp-XXXXXX");
	memset(af, 0, sizeof(*af));
	af->path = strdup(path);
	af->tmp = malloc(n);
	af->sum = XXH3_createState();
	if (!af->path || !af->tmp || !af->sum) {
		free(af->tmp);
		af->tmp = NULL; /* nothing of ours to remove yet */
		afile_abort(af);
		return file_err(err, errlen, -ENOMEM, "%s: out of memory", path);
	}
	/* The rename at commit replaces PATH: refuse now what must not be replaced. */
	int fd = outfile_check(path, err, errlen);
	if (fd == 0)
		fd = outfile_temp(path, af->tmp, n, err, errlen);
	if (fd >= 0 && !(af->f = fdopen(fd, "wb"))) {
		int e = errno;
		close(fd);
		file_err(err, errlen, -e, "%s: %s", af->tmp, strerror(e));
		afile_abort(af);
		return -e;
	}
	if (fd < 0) {
		free(af->tmp);
		af->tmp = NULL; /* not created: nothing to remove */
		afile_abort(af);
		return fd;
	}
	return 0;
}

int afile_attach(struct afile *af, FILE *f)
{
	memset(af, 0, sizeof(*af));
	af->f = f;
	af->sum = XXH3_createState();
	return af->sum ? 0 : -ENOMEM;
}

void afile_write(struct afile *af, const void *buf, size_t len)
{
	if (af->error || !len)
		return;
	if (fwrite(buf, 1, len, af->f) != len)
		af->error = errno ? errno : EIO;
	if (af->summing)
		XXH3_64bits_update(af->sum, buf, len);
	af->written += len;
}

/* Syncing the directory makes the rename itself durable. */
static void sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd;
	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int afile_commit(struct afile *af, char *err, size_t errlen)
{
	int e = af->error;
	if (!af->tmp) {
		if (!e && fflush(af->f))
			e = errno;
		af->f = NULL;
		afile_abort(af);
		return e ? file_err(err, errlen, -e, "write failed: %s", strerror(e)) : 0;
	}
	if (!e && fflush(af->f))
		e = errno;
	if (!e && fsync(fileno(af->f)))
		e = errno;
	if (fclose(af->f) && !e)
		e = errno;
	af->f = NULL;
	if (!e && rename(af->tmp, af->path))
		e = errno;
	if (e) {
		file_err(err, errlen, -e, "%s: write failed: %s", af->tmp, strerror(e));
		afile_abort(af);
		return -e;
	}
	sync_dir_of(af->path);
	afile_abort(af);
	return 0;
}

/* Also the common cleanup of a committed file, where the unlink finds nothing. */
void afile_abort(struct afile *af)
{
	if (af->f && af->tmp)
		fclose(af->f);
	if (af->tmp) {
		unlink(af->tmp);
		outfile_finished(af->tmp);
	}
	free(af->path);
	free(af->tmp);
	if (af->sum)
		XXH3_freeState(af->sum);
	memset(af, 0, sizeof(*af));
}

int mapped_file_open(struct mapped_file *mf, const char *path, char *err, size_t errlen)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	memset(mf, 0, sizeof(*mf));
	if (fd < 0) {
		e = errno;
		return file_err(err, errlen, -e, "%s: cannot open: %s", path, strerror(e));
	}
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		return file_err(err, errlen, -e, "%s: cannot stat: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return file_err(err, errlen, -EINVAL, "%s: not a regular file", path);
	}
	if (st.st_size > 0) {
		p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			e = errno;
			close(fd);
			return file_err(err, errlen, -e, "%s: cannot map: %s", path, strerror(e));
		}
		mf->data = p;
		mf->len = st.st_size;
	}
	close(fd);
	return 0;
}

void mapped_file_close(struct mapped_file *mf)
{
	if (mf->data)
		munmap((void *)mf->data, mf->len);
	memset(mf, 0, sizeof(*mf));
}

/* ---- Store images ---- */

uint64_t pagestore_image_size(uint32_t n)
{
	return IMG_HEADER + (uint64_t)n * IMG_RECORD + IMG_TRAILER;
}

/* Seeded with the ref, so a record moved to another position fails its check. */
static uint64_t record_sum(const void *page, uint64_t ref)
{
	return XXH3_64bits_withSeed(page, PAGE_SIZE, ref);
}

/* Chains the record checksums so the trailer vouches for all of them, in order. */
static uint64_t chain(uint64_t acc, uint64_t sum)
{
	uint8_t b[8];
	le64_put(b, sum);
	return XXH3_64bits_withSeed(b, sizeof(b), acc);
}

int pagestore_image_write(const struct pagestore *ps, const page_ref *refs, uint32_t n,
			  uint32_t base, struct afile *out)
{
	uint8_t hdr[IMG_HEADER] = { 0 }, tr[IMG_TRAILER] = { 0 }, b[8];
	uint64_t acc;

	if (refs && base)
		return -EINVAL;
	if (!refs && (uint64_t)base + n > ps->npages)
		return -EINVAL;
	for (uint32_t i = 0; refs && i < n; i++) {
		if (refs[i] == PAGE_REF_ZERO || refs[i] > ps->npages)
			return -EINVAL;
	}
	memcpy(hdr, IMG_MAGIC, 8);
	le32_put(hdr + 8, IMG_VERSION);
	le32_put(hdr + 12, PAGE_SIZE);
	le64_put(hdr + 16, ps->id);
	le32_put(hdr + 24, n);
	le32_put(hdr + 28, base);
	le64_put(hdr + 32, XXH3_64bits(hdr, 32));
	afile_write(out, hdr, sizeof(hdr));
	acc = le64_get(hdr + 32);
	for (uint32_t i = 1; i <= n; i++) {
		const void *page = page_ptr(ps, refs ? refs[i - 1] : base + i);
		uint64_t sum = record_sum(page, (uint64_t)base + i);
		le64_put(b, sum);
		afile_write(out, page, PAGE_SIZE);
		afile_write(out, b, 8);
		acc = chain(acc, sum);
	}
	memcpy(tr, IMG_END_MAGIC, 8);
	le32_put(tr + 8, n);
	le64_put(tr + 16, acc);
	le64_put(tr + 24, XXH3_64bits(tr, 24));
	afile_write(out, tr, sizeof(tr));
	return out->error ? -out->error : 0;
}

const void *pagestore_image_page(const uint8_t *buf, uint32_t i)
{
	return buf + IMG_HEADER + (uint64_t)(i - 1) * IMG_RECORD;
}

int pagestore_image_check(const uint8_t *buf, uint64_t len, const char *what, uint64_t off,
			  struct store_image_info *info, char *err, size_t errlen)
{
	const uint8_t *tr;
	uint64_t need, acc;
	uint32_t n, base;

	if (len < IMG_HEADER)
		return file_err(err, errlen, -EINVAL,
				"%s: truncated: %llu bytes at offset %llu, a page store header needs %u",
				what, (unsigned long long)len, (unsigned long long)off, IMG_HEADER);
	if (memcmp(buf, IMG_MAGIC, 8))
		return file_err(err, errlen, -EINVAL, "%s: not a page store (bad magic at offset %llu)",
				what, (unsigned long long)off);
	if (le64_get(buf + 32) != XXH3_64bits(buf, 32))
		return file_err(err, errlen, -EINVAL,
				"%s: page store header at offset %llu: checksum mismatch", what,
				(unsigned long long)off);
	if (le32_get(buf + 8) != IMG_VERSION || le32_get(buf + 12) != PAGE_SIZE)
		return file_err(err, errlen, -EINVAL,
				"%s: page store version %u with %u-byte pages is not supported "
				"(this build reads version %u, %llu-byte pages)",
				what, le32_get(buf + 8), le32_get(buf + 12), IMG_VERSION, PAGE_SIZE);
	n = le32_get(buf + 24);
	base = le32_get(buf + 28);
	need = pagestore_image_size(n);
	if ((uint64_t)base + n > MAX_PAGES)
		return file_err(err, errlen, -EINVAL,
				"%s: page store header at offset %llu: pages %u..%u are out of range",
				what, (unsigned long long)off, base + 1, base + n);
	if (len < need) {
		uint64_t rec = len > IMG_HEADER ? (len - IMG_HEADER) / IMG_RECORD + 1 : 1;
		if (rec <= n)
			return file_err(err, errlen, -EINVAL,
					"%s: truncated at offset %llu: header promises %u pages (%llu bytes), "
					"page record %llu is incomplete",
					what, (unsigned long long)(off + len), n,
					(unsigned long long)need, (unsigned long long)rec);
		return file_err(err, errlen, -EINVAL,
				"%s: truncated at offset %llu: the trailer is incomplete", what,
				(unsigned long long)(off + len));
	}
	if (len > need)
		return file_err(err, errlen, -EINVAL,
				"%s: %llu unexpected bytes after the trailer at offset %llu", what,
				(unsigned long long)(len - need), (unsigned long long)(off + need));
	acc = le64_get(buf + 32);
	for (uint32_t i = 1; i <= n; i++) {
		const uint8_t *rec = pagestore_image_page(buf, i);
		uint64_t sum = record_sum(rec, (uint64_t)base + i);
		if (le64_get(rec + PAGE_SIZE) != sum)
			return file_err(err, errlen, -EINVAL,
					"%s: page record %u at offset %llu: checksum mismatch", what, i,
					(unsigned long long)(off + (rec - buf)));
		acc = chain(acc, sum);
	}
	tr = buf + need - IMG_TRAILER;
	if (memcmp(tr, IMG_END_MAGIC, 8) || le64_get(tr + 24) != XXH3_64bits(tr, 24) ||
	    le32_get(tr + 8) != n || le32_get(tr + 12) != 0)
		return file_err(err, errlen, -EINVAL, "%s: page store trailer at offset %llu is corrupt",
				what, (unsigned long long)(off + (tr - buf)));
	if (le64_get(tr + 16) != acc)
		return file_err(err, errlen, -EINVAL,
				"%s: page store trailer at offset %llu: record checksums do not match "
				"the trailer's",
				what, (unsigned long long)(off + (tr - buf)));
	info->id = le64_get(buf + 16);
	info->base = base;
	info->npages = n;
	return 0;
}

int pagestore_append(struct pagestore *ps, const uint8_t *buf, uint64_t len, const char *what,
		     uint64_t off, char *err, size_t errlen)
{
	struct store_image_info info;
	uint32_t before = ps->npages;
	uint64_t puts = ps->puts, zero_puts = ps->zero_puts;
	int r = pagestore_image_check(buf, len, what, off, &info, err, errlen);

	if (r)
		return r;
	if (info.id != ps->id)
		return file_err(err, errlen, -EINVAL,
				"%s: pages of store %016llx, not of this store (%016llx)", what,
				(unsigned long long)info.id, (unsigned long long)ps->id);
	if (info.base != before)
		return file_err(err, errlen, -EINVAL,
				"%s: holds pages %u..%u, but the store has %u pages", what,
				info.base + 1, info.base + info.npages, before);
	for (uint32_t i = 1; i <= info.npages && !r; i++) {
		const uint8_t *page = pagestore_image_page(buf, i);
		page_ref got;
		r = pagestore_put(ps, page, &got);
		if (r)
			file_err(err, errlen, r, "%s: page %u: %s", what, before + i, strerror(-r));
		/* Refs are positions: a duplicate or zero record would shift every later ref. */
		else if (got != before + i)
			r = file_err(err, errlen, -EINVAL, "%s: page record %u at offset %llu %s", what,
				     i, (unsigned long long)(off + (page - buf)),
				     got ? "duplicates an earlier page" : "is all zeros");
	}
	/* Adding pages is storing, not referencing. */
	ps->puts = puts;
	ps->zero_puts = zero_puts;
	if (r && truncate_to(ps, before))
		return file_err(err, errlen, -ENOMEM, "%s: out of memory undoing a failed append",
				what);
	return r;
}

int pagestore_save(const struct pagestore *ps, const char *path, char *err, size_t errlen)
{
	struct afile af;
	int r = afile_open(&af, path, err, errlen);
	if (r)
		return r;
	r = pagestore_image_write(ps, NULL, ps->npages, 0, &af);
	if (r) {
		file_err(err, errlen, r, "%s: write failed: %s", af.tmp, strerror(-r));
		afile_abort(&af);
		return r;
	}
	return afile_commit(&af, err, errlen);
}

int pagestore_load(struct pagestore *ps, const char *path, char *err, size_t errlen)
{
	struct mapped_file mf;
	struct pagestore fresh;
	int r;

	r = mapped_file_open(&mf, path, err, errlen);
	if (r)
		return r;
	r = pagestore_init(&fresh);
	if (r) {
		mapped_file_close(&mf);
		return file_err(err, errlen, r, "%s: %s", path, strerror(-r));
	}
	/* The id check of an append does not apply: loading adopts the file's id. */
	if (mf.len >= IMG_HEADER)
		fresh.id = le64_get(mf.data + 16);
	r = pagestore_append(&fresh, mf.data, mf.len, path, 0, err, errlen);
	if (r)
		pagestore_free(&fresh);
	else
		*ps = fresh;
	mapped_file_close(&mf);
	return r;
}

/* ---- Memory images ---- */

static inline bool bit_set(const uint64_t *bm, uint64_t i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

int memimage_capture(struct pagestore *ps, const struct guest_mem *mem, const struct memimage *prev,
		     const uint64_t *dirty, struct memimage *out)
{
	uint64_t n = mem->size / PAGE_SIZE;
	page_ref *refs;
	int r;

	if (prev && prev->npages != n)
		return -EINVAL;
	if (!prev)
		dirty = NULL;
	refs = malloc((n ? n : 1) * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		if (dirty && i % 64 == 0 && n - i >= 64 && !dirty[i / 64]) {
			memcpy(refs + i, prev->refs + i, 64 * sizeof(*refs));
			i += 63;
			continue;
		}
		if (dirty && !bit_set(dirty, i)) {
			refs[i] = prev->refs[i];
			continue;
		}
		r = pagestore_put(ps, mem->host + i * PAGE_SIZE, &refs[i]);
		if (r) {
			free(refs);
			return r;
		}
	}
	out->npages = n;
	out->refs = refs;
	return 0;
}

int memimage_restore(const struct pagestore *ps, const struct memimage *img, struct guest_mem *mem,
		     const struct memimage *cur, const uint64_t *dirty)
{
	uint64_t n = mem->size / PAGE_SIZE;

	if (img->npages != n || (cur && cur->npages != n))
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		if (!pagestore_valid(ps, img->refs[i]))
			return -EINVAL;
	}
	for (uint64_t i = 0; i < n; i++) {
		page_ref r = img->refs[i];
		uint8_t *dst = mem->host + i * PAGE_SIZE;
		if (cur && cur->refs[i] == r && !(dirty && bit_set(dirty, i)))
			continue;
		/* Reading first keeps untouched guest pages unfaulted and clean in the dirty log. */
		if (r == PAGE_REF_ZERO) {
			if (!is_zero_page(dst))
				memset(dst, 0, PAGE_SIZE);
		}
		else
			memcpy(dst, page_ptr(ps, r), PAGE_SIZE);
	}
	return 0;
}

uint64_t memimage_digest(const struct pagestore *ps, const struct memimage *img)
{
	XXH3_state_t st;
	XXH3_INITSTATE(&st);
	XXH3_64bits_reset(&st);
	for (uint64_t i = 0; i < img->npages; i++) {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, pagestore_hash(ps, img->refs[i]));
		XXH3_64bits_update(&st, &c, sizeof(c));
	}
	return XXH3_64bits_digest(&st);
}

void memimage_free(struct memimage *img)
{
	free(img->refs);
	img->refs = NULL;
	img->npages = 0;
}
