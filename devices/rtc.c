/* The MC146818 RTC, after the Motorola MC146818A / Dallas DS12887 datasheets.
 *
 * The clock is not stepped once a second. It is kept as "Unix time epoch_at_boot + time_offset
 * at divider second base_sec", where divider seconds count whole guest seconds since the
 * divider chain started (div_base_ns); the registers are computed from that when read. Setting
 * the clock (SET, or a write while it runs) only moves time_offset/base_sec, so every value the
 * guest sees is a function of guest time and of what the guest wrote. epoch_at_boot is read
 * from the vclock at each use, not copied at init: a replayer sets it after the devices exist. Interrupt flags are brought up to date
 * (rtc_catch_up) at every access and every advance(). */
#include "devices/rtc.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "devices/legacy.h"

#define RTC_TAG STATE_TAG('R', 'T', 'C', 1)
#define NSEC 1000000000
#define DIVIDER_HZ 32768
#define UIP_NS 244000 /* UIP rises this long before each update */

enum {
	REG_SEC = 0x00,
	REG_SEC_ALARM = 0x01,
	REG_MIN = 0x02,
	REG_MIN_ALARM = 0x03,
	REG_HOUR = 0x04,
	REG_HOUR_ALARM = 0x05,
	REG_WDAY = 0x06,
	REG_MDAY = 0x07,
	REG_MONTH = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
	REG_CENTURY = 0x32,
};

#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM 0x04 /* binary, else BCD */
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define D_VRT 0x80

static int64_t floor_div(__int128 a, int64_t b)
{
	__int128 q = a / b;
	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return (int64_t)q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years, March-based). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	days += 719468;
	int64_t era = floor_div(days, 146097);
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_time_reg(unsigned i)
{
	return i == REG_SEC || i == REG_MIN || i == REG_HOUR ||
	       (i >= REG_WDAY && i <= REG_YEAR) || i == REG_CENTURY;
}

/* DV = 010: the 32.768 kHz time base runs. Other values stop it (11x is the divider reset
 * firmware uses while setting the clock; 000/001 are for crystals a PC does not have). */
static bool divider_running(const struct rtc *r)
{
	return (r->s.cmos[REG_A] & 0x70) == 0x20;
}

static bool clock_running(const struct rtc *r)
{
	return divider_running(r) && !(r->s.cmos[REG_B] & B_SET);
}

static int64_t divider_ns(const struct rtc *r, uint64_t now)
{
	return (int64_t)now - r->s.div_base_ns;
}

static int64_t divider_second(const struct rtc *r, uint64_t now)
{
	return floor_div(divider_ns(r, now), NSEC);
}

/* Unix time of the clock during divider second k. */
static int64_t clock_time_at(const struct rtc *r, int64_t k)
{
	return r->clock->epoch_at_boot + r->s.time_offset + k - r->s.base_sec;
}

static int64_t clock_time(const struct rtc *r, uint64_t now)
{
	return clock_time_at(r, divider_second(r, now));
}

/* Periodic interrupt rate as divider cycles per period; 0 = off. */
static int64_t periodic_cycles(const struct rtc *r)
{
	int rs = r->s.cmos[REG_A] & 15;
	if (rs == 0)
		return 0;
	if (rs < 3)
		rs += 7; /* with a 32.768 kHz base, rates 1 and 2 repeat rates 8 and 9 */
	return (int64_t)1 << (rs - 1);
}

static int64_t periodic_tick(const struct rtc *r, uint64_t now, int64_t cycles)
{
	return floor_div((__int128)divider_ns(r, now) * DIVIDER_HZ, cycles * NSEC);
}

static uint8_t to_reg(const struct rtc *r, int v)
{
	if (r->s.cmos[REG_B] & B_DM)
		return (uint8_t)v;
	return (uint8_t)((v / 10 % 10) << 4 | v % 10);
}

static int from_reg(const struct rtc *r, uint8_t v)
{
	if (r->s.cmos[REG_B] & B_DM)
		return v;
	return (v >> 4) * 10 + (v & 15);
}

