/* The ACPI tables (core/acpi_tables.c), read the way Linux's ACPICA reads them: from the RSDP
 * through the XSDT to each table, checking signatures, lengths, checksums and the fields the
 * kernel uses, against the ACPI 6.5 layouts and the devices the tables describe. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/acpi_tables.h"
#include "core/memory.h"
#include "devices/acpi_pm.h"
#include "devices/reset.h"
#include "tests/unit/check.h"

static uint8_t tables[ACPI_TABLES_SIZE];

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static bool sums_to_zero(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

/* The table at guest physical address gpa, or NULL when it lies outside the tables' area. */
static const uint8_t *at(uint64_t gpa, uint32_t len)
{
	if (gpa < ACPI_TABLES_GPA || gpa + len > ACPI_TABLES_GPA + ACPI_TABLES_SIZE)
		return NULL;
	return tables + (gpa - ACPI_TABLES_GPA);
}

/* A system description table at gpa with this signature, whole and summing to zero. */
static const uint8_t *sdt(uint64_t gpa, const char sig[4])
{
	const uint8_t *p = at(gpa, 36);
	if (!p || memcmp(p, sig, 4) || !at(gpa, rd32(p + 4)) || !sums_to_zero(p, rd32(p + 4)))
		return NULL;
	return p;
}

/* The XSDT entry with this signature, as acpi_tb_parse_root_table finds it. */
static const uint8_t *find_table(const char sig[4])
{
	const uint8_t *xsdt = sdt(rd64(tables + 24), "XSDT");
	if (!xsdt)
		return NULL;
	for (uint32_t off = 36; off + 8 <= rd32(xsdt + 4); off += 8) {
		const uint8_t *t = sdt(rd64(xsdt + off), sig);
		if (t)
			return t;
	}
	return NULL;
}

static void build(void)
{
	memset(tables, 0xa5, sizeof(tables)); /* bytes the builder leaves out would show */
	acpi_tables_build(tables);
}

TEST(rsdp_is_found_by_the_bios_area_scan)
{
	build();
	/* The scan looks at 16-byte boundaries of 0xe0000-0xfffff for "RSD PTR " with a valid
	 * ACPI 1.0 checksum (20 bytes) and, from revision 2, the extended one (length bytes). */
	CHECK(ACPI_RSDP_GPA >= 0xe0000 && ACPI_RSDP_GPA + 36 <= 0x100000);
	CHECK_EQ(ACPI_RSDP_GPA % 16, 0);
	const uint8_t *r = at(ACPI_RSDP_GPA, 36);
	CHECK(r && !memcmp(r, "RSD PTR ", 8));
	CHECK(sums_to_zero(r, 20));
	CHECK_EQ(r[15], 2);
	CHECK_EQ(rd32(r + 20), 36);
	CHECK(sums_to_zero(r, 36));
	CHECK(!memcmp(r + 9, "REWIND", 6));
	CHECK_EQ(rd32(r + 16), 0); /* no RSDT: revision 2 readers take the XSDT */
	CHECK(sdt(rd64(r + 24), "XSDT"));
}

TEST(xsdt_lists_fadt_and_madt)
{
	build();
	const uint8_t *x = sdt(rd64(tables + 24), "XSDT");
	CHECK(x);
	CHECK_EQ(rd32(x + 4), 36 + 2 * 8);
	CHECK_EQ(x[8], 1);
	CHECK(sdt(rd64(x + 36), "FACP"));
	CHECK(sdt(rd64(x + 44), "APIC"));
	/* The common header every table has: OEM and creator ids Linux prints. */
	CHECK(!memcmp(x + 10, "REWIND", 6));
	CHECK(!memcmp(x + 16, "REWINDVM", 8));
	CHECK(!memcmp(x + 28, "RWND", 4));
}

TEST(fadt_describes_the_pm_registers_and_reset)
{
	build();
	const uint8_t *f = find_table("FACP");
	CHECK(f);
	CHECK_EQ(rd32(f + 4), 276); /* ACPI 6.x length */
	CHECK_EQ(f[8], 6);
	CHECK_EQ(f[131], 5);        /* minor version */
	CHECK_EQ(rd16(f + 46), ACPI_SCI_IRQ);
	CHECK_EQ(rd32(f + 48), 0);  /* no SMI_CMD: always in ACPI mode */
	CHECK_EQ(rd32(f + 56), ACPI_PM_BASE);
	CHECK_EQ(rd32(f + 64), ACPI_PM1_CNT);
	CHECK_EQ(rd32(f + 60) | rd32(f + 68) | rd32(f + 72), 0); /* no PM1b, no PM2 */
	CHECK_EQ(rd32(f + 76), 0);  /* no PM timer */
	CHECK_EQ(f[91], 0);
	CHECK_EQ(rd32(f + 80) | rd32(f + 84) | f[92] | f[93], 0); /* no GPE blocks */
	CHECK_EQ(f[88], ACPI_PM1_EVT_LEN);
	CHECK_EQ(f[89], ACPI_PM1_CNT_LEN);
	CHECK(rd16(f + 96) > 100);  /* no C2 */
	CHECK(rd16(f + 98) > 1000); /* no C3 */
	CHECK_EQ(f[108], 0x32);     /* the RTC's century register */
	CHECK_EQ(rd16(f + 109), 0x000d); /* legacy devices, no VGA, no MSI; no 8042 */
	CHECK_EQ(rd32(f + 112), 0x0475); /* WBINVD, C1, no fixed buttons, no RTC wake, reset reg */
	/* The 64-bit forms ACPICA prefers, equal to the 32-bit ones (no mismatch warning). */
	static const uint8_t evt[12] = { 1, 32, 0, 2, ACPI_PM_BASE & 0xff, ACPI_PM_BASE >> 8 };
	static const uint8_t cnt[12] = { 1, 16, 0, 2, ACPI_PM1_CNT & 0xff, ACPI_PM1_CNT >> 8 };
	CHECK(!memcmp(f + 148, evt, 12));
	CHECK(!memcmp(f + 172, cnt, 12));
	static const uint8_t zero_gas[12];
	for (int off = 160; off < 268; off += 12)
		CHECK(off == 172 || !memcmp(f + off, zero_gas, 12));
	/* Reset register: byte 0x06 to 0xcf9, what devices/reset.c takes as a reset. */
	static const uint8_t reset[12] = { 1, 8, 0, 1, RESET_CF9 & 0xff, RESET_CF9 >> 8 };
	CHECK(!memcmp(f + 116, reset, 12));
	CHECK_EQ(f[128], 0x06);
}

