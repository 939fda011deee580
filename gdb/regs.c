#include "gdb/regs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum reg_kind {
	REG_FIELD,	/* little-endian field of struct gdb_regfile, zero-extended either way */
	REG_FTAG,	/* x87 full tag word, computed from FXSAVE's abridged one */
	REG_ZERO,	/* not kept by KVM (x87 segment selectors): reads 0, writes ignored */
};

enum reg_feature { FEAT_CORE, FEAT_SSE, FEAT_SEGMENTS, FEAT_SYS, FEAT_COUNT };

struct reg_desc {
	const char *name;
	uint8_t bytes;		/* on the wire */
	enum reg_feature feature;
	const char *type;
	const char *group;	/* NULL: gdb's default for the type */
	enum reg_kind kind;
	uint16_t offset;	/* REG_FIELD: into struct gdb_regfile */
	uint8_t field_bytes;
};

#define F(member) offsetof(struct gdb_regfile, member), sizeof(((struct gdb_regfile *)0)->member)
#define GPR(n, r, t) { n, 8, FEAT_CORE, t, NULL, REG_FIELD, F(regs.r) }
#define SEG(n) { #n, 4, FEAT_CORE, "int32", NULL, REG_FIELD, F(sregs.n.selector) }
#define ST(i) { "st" #i, 10, FEAT_CORE, "i387_ext", NULL, REG_FIELD, F(fpu.fpr[i]) }
#define FPC(n, m) { n, 4, FEAT_CORE, "int", "float", REG_FIELD, F(fpu.m) }
#define XMM(i) { "xmm" #i, 16, FEAT_SSE, "vec128", NULL, REG_FIELD, F(fpu.xmm[i]) }
#define SYS(n, m, t) { n, 8, FEAT_SYS, t, "system", REG_FIELD, F(sregs.m) }

static const struct reg_desc reg_table[] = {
	GPR("rax", rax, "int64"), GPR("rbx", rbx, "int64"), GPR("rcx", rcx, "int64"),
	GPR("rdx", rdx, "int64"), GPR("rsi", rsi, "int64"), GPR("rdi", rdi, "int64"),
	GPR("rbp", rbp, "data_ptr"), GPR("rsp", rsp, "data_ptr"),
	GPR("r8", r8, "int64"), GPR("r9", r9, "int64"), GPR("r10", r10, "int64"),
	GPR("r11", r11, "int64"), GPR("r12", r12, "int64"), GPR("r13", r13, "int64"),
	GPR("r14", r14, "int64"), GPR("r15", r15, "int64"),
	GPR("rip", rip, "code_ptr"),
	{ "eflags", 4, FEAT_CORE, "i386_eflags", NULL, REG_FIELD, F(regs.rflags) },
	SEG(cs), SEG(ss), SEG(ds), SEG(es), SEG(fs), SEG(gs),
	ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
	FPC("fctrl", fcw), FPC("fstat", fsw),
	{ "ftag", 4, FEAT_CORE, "int", "float", REG_FTAG, 0, 0 },
	{ "fiseg", 4, FEAT_CORE, "int", "float", REG_ZERO, 0, 0 },
	FPC("fioff", last_ip),
	{ "foseg", 4, FEAT_CORE, "int", "float", REG_ZERO, 0, 0 },
	FPC("fooff", last_dp), FPC("fop", last_opcode),
	XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
	{ "mxcsr", 4, FEAT_SSE, "i386_mxcsr", "vector", REG_FIELD, F(fpu.mxcsr) },
	{ "fs_base", 8, FEAT_SEGMENTS, "int", NULL, REG_FIELD, F(sregs.fs.base) },
	{ "gs_base", 8, FEAT_SEGMENTS, "int", NULL, REG_FIELD, F(sregs.gs.base) },
	SYS("cr0", cr0, "x86_cr0"), SYS("cr2", cr2, "data_ptr"), SYS("cr3", cr3, "int64"),
	SYS("cr4", cr4, "x86_cr4"), SYS("cr8", cr8, "int64"), SYS("efer", efer, "x86_efer"),
};

#define NREGS ((int)(sizeof(reg_table) / sizeof(reg_table[0])))

int gdb_reg_count(void)
{
	return NREGS;
}

