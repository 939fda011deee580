#define XXH_STATIC_LINKING_ONLY
#include "core/snapshot.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

/* Layout: docs/snapshot-format.md. */
#define SNAP_MAGIC "RWSNAP\0\0"
#define SNAP_END_MAGIC "RWSNEND\0"
#define SNAP_VERSION 1
#define SNAP_HEADER 32u
#define SNAP_TRAILER 32u
#define SEC_HEADER 16u
#define SEC_OVERHEAD (SEC_HEADER + 8u)
#define SEC_VERSION 1
#define VCPU_FIXED 32u
#define MEM_FIXED 24u
#define STORE_FIXED 16u

enum sec_type {
	SEC_CONFIG = 1,
	SEC_VCPU = 2,
	SEC_DEVICE = 3,
	SEC_TIME = 4,
	SEC_MEMORY = 5,
	SEC_PAGES = 6,
	SEC_STORE = 7,
	SEC_NTYPES
};

static const char *const sec_names[SEC_NTYPES] = {
	[SEC_CONFIG] = "config", [SEC_VCPU] = "vcpu",	  [SEC_DEVICE] = "device",
	[SEC_TIME] = "time",	 [SEC_MEMORY] = "memory", [SEC_PAGES] = "pages",
	[SEC_STORE] = "store",
};

/* ---- Writing ---- */

struct writer {
	struct afile af;
	XXH3_state_t trail;	/* over the header's and every section's checksum */
	uint32_t nsections;
};

static void trail_add(struct writer *w, uint64_t sum)
{
	uint8_t b[8];
	le64_put(b, sum);
	XXH3_64bits_update(&w->trail, b, sizeof(b));
}

static void sec_begin(struct writer *w, uint32_t type, uint64_t len)
{
	uint8_t h[SEC_HEADER];
	le32_put(h, type);
	le32_put(h + 4, SEC_VERSION);
	le64_put(h + 8, len);
	XXH3_64bits_reset(w->af.sum);
	w->af.summing = true;
	afile_write(&w->af, h, sizeof(h));
}

static void sec_end(struct writer *w)
{
	uint8_t b[8];
	uint64_t sum = XXH3_64bits_digest(w->af.sum);
	w->af.summing = false;
	le64_put(b, sum);
	afile_write(&w->af, b, sizeof(b));
	trail_add(w, sum);
	w->nsections++;
}

static void sec_blob(struct writer *w, uint32_t type, const void *a, size_t alen, const void *b,
		     size_t blen)
{
	sec_begin(w, type, alen + blen);
	afile_write(&w->af, a, alen);
	afile_write(&w->af, b, blen);
	sec_end(w);
}

/* A memory image is stored as runs: {first, count} covers count pages whose refs are first,
 * first+1, ... — or all zero pages when first is 0. A fresh capture numbers pages in address
 * order and clean pages keep their refs, so images take a few runs, not a ref per page.
 * Returns the number of runs; fills out (8 bytes a run) unless it is NULL. */
static uint64_t runs_encode(const page_ref *refs, uint64_t n, uint8_t *out)
{
	uint64_t nruns = 0;
	for (uint64_t i = 0; i < n;) {
		page_ref first = refs[i];
		uint32_t count = 1;
		while (i + count < n && count < UINT32_MAX &&
		       refs[i + count] == (first ? (uint64_t)first + count : PAGE_REF_ZERO))
			count++;
		if (out) {
			le32_put(out + nruns * 8, first);
			le32_put(out + nruns * 8 + 4, count);
		}
		nruns++;
		i += count;
	}
	return nruns;
}

