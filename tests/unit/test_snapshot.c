#define XXH_STATIC_LINKING_ONLY
#include "core/snapshot.h"
#include "tests/unit/check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A small machine: 8 pages of which two are zero and one repeats another. */
#define MEM_PAGES 8

struct fixture {
	char dir[64];
	struct guest_mem mem;
	struct pagestore ps;
	struct snapshot snap;
	struct snapshot_device devs[3];
	uint8_t dev_data[3][40];
	char config[32];
	uint8_t position[12];
};

static void write_page_text(uint8_t *page, const char *tag, int i)
{
	int n = snprintf((char *)page, PAGE_SIZE, "%s page %d|", tag, i);
	for (int j = n; j < (int)PAGE_SIZE; j++)
		page[j] = page[j % n] ^ (uint8_t)(j / n);
}

static void fill_guest(struct guest_mem *mem, const char *tag)
{
	for (int i = 0; i < MEM_PAGES; i++) {
		uint8_t *p = mem->host + (uint64_t)i * PAGE_SIZE;
		if (i == 0 || i == 4)
			memset(p, 0, PAGE_SIZE);
		else
			write_page_text(p, tag, i == 6 ? 2 : i);
	}
}

static void fill_vcpu(struct vcpu_state *v)
{
	memset(v, 0, sizeof(*v));
	v->regs.rip = 0xffffffff81000123ULL;
	v->regs.rsp = 0x7ffc0000;
	v->regs.rflags = 0x202;
	v->sregs.cr0 = 0x80050033;
	v->sregs.cr3 = 0x1000;
	v->sregs.cs.selector = 0x10;
	v->sregs.gdt.base = 0x5000;
	v->fpu.fcw = 0x37f;
	v->fpu.mxcsr = 0x1f80;
	v->events.exception.nr = 14;
	v->nmsrs = 3;
	v->msrs[0] = (struct kvm_msr_entry){ .index = 0xc0000080, .data = 0xd01 };
	v->msrs[1] = (struct kvm_msr_entry){ .index = 0xc0000082, .data = 0xffffffff81800000ULL };
	v->msrs[2] = (struct kvm_msr_entry){ .index = 0x10, .data = 123456789 };
}

static int fixture_init(struct fixture *f)
{
	static const char *names[3] = { "pic", "uart0", "rtc" };
	int r;

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/rewind-snapshot-XXXXXX");
	if (!mkdtemp(f->dir))
		return -errno;
	r = guest_mem_init(&f->mem, MEM_PAGES * PAGE_SIZE);
	if (r)
		return r;
	fill_guest(&f->mem, "alpha");
	r = pagestore_init(&f->ps);
	if (r)
		return r;
	snprintf(f->config, sizeof(f->config), "mem=32K cpus=1");
	f->snap.config = f->config;
	f->snap.config_len = strlen(f->config);
	fill_vcpu(&f->snap.vcpu);
	for (int i = 0; i < 3; i++) {
		strcpy(f->devs[i].name, names[i]);
		memset(f->dev_data[i], 'a' + i, sizeof(f->dev_data[i]));
		f->devs[i].data = f->dev_data[i];
		f->devs[i].len = i == 2 ? 0 : sizeof(f->dev_data[i]) - i; /* an empty blob too */
	}
	f->snap.devices = f->devs;
	f->snap.ndevices = 3;
	f->snap.guest_ns = 1234567890123ULL;
	memcpy(f->position, "exit#4711\0\0\1", 12);
	f->snap.position = f->position;
	f->snap.position_len = sizeof(f->position);
	return memimage_capture(&f->ps, &f->mem, NULL, NULL, &f->snap.mem);
}

static void rm_dir(const char *dir);

static void fixture_free(struct fixture *f)
{
	memimage_free(&f->snap.mem);
	pagestore_free(&f->ps);
	guest_mem_free(&f->mem);
	rm_dir(f->dir);
}

static char pbuf[4][256];
static int pn;
static const char *at(const struct fixture *f, const char *name)
{
	char *p = pbuf[pn++ % 4];
	snprintf(p, 256, "%s/%s", f->dir, name);
	return p;
}