static uint8_t hour_to_reg(const struct rtc *r, int h)
{
	if (r->s.cmos[REG_B] & B_24H)
		return to_reg(r, h);
	int h12 = h % 12 ? h % 12 : 12;
	return to_reg(r, h12) | (h >= 12 ? 0x80 : 0);
}

static int hour_from_reg(const struct rtc *r, uint8_t v)
{
	if (r->s.cmos[REG_B] & B_24H)
		return from_reg(r, v);
	return from_reg(r, v & 0x7f) % 12 + (v & 0x80 ? 12 : 0);
}

/* What time register `index` reads at Unix time t, in the current data mode. */
static uint8_t time_reg(const struct rtc *r, unsigned index, int64_t t)
{
	int64_t days = floor_div(t, 86400), y;
	int sod = (int)(t - days * 86400), m, d;
	switch (index) {
	case REG_SEC:
		return to_reg(r, sod % 60);
	case REG_MIN:
		return to_reg(r, sod / 60 % 60);
	case REG_HOUR:
		return hour_to_reg(r, sod / 3600);
	case REG_WDAY: /* 1 = Sunday; 1970-01-01 was a Thursday */
		return to_reg(r, (int)floor_mod(days + 4, 7) + 1);
	default:
		break;
	}
	civil_from_days(days, &y, &m, &d);
	switch (index) {
	case REG_MDAY:
		return to_reg(r, d);
	case REG_MONTH:
		return to_reg(r, m);
	case REG_YEAR:
		return to_reg(r, (int)floor_mod(y, 100));
	default: /* REG_CENTURY */
		return to_reg(r, (int)floor_mod(floor_div(y, 100), 100));
	}
}

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The clock stops: the time registers keep the time it stopped at. */
static void rtc_latch_time(struct rtc *r, uint64_t now)
{
	static const uint8_t regs[] = { REG_SEC,  REG_MIN,   REG_HOUR, REG_WDAY,
					REG_MDAY, REG_MONTH, REG_YEAR, REG_CENTURY };
	int64_t t = clock_time(r, now);
	for (size_t i = 0; i < sizeof(regs); i++)
		r->s.cmos[regs[i]] = time_reg(r, regs[i], t);
}

/* The clock starts from what the time registers hold, counting from the current divider
 * second. Values a real chip would carry as garbage are clamped to the nearest valid one. */
static void rtc_load_time(struct rtc *r, uint64_t now)
{
	const uint8_t *c = r->s.cmos;
	int sec = clamp(from_reg(r, c[REG_SEC]), 0, 59);
	int min = clamp(from_reg(r, c[REG_MIN]), 0, 59);
	int hour = clamp(hour_from_reg(r, c[REG_HOUR]), 0, 23);
	int mday = clamp(from_reg(r, c[REG_MDAY]), 1, 31);
	int month = clamp(from_reg(r, c[REG_MONTH]), 1, 12);
	int year = clamp(from_reg(r, c[REG_YEAR]), 0, 99) +
		   100 * clamp(from_reg(r, c[REG_CENTURY]), 0, 99);
	int64_t t = days_from_civil(year, month, mday) * 86400 + hour * 3600 + min * 60 + sec;
	r->s.time_offset = t - r->clock->epoch_at_boot;
	r->s.base_sec = divider_second(r, now);
}

static bool alarm_matches(const struct rtc *r, int64_t t)
{
	static const uint8_t pairs[3][2] = {
		{ REG_SEC_ALARM, REG_SEC }, { REG_MIN_ALARM, REG_MIN }, { REG_HOUR_ALARM, REG_HOUR }
	};
	for (int i = 0; i < 3; i++) {
		uint8_t a = r->s.cmos[pairs[i][0]];
		if ((a & 0xc0) == 0xc0)
			continue; /* "don't care" */
		if (a != time_reg(r, pairs[i][1], t))
			return false;
	}
	return true;
}

/* Whether an update in divider seconds (s0, s1] hit the alarm. A day covers every time of
 * day, so at most the last 86400 updates need a look. */