int gdb_reg_size(int n)
{
	return n >= 0 && n < NREGS ? reg_table[n].bytes : 0;
}

int gdb_regs_size(void)
{
	int total = 0;
	for (int i = 0; i < NREGS; i++)
		total += reg_table[i].bytes;
	return total;
}

int gdb_reg_is_fpu(int n)
{
	return n >= 0 && n < NREGS &&
	       (reg_table[n].kind != REG_FIELD || reg_table[n].offset >= offsetof(struct gdb_regfile, fpu));
}

/* The tag an x87 register would have in the full tag word: 0 valid, 1 zero, 2 special. */
static unsigned fpu_tag_of(const uint8_t *r)
{
	uint64_t mant;
	uint16_t exp;
	memcpy(&mant, r, 8);
	memcpy(&exp, r + 8, 2);
	exp &= 0x7fff;
	if (exp == 0x7fff)
		return 2;
	if (exp == 0)
		return mant ? 2 : 1;
	return (mant >> 63) ? 0 : 2;
}

/* FXSAVE keeps one "not empty" bit per physical register; gdb wants the full two-bit tags.
 * fpr[] is in stack order, so physical register i is ST((i - TOP) mod 8). */
static uint32_t fpu_full_tag(const struct kvm_fpu *fpu)
{
	unsigned top = (fpu->fsw >> 11) & 7;
	uint32_t tag = 0;
	for (unsigned i = 0; i < 8; i++) {
		unsigned t = 3;
		if (fpu->ftwx & (1u << i))
			t = fpu_tag_of(fpu->fpr[(i - top) & 7]);
		tag |= t << (2 * i);
	}
	return tag;
}

void gdb_reg_get(const struct gdb_regfile *rf, int n, uint8_t *out)
{
	const struct reg_desc *d = &reg_table[n];
	memset(out, 0, d->bytes);
	switch (d->kind) {
	case REG_FIELD:
		memcpy(out, (const uint8_t *)rf + d->offset,
		       d->field_bytes < d->bytes ? d->field_bytes : d->bytes);
		break;
	case REG_FTAG: {
		uint32_t tag = fpu_full_tag(&rf->fpu);
		memcpy(out, &tag, 4);
		break;
	}
	case REG_ZERO:
		break;
	}
}

void gdb_reg_set(struct gdb_regfile *rf, int n, const uint8_t *in)
{
	const struct reg_desc *d = &reg_table[n];
	switch (d->kind) {
	case REG_FIELD: {
		uint8_t *field = (uint8_t *)rf + d->offset;
		memset(field, 0, d->field_bytes);
		memcpy(field, in, d->field_bytes < d->bytes ? d->field_bytes : d->bytes);
		break;
	}
	case REG_FTAG: {
		uint32_t tag;
		memcpy(&tag, in, 4);
		rf->fpu.ftwx = 0;
		for (unsigned i = 0; i < 8; i++)
			if (((tag >> (2 * i)) & 3) != 3)
				rf->fpu.ftwx |= 1u << i;
		break;
	}
	case REG_ZERO:
		break;
	}
}

/* Types each feature defines before its registers use them. */
static const char eflags_type[] =
	"<flags id=\"i386_eflags\" size=\"4\">"
	"<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
	"<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
	"<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
	"<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
	"<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
	"<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
	"<field name=\"ID\" start=\"21\" end=\"21\"/></flags>";

static const char sse_types[] =
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
	"<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
	"<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
	"<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
	"<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/></union>"
	"<flags id=\"i386_mxcsr\" size=\"4\">"
	"<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>"
	"<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>"
	"<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>"
	"<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>"
	"<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>"
	"<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>"
	"<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>"
	"</flags>";

