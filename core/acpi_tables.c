/* ACPI tables for rewind's PC (ACPI 6.5: RSDP 5.2.5, XSDT 5.2.8, FADT 5.2.9, FACS 5.2.10, DSDT
 * 5.2.11.1, MADT 5.2.12). Layout, from ACPI_TABLES_GPA:
 *   0x000 RSDP (36 bytes)    0x040 XSDT: FADT, MADT    0x080 FACS (64-byte aligned)
 *   0x100 FADT (276 bytes)   0x240 MADT                0x280 DSDT */
#include "core/acpi_tables.h"

#include <errno.h>
#include <string.h>

#include "core/memory.h"
#include "devices/acpi_pm.h"
#include "devices/reset.h"

enum {
	RSDP_AT = 0x000,
	XSDT_AT = 0x040,
	FACS_AT = 0x080,
	FADT_AT = 0x100,
	MADT_AT = 0x240,
	DSDT_AT = 0x280,
};

#define OEM_ID "REWIND"		/* 6 bytes */
#define OEM_TABLE_ID "REWINDVM"	/* 8 bytes */
#define OEM_REVISION 1
#define CREATOR_ID "RWND"
#define CREATOR_REVISION 1

#define SDT_HEADER_LEN 36
#define RSDP_LEN 36
#define RSDP_V1_LEN 20		/* what the first checksum covers */
#define FACS_LEN 64
#define FADT_LEN 276
#define MADT_LEN (SDT_HEADER_LEN + 8 + 8)

/* FADT offsets (ACPI 6.5, 5.2.9). */
enum {
	FADT_FIRMWARE_CTRL = 36, FADT_DSDT = 40, FADT_SCI_INT = 46,
	FADT_PM1A_EVT_BLK = 56, FADT_PM1A_CNT_BLK = 64,
	FADT_PM1_EVT_LEN = 88, FADT_PM1_CNT_LEN = 89,
	FADT_P_LVL2_LAT = 96, FADT_P_LVL3_LAT = 98,
	FADT_CENTURY = 108, FADT_IAPC_BOOT_ARCH = 109, FADT_FLAGS = 112,
	FADT_RESET_REG = 116, FADT_RESET_VALUE = 128, FADT_MINOR_VERSION = 131,
	FADT_X_DSDT = 140,
	FADT_X_PM1A_EVT_BLK = 148, FADT_X_PM1A_CNT_BLK = 172,
};

/* IAPC_BOOT_ARCH: ISA devices (UART, RTC, PIT, PIC) are there; no VGA; MSI cannot be
 * delivered without a local APIC. The 8042 flag is clear: only its reset line is modelled. */
#define BOOT_ARCH_LEGACY_DEVICES 0x0001
#define BOOT_ARCH_VGA_NOT_PRESENT 0x0004
#define BOOT_ARCH_MSI_NOT_SUPPORTED 0x0008

/* FADT flags: WBINVD works, C1 (hlt) works; no fixed power or sleep button and no RTC wake
 * status in PM1 (control-method or absent); the reset register below works. */
#define FADT_F_WBINVD 0x0001
#define FADT_F_PROC_C1 0x0004
#define FADT_F_PWR_BUTTON 0x0010
#define FADT_F_SLP_BUTTON 0x0020
#define FADT_F_FIX_RTC 0x0040
#define FADT_F_RESET_REG_SUP 0x0400

/* Latencies above these limits say "C2/C3 not supported" (ACPI 6.5, 5.2.9). */
#define P_LVL2_UNSUPPORTED 101
#define P_LVL3_UNSUPPORTED 1001

#define RTC_CENTURY_INDEX 0x32	/* devices/rtc.c keeps the century there */
#define RESET_CF9_VALUE 0x06	/* SYS_RST | RST_CPU: bit 2 rising resets (devices/reset.c) */

#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2

