/* The ACPI PM1a registers (devices/acpi_pm.c): PM1_STS, PM1_EN, PM1_CNT as ACPI 6.5 4.8.3
 * defines them, S5 entry, and garbage from the guest. */
#include <stddef.h>

#include "devices/acpi_pm.h"
#include "tests/unit/check.h"
#include "tests/unit/devtest.h"

struct fixture {
	struct bus bus;
	struct acpi_pm pm;
	int power_offs;
};

static void note_power_off(void *ctx)
{
	((struct fixture *)ctx)->power_offs++;
}

static int setup(struct fixture *f)
{
	bus_init(&f->bus, NULL);
	f->power_offs = 0;
	return acpi_pm_init(&f->pm, &f->bus, note_power_off, f);
}

static void out(struct fixture *f, uint16_t port, uint64_t v, int size)
{
	bus_write(&f->bus, BUS_PIO, port, v, size);
}

static uint64_t in(struct fixture *f, uint16_t port, int size)
{
	return bus_read(&f->bus, BUS_PIO, port, size);
}

#define PM1_STS ACPI_PM_BASE
#define PM1_EN (ACPI_PM_BASE + 2)
#define PM1_CNT ACPI_PM1_CNT
#define SLP(typ) ((unsigned)(typ) << ACPI_PM1_SLP_TYP_SHIFT)

TEST(power_on_state)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(in(&f, PM1_STS, 2), 0);
	CHECK_EQ(in(&f, PM1_EN, 2), 0);
	CHECK_EQ(in(&f, PM1_CNT, 2), ACPI_PM1_SCI_EN); /* in ACPI mode from the start */
	CHECK_EQ(in(&f, PM1_STS, 4), 0); /* STS and EN as one dword */
	CHECK_EQ(in(&f, PM1_CNT + 2, 1), 0xff); /* past the block: nothing */
}

/* What ACPICA's acpi_hw_legacy_sleep does for S5: SLP_TYP first, then SLP_TYP | SLP_EN. */
TEST(s5_powers_off)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, PM1_STS, 0xffff, 2); /* clear all status, as ACPICA does first */
	out(&f, PM1_CNT, ACPI_PM1_SCI_EN | SLP(ACPI_SLP_TYP_S5), 2);
	CHECK_EQ(f.power_offs, 0);
	CHECK_EQ(in(&f, PM1_CNT, 2), ACPI_PM1_SCI_EN | SLP(ACPI_SLP_TYP_S5));
	out(&f, PM1_CNT, ACPI_PM1_SCI_EN | SLP(ACPI_SLP_TYP_S5) | ACPI_PM1_SLP_EN, 2);
	CHECK_EQ(f.power_offs, 1);
	/* SLP_EN is write-only: it reads 0. */
	CHECK_EQ(in(&f, PM1_CNT, 2), ACPI_PM1_SCI_EN | SLP(ACPI_SLP_TYP_S5));
	/* One write with both, as a guest may do it, and the high byte alone. */
	out(&f, PM1_CNT, SLP(ACPI_SLP_TYP_S5) | ACPI_PM1_SLP_EN, 2);
	CHECK_EQ(f.power_offs, 2);
	out(&f, PM1_CNT + 1, (SLP(ACPI_SLP_TYP_S5) | ACPI_PM1_SLP_EN) >> 8, 1);
	CHECK_EQ(f.power_offs, 3);
}

TEST(other_sleep_types_do_nothing)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	for (unsigned typ = 0; typ < 8; typ++) {
		if (typ == ACPI_SLP_TYP_S5)
			continue;
		out(&f, PM1_CNT, SLP(typ) | ACPI_PM1_SLP_EN, 2);
		CHECK_EQ(in(&f, PM1_CNT, 2), ACPI_PM1_SCI_EN | SLP(typ));
	}
	CHECK_EQ(f.power_offs, 0);
	/* S5's type without SLP_EN only stores it; the low byte alone never sleeps. */
	out(&f, PM1_CNT, SLP(ACPI_SLP_TYP_S5), 2);
	out(&f, PM1_CNT, 0xff, 1);
	CHECK_EQ(f.power_offs, 0);
}