TEST(fadt_points_at_facs_and_dsdt)
{
	build();
	const uint8_t *f = find_table("FACP");
	CHECK(f);
	/* FIRMWARE_CTRL only: with X_FIRMWARE_CTRL too, Linux installs the FACS twice. */
	CHECK_EQ(rd64(f + 132), 0);
	CHECK_EQ(rd32(f + 40), rd64(f + 140));
	const uint8_t *facs = at(rd32(f + 36), 64);
	CHECK(facs);
	CHECK_EQ(rd32(f + 36) % 64, 0); /* the FACS must be 64-byte aligned */
	CHECK(!memcmp(facs, "FACS", 4));
	CHECK_EQ(rd32(facs + 4), 64);
	CHECK_EQ(facs[32], 2);
	CHECK_EQ(rd32(facs + 8) | rd32(facs + 12) | rd32(facs + 16) | rd32(facs + 20), 0);
	const uint8_t *d = sdt(rd64(f + 140), "DSDT");
	CHECK(d);
	CHECK_EQ(d[8], 2);
}

/* The DSDT holds exactly Name (\_S0_, Package {0, 0, 0, 0}) and
 * Name (\_S5_, Package {5, 5, 0, 0}) in AML. */
TEST(dsdt_declares_s0_and_s5)
{
	build();
	const uint8_t *f = find_table("FACP");
	CHECK(f);
	const uint8_t *d = sdt(rd64(f + 140), "DSDT");
	CHECK(d);
	static const uint8_t aml[] = {
		0x08, '\\', '_', 'S', '0', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
		0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, ACPI_SLP_TYP_S5,
		0x0a, ACPI_SLP_TYP_S5, 0x00, 0x00,
	};
	CHECK_EQ(rd32(d + 4), 36 + sizeof(aml));
	CHECK(!memcmp(d + 36, aml, sizeof(aml)));
}

TEST(madt_one_cpu_and_the_8259s)
{
	build();
	const uint8_t *m = find_table("APIC");
	CHECK(m);
	CHECK_EQ(rd32(m + 4), 52);
	CHECK_EQ(rd32(m + 36), 0xfee00000u);
	CHECK_EQ(rd32(m + 40), 1); /* PCAT_COMPAT */
	static const uint8_t lapic[8] = { 0, 8, 0, 0, 1, 0, 0, 0 };
	CHECK(!memcmp(m + 44, lapic, 8));
	/* Nothing else: in particular no I/O APIC (type 1) entry. */
}

TEST(bytes_are_the_same_every_time)
{
	static uint8_t a[ACPI_TABLES_SIZE], b[ACPI_TABLES_SIZE];
	memset(a, 0x00, sizeof(a));
	memset(b, 0xff, sizeof(b));
	acpi_tables_build(a);
	acpi_tables_build(b);
	CHECK(!memcmp(a, b, sizeof(a)));
}

TEST(install_writes_guest_ram)
{
	struct guest_mem mem;
	CHECK_EQ(guest_mem_init(&mem, 2ULL << 20), 0);
	build();
	CHECK_EQ(acpi_tables_install(&mem), 0);
	CHECK(!memcmp(mem.host + ACPI_TABLES_GPA, tables, ACPI_TABLES_SIZE));
	guest_mem_free(&mem);
	/* RAM that ends below the BIOS area has no room for them. */
	CHECK_EQ(guest_mem_init(&mem, 512ULL << 10), 0);
	CHECK_EQ(acpi_tables_install(&mem), -ERANGE);
	guest_mem_free(&mem);
}

RUN_TESTS(T(rsdp_is_found_by_the_bios_area_scan), T(xsdt_lists_fadt_and_madt),
	  T(fadt_describes_the_pm_registers_and_reset), T(fadt_points_at_facs_and_dsdt),
	  T(dsdt_declares_s0_and_s5), T(madt_one_cpu_and_the_8259s),
	  T(bytes_are_the_same_every_time), T(install_writes_guest_ram))
