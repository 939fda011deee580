/* The MC146818 real-time clock and CMOS RAM: index at port 0x70 (bit 7 masks NMI), data at 0x71,
 * interrupt on IRQ8. Its time is guest time: clock->epoch_at_boot plus whole guest seconds from
 * the vclock, plus whatever setting the guest made. Update-ended, alarm and periodic interrupts
 * are delivered through advance()/next_deadline(). See docs/devices.md. */
#ifndef REWIND_RTC_H
#define REWIND_RTC_H
#include <stdint.h>

#include "core/vclock.h"
#include "devices/bus.h"
#include "devices/device.h"
#include "devices/irq.h"

#define RTC_BASE 0x70
#define RTC_CMOS_SIZE 128

struct rtc_state {
	/* CMOS: RAM, alarm and control registers as written. The time registers (0, 2, 4, 6-9
	 * and the century at 0x32) hold values only while the clock is stopped; while it runs
	 * they are computed from guest time when read. */
	uint8_t cmos[RTC_CMOS_SIZE];
	uint8_t index;	     /* port 0x70 bits 0-6 */
	uint8_t nmi_masked;  /* port 0x70 bit 7 */
	uint8_t flags;	     /* register C: PF 0x40, AF 0x20, UF 0x10 (IRQF is derived) */
	uint8_t irq_level;
	int64_t time_offset; /* the clock read epoch_at_boot + time_offset at divider second */
	int64_t base_sec;    /* base_sec (time_offset is what the guest's settings added) */
	int64_t div_base_ns; /* guest ns at which the divider chain started counting */
	uint64_t last_ns;    /* the flags are up to date to this guest time */
} __attribute__((packed));

struct rtc {
	struct rtc_state s;
	struct vclock *clock;
	struct irq_line irq;
};

/* Registers ports 0x70-0x71. Power-on: register A 0x26 (32.768 kHz divider, 1024 Hz periodic
 * rate), B 0x02 (24-hour, BCD, no interrupts), RAM zero. Returns 0 or a negative errno. */
int rtc_init(struct rtc *rtc, struct bus *bus, struct vclock *clock, struct irq_line irq8)
	__attribute__((warn_unused_result));
/* Presets a CMOS RAM byte (firmware's job on a PC: memory size, equipment). Indexes of clock
 * and control registers (0x00-0x0d, 0x32) are refused with -EINVAL. */
int rtc_cmos_set(struct rtc *rtc, int index, uint8_t value);
struct device rtc_device(struct rtc *rtc);

#endif