TEST(pm1_cnt_fixed_and_write_only_bits)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	/* SCI_EN cannot be cleared; GBL_RLS and reserved bits read 0; BM_RLD is kept. */
	out(&f, PM1_CNT, 0, 2);
	CHECK_EQ(in(&f, PM1_CNT, 2), ACPI_PM1_SCI_EN);
	out(&f, PM1_CNT, ACPI_PM1_BM_RLD | ACPI_PM1_GBL_RLS | 0x03f8 | 0xc000, 2);
	CHECK_EQ(in(&f, PM1_CNT, 2), ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD);
	/* A byte write changes only its byte. */
	out(&f, PM1_CNT + 1, SLP(3) >> 8, 1);
	CHECK_EQ(in(&f, PM1_CNT, 2), ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD | SLP(3));
	out(&f, PM1_CNT, 0, 1);
	CHECK_EQ(in(&f, PM1_CNT, 2), ACPI_PM1_SCI_EN | SLP(3));
	CHECK_EQ(in(&f, PM1_CNT + 1, 1), SLP(3) >> 8);
}

TEST(pm1_en_keeps_enable_bits_and_sts_stays_clear)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, PM1_EN, 0xffff, 2);
	CHECK_EQ(in(&f, PM1_EN, 2), ACPI_PM1_EN_BITS);
	CHECK_EQ(in(&f, PM1_STS, 2), 0); /* no event source: no status bit */
	out(&f, PM1_EN + 1, 0, 1);
	CHECK_EQ(in(&f, PM1_EN, 2), ACPI_PM1_EN_BITS & 0xff);
	/* A dword write at PM1_STS reaches PM1_EN through its upper half. */
	out(&f, PM1_STS, (uint32_t)ACPI_PM1_PWRBTN_EN << 16 | 0xffff, 4);
	CHECK_EQ(in(&f, PM1_EN, 2), ACPI_PM1_PWRBTN_EN);
	CHECK_EQ(in(&f, PM1_STS, 4), (uint32_t)ACPI_PM1_PWRBTN_EN << 16);
	CHECK_EQ(f.power_offs, 0);
}

/* Unaligned accesses are byte lanes at consecutive ports: a word at PM1_EN + 1 is EN's high
 * byte and CNT's low byte; a dword at 0x603 ends past the block. */
TEST(unaligned_accesses_are_byte_lanes)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, PM1_EN + 1, 0xff01, 2); /* EN high byte 0x01, CNT low byte 0xff */
	CHECK_EQ(in(&f, PM1_EN, 2), ACPI_PM1_PWRBTN_EN);
	CHECK_EQ(in(&f, PM1_CNT, 2), ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD);
	CHECK_EQ(in(&f, PM1_EN + 1, 4), 0xff000300 | 0x01);
	uint32_t s5 = SLP(ACPI_SLP_TYP_S5) | ACPI_PM1_SLP_EN;
	out(&f, PM1_EN + 1, s5 << 16, 4);
	CHECK_EQ(f.power_offs, 0); /* the SLP_EN byte went to 0x606, past the block */
	out(&f, PM1_EN + 1, s5 << 8, 4);
	CHECK_EQ(f.power_offs, 1); /* its third byte is PM1_CNT's high byte */
}

