/* PCI configuration mechanism #1 (devices/pci_host.c) beside the reset control register at
 * 0xcf9 (devices/reset.c), as the two share 0xcf8-0xcff on a PC. */
#include "devices/pci_host.h"
#include "devices/reset.h"
#include "tests/unit/check.h"
#include "tests/unit/devtest.h"

struct fixture {
	struct bus bus;
	struct pci_host ph;
	struct reset_ctl rst;
	int resets;
};

static void note_reset(void *ctx)
{
	((struct fixture *)ctx)->resets++;
}

static int setup(struct fixture *f)
{
	bus_init(&f->bus, NULL);
	f->resets = 0;
	int err = pci_host_init(&f->ph, &f->bus);
	return err ? err : reset_init(&f->rst, &f->bus, note_reset, f);
}

static void out(struct fixture *f, uint16_t port, uint64_t v, int size)
{
	bus_write(&f->bus, BUS_PIO, port, v, size);
}

static uint64_t in(struct fixture *f, uint16_t port, int size)
{
	return bus_read(&f->bus, BUS_PIO, port, size);
}

static uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return PCI_CONFIG_ENABLE | bus << 16 | dev << 11 | fn << 8 | reg;
}

/* A configuration read the way Linux's pci_conf1_read does it. */
static uint64_t cfg_read(struct fixture *f, uint32_t addr, int size)
{
	out(f, PCI_CONFIG_ADDRESS, addr & ~3u, 4);
	return in(f, (uint16_t)(PCI_CONFIG_DATA + (addr & 3)), size);
}

TEST(config_address_latch)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 4), 0);
	/* Linux's type 1 probe: write the enable bit, read it back. */
	out(&f, PCI_CONFIG_ADDRESS, 0x80000000u, 4);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 4), 0x80000000u);
	/* Reserved bits 30-24 and the low two bits read 0. */
	out(&f, PCI_CONFIG_ADDRESS, 0xffffffffu, 4);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 4), 0x80fffffcu);
	/* Byte and word accesses are not CONFIG_ADDRESS: they leave it and read all ones. */
	out(&f, PCI_CONFIG_ADDRESS, 0, 1);
	out(&f, PCI_CONFIG_ADDRESS, 0, 2);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 4), 0x80fffffcu);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 1), 0xff);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 2), 0xffff);
	out(&f, 0xcfb, 0x01, 1); /* Linux writes this before probing */
	CHECK_EQ(in(&f, 0xcfa, 1), 0xff);
	CHECK_EQ(in(&f, 0xcfa, 2), 0xffff);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 4), 0x80fffffcu);
	CHECK_EQ(f.resets, 0);
}

TEST(host_bridge_at_00_00_0)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(cfg_read(&f, cfg_addr(0, 0, 0, 0x00), 4), PCI_HOST_VENDOR | PCI_HOST_DEVICE << 16);
	CHECK_EQ(cfg_read(&f, cfg_addr(0, 0, 0, 0x00), 2), PCI_HOST_VENDOR);
	CHECK_EQ(cfg_read(&f, cfg_addr(0, 0, 0, 0x02), 2), PCI_HOST_DEVICE);
	CHECK_EQ(cfg_read(&f, cfg_addr(0, 0, 0, 0x08), 4),
		 PCI_HOST_REVISION | PCI_CLASS_HOST_BRIDGE << 8);
	/* pci_sanity_check reads the class as a word at 0x0a: host bridge, 0x0600. */
	CHECK_EQ(cfg_read(&f, cfg_addr(0, 0, 0, 0x0a), 2), 0x0600);
	CHECK_EQ(cfg_read(&f, cfg_addr(0, 0, 0, 0x0b), 1), 0x06);
	CHECK_EQ(cfg_read(&f, cfg_addr(0, 0, 0, 0x0e), 1), 0); /* header type 0, one function */
	for (unsigned reg = 0x10; reg < 0x100; reg += 4) /* no BARs, nothing else */
		CHECK_EQ(cfg_read(&f, cfg_addr(0, 0, 0, reg), 4), 0);
	/* The header is read-only. */
	out(&f, PCI_CONFIG_ADDRESS, cfg_addr(0, 0, 0, 0x04), 4);
	out(&f, PCI_CONFIG_DATA, 0xffffffffu, 4);
	CHECK_EQ(in(&f, PCI_CONFIG_DATA, 4), 0);
	out(&f, PCI_CONFIG_ADDRESS, cfg_addr(0, 0, 0, 0x00), 4);
	out(&f, PCI_CONFIG_DATA, 0, 4);
	CHECK_EQ(in(&f, PCI_CONFIG_DATA, 2), PCI_HOST_VENDOR);
}

