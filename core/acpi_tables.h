/* The ACPI tables rewind's machine describes itself with, built by the VMM into guest RAM
 * (there is no firmware to do it): RSDP, XSDT, FADT (with its FACS and DSDT) and MADT, for
 * the devices that exist (devices/acpi_pm.c, devices/reset.c, the 8259A pair) and nothing
 * else. Linux finds the RSDP through boot_params.acpi_rsdp_addr (bzImage), hvm_start_info's
 * rsdp_paddr (PVH) or its scan of the BIOS area 0xe0000-0xfffff. The bytes depend on nothing
 * but this code: the same on every host, at record and replay. See docs/devices.md. */
#ifndef REWIND_ACPI_TABLES_H
#define REWIND_ACPI_TABLES_H
#include <stdint.h>

struct guest_mem;

/* In the reserved BIOS area of the memory map (core/loader.c), 16-byte aligned for the scan. */
#define ACPI_TABLES_GPA 0xf0000ULL
#define ACPI_TABLES_SIZE 0x400
#define ACPI_RSDP_GPA ACPI_TABLES_GPA

/* The tables as they are placed at ACPI_TABLES_GPA, every byte defined. */
void acpi_tables_build(uint8_t buf[ACPI_TABLES_SIZE]);
/* Writes them into guest RAM. Returns 0, or -ERANGE when RAM does not reach that far. */
int acpi_tables_install(struct guest_mem *mem) __attribute__((warn_unused_result));

#endif