static void rm_dir(const char *dir)
{
	static const char *names[] = { "s.rwsnap", "s2.rwsnap", "bad.rwsnap", "pages.rws",
				       "old.rws", "s.rwsnap.tmp" };
	char p[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Everything read back equals what was written; mem's refs are compared by content. */
static int same_snapshot(const struct snapshot *a, const struct pagestore *pa,
			 const struct snapshot *b, const struct pagestore *pb)
{
	if (a->config_len != b->config_len || memcmp(a->config, b->config, a->config_len))
		return 0;
	if (memcmp(&a->vcpu.regs, &b->vcpu.regs, sizeof(a->vcpu.regs)) ||
	    memcmp(&a->vcpu.sregs, &b->vcpu.sregs, sizeof(a->vcpu.sregs)) ||
	    memcmp(&a->vcpu.fpu, &b->vcpu.fpu, sizeof(a->vcpu.fpu)) ||
	    memcmp(&a->vcpu.events, &b->vcpu.events, sizeof(a->vcpu.events)) ||
	    a->vcpu.nmsrs != b->vcpu.nmsrs ||
	    memcmp(a->vcpu.msrs, b->vcpu.msrs, a->vcpu.nmsrs * sizeof(a->vcpu.msrs[0])))
		return 0;
	if (a->ndevices != b->ndevices)
		return 0;
	for (uint32_t i = 0; i < a->ndevices; i++) {
		if (strcmp(a->devices[i].name, b->devices[i].name) ||
		    a->devices[i].len != b->devices[i].len ||
		    memcmp(a->devices[i].data, b->devices[i].data, a->devices[i].len))
			return 0;
	}
	if (a->guest_ns != b->guest_ns || a->position_len != b->position_len ||
	    memcmp(a->position, b->position, a->position_len))
		return 0;
	if (a->mem.npages != b->mem.npages)
		return 0;
	for (uint64_t i = 0; i < a->mem.npages; i++) {
		if (memcmp(pagestore_get(pa, a->mem.refs[i]), pagestore_get(pb, b->mem.refs[i]),
			   PAGE_SIZE))
			return 0;
	}
	return 1;
}

TEST(embedded_round_trip)
{
	struct fixture f;
	struct pagestore other;
	struct snapshot back;
	struct guest_mem mem2;
	char err[256] = "";
	uint8_t junk[PAGE_SIZE];

	CHECK_EQ(fixture_init(&f), 0);
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, NULL, err, sizeof(err)), 0);
	CHECK(check_no_file_like(f.dir, "s.rwsnap.tmp"));
	CHECK_EQ(snapshot_store_path(at(&f, "s.rwsnap"), err, sizeof(err), err, sizeof(err)), 0);

	/* Read into a store that already holds other pages: refs are remapped. */
	CHECK_EQ(pagestore_init(&other), 0);
	for (int i = 0; i < 5; i++) {
		page_ref r;
		write_page_text(junk, "other", i);
		CHECK_EQ(pagestore_put(&other, junk, &r), 0);
	}
	CHECK_EQ(snapshot_read(at(&f, "s.rwsnap"), &other, &back, err, sizeof(err)), 0);
	CHECK(same_snapshot(&f.snap, &f.ps, &back, &other));
	CHECK_EQ(other.npages, 5 + 5); /* 5 distinct non-zero pages in the guest */
	CHECK(strcmp(back.devices[1].name, "uart0") == 0);
	CHECK_EQ(back.devices[2].len, 0);

	/* And the memory comes back byte for byte. */
	CHECK_EQ(guest_mem_init(&mem2, MEM_PAGES * PAGE_SIZE), 0);
	memset(mem2.host, 0xee, mem2.size);
	CHECK_EQ(memimage_restore(&other, &back.mem, &mem2, NULL, NULL), 0);
	CHECK(!memcmp(mem2.host, f.mem.host, mem2.size));
	snapshot_free(&back);

	/* Reading it again adds nothing: the pages are already there. */
	CHECK_EQ(snapshot_read(at(&f, "s.rwsnap"), &other, &back, err, sizeof(err)), 0);
	CHECK_EQ(other.npages, 10);
	snapshot_free(&back);
	guest_mem_free(&mem2);
	pagestore_free(&other);
	fixture_free(&f);
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? -1 : st.st_size;
}