TEST(absent_functions_read_all_ones)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	for (unsigned devfn = 1; devfn < 256; devfn++)
		CHECK_EQ(cfg_read(&f, cfg_addr(0, devfn >> 3, devfn & 7, 0), 4), 0xffffffffu);
	for (unsigned bus = 1; bus < 256; bus++)
		CHECK_EQ(cfg_read(&f, cfg_addr(bus, 0, 0, 0), 2), 0xffff);
	CHECK_EQ(cfg_read(&f, cfg_addr(0, 3, 0, 0x0a), 1), 0xff);
	/* Writes to them go nowhere and change nothing. */
	out(&f, PCI_CONFIG_ADDRESS, cfg_addr(0, 1, 0, 0x04), 4);
	out(&f, PCI_CONFIG_DATA, 0x12345678, 4);
	CHECK_EQ(in(&f, PCI_CONFIG_DATA, 4), 0xffffffffu);
	CHECK_EQ(cfg_read(&f, cfg_addr(0, 0, 0, 0x04), 4), 0);
}

TEST(disabled_mechanism_reads_all_ones)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, PCI_CONFIG_ADDRESS, 0x00000000, 4); /* 00:00.0, register 0, enable clear */
	CHECK_EQ(in(&f, PCI_CONFIG_DATA, 4), 0xffffffffu);
	CHECK_EQ(in(&f, PCI_CONFIG_DATA + 3, 1), 0xff);
}

/* CONFIG_DATA at 0xcfc + n is register + n; an access running past 0xcff gets all ones for
 * the bytes beyond. */
TEST(config_data_byte_lanes)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, PCI_CONFIG_ADDRESS, cfg_addr(0, 0, 0, 0x00), 4);
	CHECK_EQ(in(&f, PCI_CONFIG_DATA + 1, 1), PCI_HOST_VENDOR >> 8);
	CHECK_EQ(in(&f, PCI_CONFIG_DATA + 1, 2), (PCI_HOST_VENDOR >> 8) | (PCI_HOST_DEVICE & 0xff) << 8);
	CHECK_EQ(in(&f, PCI_CONFIG_DATA + 2, 4), PCI_HOST_DEVICE | 0xffff0000u);
	CHECK_EQ(in(&f, PCI_CONFIG_DATA + 3, 4), (PCI_HOST_DEVICE >> 8) | 0xffffff00u);
}

TEST(reset_register_between_them)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	/* A dword at 0xcf8 is CONFIG_ADDRESS, even one whose byte 1 has bit 2 set... */
	out(&f, PCI_CONFIG_ADDRESS, 0x80000600u, 4);
	CHECK_EQ(f.resets, 0);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 4), 0x80000600u);
	/* ...and a byte at 0xcf9 is the reset control register. */
	out(&f, RESET_CF9, 0x02, 1);
	out(&f, RESET_CF9, 0x06, 1);
	CHECK_EQ(f.resets, 1);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 4), 0x80000600u);
}

/* Linux's probes (arch/x86/pci/direct.c), step by step: mechanism #1 is found and passes the
 * sanity check through the host bridge's class; mechanism #2 is not found. */
