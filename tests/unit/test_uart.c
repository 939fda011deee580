/* The 16550A at register level: divisor latch, FIFO and trigger levels, IIR priorities and the
 * THRE interrupt, LSR/MSR bits, loopback, scratch. */
#include "devices/uart.h"
#include "tests/unit/check.h"
#include "tests/unit/devtest.h"

struct fixture {
	struct bus bus;
	struct irq_probe irq;
	struct uart uart;
	uint8_t sent[64];
	int nsent;
};

static void capture_tx(void *ctx, uint8_t byte)
{
	struct fixture *f = ctx;
	if (f->nsent < (int)sizeof(f->sent))
		f->sent[f->nsent] = byte;
	f->nsent++;
}

static int setup(struct fixture *f)
{
	bus_init(&f->bus, NULL);
	f->nsent = 0;
	return uart_init(&f->uart, &f->bus, UART_COM1_BASE, irq_probe_init(&f->irq, 4), capture_tx,
			 f);
}

static void out(struct fixture *f, int reg, uint8_t v)
{
	bus_write(&f->bus, BUS_PIO, UART_COM1_BASE + reg, v, 1);
}

static uint8_t in(struct fixture *f, int reg)
{
	return (uint8_t)bus_read(&f->bus, BUS_PIO, UART_COM1_BASE + reg, 1);
}

static int receive_str(struct fixture *f, const char *s)
{
	return uart_receive(&f->uart, (const uint8_t *)s, (int)strlen(s));
}

TEST(reset_state)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(in(&f, 1), 0x00); /* IER */
	CHECK_EQ(in(&f, 2), 0x01); /* IIR: no interrupt, FIFOs off */
	CHECK_EQ(in(&f, 5), 0x60); /* LSR: THRE, TEMT */
	CHECK_EQ(in(&f, 6), 0xb0); /* MSR: CTS, DSR, DCD */
	CHECK_EQ(f.irq.level[4], 0);
	CHECK(uart_rx_ready(&f.uart));
}

TEST(divisor_latch)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 3, 0x80);
	out(&f, 0, 0x01);
	out(&f, 1, 0x02);
	CHECK_EQ(in(&f, 0), 0x01);
	CHECK_EQ(in(&f, 1), 0x02);
	CHECK_EQ(f.nsent, 0); /* DLL writes do not transmit */
	out(&f, 3, 0x03);
	CHECK_EQ(in(&f, 1), 0x00); /* IER again */
	out(&f, 0, 'A');
	CHECK_EQ(f.nsent, 1);
	CHECK_EQ(f.sent[0], 'A');
	out(&f, 3, 0x83);
	CHECK_EQ(in(&f, 0), 0x01); /* the divisor survived */
	CHECK_EQ(in(&f, 3), 0x83);
}

TEST(scratch_and_mcr)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 7, 0x5a);
	CHECK_EQ(in(&f, 7), 0x5a);
	out(&f, 4, 0xff);
	CHECK_EQ(in(&f, 4), 0x1f);
}

TEST(receive_without_fifo_holds_one_byte)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(receive_str(&f, "xy"), 1);
	CHECK(!uart_rx_ready(&f.uart));
	CHECK_EQ(in(&f, 5), 0x61);
	CHECK_EQ(in(&f, 0), 'x');
	CHECK_EQ(in(&f, 5), 0x60);
	CHECK_EQ(in(&f, 0), 'x'); /* an empty RBR reads its last byte */
	CHECK_EQ(uart_receive(&f.uart, NULL, 3), 0);
	CHECK_EQ(uart_receive(&f.uart, (const uint8_t *)"a", -1), 0);
}

TEST(fifo_fill_and_order)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 2, 0x01);
	CHECK_EQ(in(&f, 2) & 0xc0, 0xc0);
	CHECK_EQ(receive_str(&f, "0123456789abcdefGHIJ"), 16);
	CHECK(!uart_rx_ready(&f.uart));
	CHECK_EQ(in(&f, 5) & 0x02, 0); /* the VMM kept the rest: no overrun */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(in(&f, 0), "0123456789abcdef"[i]);
	CHECK_EQ(in(&f, 5) & 0x01, 0);
	CHECK_EQ(receive_str(&f, "GH"), 2);
	out(&f, 2, 0x03); /* clear the receive FIFO */
	CHECK_EQ(in(&f, 5) & 0x01, 0);
	CHECK_EQ(receive_str(&f, "K"), 1);
	out(&f, 2, 0x00); /* FIFOs off: emptied */
	CHECK_EQ(in(&f, 5) & 0x01, 0);
	CHECK_EQ(in(&f, 2), 0x01);
}