/* Checkpoints of one run share a store file; the snapshot files hold no pages. */
TEST(external_store_round_trip)
{
	struct fixture f;
	struct pagestore loaded;
	struct snapshot one, two, first;
	struct memimage img2;
	char err[256] = "", store[256];

	CHECK_EQ(fixture_init(&f), 0);
	first = f.snap;
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, "pages.rws", err, sizeof(err)),
		 0);
	/* The guest runs on; a second checkpoint, then the store is saved once for both. */
	write_page_text(f.mem.host + 3 * PAGE_SIZE, "beta", 3);
	memset(f.mem.host + 5 * PAGE_SIZE, 0, PAGE_SIZE);
	CHECK_EQ(memimage_capture(&f.ps, &f.mem, NULL, NULL, &img2), 0);
	f.snap.mem = img2;
	f.snap.guest_ns += 1000;
	CHECK_EQ(snapshot_write(at(&f, "s2.rwsnap"), &f.snap, &f.ps, "pages.rws", err, sizeof(err)),
		 0);
	CHECK_EQ(pagestore_save(&f.ps, at(&f, "pages.rws"), err, sizeof(err)), 0);
	CHECK(file_size(at(&f, "s.rwsnap")) < (long)PAGE_SIZE);

	CHECK_EQ(snapshot_store_path(at(&f, "s2.rwsnap"), store, sizeof(store), err, sizeof(err)), 1);
	CHECK(strcmp(store, at(&f, "pages.rws")) == 0);
	CHECK_EQ(pagestore_load(&loaded, store, err, sizeof(err)), 0);
	CHECK_EQ(snapshot_read(at(&f, "s.rwsnap"), &loaded, &one, err, sizeof(err)), 0);
	CHECK_EQ(snapshot_read(at(&f, "s2.rwsnap"), &loaded, &two, err, sizeof(err)), 0);
	CHECK(same_snapshot(&first, &f.ps, &one, &loaded));
	CHECK(same_snapshot(&f.snap, &f.ps, &two, &loaded));
	CHECK(!memcmp(one.mem.refs, first.mem.refs, MEM_PAGES * sizeof(page_ref)));

	/* Restore the older checkpoint over the newer memory, then the newer one back. */
	CHECK_EQ(memimage_restore(&loaded, &one.mem, &f.mem, &two.mem, NULL), 0);
	CHECK_EQ(memimage_digest(&loaded, &one.mem), memimage_digest(&f.ps, &first.mem));
	struct guest_mem expect;
	CHECK_EQ(guest_mem_init(&expect, MEM_PAGES * PAGE_SIZE), 0);
	fill_guest(&expect, "alpha");
	CHECK(!memcmp(expect.host, f.mem.host, expect.size));
	guest_mem_free(&expect);
	snapshot_free(&one);
	snapshot_free(&two);
	pagestore_free(&loaded);
	f.snap.mem = first.mem;
	memimage_free(&img2);
	fixture_free(&f);
}

TEST(external_store_mismatches_are_refused)
{
	struct fixture f;
	struct pagestore loaded, forged;
	struct snapshot out;
	struct memimage img2;
	char err[256] = "";
	uint8_t page[PAGE_SIZE];
	page_ref r;

	CHECK_EQ(fixture_init(&f), 0);
	/* A store saved before the checkpoint's new pages existed: they are missing. */
	CHECK_EQ(pagestore_save(&f.ps, at(&f, "old.rws"), err, sizeof(err)), 0);
	write_page_text(f.mem.host + 7 * PAGE_SIZE, "gamma", 7);
	CHECK_EQ(memimage_capture(&f.ps, &f.mem, NULL, NULL, &img2), 0);
	memimage_free(&f.snap.mem);
	f.snap.mem = img2;
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, "pages.rws", err, sizeof(err)),
		 0);
	CHECK_EQ(pagestore_load(&loaded, at(&f, "old.rws"), err, sizeof(err)), 0);
	memset(&out, 0x5a, sizeof(out));
	CHECK_EQ(snapshot_read(at(&f, "s.rwsnap"), &loaded, &out, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "needs 6 pages") && strstr(err, "holds 5"));
	CHECK_EQ(((uint8_t *)&out)[0], 0x5a);
	pagestore_free(&loaded);

	/* Another store altogether. */
	CHECK_EQ(pagestore_init(&forged), 0);
	CHECK_EQ(snapshot_read(at(&f, "s.rwsnap"), &forged, &out, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "uses page store") != NULL);
	/* Same id, enough pages, other bytes: the memory digest catches it. */
	forged.id = f.ps.id;
	for (int i = 0; i < 6; i++) {
		write_page_text(page, "forged", i);
		CHECK_EQ(pagestore_put(&forged, page, &r), 0);
	}
	CHECK_EQ(snapshot_read(at(&f, "s.rwsnap"), &forged, &out, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "digest mismatch") != NULL);
	pagestore_free(&forged);
	fixture_free(&f);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc(n ? n : 1);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = n;
	}
	fclose(f);
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

