/* ACPI PM1a event and control registers: how an ACPI guest powers the machine off. */
#include "devices/acpi_pm.h"

#include <string.h>

#include "devices/legacy.h"

#define ACPI_PM_TAG STATE_TAG('A', 'P', 'M', 1)

/* Byte offsets in the region: the registers are 16 bits wide, little-endian. */
enum { PM1_STS = 0, PM1_EN = 2, PM1_CNT = 4 };

/* PM1_CNT bits that hold what was written; SCI_EN is fixed at 1 and GBL_RLS and SLP_EN are
 * write-only (they read 0). */
#define PM1_CNT_STORED (ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP)

static uint16_t pm1_register(const struct acpi_pm *pm, unsigned reg)
{
	switch (reg) {
	case PM1_EN:
		return pm->s.pm1_en;
	case PM1_CNT:
		return pm->s.pm1_cnt;
	default:
		/* PM1_STS: the status bits are set by events this machine never has (timer
		 * carry, buttons, RTC alarm wake, bus master, wake from sleep), so all read 0
		 * and writing 1 to clear one changes nothing. */
		return 0;
	}
}

static uint8_t acpi_pm_read8(void *opaque, unsigned offset)
{
	const struct acpi_pm *pm = opaque;
	return (uint8_t)(pm1_register(pm, offset & ~1u) >> (8 * (offset & 1)));
}

/* SLP_EN written as 1 makes the chipset enter the sleep state SLP_TYP names. */
static void sleep_request(struct acpi_pm *pm)
{
	unsigned type = (pm->s.pm1_cnt & ACPI_PM1_SLP_TYP) >> ACPI_PM1_SLP_TYP_SHIFT;
	/* S0 is the working state the machine is in; the other types (S1-S4, 6, 7) are not
	 * declared in the DSDT, and a guest asking for one gets no transition, as from a
	 * chipset without that state. */
	if (type == ACPI_SLP_TYP_S5 && pm->on_power_off)
		pm->on_power_off(pm->ctx);
}

/* One byte lane of a register: a 16-bit write is its low byte then its high byte, and
 * SLP_TYP and SLP_EN are both in PM1_CNT's high byte, so the sleep type a write carries is
 * in place before its SLP_EN acts. */
static void acpi_pm_write8(void *opaque, unsigned offset, uint8_t v)
{
	struct acpi_pm *pm = opaque;
	unsigned shift = 8 * (offset & 1);
	uint16_t lane = (uint16_t)(0xffu << shift), value = (uint16_t)(v << shift);
	switch (offset & ~1u) {
	case PM1_EN:
		pm->s.pm1_en = (uint16_t)((pm->s.pm1_en & ~lane) | (value & ACPI_PM1_EN_BITS));
		break;
	case PM1_CNT:
		pm->s.pm1_cnt = (uint16_t)((pm->s.pm1_cnt & ~(lane & PM1_CNT_STORED)) |
					   (value & lane & PM1_CNT_STORED));
		if (value & ACPI_PM1_SLP_EN)
			sleep_request(pm);
		break;
	default:
		break; /* PM1_STS: write 1 to clear, and no bit is ever set */
	}
}

static uint64_t acpi_pm_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(acpi_pm_read8, opaque, offset, ACPI_PM_LEN, size);
}

static void acpi_pm_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(acpi_pm_write8, opaque, offset, ACPI_PM_LEN, value, size);
}

static const struct io_ops acpi_pm_ops = { acpi_pm_in, acpi_pm_out };

int acpi_pm_init(struct acpi_pm *pm, struct bus *bus, void (*on_power_off)(void *ctx), void *ctx)
{
	memset(pm, 0, sizeof(*pm));
	pm->on_power_off = on_power_off;
	pm->ctx = ctx;
	pm->s.pm1_cnt = ACPI_PM1_SCI_EN;
	return bus_register(bus, BUS_PIO, ACPI_PM_BASE, ACPI_PM_LEN, &acpi_pm_ops, pm, "acpi-pm");
}

static long acpi_pm_save(void *opaque, void *buf, size_t len)
{
	struct acpi_pm *pm = opaque;
	return state_blob_save(buf, len, ACPI_PM_TAG, &pm->s, sizeof(pm->s));
}

static int acpi_pm_load(void *opaque, const void *buf, size_t len)
{
	struct acpi_pm *pm = opaque;
	struct acpi_pm_state s;
	if (state_blob_load(buf, len, ACPI_PM_TAG, &s, sizeof(s)) || (s.pm1_en & ~ACPI_PM1_EN_BITS) ||
	    (s.pm1_cnt & ~(PM1_CNT_STORED | ACPI_PM1_SCI_EN)) || !(s.pm1_cnt & ACPI_PM1_SCI_EN))
		return -1;
	pm->s = s;
	return 0;
}

struct device acpi_pm_device(struct acpi_pm *pm)
{
	return (struct device){
		.name = "acpi-pm",
		.opaque = pm,
		.save = acpi_pm_save,
		.load = acpi_pm_load,
	};
}
