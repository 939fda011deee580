/* Damaged traces: cut at every offset, bytes flipped everywhere, garbage, wrong magic and
 * version, altered embedded images. The property throughout: a clear error or a clean
 * truncation, never a crash, a hang, or an event that differs from what was written. */
#define _GNU_SOURCE /* memmem */
#include "tests/unit/check.h"
#include "tests/unit/test_trace_sample.h"
#include "traces/format.h"
#include "traces/tools.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
	static char path[128];
	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/rewind-trace-damage-XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* A sample trace, its bytes, and where each chunk ends. */
struct fixture {
	struct sample s;
	uint8_t *bytes;
	size_t size;
	uint64_t header_len;
	uint64_t nchunks;
	uint64_t *chunk_end;	/* file offset just past chunk i */
	uint64_t *events_upto;	/* events in chunks 0..i */
};

static int load_file(const char *path, uint8_t **bytes, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	*size = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	*bytes = malloc(*size ? *size : 1);
	size_t n = *bytes ? fread(*bytes, 1, *size, f) : 0;
	fclose(f);
	return n == *size ? 0 : -1;
}

static int save_file(const char *path, const uint8_t *bytes, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(bytes, 1, size, f);
	return fclose(f) == 0 && n == size ? 0 : -1;
}

static int fixture_make(struct fixture *fx, const char *name, const struct sample_opts *o)
{
	const char *path = tmp_path(name);
	memset(fx, 0, sizeof(*fx));
	if (sample_write(path, o, &fx->s) || load_file(path, &fx->bytes, &fx->size))
		return -1;
	struct trace_reader *r;
	char err[256];
	if (trace_reader_open(&r, path, err, sizeof(err)))
		return -1;
	const struct trace_file_info *fi = trace_reader_info(r);
	fx->header_len = fi->header_len;
	fx->nchunks = fi->nchunks;
	fx->chunk_end = calloc(fx->nchunks + 1, sizeof(uint64_t));
	fx->events_upto = calloc(fx->nchunks + 1, sizeof(uint64_t));
	for (uint64_t i = 0; i < fx->nchunks; i++) {
		struct trace_chunk_ref c, next;
		trace_reader_chunk(r, i, &c);
		fx->chunk_end[i] = trace_reader_chunk(r, i + 1, &next) ? next.offset : fi->index_off;
		fx->events_upto[i] = c.nevents + (i ? fx->events_upto[i - 1] : 0);
	}
	trace_reader_close(r);
	return 0;
}

static void fixture_free(struct fixture *fx)
{
	sample_free(&fx->s);
	free(fx->bytes);
	free(fx->chunk_end);
	free(fx->events_upto);
}

/* Events a reader must deliver from the first `len` bytes: those of the whole chunks. */
static uint64_t events_in_prefix(const struct fixture *fx, uint64_t len)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < fx->nchunks && fx->chunk_end[i] <= len; i++)
		n = fx->events_upto[i];
	return n;
}

/* Opens the first `len` bytes; returns a description of what went wrong, or NULL. */
static const char *check_cut(const struct fixture *fx, size_t len)
{
	static char why[512];
	struct trace_reader *r;
	char err[256] = "";
	int rc = trace_reader_open_mem(&r, fx->bytes, len, err, sizeof(err));
	if (len < fx->header_len) {
		if (rc != -TRACE_EFORMAT || !err[0]) {
			snprintf(why, sizeof(why), "cut %zu inside the header: rc %d '%s'", len, rc, err);
			if (!rc)
				trace_reader_close(r);
			return why;
		}
		return NULL;
	}
	if (rc) {
		snprintf(why, sizeof(why), "cut %zu: open failed: %s", len, err);
		return why;
	}
	const struct trace_file_info *fi = trace_reader_info(r);
	long got = sample_match(r, &fx->s, 0);
	uint64_t want = len == fx->size ? fx->s.n : events_in_prefix(fx, len);
	if (fi->truncated != (len != fx->size) || got < 0 || (uint64_t)got != want) {
		snprintf(why, sizeof(why), "cut %zu: truncated %d, %ld events (want %llu): %s", len,
			 fi->truncated, got, (unsigned long long)want, trace_reader_error(r));
		trace_reader_close(r);
		return why;
	}
	if (want && fi->last_pos != fx->s.ev[want - 1].pos) {
		snprintf(why, sizeof(why), "cut %zu: last position %llu, want %llu", len,
			 (unsigned long long)fi->last_pos,
			 (unsigned long long)fx->s.ev[want - 1].pos);
		trace_reader_close(r);
		return why;
	}
	trace_reader_close(r);
	return NULL;
}

