/* The ACPI power management registers of a PC chipset: the PM1a event block (PM1_STS and
 * PM1_EN) and the PM1a control block (PM1_CNT), as the ACPI specification's fixed hardware
 * defines them (ACPI 6.5, 4.8.3.1). The FADT (core/acpi_tables.c) tells the guest where they
 * are; writing SLP_EN with the S5 sleep type the DSDT's \_S5 names powers the machine off.
 * There is no PM timer, no GPE block and no SMI handler: the machine is always in ACPI mode.
 * See docs/devices.md. */
#ifndef REWIND_ACPI_PM_H
#define REWIND_ACPI_PM_H
#include <stdint.h>

#include "devices/bus.h"
#include "devices/device.h"

#define ACPI_PM_BASE 0x600	/* PM1a_EVT_BLK: PM1_STS at +0, PM1_EN at +2 */
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_CNT 0x604	/* PM1a_CNT_BLK */
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_LEN (ACPI_PM1_EVT_LEN + ACPI_PM1_CNT_LEN)
/* The SCI's ISA interrupt, as the FADT declares it (no event ever raises it, see .c). */
#define ACPI_SCI_IRQ 9

/* Sleep type encodings of this chipset, the values the DSDT's \_S0 and \_S5 packages carry. */
#define ACPI_SLP_TYP_S0 0
#define ACPI_SLP_TYP_S5 5

/* PM1_EN bits (ACPI 6.5, 4.8.3.1, PM1 Event Grouping). */
#define ACPI_PM1_TMR_EN 0x0001
#define ACPI_PM1_GBL_EN 0x0020
#define ACPI_PM1_PWRBTN_EN 0x0100
#define ACPI_PM1_SLPBTN_EN 0x0200
#define ACPI_PM1_RTC_EN 0x0400
#define ACPI_PM1_PCIEXP_WAKE_DIS 0x4000
#define ACPI_PM1_EN_BITS                                                                   \
	(ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN | ACPI_PM1_PWRBTN_EN | ACPI_PM1_SLPBTN_EN |     \
	 ACPI_PM1_RTC_EN | ACPI_PM1_PCIEXP_WAKE_DIS)

/* PM1_CNT bits (ACPI 6.5, 4.8.3.2, PM1 Control Grouping). */
#define ACPI_PM1_SCI_EN 0x0001
#define ACPI_PM1_BM_RLD 0x0002
#define ACPI_PM1_GBL_RLS 0x0004
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP 0x1c00
#define ACPI_PM1_SLP_EN 0x2000

struct acpi_pm_state {
	uint16_t pm1_en;	/* the enable bits as written (ACPI_PM1_EN_BITS) */
	uint16_t pm1_cnt;	/* SCI_EN (always 1), BM_RLD and SLP_TYP as written */
} __attribute__((packed));

struct acpi_pm {
	struct acpi_pm_state s;
	void (*on_power_off)(void *ctx);
	void *ctx;
};

/* on_power_off (may be NULL) is called from inside the port write that enters S5: it should
 * stop the VM as a guest that ended normally. Returns 0 or a negative errno from bus_register. */
int acpi_pm_init(struct acpi_pm *pm, struct bus *bus, void (*on_power_off)(void *ctx), void *ctx)
	__attribute__((warn_unused_result));
struct device acpi_pm_device(struct acpi_pm *pm);

#endif
