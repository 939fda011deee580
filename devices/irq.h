/* An interrupt line from a device to the interrupt controller.
 * Devices call irq_set() with the line's level; edge-triggered consumers (the 8259A in its
 * default mode) see a rising edge when the level goes from 0 to 1. */
#ifndef REWIND_IRQ_H
#define REWIND_IRQ_H

struct irq_sink {
	void (*set_level)(void *opaque, int line, int level);
	void *opaque;
};

struct irq_line {
	struct irq_sink *sink;
	int line;
};

static inline void irq_set(const struct irq_line *irq, int level)
{
	if (irq->sink)
		irq->sink->set_level(irq->sink->opaque, irq->line, level);
}

#endif