static void write_vcpu(struct writer *w, const struct vcpu_state *v)
{
	uint8_t h[VCPU_FIXED] = { 0 };
	le32_put(h, 0);		/* vCPU index: one vCPU for now */
	le32_put(h + 4, v->nmsrs);
	le32_put(h + 8, sizeof(v->regs));
	le32_put(h + 12, sizeof(v->sregs));
	le32_put(h + 16, sizeof(v->fpu));
	le32_put(h + 20, sizeof(v->events));
	le32_put(h + 24, sizeof(v->msrs[0]));
	sec_begin(w, SEC_VCPU, VCPU_FIXED + sizeof(v->regs) + sizeof(v->sregs) + sizeof(v->fpu) +
				       sizeof(v->events) + (uint64_t)v->nmsrs * sizeof(v->msrs[0]));
	afile_write(&w->af, h, sizeof(h));
	afile_write(&w->af, &v->regs, sizeof(v->regs));
	afile_write(&w->af, &v->sregs, sizeof(v->sregs));
	afile_write(&w->af, &v->fpu, sizeof(v->fpu));
	afile_write(&w->af, &v->events, sizeof(v->events));
	afile_write(&w->af, v->msrs, v->nmsrs * sizeof(v->msrs[0]));
	sec_end(w);
}

/* The memory section, plus the pages section (embedded: store_path NULL) or the store section.
 * Embedded pages are renumbered 1..n in order of first use so the file holds only its own. */
static int write_memory(struct writer *w, const struct snapshot *s, const struct pagestore *ps,
			const char *store_path)
{
	const struct memimage *img = &s->mem;
	page_ref *local = NULL, *order = NULL, *lrefs = img->refs, maxref = 0;
	uint32_t nlocal = 0;
	uint8_t h[MEM_FIXED] = { 0 }, *runs = NULL;
	uint64_t nruns;
	int r = -ENOMEM;

	for (uint64_t i = 0; i < img->npages; i++) {
		if (!pagestore_valid(ps, img->refs[i]))
			return -EINVAL;
		if (img->refs[i] > maxref)
			maxref = img->refs[i];
	}
	if (!store_path) {
		local = calloc((size_t)ps->npages + 1, sizeof(*local));
		order = malloc(((size_t)ps->npages + 1) * sizeof(*order));
		lrefs = malloc((img->npages ? img->npages : 1) * sizeof(*lrefs));
		if (!local || !order || !lrefs)
			goto out;
		for (uint64_t i = 0; i < img->npages; i++) {
			page_ref p = img->refs[i];
			if (p && !local[p]) {
				order[nlocal] = p;
				local[p] = ++nlocal;
			}
			lrefs[i] = local[p];
		}
	}
	nruns = runs_encode(lrefs, img->npages, NULL);
	runs = malloc(nruns ? nruns * 8 : 1);
	if (!runs)
		goto out;
	runs_encode(lrefs, img->npages, runs);
	le64_put(h, img->npages);
	le64_put(h + 8, memimage_digest(ps, img));
	le32_put(h + 16, (uint32_t)nruns);
	if (nruns > UINT32_MAX) {
		r = -E2BIG;
		goto out;
	}
	sec_blob(w, SEC_MEMORY, h, sizeof(h), runs, nruns * 8);
	if (!store_path) {
		sec_begin(w, SEC_PAGES, pagestore_image_size(nlocal));
		r = pagestore_image_write(ps, order, nlocal, 0, &w->af);
		sec_end(w);
	} else {
		uint8_t sh[STORE_FIXED];
		le64_put(sh, ps->id);
		le32_put(sh + 8, maxref);
		le32_put(sh + 12, (uint32_t)strlen(store_path));
		sec_blob(w, SEC_STORE, sh, sizeof(sh), store_path, strlen(store_path));
		r = 0;
	}
out:
	free(runs);
	free(local);
	free(order);
	if (lrefs != img->refs)
		free(lrefs);
	return r;
}

static int check_input(const struct snapshot *snap, const char *store_path, const char *name,
		       char *err, size_t errlen)
{
	if (snap->vcpu.nmsrs > VCPU_MAX_MSRS)
		return file_err(err, errlen, -EINVAL, "%s: %u MSRs, at most %u fit", name,
				snap->vcpu.nmsrs, VCPU_MAX_MSRS);
	if (store_path && (!*store_path || strlen(store_path) > 4096))
		return file_err(err, errlen, -EINVAL, "%s: bad page store path", name);
	for (uint32_t i = 0; i < snap->ndevices; i++) {
		size_t n = strnlen(snap->devices[i].name, SNAPSHOT_NAME_MAX);
		if (n == 0 || n == SNAPSHOT_NAME_MAX)
			return file_err(err, errlen, -EINVAL, "%s: device %u has no valid name", name, i);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(snap->devices[i].name, snap->devices[j].name))
				return file_err(err, errlen, -EINVAL, "%s: device name '%s' used twice",
						name, snap->devices[i].name);
	}
	return 0;
}