TEST(save_load)
{
	struct fixture a, b;
	uint8_t blob[64], blob2[64];
	CHECK_EQ(setup(&a), 0);
	CHECK_EQ(setup(&b), 0);
	out(&a, PM1_EN, ACPI_PM1_RTC_EN, 2);
	out(&a, PM1_CNT, ACPI_PM1_BM_RLD | SLP(ACPI_SLP_TYP_S5), 2);
	struct device da = acpi_pm_device(&a.pm), db = acpi_pm_device(&b.pm);
	long n = da.save(da.opaque, blob, sizeof(blob));
	CHECK_EQ(n, 8 + sizeof(struct acpi_pm_state));
	CHECK_EQ(da.save(da.opaque, blob, (size_t)n - 1), -1);
	CHECK_EQ(db.load(db.opaque, blob, (size_t)n), 0);
	CHECK_EQ(db.save(db.opaque, blob2, sizeof(blob2)), n);
	CHECK(memcmp(blob, blob2, (size_t)n) == 0);
	CHECK_EQ(in(&b, PM1_EN, 2), ACPI_PM1_RTC_EN);
	/* The sleep type came along: SLP_EN alone now powers off. */
	out(&b, PM1_CNT + 1, ACPI_PM1_SLP_EN >> 8 | SLP(ACPI_SLP_TYP_S5) >> 8, 1);
	CHECK_EQ(b.power_offs, 1);
	CHECK_EQ(db.load(db.opaque, blob, (size_t)n + 1), -1);
	/* States the registers cannot hold are refused, and leave the device as it was. */
	uint8_t bad[64];
	memcpy(bad, blob, (size_t)n);
	bad[8 + offsetof(struct acpi_pm_state, pm1_en)] = 0x02; /* a reserved EN bit */
	CHECK_EQ(db.load(db.opaque, bad, (size_t)n), -1);
	memcpy(bad, blob, (size_t)n);
	bad[8 + offsetof(struct acpi_pm_state, pm1_cnt)] &= (uint8_t)~ACPI_PM1_SCI_EN;
	CHECK_EQ(db.load(db.opaque, bad, (size_t)n), -1);
	memcpy(bad, blob, (size_t)n);
	bad[8 + offsetof(struct acpi_pm_state, pm1_cnt) + 1] |= ACPI_PM1_SLP_EN >> 8;
	CHECK_EQ(db.load(db.opaque, bad, (size_t)n), -1);
	memcpy(bad, blob, (size_t)n);
	bad[0] ^= 1; /* another tag */
	CHECK_EQ(db.load(db.opaque, bad, (size_t)n), -1);
	CHECK_EQ(in(&b, PM1_EN, 2), ACPI_PM1_RTC_EN);
}

TEST(without_callback)
{
	struct bus bus;
	struct acpi_pm pm;
	bus_init(&bus, NULL);
	CHECK_EQ(acpi_pm_init(&pm, &bus, NULL, NULL), 0);
	bus_write(&bus, BUS_PIO, PM1_CNT, SLP(ACPI_SLP_TYP_S5) | ACPI_PM1_SLP_EN, 2);
	CHECK_EQ(bus_read(&bus, BUS_PIO, PM1_CNT, 2), ACPI_PM1_SCI_EN | SLP(ACPI_SLP_TYP_S5));
}

TEST(garbage_never_crashes)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	for (uint64_t seed = 1; seed < 300; seed++) {
		test_fuzz_ports(&f.bus, NULL, NULL, ACPI_PM_BASE, ACPI_PM_LEN, seed, 100);
		/* Whatever was written, the registers hold only what they can hold. */
		CHECK_EQ(in(&f, PM1_STS, 2), 0);
		CHECK_EQ(in(&f, PM1_EN, 2) & ~ACPI_PM1_EN_BITS, 0);
		CHECK_EQ(in(&f, PM1_CNT, 2) & ~(ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP),
			 0);
		CHECK(in(&f, PM1_CNT, 2) & ACPI_PM1_SCI_EN);
	}
	CHECK(f.power_offs > 0);
}

RUN_TESTS(T(power_on_state), T(s5_powers_off), T(other_sleep_types_do_nothing),
	  T(pm1_cnt_fixed_and_write_only_bits), T(pm1_en_keeps_enable_bits_and_sts_stays_clear),
	  T(unaligned_accesses_are_byte_lanes), T(save_load), T(without_callback),
	  T(garbage_never_crashes))
