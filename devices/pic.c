/* The 8259A PIC pair. Register behaviour follows the Intel 8259A datasheet; see docs/devices.md
 * for what is not modelled (8080/8085 mode, buffered mode, the ELCR of later chipsets). */
#include "devices/pic.h"

#include <string.h>

#include "devices/legacy.h"

#define PIC_TAG STATE_TAG('P', 'I', 'C', 1)
#define CASCADE_IR 2

/* Priority level (0 = highest) of the most urgent bit of mask, 8 when mask is empty. */
static int chip_priority(const struct pic_chip *c, uint8_t mask)
{
	for (int p = 0; p < 8; p++)
		if (mask & (1u << ((p + c->prio_base) & 7)))
			return p;
	return 8;
}

/* The IR this chip would present at INTA: the most urgent unmasked request, if it beats
 * everything in service. -1 when its INT output is low. */
static int chip_request(const struct pic_chip *c, bool master)
{
	int req = chip_priority(c, c->irr & ~c->imr);
	if (req == 8)
		return -1;
	uint8_t in_service = c->isr;
	/* Special mask mode: a masked level in service no longer holds off lower levels. */
	if (c->special_mask)
		in_service &= ~c->imr;
	/* Special fully nested: the slave may interrupt again while its cascade IR is in
	 * service, so the slave's own priorities decide. */
	if (master && c->sfnm)
		in_service &= ~(1u << CASCADE_IR);
	int cur = chip_priority(c, in_service);
	return req < cur ? (req + c->prio_base) & 7 : -1;
}

static void chip_set_input(struct pic_chip *c, int ir, int level)
{
	uint8_t bit = 1u << ir;
	if (c->level_mode) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->input & bit)) {
		/* Edge mode latches the rising edge; the request stays in IRR when the line
		 * drops again (devices that pulse their line rely on it). */
		c->irr |= bit;
	}
	if (level)
		c->input |= bit;
	else
		c->input &= ~bit;
}

static void chip_intack(struct pic_chip *c, int ir)
{
	uint8_t bit = 1u << ir;
	/* In level mode the IRR follows the pin, it is not consumed by the acknowledge. */
	if (!c->level_mode)
		c->irr &= ~bit;
	if (!c->auto_eoi)
		c->isr |= bit;
	else if (c->rotate_aeoi)
		c->prio_base = (ir + 1) & 7;
}

/* Recomputes the cascade and the INTR output; tells the VMM when INTR changed. */
static void pic_update_irq(struct pic *p)
{
	struct pic_chip *master = &p->s.chip[0], *slave = &p->s.chip[1];
	chip_set_input(master, CASCADE_IR, chip_request(slave, false) >= 0);
	uint8_t intr = chip_request(master, true) >= 0;
	if (intr == p->s.intr)
		return;
	p->s.intr = intr;
	if (p->on_change)
		p->on_change(p->ctx);
}

static void pic_set_level(void *opaque, int line, int level)
{
	struct pic *p = opaque;
	if (line == CASCADE_IR)
		line = 9;
	if (line < 0 || line > 15)
		return;
	chip_set_input(&p->s.chip[line >> 3], line & 7, level != 0);
	pic_update_irq(p);
}

static void chip_icw1(struct pic_chip *c, uint8_t v)
{
	c->need_icw4 = v & 1;
	c->single = (v >> 1) & 1;
	c->level_mode = (v >> 3) & 1;
	/* ICW1 resets the chip: mask cleared, IR7 lowest, status read set to IRR, special mask
	 * cleared, ICW4 functions off until ICW4 says otherwise, and the edge sense latches
	 * reset (a line already high must go low and high again to be seen). */
	c->irr = c->level_mode ? c->input : 0;
	c->isr = 0;
	c->imr = 0;
	c->prio_base = 0;
	c->special_mask = 0;
	c->read_isr = 0;
	c->poll = 0;
	c->auto_eoi = 0;
	c->sfnm = 0;
	c->rotate_aeoi = 0;
	c->init_step = 2;
}