static int encode(struct writer *w, const struct snapshot *snap, const struct pagestore *ps,
		  const char *store_path, const char *name, char *err, size_t errlen)
{
	uint8_t hdr[SNAP_HEADER] = { 0 }, tr[SNAP_TRAILER] = { 0 }, b[8];
	int r;

	XXH3_INITSTATE(&w->trail);
	XXH3_64bits_reset(&w->trail);
	/* The section count goes in the header, so count before writing. */
	memcpy(hdr, SNAP_MAGIC, 8);
	le32_put(hdr + 8, SNAP_VERSION);
	le32_put(hdr + 12, 5 + snap->ndevices);
	le64_put(hdr + 24, XXH3_64bits(hdr, 24));
	afile_write(&w->af, hdr, sizeof(hdr));
	trail_add(w, le64_get(hdr + 24));

	sec_blob(w, SEC_CONFIG, snap->config, snap->config_len, NULL, 0);
	write_vcpu(w, &snap->vcpu);
	for (uint32_t i = 0; i < snap->ndevices; i++) {
		const struct snapshot_device *d = &snap->devices[i];
		uint32_t n = (uint32_t)strlen(d->name);
		sec_begin(w, SEC_DEVICE, 4 + n + (uint64_t)d->len);
		le32_put(b, n);
		afile_write(&w->af, b, 4);
		afile_write(&w->af, d->name, n);
		afile_write(&w->af, d->data, d->len);
		sec_end(w);
	}
	le64_put(b, snap->guest_ns);
	sec_blob(w, SEC_TIME, b, 8, snap->position, snap->position_len);
	r = write_memory(w, snap, ps, store_path);
	if (r)
		return file_err(err, errlen, r, "%s: memory image: %s", name,
				r == -EINVAL ? "a page ref is not in the store" : strerror(-r));

	memcpy(tr, SNAP_END_MAGIC, 8);
	le32_put(tr + 8, w->nsections);
	le64_put(tr + 16, XXH3_64bits_digest(&w->trail));
	le64_put(tr + 24, XXH3_64bits(tr, 24));
	afile_write(&w->af, tr, sizeof(tr));
	return 0;
}

int snapshot_write(const char *path, const struct snapshot *snap, const struct pagestore *ps,
		   const char *store_path, char *err, size_t errlen)
{
	struct writer w = { .nsections = 0 };
	int r = check_input(snap, store_path, path, err, errlen);
	if (r)
		return r;
	r = afile_open(&w.af, path, err, errlen);
	if (r)
		return r;
	r = encode(&w, snap, ps, store_path, path, err, errlen);
	if (r) {
		afile_abort(&w.af);
		return r;
	}
	return afile_commit(&w.af, err, errlen);
}

int snapshot_write_stream(FILE *f, const char *name, const struct snapshot *snap,
			  const struct pagestore *ps, const char *store_path, char *err,
			  size_t errlen)
{
	struct writer w = { .nsections = 0 };
	int r = check_input(snap, store_path, name, err, errlen);
	if (r)
		return r;
	if (afile_attach(&w.af, f))
		return file_err(err, errlen, -ENOMEM, "%s: out of memory", name);
	r = encode(&w, snap, ps, store_path, name, err, errlen);
	if (r) {
		afile_abort(&w.af);
		return r;
	}
	r = afile_commit(&w.af, NULL, 0);
	return r ? file_err(err, errlen, r, "%s: write failed: %s", name, strerror(-r)) : 0;
}

/* ---- Reading ---- */

struct section {
	uint32_t type;
	uint64_t off;		/* of the payload in the file */
	uint64_t len;
	const uint8_t *p;
};

/* Everything the checks found, pointing into the mapped file. */
struct parsed {
	struct section *secs;
	uint32_t nsecs;
	const struct section *by_type[SEC_NTYPES]; /* the one of each type (device: the first) */
	uint32_t ndevices;
	/* memory */
	uint64_t npages, digest;
	uint32_t nruns;
	const uint8_t *runs;
	/* pages: embedded image, or external store */
	uint32_t img_pages;
	uint64_t store_id;
	uint32_t store_needs;
};