#define MADT_LAPIC_ADDRESS 0xfee00000u
#define MADT_PCAT_COMPAT 0x1	/* the 8259A pair is there */
#define MADT_TYPE_LOCAL_APIC 0
#define MADT_LAPIC_ENABLED 0x1

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* The byte that makes the sum of p[0..len) zero, written at p[at]. */
static void set_checksum(uint8_t *p, int len, int at)
{
	uint8_t sum = 0;
	p[at] = 0;
	for (int i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	p[at] = (uint8_t)-sum;
}

static void sdt_header(uint8_t *p, const char sig[4], uint32_t len, uint8_t revision)
{
	memcpy(p, sig, 4);
	put32(p + 4, len);
	p[8] = revision;
	memcpy(p + 10, OEM_ID, 6);
	memcpy(p + 16, OEM_TABLE_ID, 8);
	put32(p + 24, OEM_REVISION);
	memcpy(p + 28, CREATOR_ID, 4);
	put32(p + 32, CREATOR_REVISION);
}

static void gas_io(uint8_t *p, uint8_t bits, uint8_t access, uint16_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;
	put64(p + 4, port);
}

/* DSDT body in AML (ACPI 6.5, chapter 20): Name (\_S0_, Package () {0, 0, 0, 0}) and
 * Name (\_S5_, Package () {5, 5, 0, 0}): the SLP_TYP values for PM1a and PM1b of the working
 * state and of soft-off, as devices/acpi_pm.c decodes them. */
#define AML_NAME_OP 0x08
#define AML_ROOT_CHAR 0x5c
#define AML_PACKAGE_OP 0x12
#define AML_BYTE_PREFIX 0x0a
#define AML_ZERO_OP 0x00

/* An integer constant: ZeroOp for 0, else ByteConst. */
static int aml_byte_integer(uint8_t *p, uint8_t v)
{
	if (!v) {
		p[0] = AML_ZERO_OP;
		return 1;
	}
	p[0] = AML_BYTE_PREFIX;
	p[1] = v;
	return 2;
}

static int aml_sleep_state(uint8_t *p, char digit, uint8_t slp_typ)
{
	uint8_t elements[8];
	int e = 0;
	e += aml_byte_integer(elements + e, slp_typ); /* SLP_TYPa */
	e += aml_byte_integer(elements + e, slp_typ); /* SLP_TYPb (no PM1b block: unused) */
	e += aml_byte_integer(elements + e, 0);	       /* reserved */
	e += aml_byte_integer(elements + e, 0);
	int n = 0;
	p[n++] = AML_NAME_OP;
	p[n++] = AML_ROOT_CHAR;
	p[n++] = '_';
	p[n++] = 'S';
	p[n++] = (uint8_t)digit;
	p[n++] = '_';
	p[n++] = AML_PACKAGE_OP;
	/* PkgLength, one byte since the package is under 64 bytes, counts itself and what
	 * follows: NumElements and the elements. */
	p[n++] = (uint8_t)(1 + 1 + e);
	p[n++] = 4; /* NumElements */
	memcpy(p + n, elements, (size_t)e);
	return n + e;
}

static uint32_t build_dsdt(uint8_t *p)
{
	int n = SDT_HEADER_LEN;
	n += aml_sleep_state(p + n, '0', ACPI_SLP_TYP_S0);
	n += aml_sleep_state(p + n, '5', ACPI_SLP_TYP_S5);
	sdt_header(p, "DSDT", (uint32_t)n, 2); /* revision 2: 64-bit integers */
	set_checksum(p, n, 9);
	return (uint32_t)n;
}

static void build_facs(uint8_t *p)
{
	memcpy(p, "FACS", 4);
	put32(p + 4, FACS_LEN);
	p[32] = 2; /* version; no waking vector, no global lock owner, no S4BIOS */
}

static void build_fadt(uint8_t *p, uint64_t base)
{
	uint64_t facs = base + FACS_AT, dsdt = base + DSDT_AT;
	sdt_header(p, "FACP", FADT_LEN, 6);
	/* The FACS in the 32-bit field only: ACPI 6.5 wants X_FIRMWARE_CTRL 0 when FIRMWARE_CTRL
	 * is set, and ACPICA installs a FACS for each field that is (Linux then lists it twice).
	 * The DSDT both ways, equal, which ACPICA takes without a warning. */
	put32(p + FADT_FIRMWARE_CTRL, (uint32_t)facs);
	put32(p + FADT_DSDT, (uint32_t)dsdt);
	put16(p + FADT_SCI_INT, ACPI_SCI_IRQ);
	/* SMI_CMD 0: no SMI handler, the machine is in ACPI mode from power-on (SCI_EN is 1). */
	put32(p + FADT_PM1A_EVT_BLK, ACPI_PM_BASE);
	put32(p + FADT_PM1A_CNT_BLK, ACPI_PM1_CNT);
	p[FADT_PM1_EVT_LEN] = ACPI_PM1_EVT_LEN;
	p[FADT_PM1_CNT_LEN] = ACPI_PM1_CNT_LEN;
	/* No PM timer (PM_TMR_BLK 0, optional since ACPI 5.0 and in ACPICA): a free-running
	 * 3.58 MHz counter read without an exit to the VMM could not be replayed. No GPE blocks. */
	put16(p + FADT_P_LVL2_LAT, P_LVL2_UNSUPPORTED);
	put16(p + FADT_P_LVL3_LAT, P_LVL3_UNSUPPORTED);
	p[FADT_CENTURY] = RTC_CENTURY_INDEX;
	put16(p + FADT_IAPC_BOOT_ARCH,
	      BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT | BOOT_ARCH_MSI_NOT_SUPPORTED);
	put32(p + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
				      FADT_F_SLP_BUTTON | FADT_F_FIX_RTC | FADT_F_RESET_REG_SUP);
	gas_io(p + FADT_RESET_REG, 8, GAS_ACCESS_BYTE, RESET_CF9);
	p[FADT_RESET_VALUE] = RESET_CF9_VALUE;
	p[FADT_MINOR_VERSION] = 5;
	put64(p + FADT_X_DSDT, dsdt);
	gas_io(p + FADT_X_PM1A_EVT_BLK, 8 * ACPI_PM1_EVT_LEN, GAS_ACCESS_WORD, ACPI_PM_BASE);
	gas_io(p + FADT_X_PM1A_CNT_BLK, 8 * ACPI_PM1_CNT_LEN, GAS_ACCESS_WORD, ACPI_PM1_CNT);
	set_checksum(p, FADT_LEN, 9);
}

/* One processor, whose local APIC the CPUID model hides (core/cpuid.c): Linux then ignores the
 * entry and keeps the 8259A (PCAT_COMPAT). No I/O APIC is listed: the machine has none, and
 * an APIC-capable guest must not look for one. */
static void build_madt(uint8_t *p)
{
	sdt_header(p, "APIC", MADT_LEN, 5);
	put32(p + 36, MADT_LAPIC_ADDRESS);
	put32(p + 40, MADT_PCAT_COMPAT);
	uint8_t *e = p + 44;
	e[0] = MADT_TYPE_LOCAL_APIC;
	e[1] = 8;
	e[2] = 0; /* ACPI processor UID */
	e[3] = 0; /* APIC ID */
	put32(e + 4, MADT_LAPIC_ENABLED);
	set_checksum(p, MADT_LEN, 9);
}

static void build_xsdt(uint8_t *p, uint64_t base)
{
	uint32_t len = SDT_HEADER_LEN + 2 * 8;
	sdt_header(p, "XSDT", len, 1);
	put64(p + 36, base + FADT_AT);
	put64(p + 44, base + MADT_AT);
	set_checksum(p, (int)len, 9);
}

static void build_rsdp(uint8_t *p, uint64_t base)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, OEM_ID, 6);
	p[15] = 2; /* revision: ACPI 2.0+, the XSDT is used; RsdtAddress stays 0 */
	put32(p + 20, RSDP_LEN);
	put64(p + 24, base + XSDT_AT);
	set_checksum(p, RSDP_V1_LEN, 8);
	set_checksum(p, RSDP_LEN, 32);
}

void acpi_tables_build(uint8_t buf[ACPI_TABLES_SIZE])
{
	memset(buf, 0, ACPI_TABLES_SIZE);
	build_dsdt(buf + DSDT_AT);
	build_facs(buf + FACS_AT);
	build_fadt(buf + FADT_AT, ACPI_TABLES_GPA);
	build_madt(buf + MADT_AT);
	build_xsdt(buf + XSDT_AT, ACPI_TABLES_GPA);
	build_rsdp(buf + RSDP_AT, ACPI_TABLES_GPA);
}

int acpi_tables_install(struct guest_mem *mem)
{
	uint8_t *dst = guest_mem_ptr(mem, ACPI_TABLES_GPA, ACPI_TABLES_SIZE);
	if (!dst)
		return -ERANGE;
	acpi_tables_build(dst);
	return 0;
}