static bool alarm_between(const struct rtc *r, int64_t s0, int64_t s1)
{
	int64_t from = s1 - s0 > 86400 ? s1 - 86399 : s0 + 1;
	for (int64_t k = from; k <= s1; k++)
		if (alarm_matches(r, clock_time_at(r, k)))
			return true;
	return false;
}

/* Sets the register C flags for every update and periodic tick since last_ns. */
static void rtc_catch_up(struct rtc *r, uint64_t now)
{
	struct rtc_state *s = &r->s;
	if (now <= s->last_ns)
		return;
	if (divider_running(r)) {
		if (!(s->cmos[REG_B] & B_SET)) {
			int64_t s0 = divider_second(r, s->last_ns), s1 = divider_second(r, now);
			if (s1 > s0) {
				s->flags |= C_UF;
				if (alarm_between(r, s0, s1))
					s->flags |= C_AF;
			}
		}
		int64_t cycles = periodic_cycles(r);
		if (cycles &&
		    periodic_tick(r, now, cycles) > periodic_tick(r, s->last_ns, cycles))
			s->flags |= C_PF;
	}
	s->last_ns = now;
}

static bool rtc_irqf(const struct rtc *r)
{
	uint8_t b = r->s.cmos[REG_B], f = r->s.flags;
	return ((f & C_PF) && (b & B_PIE)) || ((f & C_AF) && (b & B_AIE)) ||
	       ((f & C_UF) && (b & B_UIE));
}

/* IRQ8 is IRQF: high from the first enabled flag until register C is read. */
static void rtc_update_irq(struct rtc *r)
{
	uint8_t level = rtc_irqf(r);
	if (level == r->s.irq_level)
		return;
	r->s.irq_level = level;
	irq_set(&r->irq, level);
}

static bool rtc_uip(const struct rtc *r, uint64_t now)
{
	return clock_running(r) && floor_mod(divider_ns(r, now), NSEC) >= NSEC - UIP_NS;
}

static uint8_t rtc_read_data(struct rtc *r, uint64_t now)
{
	struct rtc_state *s = &r->s;
	unsigned i = s->index;
	switch (i) {
	case REG_A:
		return s->cmos[REG_A] | (rtc_uip(r, now) ? A_UIP : 0);
	case REG_C: {
		uint8_t v = s->flags | (rtc_irqf(r) ? C_IRQF : 0);
		s->flags = 0; /* reading C clears it */
		return v;
	}
	case REG_D:
		return D_VRT; /* the battery is always good */
	default:
		if (is_time_reg(i) && clock_running(r))
			return time_reg(r, i, clock_time(r, now));
		return s->cmos[i];
	}
}

/* The divider or SET changed: stop or start the clock accordingly. */
static void rtc_clock_changed(struct rtc *r, bool was_divider, bool was_clock, uint64_t now)
{
	if (was_clock && !clock_running(r))
		rtc_latch_time(r, now);
	/* Leaving divider reset, the first update comes half a second later. */
	if (!was_divider && divider_running(r))
		r->s.div_base_ns = (int64_t)now - NSEC / 2;
	if (!was_clock && clock_running(r))
		rtc_load_time(r, now);
}

static void rtc_write_data(struct rtc *r, uint8_t v, uint64_t now)
{
	struct rtc_state *s = &r->s;
	unsigned i = s->index;
	bool was_divider = divider_running(r), was_clock = clock_running(r);
	switch (i) {
	case REG_A:
		s->cmos[REG_A] = v & 0x7f; /* UIP is read-only */
		rtc_clock_changed(r, was_divider, was_clock, now);
		break;
	case REG_B:
		/* SET going high clears UIE (datasheet, register B). */
		if ((v & B_SET) && !(s->cmos[REG_B] & B_SET))
			v &= ~B_UIE;
		s->cmos[REG_B] = v;
		rtc_clock_changed(r, was_divider, was_clock, now);
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		if (is_time_reg(i) && was_clock) {
			/* A write to a running clock changes that field and keeps counting
			 * from the same divider phase. */
			rtc_latch_time(r, now);
			s->cmos[i] = v;
			rtc_load_time(r, now);
		} else {
			s->cmos[i] = v;
		}
		break;
	}
}