TEST(cut_at_every_offset_of_a_small_trace)
{
	struct fixture fx;
	struct sample_opts o = { .seed = 21, .nevents = 240, .flush_every = 20 };
	CHECK_EQ(fixture_make(&fx, "small.rwd", &o), 0);
	CHECK_EQ(fx.nchunks, 12);
	for (size_t len = 0; len <= fx.size; len++) {
		const char *why = check_cut(&fx, len);
		if (why)
			printf("  %s\n", why);
		CHECK(!why);
	}
	fixture_free(&fx);
}

TEST(cut_at_many_offsets_of_a_large_trace)
{
	struct fixture fx;
	struct sample_opts o = { .seed = 22, .nevents = 80000, .big_every = 9000 };
	CHECK_EQ(fixture_make(&fx, "large.rwd", &o), 0);
	CHECK(fx.nchunks > 30);
	uint64_t r = 77;
	for (int k = 0; k < 160; k++) {
		/* half at random, half right around chunk boundaries */
		size_t len = k % 2 ? (size_t)(sample_rand(&r) % fx.size)
				   : (size_t)fx.chunk_end[(size_t)k / 2 % fx.nchunks] - 1 + k % 3;
		const char *why = check_cut(&fx, len);
		if (why)
			printf("  %s\n", why);
		CHECK(!why);
	}
	/* and through a real file, as the tools see it */
	const char *path = tmp_path("large-cut.rwd");
	CHECK_EQ(save_file(path, fx.bytes, (size_t)fx.chunk_end[10] + 100), 0);
	char out[1024];
	FILE *f = fmemopen(out, sizeof(out), "w");
	CHECK_EQ(trace_verify(path, f), TRACE_TOOL_TRUNCATED);
	fclose(f);
	char want[128];
	snprintf(want, sizeof(want), "good data ends at offset %llu, then 100 bytes of torn tail",
		 (unsigned long long)fx.chunk_end[10]);
	CHECK(strstr(out, want));
	fixture_free(&fx);
}

/* Flips bytes of the trace; each variant must fail with a message or read back unchanged. */
static const char *check_flip(const struct fixture *fx, uint8_t *copy, size_t off, uint8_t mask,
			      int *errors)
{
	static char why[512];
	memcpy(copy, fx->bytes, fx->size);
	copy[off] ^= mask;
	struct trace_reader *r;
	char err[256] = "";
	int rc = trace_reader_open_mem(&r, copy, fx->size, err, sizeof(err));
	if (rc) {
		(*errors)++;
		if (!err[0]) {
			snprintf(why, sizeof(why), "flip at %zu: error without a message", off);
			return why;
		}
		return NULL;
	}
	/* sample_match is bounded by the expected count: a loop that does not end fails it */
	long got = sample_match(r, &fx->s, 0);
	char msg[256];
	snprintf(msg, sizeof(msg), "%s", trace_reader_error(r));
	size_t bl;
	const uint8_t *blob = trace_reader_final_blob(r, &bl);
	bool blob_ok = !blob || (bl == sizeof(fx->s.final_blob) && !memcmp(blob, fx->s.final_blob, bl));
	bool truncated = trace_reader_info(r)->truncated;
	trace_reader_close(r);
	if (got == -2) {
		(*errors)++;
		if (!msg[0] || !strstr(msg, "offset")) {
			snprintf(why, sizeof(why), "flip at %zu: read error without a place: '%s'", off,
				 msg);
			return why;
		}
		return NULL;
	}
	/* read cleanly: then every event must be the one written */
	if (got != (long)fx->s.n || !blob_ok) {
		snprintf(why, sizeof(why), "flip at %zu mask %02x: silently read %ld events (of %zu), "
			 "blob %s, truncated %d", off, mask, got, fx->s.n, blob_ok ? "ok" : "WRONG",
			 truncated);
		return why;
	}
	return NULL;
}