/* A read that fails changes neither the store nor the output, and says why. */
static int read_fails(const char *path, struct pagestore *ps, char *err, size_t errlen)
{
	struct snapshot out;
	uint32_t before = ps->npages;
	memset(&out, 0x5a, sizeof(out));
	err[0] = 0;
	if (snapshot_read(path, ps, &out, err, errlen) == 0) {
		snapshot_free(&out);
		return 0;
	}
	for (size_t i = 0; i < sizeof(out); i++)
		if (((uint8_t *)&out)[i] != 0x5a)
			return 0;
	return ps->npages == before && err[0] != 0;
}

/* Where section `type` starts (its 16-byte header), or 0. */
static size_t find_section(const uint8_t *b, size_t len, uint32_t type)
{
	size_t off = 32;
	for (uint32_t i = 0; i < le32_get(b + 12) && off + 24 <= len; i++) {
		if (le32_get(b + off) == type)
			return off;
		off += 24 + le64_get(b + off + 8);
	}
	return 0;
}

/* Offsets worth trying: every byte outside the embedded page data, every 61st inside it. */
static size_t next_offset(const uint8_t *buf, size_t len, size_t off)
{
	size_t pages = find_section(buf, len, 6), lo = pages + 16 + 40 + 64,
	       hi = pages + 16 + 40 + 5 * (PAGE_SIZE + 8) - 64;
	return pages && off >= lo && off < hi ? off + 61 : off + 1;
}

TEST(flipped_bytes_are_refused)
{
	struct fixture f;
	struct pagestore ps;
	char err[256];
	uint8_t *buf;
	size_t len, tried = 0;

	CHECK_EQ(fixture_init(&f), 0);
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, NULL, err, sizeof(err)), 0);
	buf = slurp(at(&f, "s.rwsnap"), &len);
	CHECK(buf != NULL);
	CHECK_EQ(pagestore_init(&ps), 0);
	for (size_t off = 0; off < len; off = next_offset(buf, len, off), tried++) {
		buf[off] ^= 1u << (off % 8);
		CHECK_EQ(spit(at(&f, "bad.rwsnap"), buf, len), 0);
		buf[off] ^= 1u << (off % 8);
		if (!read_fails(at(&f, "bad.rwsnap"), &ps, err, sizeof(err))) {
			printf("  flip at %zu of %zu accepted\n", off, len);
			CHECK(0);
		}
	}
	CHECK(tried > 500);
	/* Nothing was ever added to the store; the intact file still reads. */
	CHECK_EQ(ps.npages, 0);
	CHECK_EQ(spit(at(&f, "bad.rwsnap"), buf, len), 0);
	CHECK(!read_fails(at(&f, "bad.rwsnap"), &ps, err, sizeof(err)));
	free(buf);
	pagestore_free(&ps);
	fixture_free(&f);
}

TEST(truncations_are_refused)
{
	struct fixture f;
	struct pagestore ps;
	char err[256];
	uint8_t *buf;
	size_t len;

	CHECK_EQ(fixture_init(&f), 0);
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, NULL, err, sizeof(err)), 0);
	buf = slurp(at(&f, "s.rwsnap"), &len);
	CHECK(buf != NULL);
	CHECK_EQ(pagestore_init(&ps), 0);
	for (size_t cut = 0; cut < len; cut = next_offset(buf, len, cut)) {
		CHECK_EQ(spit(at(&f, "bad.rwsnap"), buf, cut), 0);
		if (!read_fails(at(&f, "bad.rwsnap"), &ps, err, sizeof(err)) ||
		    (!strstr(err, "truncated") && !strstr(err, "checksum mismatch"))) {
			printf("  cut at %zu: '%s'\n", cut, err);
			CHECK(0);
		}
	}
	CHECK_EQ(ps.npages, 0);
	free(buf);
	pagestore_free(&ps);
	fixture_free(&f);
}

/* Re-seals a snapshot after an edit: recomputes every checksum the way the format says, so a
 * test can hand the reader files that are well-formed but wrong. With `trailer` false the
 * trailer is left as it was: each section sound, the chain over them not. */