TEST(trigger_level_and_timeout)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 2, 0xc1); /* trigger at 14 */
	out(&f, 1, 0x01);
	CHECK_EQ(receive_str(&f, "0123456789abc"), 13);
	CHECK_EQ(in(&f, 2), 0xcc); /* below the trigger: reported as a character timeout */
	CHECK_EQ(f.irq.level[4], 1);
	CHECK_EQ(receive_str(&f, "d"), 1);
	CHECK_EQ(in(&f, 2), 0xc4);
	for (int i = 0; i < 14; i++)
		(void)in(&f, 0);
	CHECK_EQ(in(&f, 2), 0xc1);
	CHECK_EQ(f.irq.level[4], 0);
	out(&f, 2, 0x41); /* trigger at 4 */
	CHECK_EQ(receive_str(&f, "wxyz"), 4);
	CHECK_EQ(in(&f, 2), 0xc4);
}

TEST(thre_interrupt)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 1, 0x02); /* enabling ETBEI with THR empty interrupts at once */
	CHECK_EQ(f.irq.level[4], 1);
	CHECK_EQ(in(&f, 2), 0x02);
	CHECK_EQ(f.irq.level[4], 0); /* reading IIR cleared it */
	CHECK_EQ(in(&f, 2), 0x01);
	out(&f, 0, 'z'); /* THR empties again at once: due again */
	CHECK_EQ(f.nsent, 1);
	CHECK_EQ(f.irq.level[4], 1);
	out(&f, 1, 0x00);
	CHECK_EQ(f.irq.level[4], 0);
	out(&f, 1, 0x02);
	CHECK_EQ(f.irq.level[4], 1);
}

TEST(iir_priority_order)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 4, 0x10); /* loopback: the modem inputs drop (deltas), RX from THR */
	out(&f, 1, 0x0f);
	out(&f, 0, 'a');
	out(&f, 0, 'b'); /* no FIFO: overrun */
	CHECK_EQ(f.nsent, 0);
	CHECK_EQ(in(&f, 2), 0x06); /* line status first */
	CHECK_EQ(in(&f, 5), 0x63); /* DR, OE, THRE, TEMT; reading clears OE */
	CHECK_EQ(in(&f, 2), 0x04); /* then received data */
	CHECK_EQ(in(&f, 0), 'a');
	CHECK_EQ(in(&f, 2), 0x02); /* then THRE, cleared by this read */
	CHECK_EQ(in(&f, 2), 0x00); /* then modem status */
	CHECK_EQ(in(&f, 6), 0x0b); /* DCTS, DDSR, DDCD; all inputs low */
	CHECK_EQ(in(&f, 2), 0x01);
	CHECK_EQ(f.irq.level[4], 0);
}

TEST(loopback_modem_lines)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 4, 0x1f);
	CHECK_EQ(in(&f, 6), 0xf0); /* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD; no change */
	out(&f, 4, 0x1b);	    /* drop OUT1: RI trailing edge */
	CHECK_EQ(in(&f, 6), 0xb4);
	out(&f, 4, 0x1f); /* RI rising: no TERI */
	CHECK_EQ(in(&f, 6), 0xf0);
	CHECK(!uart_rx_ready(&f.uart));
	CHECK_EQ(receive_str(&f, "q"), 0);
	out(&f, 2, 0x01);
	out(&f, 0, 'L');
	out(&f, 0, 'M');
	CHECK_EQ(in(&f, 0), 'L');
	CHECK_EQ(in(&f, 0), 'M');
	CHECK_EQ(f.nsent, 0);
	out(&f, 4, 0x00); /* back to the line */
	out(&f, 0, 'N');
	CHECK_EQ(f.nsent, 1);
	CHECK_EQ(in(&f, 6) & 0xf0, 0xb0);
}

