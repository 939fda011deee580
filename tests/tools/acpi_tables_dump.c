/* Writes the ACPI tables rewind puts in guest RAM (core/acpi_tables.c) as one file per table,
 * named after its signature (RSDP.dat, XSDT.dat, FACP.dat, FACS.dat, APIC.dat, DSDT.dat), into
 * DIR: the form ACPICA's tools (iasl -d, acpiexec) read. Found by following the pointers from
 * the RSDP, as a kernel does, so a broken pointer shows as a missing file.
 *   usage: acpi_tables_dump DIR */
#include <stdio.h>
#include <string.h>

#include "core/acpi_tables.h"

static uint8_t tables[ACPI_TABLES_SIZE];

static uint64_t le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static const uint8_t *at(uint64_t gpa, uint64_t len)
{
	if (gpa < ACPI_TABLES_GPA || gpa + len > ACPI_TABLES_GPA + ACPI_TABLES_SIZE)
		return NULL;
	return tables + (gpa - ACPI_TABLES_GPA);
}

/* Writes the table at gpa as DIR/SIG.dat; its length is in its header, unless len says it. The
 * RSDP's signature is 8 bytes, "RSD PTR ": it goes out as RSDP.dat. */
static int dump(const char *dir, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = at(gpa, 8);
	if (p && !len)
		len = le(p + 4, 4);
	if (!p || !at(gpa, len)) {
		fprintf(stderr, "acpi_tables_dump: no table at 0x%llx\n", (unsigned long long)gpa);
		return -1;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/%.4s.dat", dir, !memcmp(p, "RSD ", 4) ? "RSDP" : (const char *)p);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: acpi_tables_dump DIR\n");
		return 2;
	}
	acpi_tables_build(tables);
	const uint8_t *rsdp = at(ACPI_RSDP_GPA, 36);
	uint64_t xsdt = le(rsdp + 24, 8);
	int rc = dump(argv[1], ACPI_RSDP_GPA, le(rsdp + 20, 4)) | dump(argv[1], xsdt, 0);
	const uint8_t *x = at(xsdt, 36);
	for (uint64_t off = 36; x && off + 8 <= le(x + 4, 4); off += 8) {
		uint64_t t = le(x + off, 8);
		rc |= dump(argv[1], t, 0);
		const uint8_t *p = at(t, 148);
		if (p && !memcmp(p, "FACP", 4)) /* FIRMWARE_CTRL and X_DSDT */
			rc |= dump(argv[1], le(p + 36, 4), 0) | dump(argv[1], le(p + 140, 8), 0);
	}
	return rc ? 1 : 0;
}
