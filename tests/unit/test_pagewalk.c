/* The guest page-table walker on tables built by hand in a RAM buffer. */
#include "core/pagewalk.h"
#include "tests/unit/check.h"

#include <errno.h>
#include <string.h>

#define RAM_SIZE (1u << 20)
static uint8_t ram[RAM_SIZE];
static int reads;

static int ram_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	(void)opaque;
	reads++;
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return -1;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static int ram_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	(void)opaque;
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return -1;
	memcpy(ram + gpa, buf, len);
	return 0;
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, 4);
}

#define P 1ULL
#define RW 2ULL
#define PS 0x80ULL
#define NX (1ULL << 63)

/* Long mode, 4-level: CR0.PG|PE, CR4.PAE, EFER.LME|LMA. */
static const struct pagewalk_cpu lm = { 0x80000011, 0x1000, 0x20, 0x500 };

/* va 0x00007f8080201abc: PML4 index 255, PDPT 2, PD 1, PT 1, offset 0xabc. */
#define VA 0x00007f8080201abcULL

static void build_4k(void)
{
	memset(ram, 0, sizeof(ram));
	put64(0x1000 + 255 * 8, 0x2000 | P | RW);
	put64(0x2000 + 2 * 8, 0x3000 | P | RW);
	put64(0x3000 + 1 * 8, 0x4000 | P | RW);
	put64(0x4000 + 1 * 8, 0x7000 | P | NX);	/* read-only, no-execute: still readable */
}

TEST(four_level_4k)
{
	struct pagewalk w;
	build_4k();
	CHECK_EQ(pagewalk(&lm, ram_read, NULL, VA, &w), 0);
	CHECK_EQ(w.gpa, 0x7abc);
	CHECK_EQ(w.page_size, 4096);
	CHECK_EQ(w.levels, 4);
	CHECK_EQ(w.entry_gpa[0], 0x1000 + 255 * 8);
	CHECK_EQ(w.entry[3], 0x7000 | P | NX);
	/* Walking sets no accessed or dirty bit. */
	uint64_t e;
	memcpy(&e, ram + 0x4008, 8);
	CHECK_EQ(e, 0x7000 | P | NX);
}

TEST(two_mib_page)
{
	struct pagewalk w;
	build_4k();
	put64(0x3000 + 1 * 8, 0x600000 | P | PS | (1ULL << 12) /* PAT */);
	CHECK_EQ(pagewalk(&lm, ram_read, NULL, VA, &w), 0);
	CHECK_EQ(w.gpa, 0x600000 + 0x1abc);
	CHECK_EQ(w.page_size, 2u << 20);
	CHECK_EQ(w.levels, 3);
}

TEST(one_gib_page)
{
	struct pagewalk w;
	build_4k();
	put64(0x2000 + 2 * 8, 0x40000000ULL | P | PS);
	CHECK_EQ(pagewalk(&lm, ram_read, NULL, VA, &w), 0);
	CHECK_EQ(w.gpa, 0x40000000ULL + 0x201abc);
	CHECK_EQ(w.page_size, 1ULL << 30);
	CHECK_EQ(w.levels, 2);
}

TEST(not_present_at_each_level)
{
	struct pagewalk w;
	for (int level = 0; level < 4; level++) {
		static const uint64_t entry[] = { 0x1000 + 255 * 8, 0x2000 + 16, 0x3000 + 8, 0x4000 + 8 };
		build_4k();
		uint64_t e;
		memcpy(&e, ram + entry[level], 8);
		put64(entry[level], e & ~P);
		CHECK_EQ(pagewalk(&lm, ram_read, NULL, VA, &w), -EFAULT);
		CHECK_EQ(w.levels, level + 1);
	}
	build_4k();
	put64(0x1000 + 255 * 8, 0x2000 | P | PS);	/* PS is reserved in a PML4E */
	CHECK_EQ(pagewalk(&lm, ram_read, NULL, VA, &w), -EFAULT);
}

TEST(non_canonical)
{
	struct pagewalk w;
	build_4k();
	reads = 0;
	CHECK_EQ(pagewalk(&lm, ram_read, NULL, 0x0000800000000000ULL, &w), -EINVAL);
	CHECK_EQ(pagewalk(&lm, ram_read, NULL, 0xfff0000000000000ULL, &w), -EINVAL);
	CHECK_EQ(reads, 0);	/* refused before touching memory */
	/* The same index with the sign extension is canonical and walks. */
	CHECK_EQ(pagewalk(&lm, ram_read, NULL, 0xffff800000000000ULL, &w), -EFAULT);
	CHECK_EQ(w.entry_gpa[0], 0x1000 + 256 * 8);
}

TEST(tables_outside_ram)
{
	struct pagewalk w;
	build_4k();
	put64(0x2000 + 2 * 8, 0x7ff000000ULL | P);	/* PD far past RAM */
	CHECK_EQ(pagewalk(&lm, ram_read, NULL, VA, &w), -EIO);
	struct pagewalk_cpu bad = lm;
	bad.cr3 = 0xfffff000;
	CHECK_EQ(pagewalk(&bad, ram_read, NULL, VA, &w), -EIO);
	/* A leaf outside RAM translates fine; reading it is what fails. */
	build_4k();
	put64(0x4000 + 8, 0x123456000ULL | P);
	CHECK_EQ(pagewalk(&lm, ram_read, NULL, VA, &w), 0);
	CHECK_EQ(w.gpa, 0x123456abcULL);
	uint8_t b;
	CHECK_EQ(pagewalk_copy(&lm, ram_read, NULL, NULL, VA, &b, 1), -EIO);
}