TEST(linux_finds_mechanism_1_only)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	/* pci_check_type1 */
	out(&f, 0xcfb, 0x01, 1);
	uint32_t saved = (uint32_t)in(&f, PCI_CONFIG_ADDRESS, 4);
	out(&f, PCI_CONFIG_ADDRESS, 0x80000000u, 4);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 4), 0x80000000u);
	/* pci_sanity_check: the first devfn whose class word is a host bridge or VGA. */
	int found = -1;
	for (unsigned devfn = 0; devfn < 256 && found < 0; devfn++)
		if (cfg_read(&f, cfg_addr(0, devfn >> 3, devfn & 7, 0x0a), 2) == 0x0600)
			found = (int)devfn;
	CHECK_EQ(found, 0);
	out(&f, PCI_CONFIG_ADDRESS, saved, 4);
	CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 4), saved);
	/* pci_check_type2: zeros written to 0xcfb, 0xcf8, 0xcfa must read back as zeros. */
	out(&f, 0xcfb, 0x00, 1);
	out(&f, PCI_CONFIG_ADDRESS, 0x00, 1);
	out(&f, 0xcfa, 0x00, 1);
	CHECK(in(&f, PCI_CONFIG_ADDRESS, 1) != 0 || in(&f, 0xcfa, 1) != 0);
	CHECK_EQ(f.resets, 0);
}

TEST(save_load)
{
	struct fixture a, b;
	uint8_t blob[32], blob2[32];
	CHECK_EQ(setup(&a), 0);
	CHECK_EQ(setup(&b), 0);
	out(&a, PCI_CONFIG_ADDRESS, cfg_addr(0, 0, 0, 0x08), 4);
	struct device da = pci_host_device(&a.ph), db = pci_host_device(&b.ph);
	long n = da.save(da.opaque, blob, sizeof(blob));
	CHECK_EQ(n, 8 + sizeof(struct pci_host_state));
	CHECK_EQ(da.save(da.opaque, blob, (size_t)n - 1), -1);
	CHECK_EQ(db.load(db.opaque, blob, (size_t)n), 0);
	CHECK_EQ(db.save(db.opaque, blob2, sizeof(blob2)), n);
	CHECK(memcmp(blob, blob2, (size_t)n) == 0);
	CHECK_EQ(in(&b, PCI_CONFIG_DATA + 2, 2), PCI_CLASS_HOST_BRIDGE >> 8);
	CHECK_EQ(db.load(db.opaque, blob, (size_t)n + 1), -1);
	uint8_t bad[32];
	memcpy(bad, blob, (size_t)n);
	bad[8] |= 0x01; /* bits 1-0 of CONFIG_ADDRESS cannot be set */
	CHECK_EQ(db.load(db.opaque, bad, (size_t)n), -1);
	memcpy(bad, blob, (size_t)n);
	bad[8 + 3] |= 0x40; /* nor reserved bit 30 */
	CHECK_EQ(db.load(db.opaque, bad, (size_t)n), -1);
	CHECK_EQ(in(&b, PCI_CONFIG_ADDRESS, 4), cfg_addr(0, 0, 0, 0x08));
}

TEST(garbage_never_crashes)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	for (uint64_t seed = 1; seed < 300; seed++) {
		test_fuzz_ports(&f.bus, NULL, NULL, PCI_CONFIG_ADDRESS, 8, seed, 100);
		CHECK_EQ(in(&f, PCI_CONFIG_ADDRESS, 4) & ~PCI_CONFIG_ADDRESS_BITS, 0);
	}
	/* Whatever happened, the mechanism still works. */
	CHECK_EQ(cfg_read(&f, cfg_addr(0, 0, 0, 0), 2), PCI_HOST_VENDOR);
}

RUN_TESTS(T(config_address_latch), T(host_bridge_at_00_00_0), T(absent_functions_read_all_ones),
	  T(disabled_mechanism_reads_all_ones), T(config_data_byte_lanes),
	  T(reset_register_between_them), T(linux_finds_mechanism_1_only), T(save_load), T(garbage_never_crashes))
