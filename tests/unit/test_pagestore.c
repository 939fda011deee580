#include "core/pagestore.h"
#include "tests/unit/check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define TMPDIR_TEMPLATE "/tmp/rewind-pagestore-XXXXXX"

/* Deterministic page contents: a xorshift stream seeded per page. */
static void fill_page(void *page, uint64_t seed)
{
	uint64_t *w = page, x = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (size_t i = 0; i < PAGE_SIZE / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
}

static void fill_mem(struct guest_mem *mem, uint64_t seed)
{
	for (uint64_t i = 0; i < mem->size / PAGE_SIZE; i++) {
		/* Every 4th page zero, every 8th+1 a copy of page 1: dedup and elision both see work. */
		if (i % 4 == 0)
			memset(mem->host + i * PAGE_SIZE, 0, PAGE_SIZE);
		else if (i % 8 == 1)
			fill_page(mem->host + i * PAGE_SIZE, seed);
		else
			fill_page(mem->host + i * PAGE_SIZE, seed + i);
	}
}

/* Hashes that collide on purpose. */
static XXH128_hash_t const_hash(const void *page)
{
	(void)page;
	return (XXH128_hash_t){ 42, 42 };
}

static XXH128_hash_t first_word_hash(const void *page)
{
	uint64_t w;
	memcpy(&w, page, 8);
	return (XXH128_hash_t){ w, 0 };
}

static char *tmp_dir(void)
{
	static char dirs[8][sizeof(TMPDIR_TEMPLATE)];
	static int n;
	char *d = dirs[n++ % 8];
	strcpy(d, TMPDIR_TEMPLATE);
	return mkdtemp(d);
}

TEST(zero_pages_are_elided)
{
	struct pagestore ps;
	struct pagestore_stats st;
	static uint8_t zero[PAGE_SIZE];
	const uint8_t *p;
	page_ref r = 99;

	CHECK_EQ(pagestore_init(&ps), 0);
	CHECK_EQ(pagestore_put(&ps, zero, &r), 0);
	CHECK_EQ(r, PAGE_REF_ZERO);
	pagestore_stats(&ps, &st);
	CHECK_EQ(st.pages_referenced, 1);
	CHECK_EQ(st.zero_pages, 1);
	CHECK_EQ(st.unique_pages, 0);
	CHECK_EQ(st.bytes_stored, 0);
	p = pagestore_get(&ps, PAGE_REF_ZERO);
	CHECK(p != NULL);
	CHECK(!memcmp(p, zero, PAGE_SIZE));
	/* A page with one non-zero byte at the very end is not the zero page. */
	uint8_t almost[PAGE_SIZE] = { 0 };
	almost[PAGE_SIZE - 1] = 1;
	CHECK_EQ(pagestore_put(&ps, almost, &r), 0);
	CHECK_EQ(r, 1);
	CHECK(pagestore_get(&ps, 2) == NULL);
	pagestore_free(&ps);
}

TEST(identical_pages_are_stored_once)
{
	struct pagestore ps;
	struct pagestore_stats st;
	uint8_t a[PAGE_SIZE], b[PAGE_SIZE];
	page_ref ra, rb, rc;

	CHECK_EQ(pagestore_init(&ps), 0);
	fill_page(a, 1);
	memcpy(b, a, PAGE_SIZE);
	CHECK_EQ(pagestore_put(&ps, a, &ra), 0);
	CHECK_EQ(pagestore_put(&ps, b, &rb), 0);
	CHECK_EQ(ra, rb);
	b[100] ^= 1;
	CHECK_EQ(pagestore_put(&ps, b, &rc), 0);
	CHECK(rc != ra);
	CHECK(!memcmp(pagestore_get(&ps, ra), a, PAGE_SIZE));
	CHECK(!memcmp(pagestore_get(&ps, rc), b, PAGE_SIZE));
	pagestore_stats(&ps, &st);
	CHECK_EQ(st.pages_referenced, 3);
	CHECK_EQ(st.unique_pages, 2);
	CHECK_EQ(st.bytes_stored, 2 * PAGE_SIZE);
	CHECK(st.dedup_ratio > 1.49 && st.dedup_ratio < 1.51);
	pagestore_free(&ps);
}

/* Every page has the same hash: only the byte comparison tells them apart. */
TEST(collisions_keep_pages_distinct)
{
	struct pagestore ps;
	struct pagestore_stats st;
	uint8_t page[PAGE_SIZE];
	page_ref refs[200], again;

	CHECK_EQ(pagestore_init_hashfn(&ps, const_hash), 0);
	for (int i = 0; i < 200; i++) {
		fill_page(page, 1000 + i);
		CHECK_EQ(pagestore_put(&ps, page, &refs[i]), 0);
		for (int j = 0; j < i; j++)
			CHECK(refs[j] != refs[i]);
	}
	for (int i = 0; i < 200; i++) {
		fill_page(page, 1000 + i);
		CHECK(!memcmp(pagestore_get(&ps, refs[i]), page, PAGE_SIZE));
		CHECK_EQ(pagestore_put(&ps, page, &again), 0);
		CHECK_EQ(again, refs[i]);
	}
	pagestore_stats(&ps, &st);
	CHECK_EQ(st.unique_pages, 200);
	CHECK(st.collisions > 0);
	pagestore_free(&ps);
}

/* Partial collisions, interleaved with hits, across table growth. */
TEST(collisions_across_table_growth)
{
	struct pagestore ps;
	static uint8_t pages[3000][PAGE_SIZE];
	page_ref refs[3000], r;

	CHECK_EQ(pagestore_init_hashfn(&ps, first_word_hash), 0);
	for (int i = 0; i < 3000; i++) {
		fill_page(pages[i], i);
		memcpy(pages[i], &(uint64_t){ (uint64_t)(i % 7) }, 8); /* 7 hash values in all */
		CHECK_EQ(pagestore_put(&ps, pages[i], &refs[i]), 0);
		CHECK_EQ(pagestore_put(&ps, pages[i / 2], &r), 0);
		CHECK_EQ(r, refs[i / 2]);
	}
	CHECK_EQ(ps.npages, 3000);
	for (int i = 0; i < 3000; i++)
		CHECK(!memcmp(pagestore_get(&ps, refs[i]), pages[i], PAGE_SIZE));
	pagestore_free(&ps);
}

static int mem_setup(struct guest_mem *mem, uint64_t size, uint64_t seed)
{
	int r = guest_mem_init(mem, size);
	if (!r)
		fill_mem(mem, seed);
	return r;
}

/* 50 captures of a mostly-unchanged 64 MiB cost about one copy. */
TEST(fifty_captures_cost_one_copy)
{
	struct guest_mem mem;
	struct pagestore ps;
	struct pagestore_stats st;
	struct memimage img[50];
	uint64_t npages = (64 << 20) / PAGE_SIZE, distinct_first = 0;

	CHECK_EQ(mem_setup(&mem, 64 << 20, 7), 0);
	CHECK_EQ(pagestore_init(&ps), 0);
	for (int k = 0; k < 50; k++) {
		for (int j = 0; j < 8; j++) /* a few pages change between captures */
			fill_page(mem.host + ((k * 131 + j * 977) % npages) * PAGE_SIZE, 1u << 20 | k << 4 | j);
		CHECK_EQ(memimage_capture(&ps, &mem, NULL, NULL, &img[k]), 0);
		if (k == 0)
			distinct_first = ps.npages;
	}
	pagestore_stats(&ps, &st);
	CHECK_EQ(st.pages_referenced, 50 * npages);
	CHECK(st.unique_pages <= distinct_first + 50 * 8);
	CHECK(st.bytes_stored < (uint64_t)(64 << 20));
	CHECK(st.dedup_ratio > 50.0);
	/* The first capture still describes its memory. */
	CHECK_EQ(img[0].npages, npages);
	for (int k = 0; k < 50; k++)
		memimage_free(&img[k]);
	pagestore_free(&ps);
	guest_mem_free(&mem);
}

static void set_bit(uint64_t *bm, uint64_t i)
{
	bm[i / 64] |= 1ULL << (i % 64);
}

TEST(incremental_capture_equals_full)
{
	struct guest_mem mem;
	struct pagestore ps;
	struct memimage base, inc, full;
	uint64_t npages = (8 << 20) / PAGE_SIZE, puts_before;
	uint64_t *dirty = calloc(npages / 64, 8);

	CHECK(dirty != NULL);
	CHECK_EQ(mem_setup(&mem, 8 << 20, 3), 0);
	CHECK_EQ(pagestore_init(&ps), 0);
	CHECK_EQ(memimage_capture(&ps, &mem, NULL, NULL, &base), 0);
	/* Writes of new data, of zeros, of an existing page's bytes, and a write of the same bytes. */
	for (uint64_t i = 5; i < npages; i += 97) {
		if (i % 3 == 0)
			memset(mem.host + i * PAGE_SIZE, 0, PAGE_SIZE);
		else if (i % 3 == 1)
			memcpy(mem.host + i * PAGE_SIZE, mem.host + 3 * PAGE_SIZE, PAGE_SIZE);
		else
			fill_page(mem.host + i * PAGE_SIZE, 555 + i);
		set_bit(dirty, i);
	}
	set_bit(dirty, 2);
	set_bit(dirty, npages - 1);
	mem.host[(npages - 1) * PAGE_SIZE] ^= 0xff;
	puts_before = ps.puts;
	CHECK_EQ(memimage_capture(&ps, &mem, &base, dirty, &inc), 0);
	CHECK(ps.puts - puts_before < npages / 50); /* only the dirty pages were looked at */
	CHECK_EQ(memimage_capture(&ps, &mem, NULL, NULL, &full), 0);
	CHECK_EQ(inc.npages, full.npages);
	CHECK(!memcmp(inc.refs, full.refs, npages * sizeof(page_ref)));
	CHECK(memcmp(base.refs, full.refs, npages * sizeof(page_ref)));
	CHECK_EQ(memimage_digest(&ps, &inc), memimage_digest(&ps, &full));
	CHECK(memimage_digest(&ps, &inc) != memimage_digest(&ps, &base));
	/* A previous image of another size is refused. */
	struct memimage small = { npages - 1, base.refs };
	CHECK_EQ(memimage_capture(&ps, &mem, &small, dirty, &inc), -EINVAL);
	memimage_free(&base);
	memimage_free(&inc);
	memimage_free(&full);
	pagestore_free(&ps);
	guest_mem_free(&mem);
	free(dirty);
}

TEST(restore_is_exact)
{
	struct guest_mem mem;
	struct pagestore ps;
	struct memimage img, cur;
	uint64_t size = 4 << 20, npages = size / PAGE_SIZE;
	uint8_t *copy = malloc(size);
	uint64_t *dirty = calloc(npages / 64, 8);

	CHECK(copy && dirty);
	CHECK_EQ(mem_setup(&mem, size, 11), 0);
	memcpy(copy, mem.host, size);
	CHECK_EQ(pagestore_init(&ps), 0);
	CHECK_EQ(memimage_capture(&ps, &mem, NULL, NULL, &img), 0);
	fill_mem(&mem, 12);
	memset(mem.host + 8 * PAGE_SIZE, 0xcc, PAGE_SIZE); /* was zero */
	CHECK(memcmp(copy, mem.host, size));
	CHECK_EQ(memimage_restore(&ps, &img, &mem, NULL, NULL), 0);
	CHECK(!memcmp(copy, mem.host, size));

	/* With a hint: mem holds cur except dirty pages; unchanged refs are skipped. */
	CHECK_EQ(memimage_capture(&ps, &mem, NULL, NULL, &cur), 0);
	memset(mem.host + 20 * PAGE_SIZE, 0x5a, PAGE_SIZE);
	set_bit(dirty, 20);
	CHECK_EQ(memimage_restore(&ps, &img, &mem, &cur, dirty), 0);
	CHECK(!memcmp(copy, mem.host, size));
	/* The skip is real: a write the hint does not mention survives a restore. */
	mem.host[30 * PAGE_SIZE] ^= 1;
	CHECK_EQ(memimage_restore(&ps, &img, &mem, &cur, dirty), 0);
	CHECK(memcmp(copy, mem.host, size));
	CHECK_EQ(memimage_restore(&ps, &img, &mem, NULL, NULL), 0);
	CHECK(!memcmp(copy, mem.host, size));
	memimage_free(&cur);

	/* A ref the store never handed out: refused before anything is written. */
	img.refs[npages - 1] = ps.npages + 1;
	memset(mem.host, 0x77, PAGE_SIZE);
	CHECK_EQ(memimage_restore(&ps, &img, &mem, NULL, NULL), -EINVAL);
	CHECK_EQ(mem.host[0], 0x77);
	memimage_free(&img);
	pagestore_free(&ps);
	guest_mem_free(&mem);
	free(copy);
	free(dirty);
}

static int build_store(struct pagestore *ps, int n, pagestore_hash_fn fn)
{
	uint8_t page[PAGE_SIZE];
	page_ref r;
	int e = fn ? pagestore_init_hashfn(ps, fn) : pagestore_init(ps);
	for (int i = 0; i < n && !e; i++) {
		fill_page(page, 77 + i);
		e = pagestore_put(ps, page, &r);
	}
	return e;
}

static char path_buf[256];
static const char *in_dir(const char *dir, const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
	return path_buf;
}

TEST(save_load_round_trip)
{
	struct pagestore ps, back;
	char err[256] = "", *dir = tmp_dir(), path[256];
	uint8_t page[PAGE_SIZE];
	page_ref r;

	CHECK(dir != NULL);
	snprintf(path, sizeof(path), "%s/store.rws", dir);
	CHECK_EQ(build_store(&ps, 300, NULL), 0);
	CHECK_EQ(pagestore_save(&ps, path, err, sizeof(err)), 0);
	CHECK(check_no_file_like(dir, "store.rws.tmp"));
	CHECK_EQ(pagestore_load(&back, path, err, sizeof(err)), 0);
	CHECK_EQ(back.npages, 300);
	CHECK_EQ(back.id, ps.id);
	for (page_ref i = 1; i <= 300; i++) {
		CHECK(!memcmp(pagestore_get(&back, i), pagestore_get(&ps, i), PAGE_SIZE));
		CHECK(XXH128_isEqual(pagestore_hash(&back, i), pagestore_hash(&ps, i)));
	}
	/* The loaded store goes on deduplicating and appending. */
	fill_page(page, 77 + 123);
	CHECK_EQ(pagestore_put(&back, page, &r), 0);
	CHECK_EQ(r, 124);
	fill_page(page, 5);
	CHECK_EQ(pagestore_put(&back, page, &r), 0);
	CHECK_EQ(r, 301);
	/* An empty store round-trips too. */
	pagestore_free(&ps);
	CHECK_EQ(pagestore_init(&ps), 0);
	CHECK_EQ(pagestore_save(&ps, path, err, sizeof(err)), 0);
	pagestore_free(&back);
	CHECK_EQ(pagestore_load(&back, path, err, sizeof(err)), 0);
	CHECK_EQ(back.npages, 0);
	pagestore_free(&back);
	pagestore_free(&ps);
	unlink(path);
	rmdir(dir);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n ? n : 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(buf, 1, len, f) == len;
	if (f)
		ok &= !fclose(f);
	return ok ? 0 : -1;
}

/* A load that fails leaves the destination untouched. */
static int load_fails(const char *path, char *err, size_t errlen)
{
	struct pagestore ps;
	memset(&ps, 0xa5, sizeof(ps));
	err[0] = 0;
	if (pagestore_load(&ps, path, err, errlen) == 0) {
		pagestore_free(&ps);
		return 0;
	}
	for (size_t i = 0; i < sizeof(ps); i++)
		if (((uint8_t *)&ps)[i] != 0xa5)
			return 0;
	return err[0] != 0;
}

TEST(corrupt_store_files_are_refused)
{
	struct pagestore ps;
	char err[256], *dir = tmp_dir(), good[256], bad[256];
	uint8_t *buf;
	size_t len;

	CHECK(dir != NULL);
	snprintf(good, sizeof(good), "%s/good.rws", dir);
	snprintf(bad, sizeof(bad), "%s/bad.rws", dir);
	CHECK_EQ(build_store(&ps, 4, NULL), 0);
	CHECK_EQ(pagestore_save(&ps, good, err, sizeof(err)), 0);
	pagestore_free(&ps);
	buf = slurp(good, &len);
	CHECK(buf != NULL);
	CHECK_EQ(len, pagestore_image_size(4));

	for (size_t off = 0; off < len; off += (off < 64 || off > len - 64) ? 1 : 61) {
		buf[off] ^= 0x10;
		CHECK_EQ(spit(bad, buf, len), 0);
		buf[off] ^= 0x10;
		if (!load_fails(bad, err, sizeof(err))) {
			printf("  flip at %zu accepted\n", off);
			CHECK(0);
		}
	}
	for (size_t cut = 0; cut < len; cut += (cut < 64 || cut > len - 64) ? 1 : 53) {
		CHECK_EQ(spit(bad, buf, cut), 0);
		if (!load_fails(bad, err, sizeof(err)) || !strstr(err, "truncated")) {
			printf("  cut at %zu: '%s'\n", cut, err);
			CHECK(0);
		}
	}
	/* One byte too many. */
	buf = realloc(buf, len + 1);
	buf[len] = 0;
	CHECK_EQ(spit(bad, buf, len + 1), 0);
	CHECK(load_fails(bad, err, sizeof(err)));
	CHECK(strstr(err, "after the trailer") != NULL);
	/* A record's error names it and its offset. */
	buf[40 + PAGE_SIZE + 8 + 7] ^= 1;
	CHECK_EQ(spit(bad, buf, len), 0);
	CHECK(load_fails(bad, err, sizeof(err)));
	CHECK(strstr(err, "page record 2 at offset 4144") != NULL);
	/* The same record with its checksum redone (the store's base is 0, so its seed is its
	 * ref, 2): every record is sound, and the trailer's chain over them is not. */
	uint8_t *rec = buf + 40 + PAGE_SIZE + 8;
	le64_put(rec + PAGE_SIZE, XXH3_64bits_withSeed(rec, PAGE_SIZE, 2));
	CHECK_EQ(spit(bad, buf, len), 0);
	CHECK(load_fails(bad, err, sizeof(err)));
	CHECK(strstr(err, "record checksums do not match the trailer's") != NULL);
	CHECK(load_fails(in_dir(dir, "missing.rws"), err, sizeof(err)));
	CHECK(strstr(err, "cannot open") != NULL);
	free(buf);
	unlink(good);
	unlink(bad);
	rmdir(dir);
}

/* Records are positions: a well-formed file whose records repeat a page or hold the zero page
 * would shift refs, so it is refused. */
TEST(duplicate_or_zero_records_are_refused)
{
	struct pagestore ps;
	struct afile af;
	char err[256], *dir = tmp_dir(), path[256];
	page_ref dup[3] = { 1, 2, 1 };

	CHECK(dir != NULL);
	snprintf(path, sizeof(path), "%s/dup.rws", dir);
	CHECK_EQ(build_store(&ps, 2, NULL), 0);
	CHECK_EQ(afile_open(&af, path, err, sizeof(err)), 0);
	CHECK_EQ(pagestore_image_write(&ps, dup, 3, 0, &af), 0);
	CHECK_EQ(afile_commit(&af, err, sizeof(err)), 0);
	CHECK(load_fails(path, err, sizeof(err)));
	CHECK(strstr(err, "page record 3") && strstr(err, "duplicates"));
	/* The zero ref cannot be written as a record. */
	CHECK_EQ(afile_open(&af, path, err, sizeof(err)), 0);
	dup[1] = PAGE_REF_ZERO;
	CHECK_EQ(pagestore_image_write(&ps, dup, 3, 0, &af), -EINVAL);
	afile_abort(&af);
	CHECK(check_no_file_like(dir, "dup.rws.tmp"));
	pagestore_free(&ps);
	unlink(path);
	rmdir(dir);
}

TEST(failed_save_leaves_no_file)
{
	struct pagestore ps;
	char err[256] = "";
	CHECK_EQ(build_store(&ps, 2, NULL), 0);
	CHECK(pagestore_save(&ps, "/nonexistent-dir/x.rws", err, sizeof(err)) < 0);
	CHECK(strstr(err, "/nonexistent-dir/x.rws") != NULL);
	pagestore_free(&ps);
}

/* A store saved with colliding hashes keeps its refs on the way back. */
TEST(collision_store_round_trip)
{
	struct pagestore ps;
	char err[256], *dir = tmp_dir(), path[256];
	CHECK(dir != NULL);
	snprintf(path, sizeof(path), "%s/c.rws", dir);
	CHECK_EQ(build_store(&ps, 50, const_hash), 0);
	CHECK_EQ(pagestore_save(&ps, path, err, sizeof(err)), 0);
	pagestore_free(&ps);
	CHECK_EQ(pagestore_load(&ps, path, err, sizeof(err)), 0);
	CHECK_EQ(ps.npages, 50);
	for (int i = 0; i < 50; i++) {
		uint8_t page[PAGE_SIZE];
		fill_page(page, 77 + i);
		CHECK(!memcmp(pagestore_get(&ps, i + 1), page, PAGE_SIZE));
	}
	pagestore_free(&ps);
	unlink(path);
	rmdir(dir);
}

/* A store carried as deltas (as a trace carries it): each delta appends pages with the same refs;
 * a delta that does not fit, or is damaged, changes nothing. */
TEST(store_deltas_append_all_or_nothing)
{
	struct pagestore a, b;
	struct afile af;
	char err[256];
	char *first = NULL, *second = NULL, *dup = NULL;
	size_t first_len, second_len, dup_len;
	FILE *f;
	page_ref refs[3] = { 1, 2, 1 }, r;
	uint8_t page[PAGE_SIZE];

	CHECK_EQ(build_store(&a, 10, NULL), 0);
	f = open_memstream(&first, &first_len);
	CHECK(f && afile_attach(&af, f) == 0);
	CHECK_EQ(pagestore_image_write(&a, NULL, 6, 0, &af), 0);
	CHECK_EQ(afile_commit(&af, err, sizeof(err)), 0);
	fclose(f);
	f = open_memstream(&second, &second_len);
	CHECK(f && afile_attach(&af, f) == 0);
	CHECK_EQ(pagestore_image_write(&a, NULL, 4, 6, &af), 0);
	CHECK_EQ(afile_commit(&af, err, sizeof(err)), 0);
	fclose(f);
	CHECK_EQ(pagestore_image_write(&a, NULL, 5, 6, &af), -EINVAL); /* past the end */

	CHECK_EQ(pagestore_init(&b), 0);
	CHECK_EQ(pagestore_append(&b, (uint8_t *)first, first_len, "d1", 0, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "not of this store") != NULL);
	b.id = a.id;
	CHECK_EQ(pagestore_append(&b, (uint8_t *)second, second_len, "d2", 0, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "holds pages 7..10, but the store has 0 pages") != NULL);
	CHECK_EQ(pagestore_append(&b, (uint8_t *)first, first_len, "d1", 0, err, sizeof(err)), 0);
	second[100] ^= 1;
	CHECK(pagestore_append(&b, (uint8_t *)second, second_len, "d2", 0, err, sizeof(err)) < 0);
	CHECK_EQ(b.npages, 6);
	second[100] ^= 1;
	CHECK_EQ(pagestore_append(&b, (uint8_t *)second, second_len, "d2", 0, err, sizeof(err)), 0);
	CHECK_EQ(b.npages, 10);
	for (page_ref i = 1; i <= 10; i++)
		CHECK(!memcmp(pagestore_get(&a, i), pagestore_get(&b, i), PAGE_SIZE));

	/* A delta that fails part-way (its third page repeats its first) is undone. */
	pagestore_free(&b);
	CHECK_EQ(pagestore_init(&b), 0);
	b.id = a.id;
	f = open_memstream(&dup, &dup_len);
	CHECK(f && afile_attach(&af, f) == 0);
	CHECK_EQ(pagestore_image_write(&a, refs, 3, 0, &af), 0);
	CHECK_EQ(afile_commit(&af, err, sizeof(err)), 0);
	fclose(f);
	CHECK_EQ(pagestore_append(&b, (uint8_t *)dup, dup_len, "dup", 0, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "page record 3") != NULL);
	CHECK_EQ(b.npages, 0);
	memcpy(page, pagestore_get(&a, 1), PAGE_SIZE);
	CHECK_EQ(pagestore_put(&b, page, &r), 0);
	CHECK_EQ(r, 1);
	CHECK_EQ(b.npages, 1);
	free(first);
	free(second);
	free(dup);
	pagestore_free(&a);
	pagestore_free(&b);
}

RUN_TESTS(T(zero_pages_are_elided), T(identical_pages_are_stored_once),
	  T(collisions_keep_pages_distinct), T(collisions_across_table_growth),
	  T(fifty_captures_cost_one_copy), T(incremental_capture_equals_full), T(restore_is_exact),
	  T(save_load_round_trip), T(corrupt_store_files_are_refused),
	  T(duplicate_or_zero_records_are_refused), T(failed_save_leaves_no_file),
	  T(collision_store_round_trip), T(store_deltas_append_all_or_nothing))