TEST(paging_off_is_physical)
{
	struct pagewalk w;
	struct pagewalk_cpu real = { 0x11, 0, 0, 0 };
	CHECK_EQ(pagewalk(&real, ram_read, NULL, 0x12345, &w), 0);
	CHECK_EQ(w.gpa, 0x12345);
	CHECK_EQ(w.levels, 0);
}

TEST(pae_and_32bit)
{
	struct pagewalk w;
	memset(ram, 0, sizeof(ram));
	/* PAE: PDPT at 0x1020 (32-byte aligned), va 0xc0401234: PDPT 3, PD 2, PT 1. */
	struct pagewalk_cpu pae = { 0x80000011, 0x1020, 0x20, 0 };
	put64(0x1020 + 3 * 8, 0x2000 | P);
	put64(0x2000 + 2 * 8, 0x3000 | P);
	put64(0x3000 + 1 * 8, 0x9000 | P);
	CHECK_EQ(pagewalk(&pae, ram_read, NULL, 0xc0401234, &w), 0);
	CHECK_EQ(w.gpa, 0x9234);
	put64(0x2000 + 2 * 8, 0x800000 | P | PS);
	CHECK_EQ(pagewalk(&pae, ram_read, NULL, 0xc0401234, &w), 0);
	CHECK_EQ(w.gpa, 0x801234);
	CHECK_EQ(w.page_size, 2u << 20);

	/* 32-bit paging, va 0x00c01234: PD index 3, PT index 1. */
	memset(ram, 0, sizeof(ram));
	struct pagewalk_cpu p32 = { 0x80000011, 0x1000, 0, 0 };
	put32(0x1000 + 3 * 4, 0x2000 | P);
	put32(0x2000 + 1 * 4, 0x5000 | P);
	CHECK_EQ(pagewalk(&p32, ram_read, NULL, 0x00c01234, &w), 0);
	CHECK_EQ(w.gpa, 0x5234);
	/* With CR4.PSE a PDE with PS maps 4 MiB (PSE-36 bits 20:13 give physical 39:32). */
	put32(0x1000 + 3 * 4, 0x00402000 | P | PS);
	p32.cr4 = 0x10;
	CHECK_EQ(pagewalk(&p32, ram_read, NULL, 0x00c01234, &w), 0);
	CHECK_EQ(w.gpa, 0x100401234ULL);
	CHECK_EQ(w.page_size, 4u << 20);
	/* Without CR4.PSE the PS bit is ignored: the PDE points at a table. */
	p32.cr4 = 0;
	put32(0x1000 + 3 * 4, 0x2000 | P | PS);
	CHECK_EQ(pagewalk(&p32, ram_read, NULL, 0x00c01234, &w), 0);
	CHECK_EQ(w.gpa, 0x5234);
}

TEST(five_level)
{
	struct pagewalk w;
	memset(ram, 0, sizeof(ram));
	struct pagewalk_cpu la57 = { 0x80000011, 0x1000, 0x20 | 0x1000, 0x500 };
	/* va 0x0002000000005010: PML5 index 2, then zeros, PT index 5. */
	put64(0x1000 + 2 * 8, 0x2000 | P);
	put64(0x2000, 0x3000 | P);
	put64(0x3000, 0x4000 | P);
	put64(0x4000, 0x5000 | P);
	put64(0x5000 + 5 * 8, 0x8000 | P);
	CHECK_EQ(pagewalk(&la57, ram_read, NULL, 0x0002000000005010ULL, &w), 0);
	CHECK_EQ(w.gpa, 0x8010);
	CHECK_EQ(w.levels, 5);
	/* Canonical with 57 bits but not with 48. */
	CHECK_EQ(pagewalk(&lm, ram_read, NULL, 0x0002000000005010ULL, &w), -EINVAL);
}

TEST(copy_stops_at_unmapped_page)
{
	build_4k();
	/* PT index 1 maps 0x7000; index 2 (the next page) is not present. */
	memset(ram + 0x7000, 0xab, 4096);
	uint8_t buf[0x1000];
	uint64_t va = VA & ~0xfffULL;
	CHECK_EQ(pagewalk_copy(&lm, ram_read, NULL, NULL, va + 0xff0, buf, 0x20), 0x10);
	CHECK_EQ(buf[0xf], 0xab);
	CHECK_EQ(pagewalk_copy(&lm, ram_read, NULL, NULL, va + 0x1000, buf, 4), -EFAULT);
	/* Across two mapped pages, with a write. */
	put64(0x4000 + 2 * 8, 0x8000 | P | RW);
	uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	CHECK_EQ(pagewalk_copy(&lm, ram_read, ram_write, NULL, va + 0xffc, data, 8), 8);
	CHECK(!memcmp(ram + 0x7ffc, data, 4));
	CHECK(!memcmp(ram + 0x8000, data + 4, 4));
}

RUN_TESTS(T(four_level_4k), T(two_mib_page), T(one_gib_page), T(not_present_at_each_level),
	  T(non_canonical), T(tables_outside_ram), T(paging_off_is_physical), T(pae_and_32bit),
	  T(five_level), T(copy_stops_at_unmapped_page))
