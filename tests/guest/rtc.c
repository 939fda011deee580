/* testos: reading the MC146818 real-time clock. */
#include "kernel.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define STATUS_A_UIP 0x80
#define STATUS_B_24H 0x02
#define STATUS_B_BINARY 0x04
#define HOUR_PM 0x80

/* UIP stays set for under 2 ms a second; the bound only guards a broken clock. */
#define UIP_POLL_LIMIT 10000
#define READ_ATTEMPTS 4

static u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static unsigned from_bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static void read_raw(u8 r[6])
{
	static const u8 regs[6] = { RTC_YEAR, RTC_MONTH, RTC_DAY, RTC_HOURS, RTC_MINUTES,
				    RTC_SECONDS };

	for (int i = 0; i < UIP_POLL_LIMIT && (cmos_read(RTC_STATUS_A) & STATUS_A_UIP); i++)
		;
	for (int i = 0; i < 6; i++)
		r[i] = cmos_read(regs[i]);
}

void rtc_read(struct rtc_time *t)
{
	u8 a[6], b[6];

	/* An update can still start between the UIP check and the reads: read until two
	   consecutive reads agree. */
	read_raw(a);
	for (int i = 0; i < READ_ATTEMPTS; i++) {
		read_raw(b);
		int same = 1;
		for (int j = 0; j < 6; j++)
			same &= a[j] == b[j];
		if (same)
			break;
		for (int j = 0; j < 6; j++)
			a[j] = b[j];
	}

	u8 status_b = cmos_read(RTC_STATUS_B);
	u8 pm = a[3] & HOUR_PM;
	a[3] &= (u8)~HOUR_PM;
	if (!(status_b & STATUS_B_BINARY))
		for (int j = 0; j < 6; j++)
			a[j] = (u8)from_bcd(a[j]);
	if (!(status_b & STATUS_B_24H)) {
		a[3] %= 12; /* 12 AM is 0:xx */
		if (pm)
			a[3] += 12;
	}
	/* The century register is not standard (ACPI names it): assume 20xx. */
	t->year = 2000 + a[0];
	t->month = a[1];
	t->day = a[2];
	t->hour = a[3];
	t->minute = a[4];
	t->second = a[5];
}