static void chip_ocw2(struct pic_chip *c, uint8_t v)
{
	int level = v & 7, cmd = v >> 5;
	switch (cmd) {
	case 0: /* rotate in automatic EOI mode: clear */
		c->rotate_aeoi = 0;
		break;
	case 4: /* rotate in automatic EOI mode: set */
		c->rotate_aeoi = 1;
		break;
	case 1: /* non-specific EOI */
	case 5: { /* rotate on non-specific EOI */
		int p = chip_priority(c, c->isr);
		if (p == 8)
			break;
		int ir = (p + c->prio_base) & 7;
		c->isr &= ~(1u << ir);
		if (cmd == 5)
			c->prio_base = (ir + 1) & 7;
		break;
	}
	case 3: /* specific EOI */
		c->isr &= ~(1u << level);
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= ~(1u << level);
		c->prio_base = (level + 1) & 7;
		break;
	case 6: /* set priority: level becomes the lowest */
		c->prio_base = (level + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_ocw3(struct pic_chip *c, uint8_t v)
{
	if (v & 0x04)
		c->poll = 1;
	if (v & 0x02)
		c->read_isr = v & 1;
	if (v & 0x40)
		c->special_mask = (v >> 5) & 1;
}

static void chip_write(struct pic_chip *c, unsigned offset, uint8_t v)
{
	if (offset == 0) {
		if (v & 0x10)
			chip_icw1(c, v);
		else if (v & 0x08)
			chip_ocw3(c, v);
		else
			chip_ocw2(c, v);
		return;
	}
	switch (c->init_step) {
	case 2:
		c->vector_base = v & 0xf8;
		c->init_step = !c->single ? 3 : c->need_icw4 ? 4 : 0;
		break;
	case 3:
		c->icw3 = v;
		c->init_step = c->need_icw4 ? 4 : 0;
		break;
	case 4:
		/* uPM (8086 mode) is assumed; BUF and M/S only matter to the board. */
		c->auto_eoi = (v >> 1) & 1;
		c->sfnm = (v >> 4) & 1;
		c->init_step = 0;
		break;
	default:
		c->imr = v;
		break;
	}
}

/* Poll mode: the read is the acknowledge. */
static uint8_t chip_poll(struct pic_chip *c, bool master)
{
	c->poll = 0;
	int ir = chip_request(c, master);
	if (ir < 0)
		return 0;
	chip_intack(c, ir);
	return 0x80 | ir;
}

static uint8_t chip_read(struct pic_chip *c, bool master, unsigned offset)
{
	if (c->poll)
		return chip_poll(c, master);
	if (offset == 0)
		return c->read_isr ? c->isr : c->irr;
	return c->imr;
}

static uint8_t pic_read8(struct pic *p, int chip, unsigned offset)
{
	uint8_t v = chip_read(&p->s.chip[chip], chip == 0, offset);
	pic_update_irq(p);
	return v;
}

static void pic_write8(struct pic *p, int chip, unsigned offset, uint8_t v)
{
	chip_write(&p->s.chip[chip], offset, v);
	pic_update_irq(p);
}

static uint8_t master_read8(void *opaque, unsigned offset)
{
	return pic_read8(opaque, 0, offset);
}

static uint8_t slave_read8(void *opaque, unsigned offset)
{
	return pic_read8(opaque, 1, offset);
}

static void master_write8(void *opaque, unsigned offset, uint8_t v)
{
	pic_write8(opaque, 0, offset, v);
}

static void slave_write8(void *opaque, unsigned offset, uint8_t v)
{
	pic_write8(opaque, 1, offset, v);
}

static uint64_t master_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(master_read8, opaque, offset, 2, size);
}

static uint64_t slave_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(slave_read8, opaque, offset, 2, size);
}

static void master_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(master_write8, opaque, offset, 2, value, size);
}

static void slave_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(slave_write8, opaque, offset, 2, value, size);
}

static const struct io_ops master_ops = { master_in, master_out };
static const struct io_ops slave_ops = { slave_in, slave_out };

int pic_init(struct pic *p, struct bus *bus, void (*on_change)(void *ctx), void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->sink = (struct irq_sink){ pic_set_level, p };
	p->on_change = on_change;
	p->ctx = ctx;
	struct pic_chip *master = &p->s.chip[0], *slave = &p->s.chip[1];
	master->vector_base = 0x08;
	master->icw3 = 1u << CASCADE_IR;
	master->imr = 0xff;
	slave->vector_base = 0x70;
	slave->icw3 = CASCADE_IR;
	slave->imr = 0xff;
	int err = bus_register(bus, BUS_PIO, PIC_MASTER_BASE, 2, &master_ops, p, "pic-master");
	if (err)
		return err;
	return bus_register(bus, BUS_PIO, PIC_SLAVE_BASE, 2, &slave_ops, p, "pic-slave");
}

struct irq_line pic_line(struct pic *p, int line)
{
	return (struct irq_line){ &p->sink, line };
}

bool pic_pending(struct pic *p)
{
	return p->s.intr;
}

int pic_ack(struct pic *p)
{
	struct pic_chip *master = &p->s.chip[0], *slave = &p->s.chip[1];
	int ir = chip_request(master, true), vector;
	if (ir < 0) {
		vector = master->vector_base | 7;
	} else {
		chip_intack(master, ir);
		if (ir == CASCADE_IR && !master->single) {
			int ir2 = chip_request(slave, false);
			if (ir2 < 0) {
				vector = slave->vector_base | 7;
			} else {
				chip_intack(slave, ir2);
				vector = slave->vector_base | ir2;
			}
		} else {
			vector = master->vector_base | ir;
		}
	}
	pic_update_irq(p);
	return vector;
}

static long pic_save(void *opaque, void *buf, size_t len)
{
	struct pic *p = opaque;
	return state_blob_save(buf, len, PIC_TAG, &p->s, sizeof(p->s));
}

static bool chip_valid(const struct pic_chip *c)
{
	return c->prio_base < 8 && (c->init_step == 0 || (c->init_step >= 2 && c->init_step <= 4)) &&
	       c->need_icw4 <= 1 && c->single <= 1 && c->level_mode <= 1 && c->auto_eoi <= 1 &&
	       c->sfnm <= 1 && c->rotate_aeoi <= 1 && c->special_mask <= 1 && c->read_isr <= 1 &&
	       c->poll <= 1 && (c->vector_base & 7) == 0;
}

static int pic_load(void *opaque, const void *buf, size_t len)
{
	struct pic *p = opaque;
	struct pic_state s;
	if (state_blob_load(buf, len, PIC_TAG, &s, sizeof(s)) || !chip_valid(&s.chip[0]) ||
	    !chip_valid(&s.chip[1]) || s.intr > 1)
		return -1;
	uint8_t before = p->s.intr;
	p->s = s;
	p->s.intr = before;
	pic_update_irq(p);
	return 0;
}

struct device pic_device(struct pic *p)
{
	return (struct device){
		.name = "pic",
		.opaque = p,
		.save = pic_save,
		.load = pic_load,
	};
}
