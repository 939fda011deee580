/* testos: powering the machine off through ACPI as an operating system does: the RSDP from
   the PVH start info (else the BIOS area scan), the FADT from the XSDT (or the RSDT of a
   revision 0 RSDP, as QEMU's -M pc has it), \_S5's first sleep type from the DSDT's AML, then
   SLP_TYPa | SLP_EN written to PM1a_CNT. Under rewind and QEMU alike the run then ends with
   status 0; if it does not, the workload says so and exits 4. */
#include "kernel.h"

#define SLP_TYP_SHIFT 10
#define SLP_EN 0x2000
#define AML_PACKAGE_OP 0x12
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_BYTE_PREFIX 0x0a

static u32 rd32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static u64 rd64(const u8 *p)
{
	return rd32(p) | (u64)rd32(p + 4) << 32;
}

static int same(const u8 *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (u8)s[i])
			return 0;
	return 1;
}

static int sums_to_zero(const u8 *p, u32 len)
{
	u8 sum = 0;
	for (u32 i = 0; i < len; i++)
		sum += p[i];
	return sum == 0;
}

/* A table inside the identity-mapped memory, with its signature and a valid checksum. */
static const u8 *table(u64 addr, const char *sig)
{
	if (!addr || addr > IDENTITY_MAPPED - 36)
		return NULL;
	const u8 *p = (const u8 *)addr;
	u32 len = rd32(p + 4);
	if (!same(p, sig, 4) || len < 36 || len > IDENTITY_MAPPED - addr || !sums_to_zero(p, len))
		return NULL;
	return p;
}

static const u8 *find_rsdp(void)
{
	if (boot_rsdp && boot_rsdp < IDENTITY_MAPPED - 20 && same((const u8 *)boot_rsdp, "RSD PTR ", 8))
		return (const u8 *)boot_rsdp;
	for (u64 a = 0xe0000; a < 0x100000; a += 16) {
		const u8 *p = (const u8 *)a;
		if (same(p, "RSD PTR ", 8) && sums_to_zero(p, 20))
			return p;
	}
	return NULL;
}

static const u8 *find_fadt(const u8 *rsdp)
{
	int wide = rsdp[15] >= 2 && rd64(rsdp + 24);
	const u8 *root = wide ? table(rd64(rsdp + 24), "XSDT") : table(rd32(rsdp + 16), "RSDT");
	if (!root)
		return NULL;
	u32 entry = wide ? 8 : 4;
	for (u32 off = 36; off + entry <= rd32(root + 4); off += entry) {
		const u8 *t = table(wide ? rd64(root + off) : rd32(root + off), "FACP");
		if (t)
			return t;
	}
	return NULL;
}

/* SLP_TYPa of Name (_S5_, Package () {a, b, ...}): the first element after the package's
   PkgLength and NumElements. -1 when the DSDT has no such package. */
static int s5_sleep_type(const u8 *dsdt)
{
	u32 len = rd32(dsdt + 4);
	for (u32 i = 36; i + 4 + 4 < len; i++) {
		if (!same(dsdt + i, "_S5_", 4) || dsdt[i + 4] != AML_PACKAGE_OP)
			continue;
		const u8 *p = dsdt + i + 5;
		p += 1 + (*p >> 6); /* PkgLength: bits 7-6 of its lead byte count the bytes after it */
		p += 1;             /* NumElements */
		if (p >= dsdt + len - 1)
			return -1;
		if (p[0] == AML_ZERO_OP || p[0] == AML_ONE_OP)
			return p[0];
		return p[0] == AML_BYTE_PREFIX ? p[1] : -1;
	}
	return -1;
}

void poweroff_start(void)
{
	const u8 *rsdp = find_rsdp();
	const u8 *fadt = rsdp ? find_fadt(rsdp) : NULL;
	if (!fadt) {
		kprintf("poweroff: no ACPI tables (RSDP %s)\n", rsdp ? "found, no FADT" : "not found");
		kexit(3);
	}
	u64 dsdt_addr = rd32(fadt + 4) >= 148 && rd64(fadt + 140) ? rd64(fadt + 140) : rd32(fadt + 40);
	const u8 *dsdt = table(dsdt_addr, "DSDT");
	int slp_typ = dsdt ? s5_sleep_type(dsdt) : -1;
	u16 pm1a_cnt = (u16)rd32(fadt + 64);
	if (slp_typ < 0 || !pm1a_cnt) {
		kprintf("poweroff: no \\_S5 or no PM1a_CNT in the tables\n");
		kexit(3);
	}
	kprintf("poweroff: ACPI S5 through PM1a_CNT 0x%x\n", pm1a_cnt);
	u16 v = (u16)((slp_typ & 7) << SLP_TYP_SHIFT | SLP_EN);
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(pm1a_cnt) : "memory");
	/* A machine may take a moment to lose power (QEMU stops the vCPU at its next exit to
	 * the main loop, a busy host later than an idle one); rewind ends the VM at the write. */
	for (u32 i = 0; i < 200000000; i++)
		__asm__ volatile("pause");
	kprintf("poweroff: still running after SLP_EN\n");
	kexit(4);
}