static const char sys_types[] =
	"<flags id=\"x86_cr0\" size=\"8\">"
	"<field name=\"PE\" start=\"0\" end=\"0\"/><field name=\"MP\" start=\"1\" end=\"1\"/>"
	"<field name=\"EM\" start=\"2\" end=\"2\"/><field name=\"TS\" start=\"3\" end=\"3\"/>"
	"<field name=\"ET\" start=\"4\" end=\"4\"/><field name=\"NE\" start=\"5\" end=\"5\"/>"
	"<field name=\"WP\" start=\"16\" end=\"16\"/><field name=\"AM\" start=\"18\" end=\"18\"/>"
	"<field name=\"NW\" start=\"29\" end=\"29\"/><field name=\"CD\" start=\"30\" end=\"30\"/>"
	"<field name=\"PG\" start=\"31\" end=\"31\"/></flags>"
	"<flags id=\"x86_cr4\" size=\"8\">"
	"<field name=\"VME\" start=\"0\" end=\"0\"/><field name=\"PVI\" start=\"1\" end=\"1\"/>"
	"<field name=\"TSD\" start=\"2\" end=\"2\"/><field name=\"DE\" start=\"3\" end=\"3\"/>"
	"<field name=\"PSE\" start=\"4\" end=\"4\"/><field name=\"PAE\" start=\"5\" end=\"5\"/>"
	"<field name=\"MCE\" start=\"6\" end=\"6\"/><field name=\"PGE\" start=\"7\" end=\"7\"/>"
	"<field name=\"PCE\" start=\"8\" end=\"8\"/><field name=\"OSFXSR\" start=\"9\" end=\"9\"/>"
	"<field name=\"OSXMMEXCPT\" start=\"10\" end=\"10\"/>"
	"<field name=\"UMIP\" start=\"11\" end=\"11\"/><field name=\"LA57\" start=\"12\" end=\"12\"/>"
	"<field name=\"FSGSBASE\" start=\"16\" end=\"16\"/><field name=\"PCIDE\" start=\"17\" end=\"17\"/>"
	"<field name=\"OSXSAVE\" start=\"18\" end=\"18\"/><field name=\"SMEP\" start=\"20\" end=\"20\"/>"
	"<field name=\"SMAP\" start=\"21\" end=\"21\"/><field name=\"PKE\" start=\"22\" end=\"22\"/>"
	"</flags>"
	"<flags id=\"x86_efer\" size=\"8\">"
	"<field name=\"SCE\" start=\"0\" end=\"0\"/><field name=\"LME\" start=\"8\" end=\"8\"/>"
	"<field name=\"LMA\" start=\"10\" end=\"10\"/><field name=\"NXE\" start=\"11\" end=\"11\"/>"
	"<field name=\"SVME\" start=\"12\" end=\"12\"/><field name=\"FFXSR\" start=\"14\" end=\"14\"/>"
	"</flags>";

static const struct {
	const char *name;
	const char *types;
} features[FEAT_COUNT] = {
	[FEAT_CORE] = { "org.gnu.gdb.i386.core", eflags_type },
	[FEAT_SSE] = { "org.gnu.gdb.i386.sse", sse_types },
	[FEAT_SEGMENTS] = { "org.gnu.gdb.i386.segments", "" },
	[FEAT_SYS] = { "org.rewind.x86.sys", sys_types },
};

struct xml_buf {
	char *p;
	size_t cap, len;
	int overflow;
};

static void xml_put(struct xml_buf *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = x->cap > x->len ? x->cap - x->len : 0;
	int n = vsnprintf(x->p + x->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		x->overflow = 1;
	else
		x->len += (size_t)n;
}

size_t gdb_target_xml(char *buf, size_t cap)
{
	struct xml_buf x = { buf, cap, 0, 0 };
	xml_put(&x, "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
		    "<target version=\"1.0\"><architecture>i386:x86-64</architecture>");
	/* The table is grouped by feature, so numbering in table order keeps regnums sequential. */
	for (int f = 0; f < FEAT_COUNT; f++) {
		xml_put(&x, "<feature name=\"%s\">%s", features[f].name, features[f].types);
		for (int i = 0; i < NREGS; i++) {
			const struct reg_desc *d = &reg_table[i];
			if (d->feature != (enum reg_feature)f)
				continue;
			xml_put(&x, "<reg name=\"%s\" bitsize=\"%d\" type=\"%s\" regnum=\"%d\"", d->name,
				d->bytes * 8, d->type, i);
			if (d->group)
				xml_put(&x, " group=\"%s\"", d->group);
			xml_put(&x, "/>");
		}
		xml_put(&x, "</feature>");
	}
	xml_put(&x, "</target>");
	return x.overflow ? 0 : x.len;
}