static const char *sec_name(uint32_t type)
{
	return type < SEC_NTYPES && sec_names[type] ? sec_names[type] : "unknown";
}

#define SEC_ERR(path, s, fmt, ...)                                                               \
	file_err(err, errlen, -EINVAL, "%s: %s section at offset %llu: " fmt, path,            \
		 sec_name((s)->type), (unsigned long long)(s)->off - SEC_HEADER, ##__VA_ARGS__)

/* Header, section framing and checksums, trailer. */
static int check_frame(const uint8_t *d, uint64_t len, const char *path, struct parsed *p,
		       char *err, size_t errlen)
{
	const uint8_t *tr;
	uint64_t off = SNAP_HEADER;
	XXH3_state_t trail;
	uint32_t n;

	if (len < SNAP_HEADER)
		return file_err(err, errlen, -EINVAL, "%s: truncated: %llu bytes, the header needs %u",
				path, (unsigned long long)len, SNAP_HEADER);
	if (memcmp(d, SNAP_MAGIC, 8))
		return file_err(err, errlen, -EINVAL, "%s: not a rewind snapshot (bad magic)", path);
	if (le64_get(d + 24) != XXH3_64bits(d, 24))
		return file_err(err, errlen, -EINVAL, "%s: header checksum mismatch", path);
	if (le32_get(d + 8) != SNAP_VERSION || le32_get(d + 16) || le32_get(d + 20))
		return file_err(err, errlen, -EINVAL,
				"%s: snapshot format version %u is not supported (this build reads %u)",
				path, le32_get(d + 8), SNAP_VERSION);
	n = le32_get(d + 12);
	if (n > (len - SNAP_HEADER) / SEC_OVERHEAD)
		return file_err(err, errlen, -EINVAL,
				"%s: header promises %u sections, more than %llu bytes can hold "
				"(truncated or corrupt)",
				path, n, (unsigned long long)len);
	p->secs = calloc(n ? n : 1, sizeof(*p->secs));
	if (!p->secs)
		return file_err(err, errlen, -ENOMEM, "%s: out of memory", path);
	p->nsecs = n;
	XXH3_INITSTATE(&trail);
	XXH3_64bits_reset(&trail);
	XXH3_64bits_update(&trail, d + 24, 8);
	for (uint32_t i = 0; i < n; i++) {
		struct section *s = &p->secs[i];
		uint64_t slen;
		if (len - off < SEC_OVERHEAD)
			return file_err(err, errlen, -EINVAL,
					"%s: truncated at offset %llu: section %u of %u is incomplete",
					path, (unsigned long long)len, i + 1, n);
		s->type = le32_get(d + off);
		slen = le64_get(d + off + 8);
		s->off = off + SEC_HEADER;
		if (slen > len - off - SEC_OVERHEAD)
			return file_err(err, errlen, -EINVAL,
					"%s: section %u of %u (%s) at offset %llu: %llu-byte payload runs "
					"past the end of the %llu-byte file (truncated or corrupt)",
					path, i + 1, n, sec_name(s->type), (unsigned long long)off,
					(unsigned long long)slen, (unsigned long long)len);
		if (le64_get(d + s->off + slen) != XXH3_64bits(d + off, SEC_HEADER + slen))
			return file_err(err, errlen, -EINVAL,
					"%s: section %u of %u (%s) at offset %llu: checksum mismatch",
					path, i + 1, n, sec_name(s->type), (unsigned long long)off);
		XXH3_64bits_update(&trail, d + s->off + slen, 8);
		if (s->type == 0 || s->type >= SEC_NTYPES)
			return file_err(err, errlen, -EINVAL,
					"%s: section %u at offset %llu has unknown type %u "
					"(written by a newer rewind?)",
					path, i + 1, (unsigned long long)off, s->type);
		if (le32_get(d + off + 4) != SEC_VERSION)
			return SEC_ERR(path, s, "version %u is not supported (this build reads %u)",
				       le32_get(d + off + 4), SEC_VERSION);
		s->len = slen;
		s->p = d + s->off;
		off = s->off + slen + 8;
	}
	if (len - off < SNAP_TRAILER)
		return file_err(err, errlen, -EINVAL,
				"%s: truncated at offset %llu: the trailer is missing or incomplete", path,
				(unsigned long long)len);
	tr = d + off;
	if (memcmp(tr, SNAP_END_MAGIC, 8) || le64_get(tr + 24) != XXH3_64bits(tr, 24) ||
	    le32_get(tr + 12))
		return file_err(err, errlen, -EINVAL, "%s: trailer at offset %llu is corrupt", path,
				(unsigned long long)off);
	if (le32_get(tr + 8) != n || le64_get(tr + 16) != XXH3_64bits_digest(&trail))
		return file_err(err, errlen, -EINVAL,
				"%s: trailer at offset %llu does not match the sections before it", path,
				(unsigned long long)off);
	if (len - off > SNAP_TRAILER)
		return file_err(err, errlen, -EINVAL, "%s: %llu unexpected bytes after the trailer",
				path, (unsigned long long)(len - off - SNAP_TRAILER));
	return 0;
}

static int check_vcpu(const struct section *s, const char *path, char *err, size_t errlen)
{
	const struct vcpu_state *v = NULL;
	uint64_t fixed = VCPU_FIXED + sizeof(v->regs) + sizeof(v->sregs) + sizeof(v->fpu) +
			 sizeof(v->events);
	uint32_t nmsrs;

	if (s->len < VCPU_FIXED)
		return SEC_ERR(path, s, "%llu bytes is too short", (unsigned long long)s->len);
	nmsrs = le32_get(s->p + 4);
	if (le32_get(s->p) != 0)
		return SEC_ERR(path, s, "vCPU index %u: only vCPU 0 is supported", le32_get(s->p));
	if (le32_get(s->p + 8) != sizeof(v->regs) || le32_get(s->p + 12) != sizeof(v->sregs) ||
	    le32_get(s->p + 16) != sizeof(v->fpu) || le32_get(s->p + 20) != sizeof(v->events) ||
	    le32_get(s->p + 24) != sizeof(v->msrs[0]) || le32_get(s->p + 28))
		return SEC_ERR(path, s, "KVM structure sizes differ from this build's");
	if (nmsrs > VCPU_MAX_MSRS)
		return SEC_ERR(path, s, "%u MSRs, at most %u are supported", nmsrs, VCPU_MAX_MSRS);
	if (s->len != fixed + (uint64_t)nmsrs * sizeof(v->msrs[0]))
		return SEC_ERR(path, s, "%llu bytes, %u MSRs need %llu", (unsigned long long)s->len,
			       nmsrs, (unsigned long long)(fixed + nmsrs * sizeof(v->msrs[0])));
	return 0;
}

static int check_device(const struct parsed *p, const struct section *s, const char *path,
			char *err, size_t errlen)
{
	uint32_t n;
	if (s->len < 4 || (n = le32_get(s->p)) == 0 || n >= SNAPSHOT_NAME_MAX || s->len - 4 < n ||
	    memchr(s->p + 4, 0, n))
		return SEC_ERR(path, s, "bad device name");
	for (const struct section *o = p->secs; o < s; o++) {
		if (o->type == SEC_DEVICE && le32_get(o->p) == n && !memcmp(o->p + 4, s->p + 4, n))
			return SEC_ERR(path, s, "device '%.*s' appears twice", (int)n, s->p + 4);
	}
	return 0;
}

static int check_memory(struct parsed *p, const struct section *s, const char *path, char *err,
			size_t errlen)
{
	uint64_t total = 0;
	if (s->len < MEM_FIXED)
		return SEC_ERR(path, s, "%llu bytes is too short", (unsigned long long)s->len);
	p->npages = le64_get(s->p);
	p->digest = le64_get(s->p + 8);
	p->nruns = le32_get(s->p + 16);
	p->runs = s->p + MEM_FIXED;
	if (le32_get(s->p + 20) || s->len != MEM_FIXED + (uint64_t)p->nruns * 8)
		return SEC_ERR(path, s, "%llu bytes do not hold %u runs", (unsigned long long)s->len,
			       p->nruns);
	for (uint32_t i = 0; i < p->nruns; i++) {
		uint32_t count = le32_get(p->runs + i * 8 + 4);
		if (!count)
			return SEC_ERR(path, s, "run %u is empty", i);
		total += count;
	}
	if (total != p->npages)
		return SEC_ERR(path, s, "runs cover %llu pages, the image has %llu",
			       (unsigned long long)total, (unsigned long long)p->npages);
	return 0;
}

/* Every run against the pages available: the embedded image's, or the external store's. */
static int check_refs(const struct parsed *p, uint32_t avail, const char *path, char *err,
		      size_t errlen)
{
	const struct section *s = p->by_type[SEC_MEMORY];
	uint64_t page = 0;
	for (uint32_t i = 0; i < p->nruns; i++) {
		uint64_t first = le32_get(p->runs + i * 8), count = le32_get(p->runs + i * 8 + 4);
		if (first && first + count - 1 > avail)
			return SEC_ERR(path, s,
				       "pages %llu..%llu refer to page %llu..%llu, but only %u pages "
				       "are available",
				       (unsigned long long)page, (unsigned long long)(page + count - 1),
				       (unsigned long long)first,
				       (unsigned long long)(first + count - 1), avail);
		page += count;
	}
	return 0;
}

static int parse(const uint8_t *buf, uint64_t len, const char *path, struct parsed *p, char *err,
		 size_t errlen)
{
	static const uint8_t required[] = { SEC_CONFIG, SEC_VCPU, SEC_TIME, SEC_MEMORY };
	int r = check_frame(buf, len, path, p, err, errlen);
	if (r)
		return r;
	for (uint32_t i = 0; i < p->nsecs; i++) {
		const struct section *s = &p->secs[i];
		if (s->type == SEC_DEVICE) {
			p->ndevices++;
			r = check_device(p, s, path, err, errlen);
		} else if (p->by_type[s->type]) {
			r = SEC_ERR(path, s, "appears twice");
		} else if (s->type == SEC_VCPU) {
			r = check_vcpu(s, path, err, errlen);
		} else if (s->type == SEC_TIME && s->len < 8) {
			r = SEC_ERR(path, s, "%llu bytes is too short", (unsigned long long)s->len);
		} else if (s->type == SEC_MEMORY) {
			r = check_memory(p, s, path, err, errlen);
		} else if (s->type == SEC_PAGES) {
			struct store_image_info info;
			r = pagestore_image_check(s->p, s->len, path, s->off, &info, err, errlen);
			if (!r && info.base)
				r = SEC_ERR(path, s, "embedded pages must start at ref 1, not %u",
					    info.base + 1);
			p->img_pages = info.npages;
		} else if (s->type == SEC_STORE) {
			if (s->len <= STORE_FIXED || le32_get(s->p + 12) != s->len - STORE_FIXED ||
			    memchr(s->p + STORE_FIXED, 0, s->len - STORE_FIXED))
				r = SEC_ERR(path, s, "bad page store path");
			p->store_id = le64_get(s->p);
			p->store_needs = le32_get(s->p + 8);
		}
		if (r)
			return r;
		if (!p->by_type[s->type])
			p->by_type[s->type] = s;
	}
	for (size_t i = 0; i < sizeof(required); i++) {
		if (!p->by_type[required[i]])
			return file_err(err, errlen, -EINVAL, "%s: the %s section is missing", path,
					sec_names[required[i]]);
	}
	if (!p->by_type[SEC_PAGES] == !p->by_type[SEC_STORE])
		return file_err(err, errlen, -EINVAL,
				"%s: needs exactly one of a pages section and a store section", path);
	if (p->by_type[SEC_PAGES])
		return check_refs(p, p->img_pages, path, err, errlen);
	return check_refs(p, p->store_needs, path, err, errlen);
}

static void resolve_store_path(const struct parsed *p, const char *path, char *buf, size_t buflen)
{
	const struct section *s = p->by_type[SEC_STORE];
	int n = (int)(s->len - STORE_FIXED);
	const char *name = (const char *)s->p + STORE_FIXED;
	char *copy = strdup(path);

	if (name[0] == '/' || !copy || !strchr(path, '/'))
		snprintf(buf, buflen, "%.*s", n, name);
	else
		snprintf(buf, buflen, "%s/%.*s", dirname(copy), n, name);
	free(copy);
}

int snapshot_store_path(const char *path, char *buf, size_t buflen, char *err, size_t errlen)
{
	struct mapped_file mf;
	struct parsed p = { 0 };
	int r = mapped_file_open(&mf, path, err, errlen);
	if (r)
		return r;
	r = parse(mf.data, mf.len, path, &p, err, errlen);
	if (!r && p.by_type[SEC_STORE]) {
		resolve_store_path(&p, path, buf, buflen);
		r = 1;
	}
	free(p.secs);
	mapped_file_close(&mf);
	return r;
}

static void *dup_bytes(const void *p, size_t n)
{
	void *d = malloc(n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

/* Copies the small sections out; only allocation can fail here. */
static int fill(const struct parsed *p, struct snapshot *s)
{
	const struct section *c = p->by_type[SEC_CONFIG], *t = p->by_type[SEC_TIME];
	const uint8_t *v = p->by_type[SEC_VCPU]->p + VCPU_FIXED;
	uint32_t k = 0;

	memset(s, 0, sizeof(*s));
	memcpy(&s->vcpu.regs, v, sizeof(s->vcpu.regs));
	v += sizeof(s->vcpu.regs);
	memcpy(&s->vcpu.sregs, v, sizeof(s->vcpu.sregs));
	v += sizeof(s->vcpu.sregs);
	memcpy(&s->vcpu.fpu, v, sizeof(s->vcpu.fpu));
	v += sizeof(s->vcpu.fpu);
	memcpy(&s->vcpu.events, v, sizeof(s->vcpu.events));
	v += sizeof(s->vcpu.events);
	s->vcpu.nmsrs = le32_get(p->by_type[SEC_VCPU]->p + 4);
	memcpy(s->vcpu.msrs, v, s->vcpu.nmsrs * sizeof(s->vcpu.msrs[0]));

	s->config_len = c->len;
	s->config = dup_bytes(c->p, c->len);
	s->guest_ns = le64_get(t->p);
	s->position_len = t->len - 8;
	s->position = dup_bytes(t->p + 8, t->len - 8);
	s->devices = calloc(p->ndevices ? p->ndevices : 1, sizeof(*s->devices));
	s->mem.refs = malloc((p->npages ? p->npages : 1) * sizeof(page_ref));
	if (!s->config || !s->position || !s->devices || !s->mem.refs)
		return -ENOMEM;
	s->mem.npages = p->npages;
	for (uint32_t i = 0; i < p->nsecs; i++) {
		const struct section *d = &p->secs[i];
		uint32_t n;
		if (d->type != SEC_DEVICE)
			continue;
		n = le32_get(d->p);
		memcpy(s->devices[k].name, d->p + 4, n);
		s->devices[k].len = d->len - 4 - n;
		s->devices[k].data = dup_bytes(d->p + 4 + n, s->devices[k].len);
		s->ndevices = ++k;
		if (!s->devices[k - 1].data)
			return -ENOMEM;
	}
	return 0;
}

/* Expands the runs into refs (local to the file's image for embedded pages). */
static void runs_decode(const struct parsed *p, page_ref *refs)
{
	uint64_t page = 0;
	for (uint32_t i = 0; i < p->nruns; i++) {
		page_ref first = le32_get(p->runs + i * 8);
		uint32_t count = le32_get(p->runs + i * 8 + 4);
		for (uint32_t j = 0; j < count; j++)
			refs[page++] = first ? first + j : PAGE_REF_ZERO;
	}
}

/* The digest over the embedded pages, computed before any of them enters the store. */
static uint64_t embedded_digest(const struct pagestore *ps, const struct parsed *p,
				const page_ref *refs, XXH128_hash_t *hashes)
{
	const uint8_t *img = p->by_type[SEC_PAGES]->p;
	XXH3_state_t st;

	hashes[0] = pagestore_hash(ps, PAGE_REF_ZERO);
	for (uint32_t i = 1; i <= p->img_pages; i++)
		hashes[i] = ps->hash(pagestore_image_page(img, i));
	XXH3_INITSTATE(&st);
	XXH3_64bits_reset(&st);
	for (uint64_t i = 0; i < p->npages; i++) {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, hashes[refs[i]]);
		XXH3_64bits_update(&st, &c, sizeof(c));
	}
	return XXH3_64bits_digest(&st);
}

static int import_pages(struct pagestore *ps, const struct parsed *p, page_ref *refs)
{
	const uint8_t *img = p->by_type[SEC_PAGES]->p;
	page_ref *map = malloc(((size_t)p->img_pages + 1) * sizeof(*map));
	int r = 0;

	if (!map)
		return -ENOMEM;
	map[0] = PAGE_REF_ZERO;
	for (uint32_t i = 1; i <= p->img_pages && !r; i++)
		r = pagestore_put(ps, pagestore_image_page(img, i), &map[i]);
	if (!r) {
		for (uint64_t i = 0; i < p->npages; i++)
			refs[i] = map[refs[i]];
	}
	free(map);
	return r;
}

int snapshot_decode(const uint8_t *buf, uint64_t len, const char *path, struct pagestore *ps,
		    struct snapshot *out, char *err, size_t errlen)
{
	struct parsed p = { 0 };
	struct snapshot s;
	XXH128_hash_t *hashes = NULL;
	int r;

	memset(&s, 0, sizeof(s));
	r = parse(buf, len, path, &p, err, errlen);
	if (r)
		goto out;
	if (p.by_type[SEC_STORE]) {
		char store[4096];
		resolve_store_path(&p, path, store, sizeof(store));
		if (ps->id != p.store_id) {
			r = file_err(err, errlen, -EINVAL,
				     "%s: uses page store %s (id %016llx), the store given is %016llx",
				     path, store, (unsigned long long)p.store_id,
				     (unsigned long long)ps->id);
			goto out;
		}
		if (ps->npages < p.store_needs) {
			r = file_err(err, errlen, -EINVAL,
				     "%s: needs %u pages of page store %s, the store holds %u "
				     "(an older copy of the store?)",
				     path, p.store_needs, store, ps->npages);
			goto out;
		}
	}
	r = fill(&p, &s);
	if (r) {
		file_err(err, errlen, r, "%s: out of memory", path);
		goto out;
	}
	runs_decode(&p, s.mem.refs);
	if (p.by_type[SEC_PAGES]) {
		hashes = malloc(((size_t)p.img_pages + 1) * sizeof(*hashes));
		if (!hashes) {
			r = file_err(err, errlen, -ENOMEM, "%s: out of memory", path);
			goto out;
		}
		if (embedded_digest(ps, &p, s.mem.refs, hashes) != p.digest) {
			r = file_err(err, errlen, -EINVAL,
				     "%s: memory digest mismatch: the embedded pages are not the "
				     "memory the snapshot was taken of",
				     path);
			goto out;
		}
		/* The only step that changes ps. An allocation failure part-way leaves pages
		 * that nothing refers to, which an append-only store tolerates. */
		r = import_pages(ps, &p, s.mem.refs);
		if (r) {
			file_err(err, errlen, r, "%s: adding pages to the store: %s", path,
				 strerror(-r));
			goto out;
		}
	} else if (memimage_digest(ps, &s.mem) != p.digest) {
		r = file_err(err, errlen, -EINVAL,
			     "%s: memory digest mismatch: the page store does not hold the pages "
			     "the snapshot was taken with",
			     path);
		goto out;
	}
	*out = s;
out:
	if (r)
		snapshot_free(&s);
	free(hashes);
	free(p.secs);
	return r;
}

int snapshot_read(const char *path, struct pagestore *ps, struct snapshot *out, char *err,
		  size_t errlen)
{
	struct mapped_file mf;
	int r = mapped_file_open(&mf, path, err, errlen);
	if (r)
		return r;
	r = snapshot_decode(mf.data, mf.len, path, ps, out, err, errlen);
	mapped_file_close(&mf);
	return r;
}

void snapshot_free(struct snapshot *snap)
{
	for (uint32_t i = 0; i < snap->ndevices; i++)
		free(snap->devices[i].data);
	free(snap->devices);
	free(snap->config);
	free(snap->position);
	memimage_free(&snap->mem);
	memset(snap, 0, sizeof(*snap));
}