static uint8_t rtc_read8(void *opaque, unsigned offset)
{
	struct rtc *r = opaque;
	if (offset == 0)
		return 0xff; /* the index register is write-only */
	uint64_t now = vclock_now(r->clock);
	rtc_catch_up(r, now);
	uint8_t v = rtc_read_data(r, now);
	rtc_update_irq(r);
	return v;
}

static void rtc_write8(void *opaque, unsigned offset, uint8_t v)
{
	struct rtc *r = opaque;
	if (offset == 0) {
		r->s.index = v & 0x7f;
		r->s.nmi_masked = v >> 7;
		return;
	}
	uint64_t now = vclock_now(r->clock);
	rtc_catch_up(r, now);
	rtc_write_data(r, v, now);
	rtc_update_irq(r);
}

static uint64_t rtc_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(rtc_read8, opaque, offset, 2, size);
}

static void rtc_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(rtc_write8, opaque, offset, 2, value, size);
}

static const struct io_ops rtc_ops = { rtc_in, rtc_out };

int rtc_init(struct rtc *r, struct bus *bus, struct vclock *clock, struct irq_line irq8)
{
	memset(r, 0, sizeof(*r));
	r->clock = clock;
	r->irq = irq8;
	r->s.cmos[REG_A] = 0x26;
	r->s.cmos[REG_B] = B_24H;
	return bus_register(bus, BUS_PIO, RTC_BASE, 2, &rtc_ops, r, "rtc");
}

int rtc_cmos_set(struct rtc *r, int index, uint8_t value)
{
	if (index <= REG_D || index == REG_CENTURY || index >= RTC_CMOS_SIZE)
		return -EINVAL;
	r->s.cmos[index] = value;
	return 0;
}

static void rtc_advance(void *opaque, uint64_t now_ns)
{
	struct rtc *r = opaque;
	rtc_catch_up(r, now_ns);
	rtc_update_irq(r);
}

static uint64_t rtc_next_deadline(void *opaque)
{
	const struct rtc *r = opaque;
	const struct rtc_state *s = &r->s;
	uint8_t b = s->cmos[REG_B];
	/* With IRQ8 up, nothing changes it before register C is read. */
	if (s->irq_level || !divider_running(r))
		return DEADLINE_NONE;
	uint64_t best = DEADLINE_NONE;
	/* The alarm is checked at each update, so it wakes every second too. */
	if (clock_running(r) && (b & (B_UIE | B_AIE)))
		best = (uint64_t)(s->div_base_ns + (divider_second(r, s->last_ns) + 1) * NSEC);
	int64_t cycles = periodic_cycles(r);
	if (cycles && (b & B_PIE)) {
		__int128 k = periodic_tick(r, s->last_ns, cycles) + 1;
		__int128 at = (k * cycles * NSEC + DIVIDER_HZ - 1) / DIVIDER_HZ;
		uint64_t t = (uint64_t)(s->div_base_ns + (int64_t)at);
		if (t < best)
			best = t;
	}
	return best;
}

static long rtc_save(void *opaque, void *buf, size_t len)
{
	struct rtc *r = opaque;
	return state_blob_save(buf, len, RTC_TAG, &r->s, sizeof(r->s));
}

static int rtc_load(void *opaque, const void *buf, size_t len)
{
	struct rtc *r = opaque;
	struct rtc_state s;
	if (state_blob_load(buf, len, RTC_TAG, &s, sizeof(s)) || s.index > 0x7f ||
	    s.nmi_masked > 1 || (s.flags & ~(C_PF | C_AF | C_UF)) || s.irq_level > 1 ||
	    s.cmos[REG_A] > 0x7f)
		return -1;
	r->s = s;
	return 0;
}

struct device rtc_device(struct rtc *r)
{
	return (struct device){
		.name = "rtc",
		.opaque = r,
		.advance = rtc_advance,
		.next_deadline = rtc_next_deadline,
		.save = rtc_save,
		.load = rtc_load,
	};
}