static void reseal_but(uint8_t *b, size_t len, bool trailer)
{
	XXH3_state_t st;
	size_t off = 32;
	uint32_t n = le32_get(b + 12);

	le64_put(b + 24, XXH3_64bits(b, 24));
	XXH3_INITSTATE(&st);
	XXH3_64bits_reset(&st);
	XXH3_64bits_update(&st, b + 24, 8);
	for (uint32_t i = 0; i < n && off + 24 <= len; i++) {
		uint64_t slen = le64_get(b + off + 8);
		if (slen > len - off - 24)
			return;
		le64_put(b + off + 16 + slen, XXH3_64bits(b + off, 16 + slen));
		XXH3_64bits_update(&st, b + off + 16 + slen, 8);
		off += 24 + slen;
	}
	if (off + 32 > len || !trailer)
		return;
	le32_put(b + off + 8, n);
	le64_put(b + off + 16, XXH3_64bits_digest(&st));
	le64_put(b + off + 24, XXH3_64bits(b + off, 24));
}

static void reseal(uint8_t *b, size_t len)
{
	reseal_but(b, len, true);
}

/* A check that fails names what is damaged, not a later check that would refuse the file
 * too: a flipped version byte is the header checksum's (before the version's), a section
 * whose own checksum was redone is the trailer's chain over the sections'. */
TEST(damage_is_named_where_it_is)
{
	struct fixture f;
	struct pagestore ps;
	char err[256];
	uint8_t *buf;
	size_t len, cfg;

	CHECK_EQ(fixture_init(&f), 0);
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, NULL, err, sizeof(err)), 0);
	buf = slurp(at(&f, "s.rwsnap"), &len);
	CHECK(buf != NULL);
	CHECK_EQ(pagestore_init(&ps), 0);

	buf[9] ^= 1;
	CHECK_EQ(spit(at(&f, "bad.rwsnap"), buf, len), 0);
	CHECK(read_fails(at(&f, "bad.rwsnap"), &ps, err, sizeof(err)));
	CHECK(strstr(err, "header checksum mismatch") != NULL);
	buf[9] ^= 1;

	cfg = find_section(buf, len, 1);
	CHECK(cfg != 0);
	buf[cfg + 16] ^= 1;
	reseal_but(buf, len, false);
	CHECK_EQ(spit(at(&f, "bad.rwsnap"), buf, len), 0);
	CHECK(read_fails(at(&f, "bad.rwsnap"), &ps, err, sizeof(err)));
	CHECK(strstr(err, "does not match the sections before it") != NULL);
	free(buf);
	pagestore_free(&ps);
	fixture_free(&f);
}

/* With checksums made right, the reader's own checks must still catch bad contents — or accept
 * edits that are valid — and never crash (run under -fsanitize=address,undefined). */
TEST(well_sealed_bad_contents)
{
	struct fixture f;
	struct pagestore ps;
	char err[256];
	uint8_t *buf, *copy;
	size_t len, mem, pages;
	int refused = 0, accepted = 0;

	CHECK_EQ(fixture_init(&f), 0);
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, NULL, err, sizeof(err)), 0);
	buf = slurp(at(&f, "s.rwsnap"), &len);
	CHECK(buf != NULL);
	copy = malloc(len);
	CHECK(copy != NULL);
	mem = find_section(buf, len, 5);
	pages = find_section(buf, len, 6);
	CHECK(mem && pages);
	CHECK_EQ(pagestore_init(&ps), 0);

	/* A run that points past the embedded pages: a missing page. */
	memcpy(copy, buf, len);
	le32_put(copy + mem + 16 + 24, 6);
	reseal(copy, len);
	CHECK_EQ(spit(at(&f, "bad.rwsnap"), copy, len), 0);
	CHECK(read_fails(at(&f, "bad.rwsnap"), &ps, err, sizeof(err)));
	CHECK(strstr(err, "only 5 pages are available") != NULL);

	/* A run that names the right page count but other pages: the digest catches it. */
	memcpy(copy, buf, len);
	CHECK_EQ(le32_get(copy + mem + 16 + 24 + 8), 1); /* run 1: pages 1..3 are refs 1..3 */
	CHECK_EQ(le32_get(copy + mem + 16 + 24 + 12), 3);
	le32_put(copy + mem + 16 + 24 + 8, 2);
	reseal(copy, len);
	CHECK_EQ(spit(at(&f, "bad.rwsnap"), copy, len), 0);
	CHECK(read_fails(at(&f, "bad.rwsnap"), &ps, err, sizeof(err)));
	CHECK(strstr(err, "digest mismatch") != NULL);

	/* Every byte outside the page records, every bit value. */
	for (size_t off = 0; off < len; off++) {
		if (off >= pages + 16 + 40 && off < pages + 16 + 40 + 5 * (PAGE_SIZE + 8))
			continue;
		for (int bit = 0; bit < 8; bit += 3) {
			struct snapshot out;
			memcpy(copy, buf, len);
			copy[off] ^= 1u << bit;
			reseal(copy, len);
			CHECK_EQ(spit(at(&f, "bad.rwsnap"), copy, len), 0);
			if (snapshot_read(at(&f, "bad.rwsnap"), &ps, &out, err, sizeof(err)) == 0) {
				accepted++;
				snapshot_free(&out);
			} else {
				CHECK(err[0] != 0);
				refused++;
			}
		}
	}
	CHECK(refused > 0 && accepted > 0);
	free(copy);
	free(buf);
	pagestore_free(&ps);
	fixture_free(&f);
}