TEST(wide_access_is_byte_cycles)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 7, 0x77);
	out(&f, 3, 0x80);
	out(&f, 0, 0x0c);
	/* A 16-bit read of DLL:DLM and a 32-bit read running into the scratch register. */
	CHECK_EQ(bus_read(&f.bus, BUS_PIO, UART_COM1_BASE, 2), 0x000c);
	CHECK_EQ(bus_read(&f.bus, BUS_PIO, UART_COM1_BASE + 4, 4), 0x77b06000);
	/* Bytes past the last port read as an empty bus. */
	CHECK_EQ(bus_read(&f.bus, BUS_PIO, UART_COM1_BASE + 7, 2), 0xff77);
}

TEST(save_load_same_behaviour)
{
	struct fixture a, b;
	uint8_t blob[256], blob2[256];
	CHECK_EQ(setup(&a), 0);
	CHECK_EQ(setup(&b), 0);
	out(&a, 2, 0x81);
	out(&a, 1, 0x05);
	out(&a, 7, 0x42);
	CHECK_EQ(receive_str(&a, "hello"), 5);
	(void)in(&a, 0);
	struct device da = uart_device(&a.uart), db = uart_device(&b.uart);
	long n = da.save(da.opaque, blob, sizeof(blob));
	CHECK(n > 0);
	CHECK_EQ(db.load(db.opaque, blob, (size_t)n), 0);
	CHECK_EQ(db.save(db.opaque, blob2, sizeof(blob2)), n);
	CHECK(memcmp(blob, blob2, (size_t)n) == 0);
	CHECK_EQ(in(&b, 2), in(&a, 2));
	CHECK_EQ(in(&b, 7), 0x42);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(in(&b, 0), in(&a, 0));
	CHECK_EQ(uart_rx_ready(&b.uart), uart_rx_ready(&a.uart));
	CHECK_EQ(receive_str(&b, "0123456789abcdefg"), receive_str(&a, "0123456789abcdefg"));
}

TEST(load_rejects_bad_blobs)
{
	struct fixture f;
	uint8_t blob[256];
	CHECK_EQ(setup(&f), 0);
	struct device d = uart_device(&f.uart);
	long n = d.save(d.opaque, blob, sizeof(blob));
	CHECK(n > 8);
	blob[8 + offsetof(struct uart_state, rx_count)] = 17;
	CHECK_EQ(d.load(d.opaque, blob, (size_t)n), -1);
	blob[8 + offsetof(struct uart_state, rx_count)] = 2; /* FIFO off: at most 1 */
	CHECK_EQ(d.load(d.opaque, blob, (size_t)n), -1);
	blob[8 + offsetof(struct uart_state, rx_count)] = 0;
	blob[8 + offsetof(struct uart_state, rx_head)] = 16;
	CHECK_EQ(d.load(d.opaque, blob, (size_t)n), -1);
	blob[8 + offsetof(struct uart_state, rx_head)] = 0;
	CHECK_EQ(d.load(d.opaque, blob, (size_t)n), 0);
	CHECK_EQ(d.load(d.opaque, blob, (size_t)n - 1), -1);
}

TEST(garbage_never_crashes)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	struct device d = uart_device(&f.uart);
	uint64_t rng = 99;
	for (uint64_t seed = 1; seed < 300; seed++) {
		test_fuzz_ports(&f.bus, &d, NULL, UART_COM1_BASE, 8, seed, 200);
		uint8_t buf[32];
		for (int i = 0; i < 32; i++)
			buf[i] = (uint8_t)test_rand(&rng);
		int n = uart_receive(&f.uart, buf, (int)(test_rand(&rng) % 33));
		CHECK(n >= 0 && n <= UART_FIFO_SIZE);
		CHECK(f.uart.s.rx_count <= UART_FIFO_SIZE);
	}
	/* The IRQ line always agrees with IIR. */
	CHECK_EQ(f.irq.level[4], (f.uart.s.irq_level));
}

RUN_TESTS(T(reset_state), T(divisor_latch), T(scratch_and_mcr),
	  T(receive_without_fifo_holds_one_byte), T(fifo_fill_and_order),
	  T(trigger_level_and_timeout), T(thre_interrupt), T(iir_priority_order),
	  T(loopback_modem_lines), T(wide_access_is_byte_cycles), T(save_load_same_behaviour),
	  T(load_rejects_bad_blobs), T(garbage_never_crashes))