TEST(flipped_bytes_everywhere)
{
	struct fixture fx;
	struct sample_opts o = { .seed = 23, .nevents = 150, .flush_every = 30 };
	CHECK_EQ(fixture_make(&fx, "flip.rwd", &o), 0);
	uint8_t *copy = malloc(fx.size);
	CHECK(copy);
	int errors = 0, variants = 0;
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	for (size_t off = 0; off < fx.size; off++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			/* every byte outside the big image once, the image sparsely */
			if (off > 200 && off < fx.header_len - 100 && (off % 97 || m))
				continue;
			const char *why = check_flip(&fx, copy, off, masks[m], &errors);
			variants++;
			if (why)
				printf("  %s\n", why);
			CHECK(!why);
		}
	}
	CHECK(variants > 1000);
	CHECK(errors > variants / 2);
	free(copy);
	fixture_free(&fx);
}

TEST(flips_reported_by_verify)
{
	struct fixture fx;
	struct sample_opts o = { .seed = 24, .nevents = 150, .flush_every = 30 };
	CHECK_EQ(fixture_make(&fx, "flipv.rwd", &o), 0);
	uint8_t *copy = malloc(fx.size);
	CHECK(copy);
	const char *path = tmp_path("flipv-variant.rwd");
	/* one byte in each region: chunk 2's header, chunk 2's data, the index, the trailer */
	struct {
		size_t off;
		int want;
		const char *says;
	} cases[] = {
		{ (size_t)fx.chunk_end[1] + CHK_FIRST_POS, TRACE_TOOL_ECORRUPT, "chunk 2 at offset" },
		{ (size_t)fx.chunk_end[1] + CHK_HEADER_SIZE + 5, TRACE_TOOL_ECORRUPT, "chunk 2 at offset" },
		{ (size_t)fx.chunk_end[fx.nchunks - 1] + IDX_FIXED_SIZE + 3, TRACE_TOOL_ECORRUPT,
		  "index at offset" },
		{ fx.size - TRL_SIZE + TRL_INDEX_OFF, TRACE_TOOL_TRUNCATED, "trailer is missing or damaged" },
		{ 20, TRACE_TOOL_EFORMAT, "header" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(copy, fx.bytes, fx.size);
		copy[cases[i].off] ^= 0x10;
		CHECK_EQ(save_file(path, copy, fx.size), 0);
		char out[1024];
		FILE *f = fmemopen(out, sizeof(out), "w");
		int rc = trace_verify(path, f);
		fclose(f);
		if (rc != cases[i].want || !strstr(out, cases[i].says))
			printf("  case %zu: rc %d: %s", i, rc, out);
		CHECK_EQ(rc, cases[i].want);
		CHECK(strstr(out, cases[i].says));
	}
	free(copy);
	fixture_free(&fx);
}

/* Rewrites the index checksum after a deliberate edit, so only the cross-checks can notice. */
static void reseal_index(uint8_t *b, size_t size)
{
	uint64_t ioff = get_le64(b + size - TRL_SIZE + TRL_INDEX_OFF);
	uint64_t ilen = get_le64(b + size - TRL_SIZE + TRL_INDEX_LEN);
	put_le64(b + ioff + ilen - 8, XXH3_64bits(b + ioff, (size_t)ilen - 8));
}

static int verify_bytes(const uint8_t *b, size_t size, char *out, size_t outlen)
{
	const char *path = tmp_path("resealed.rwd");
	if (save_file(path, b, size))
		return -1;
	FILE *f = fmemopen(out, outlen, "w");
	int rc = trace_verify(path, f);
	fclose(f);
	return rc;
}

TEST(index_checked_against_chunks)
{
	struct fixture fx;
	struct sample_opts o = { .seed = 27, .nevents = 300, .flush_every = 50 };
	CHECK_EQ(fixture_make(&fx, "reseal.rwd", &o), 0);
	uint8_t *copy = malloc(fx.size);
	CHECK(copy);
	uint64_t ioff = fx.chunk_end[fx.nchunks - 1];
	uint8_t *e2 = copy + ioff + IDX_FIXED_SIZE + 2 * IDX_ENTRY_SIZE;
	char out[1024], want[160];

	/* an entry that lies about its chunk's event count (total adjusted to match) */
	memcpy(copy, fx.bytes, fx.size);
	put_le64(e2 + IDX_ENT_NEVENTS, get_le64(e2 + IDX_ENT_NEVENTS) + 1);
	put_le64(copy + ioff + IDX_NEVENTS, get_le64(copy + ioff + IDX_NEVENTS) + 1);
	reseal_index(copy, fx.size);
	CHECK_EQ(verify_bytes(copy, fx.size, out, sizeof(out)), TRACE_TOOL_ECORRUPT);
	snprintf(want, sizeof(want), "chunk 2 at offset %llu: header (positions",
		 (unsigned long long)fx.chunk_end[1]);
	CHECK(strstr(out, want) && strstr(out, "disagrees with the index"));

	/* an entry pointing into the middle of the data */
	memcpy(copy, fx.bytes, fx.size);
	put_le64(e2 + IDX_ENT_OFFSET, get_le64(e2 + IDX_ENT_OFFSET) + 8);
	reseal_index(copy, fx.size);
	CHECK_EQ(verify_bytes(copy, fx.size, out, sizeof(out)), TRACE_TOOL_ECORRUPT);
	CHECK(strstr(out, "chunk 1 at offset") && strstr(out, "but the next chunk starts at"));

	/* totals that do not add up */
	memcpy(copy, fx.bytes, fx.size);
	put_le64(copy + ioff + IDX_USIZE, get_le64(copy + ioff + IDX_USIZE) + 1);
	reseal_index(copy, fx.size);
	CHECK_EQ(verify_bytes(copy, fx.size, out, sizeof(out)), TRACE_TOOL_ECORRUPT);
	CHECK(strstr(out, "totals") && strstr(out, "disagree with the chunks"));

	/* positions going backwards between entries */
	memcpy(copy, fx.bytes, fx.size);
	put_le64(e2 + IDX_ENT_FIRST_POS, 0);
	reseal_index(copy, fx.size);
	CHECK_EQ(verify_bytes(copy, fx.size, out, sizeof(out)), TRACE_TOOL_ECORRUPT);
	CHECK(strstr(out, "index entry 2"));

	/* the untouched file is fine */
	CHECK_EQ(verify_bytes(fx.bytes, fx.size, out, sizeof(out)), TRACE_TOOL_OK);
	free(copy);
	fixture_free(&fx);
}

static int open_bytes(const uint8_t *b, size_t n, char *err, size_t errlen)
{
	struct trace_reader *r;
	int rc = trace_reader_open_mem(&r, b, n, err, errlen);
	if (!rc)
		trace_reader_close(r);
	return rc;
}

TEST(refused_files_say_why)
{
	struct fixture fx;
	struct sample_opts o = { .seed = 25, .nevents = 50 };
	CHECK_EQ(fixture_make(&fx, "refuse.rwd", &o), 0);
	uint8_t *copy = malloc(fx.size);
	CHECK(copy);
	char err[256];

	CHECK_EQ(open_bytes(fx.bytes, 0, err, sizeof(err)), -TRACE_EFORMAT);
	CHECK(strstr(err, "empty file"));

	memcpy(copy, fx.bytes, fx.size);
	copy[3] = 'X';
	CHECK_EQ(open_bytes(copy, fx.size, err, sizeof(err)), -TRACE_EFORMAT);
	CHECK(strstr(err, "not a rewind trace"));

	memcpy(copy, fx.bytes, fx.size);
	put_le32(copy + HDR_VERSION, 2);
	CHECK_EQ(open_bytes(copy, fx.size, err, sizeof(err)), -TRACE_EFORMAT);
	CHECK(strstr(err, "unsupported trace format version 2"));

	/* an altered byte inside the embedded image names the image */
	const uint8_t *img = memmem(fx.bytes, fx.size, fx.s.image, sizeof(fx.s.image));
	CHECK(img);
	size_t img_off = (size_t)(img - fx.bytes);
	memcpy(copy, fx.bytes, fx.size);
	copy[img_off + 1000] ^= 0x40;
	CHECK_EQ(open_bytes(copy, fx.size, err, sizeof(err)), -TRACE_EIMAGE);
	CHECK(strstr(err, "embedded image 'testos.elf'"));
	CHECK(strstr(err, "altered"));

	/* the same through the tool, with its own exit code */
	const char *path = tmp_path("altered.rwd");
	CHECK_EQ(save_file(path, copy, fx.size), 0);
	char out[1024];
	FILE *f = fmemopen(out, sizeof(out), "w");
	CHECK_EQ(trace_info(path, f, false), TRACE_TOOL_EIMAGE);
	fclose(f);
	CHECK(strstr(out, "testos.elf"));

	/* garbage of many sizes, with and without a valid-looking start */
	uint64_t rnd = 99;
	for (int k = 0; k < 200; k++) {
		size_t n = (size_t)(sample_rand(&rnd) % (fx.size + 1));
		for (size_t i = 0; i < n; i++)
			copy[i] = (uint8_t)sample_rand(&rnd);
		if (k % 2)
			memcpy(copy, fx.bytes, n < 16 ? n : 16);
		err[0] = 0;
		int rc = open_bytes(copy, n, err, sizeof(err));
		CHECK(rc == -TRACE_EFORMAT);
		CHECK(err[0]);
	}
	free(copy);
	fixture_free(&fx);
}

/* A check that fails names the structure that is damaged, not one further along that
 * would refuse the file too: a flipped byte in a section's data is that section's checksum
 * (before the header's, which covers it as well), one in a chunk header's positions is that
 * header's checksum (before its disagreement with the index). */
TEST(damage_is_named_where_it_is)
{
	struct fixture fx;
	struct sample_opts o = { .seed = 27, .nevents = 400, .flush_every = 40 };
	CHECK_EQ(fixture_make(&fx, "named.rwd", &o), 0);
	uint8_t *copy = malloc(fx.size);
	CHECK(copy);
	char err[256];

	const uint8_t *cfg = memmem(fx.bytes, fx.header_len, sample_config, sizeof(sample_config) - 1);
	CHECK(cfg);
	memcpy(copy, fx.bytes, fx.size);
	copy[cfg - fx.bytes + 3] ^= 0x20;
	CHECK_EQ(open_bytes(copy, fx.size, err, sizeof(err)), -TRACE_EFORMAT);
	CHECK(strstr(err, "section 0") && strstr(err, "checksum mismatch"));

	memcpy(copy, fx.bytes, fx.size);
	copy[fx.chunk_end[1] + CHK_LAST_POS + 1] ^= 0x01;
	struct trace_reader *r;
	CHECK_EQ(trace_reader_open_mem(&r, copy, fx.size, err, sizeof(err)), 0);
	struct trace_event ev;
	int rc;
	while ((rc = trace_reader_next(r, &ev)) > 0)
		;
	CHECK_EQ(rc, -TRACE_ECORRUPT);
	char want[96];
	snprintf(want, sizeof(want), "chunk 2 at offset %llu: chunk header checksum mismatch",
		 (unsigned long long)fx.chunk_end[1]);
	if (!strstr(trace_reader_error(r), want))
		printf("  %s\n", trace_reader_error(r));
	CHECK(strstr(trace_reader_error(r), want));
	trace_reader_close(r);
	free(copy);
	fixture_free(&fx);
}

TEST(truncated_trace_damage_vs_torn_tail)
{
	struct fixture fx;
	struct sample_opts o = { .seed = 26, .nevents = 400, .flush_every = 40 };
	CHECK_EQ(fixture_make(&fx, "torn.rwd", &o), 0);
	size_t cut = (size_t)fx.chunk_end[5] + 30; /* 6 whole chunks, then a torn one */
	uint8_t *copy = calloc(1, cut + 20000);
	CHECK(copy);
	char err[256];
	struct trace_reader *r;

	/* a power loss can leave zeros after the data: still a clean truncation */
	memcpy(copy, fx.bytes, cut);
	CHECK_EQ(trace_reader_open_mem(&r, copy, cut + 20000, err, sizeof(err)), 0);
	CHECK(trace_reader_info(r)->truncated);
	CHECK_EQ(trace_reader_info(r)->good_end, fx.chunk_end[5]);
	CHECK_EQ(sample_match(r, &fx.s, 0), fx.events_upto[5]);
	trace_reader_close(r);

	/* damage to a middle chunk's header, with whole chunks after it, is not a torn tail */
	memset(copy + fx.chunk_end[1], 0, 8);
	CHECK_EQ(trace_reader_open_mem(&r, copy, cut, err, sizeof(err)), -TRACE_ECORRUPT);
	char want[128];
	snprintf(want, sizeof(want), "chunk 2 at offset %llu: bad chunk magic (a valid chunk "
		 "header follows at offset %llu", (unsigned long long)fx.chunk_end[1],
		 (unsigned long long)fx.chunk_end[2]);
	if (!strstr(err, want))
		printf("  %s\n", err);
	CHECK(strstr(err, want));

	/* a last chunk whose block never reached the disk whole is torn tail too */
	memcpy(copy, fx.bytes, cut);
	memset(copy + fx.chunk_end[4] + CHK_HEADER_SIZE + 10, 0, 20);
	CHECK_EQ(trace_reader_open_mem(&r, copy, cut, err, sizeof(err)), 0);
	CHECK(trace_reader_info(r)->truncated);
	CHECK_EQ(trace_reader_info(r)->good_end, fx.chunk_end[4]);
	CHECK_EQ(trace_reader_info(r)->nchunks, 5);
	CHECK_EQ(trace_reader_info(r)->last_pos, fx.s.ev[fx.events_upto[4] - 1].pos);
	CHECK_EQ(sample_match(r, &fx.s, 0), fx.events_upto[4]);
	trace_reader_close(r);

	/* but the same damage to an earlier chunk is an error that names it */
	memcpy(copy, fx.bytes, cut);
	memset(copy + fx.chunk_end[2] + CHK_HEADER_SIZE + 10, 0, 20);
	CHECK_EQ(trace_reader_open_mem(&r, copy, cut, err, sizeof(err)), 0);
	CHECK_EQ(sample_match(r, &fx.s, 0), -2);
	snprintf(want, sizeof(want), "chunk 3 at offset %llu: ", (unsigned long long)fx.chunk_end[2]);
	CHECK(strstr(trace_reader_error(r), want));
	trace_reader_close(r);

	/* damage to the last chunk's header is a torn tail: the chunks before it read */
	memcpy(copy, fx.bytes, cut);
	copy[fx.chunk_end[4] + CHK_NEVENTS] ^= 1;
	CHECK_EQ(trace_reader_open_mem(&r, copy, cut, err, sizeof(err)), 0);
	CHECK(trace_reader_info(r)->truncated);
	CHECK_EQ(sample_match(r, &fx.s, 0), fx.events_upto[4]);
	trace_reader_close(r);

	free(copy);
	fixture_free(&fx);
}

static void cleanup(void) __attribute__((destructor));
static void cleanup(void)
{
	char cmd[128];
	if (!tmpdir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

RUN_TESTS(T(cut_at_every_offset_of_a_small_trace), T(cut_at_many_offsets_of_a_large_trace),
	  T(flipped_bytes_everywhere), T(flips_reported_by_verify), T(refused_files_say_why),
	  T(damage_is_named_where_it_is), T(truncated_trace_damage_vs_torn_tail),
	  T(index_checked_against_chunks))