TEST(bad_snapshots_are_not_written)
{
	struct fixture f;
	char err[256];
	page_ref saved;

	CHECK_EQ(fixture_init(&f), 0);
	strcpy(f.devs[2].name, "pic");
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, NULL, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "used twice") != NULL);
	strcpy(f.devs[2].name, "rtc");
	saved = f.snap.mem.refs[3];
	f.snap.mem.refs[3] = f.ps.npages + 1;
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, NULL, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not in the store") != NULL);
	f.snap.mem.refs[3] = saved;
	f.snap.vcpu.nmsrs = VCPU_MAX_MSRS + 1;
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, NULL, err, sizeof(err)), -EINVAL);
	CHECK(access(at(&f, "s.rwsnap"), F_OK) != 0);
	CHECK(check_no_file_like(f.dir, "s.rwsnap.tmp"));
	fixture_free(&f);
}

/* A 2 MiB image of few distinct pages is stored as a handful of runs, not a ref per page. */
TEST(memory_images_are_compact)
{
	struct fixture f;
	struct guest_mem big;
	char err[256];

	CHECK_EQ(fixture_init(&f), 0);
	CHECK_EQ(guest_mem_init(&big, 2 << 20), 0);
	for (int i = 0; i < 64; i++)
		write_page_text(big.host + (uint64_t)(100 + i) * PAGE_SIZE, "run", i);
	memimage_free(&f.snap.mem);
	CHECK_EQ(memimage_capture(&f.ps, &big, NULL, NULL, &f.snap.mem), 0);
	CHECK_EQ(snapshot_write(at(&f, "s.rwsnap"), &f.snap, &f.ps, "pages.rws", err, sizeof(err)),
		 0);
	CHECK(file_size(at(&f, "s.rwsnap")) < 2048);
	guest_mem_free(&big);
	fixture_free(&f);
}

/* Checkpoints carried inside another file: written to a stream, decoded from memory. */
TEST(stream_round_trip)
{
	struct fixture f;
	struct pagestore ps;
	struct snapshot back;
	char err[256], *buf = NULL;
	size_t len;
	FILE *m;

	CHECK_EQ(fixture_init(&f), 0);
	m = open_memstream(&buf, &len);
	CHECK(m != NULL);
	fputs("prefix", m);
	CHECK_EQ(snapshot_write_stream(m, "ckpt#1", &f.snap, &f.ps, "(trace)", err, sizeof(err)), 0);
	CHECK_EQ(fclose(m), 0);
	CHECK_EQ(snapshot_decode((uint8_t *)buf + 6, len - 6, "ckpt#1", &f.ps, &back, err,
				 sizeof(err)),
		 0);
	CHECK(same_snapshot(&f.snap, &f.ps, &back, &f.ps));
	snapshot_free(&back);
	/* Without the shared store it cannot be read, and says which store it needs. */
	CHECK_EQ(pagestore_init(&ps), 0);
	CHECK_EQ(snapshot_decode((uint8_t *)buf + 6, len - 6, "ckpt#1", &ps, &back, err,
				 sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "ckpt#1: uses page store (trace)") != NULL);
	pagestore_free(&ps);
	free(buf);
	fixture_free(&f);
}

RUN_TESTS(T(embedded_round_trip), T(external_store_round_trip),
	  T(external_store_mismatches_are_refused), T(flipped_bytes_are_refused),
	  T(truncations_are_refused), T(well_sealed_bad_contents), T(bad_snapshots_are_not_written),
	  T(memory_images_are_compact), T(stream_round_trip), T(damage_is_named_where_it_is))
