/* core/symbols.c: a System.map or /proc/kallsyms text, an ELF's .symtab (this test program's
 * own), lookups by name and by address, and every kind of bad symbol file refused with a
 * message naming the file. */
#include "core/symbols.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/rewind-symbols-XXXXXX";

static const char *write_file(const char *name, const void *data, size_t len)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	fwrite(data, 1, len, f);
	fclose(f);
	return path;
}

static const char *write_text(const char *name, const char *text)
{
	return write_file(name, text, strlen(text));
}

TEST(system_map)
{
	struct symbols s;
	char err[256], buf[64];
	const char *path = write_text("System.map",
				      "0000000000000000 D __per_cpu_start\n"
				      "00000000000001ea A kexec_control_code_size\n"
				      "ffffffff81000000 T _text\n"
				      "ffffffff81000000 T startup_64\n"
				      "ffffffff816a89f0 t sysrq_handle_crash\n"
				      "ffffffff816a8a10 T __handle_sysrq\n"
				      "ffffffff82000000 R linux_banner\n"
				      "ffffffff82000100 U undefined_here\n"
				      "ffffffffc0201000 t pvpanic_panic_notify\t[pvpanic]\n");
	CHECK(path);
	CHECK_EQ(symbols_load_file(&s, path, err, sizeof(err)), 0);
	/* Zero-address, absolute and undefined symbols name no place in the kernel. */
	CHECK_EQ(s.n, 6);
	CHECK(symbols_find(&s, "sysrq_handle_crash"));
	CHECK(!symbols_find(&s, "kexec_control_code_size"));
	CHECK(!symbols_find(&s, "undefined_here"));
	const struct symbol *crash = symbols_at(&s, 0xffffffff816a8a06);
	CHECK(crash && !strcmp(crash->name, "sysrq_handle_crash"));
	CHECK(crash->code);
	CHECK_EQ(crash->size, 0x20); /* up to the next symbol */
	CHECK(!strcmp(symbols_describe(&s, 0xffffffff816a8a06, buf, sizeof(buf)), "sysrq_handle_crash+0x16"));
	CHECK(!symbols_find(&s, "linux_banner")->code);
	CHECK(!symbols_at(&s, 0xffffffff80000000)); /* below every symbol */
	/* The last symbol covers its own byte only: nothing far beyond it is named after it. */
	CHECK(symbols_at(&s, 0xffffffffc0201000));
	CHECK(!symbols_at(&s, 0xffffffffc0201001));
	CHECK(!strcmp(symbols_describe(&s, 0xffffffffc0300000, buf, sizeof(buf)), "?"));
	symbols_free(&s);
}

TEST(elf_symtab)
{
	struct symbols s;
	char err[256];
	CHECK_EQ(symbols_load_file(&s, "/proc/self/exe", err, sizeof(err)), 0);
	const struct symbol *m = symbols_find(&s, "symbols_load_file");
	CHECK(m);
	CHECK(m->code);
	CHECK(m->size > 0);
	CHECK(symbols_at(&s, m->addr + m->size - 1) == m);
	symbols_free(&s);
}

/* load FILE: fails, and the message names the file and contains what. */
static int refused(const char *path, const char *what)
{
	struct symbols s;
	char err[256] = "";
	if (!path || symbols_load_file(&s, path, err, sizeof(err)) != -1)
		return 0;
	return strstr(err, path) && strstr(err, what) && s.n == 0 && !s.sym;
}

TEST(bad_symbol_files)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/nothing-here", dir);
	CHECK(refused(path, "No such file"));
	CHECK(refused(dir, "not a regular file"));
	CHECK(refused(write_text("empty", ""), "empty"));
	/* Debian's kernel package ships this one-line placeholder as its System.map. */
	CHECK(refused(write_text("placeholder",
				 "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n"),
		      "line 1 is not \"ADDRESS TYPE NAME\""));
	CHECK(refused(write_text("bad-address", "ffffffff8100zz00 T _text\n"), "line 1"));
	CHECK(refused(write_text("long-type", "ffffffff81000000 TT _text\n"), "line 1"));
	CHECK(refused(write_text("short", "ffffffff81000000 T _text\nffffffff81000010 T\n"), "line 2"));
	CHECK(refused(write_text("only-absolute", "00000000000001ea A kexec_control_code_size\n"),
		      "no symbol with an address"));
	static const uint8_t garbage[] = { 0x7f, 'E', 'L', 'X', 0, 1, 2, 3, 0xff, 0 };
	CHECK(refused(write_file("garbage", garbage, sizeof(garbage)), "neither an ELF file nor a text"));
	/* An ELF header with nothing after it: no symbol table to read. */
	uint8_t elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	CHECK(refused(write_file("headless.elf", elf, sizeof(elf)), "without a symbol table"));
}

TEST(no_final_newline)
{
	struct symbols s;
	char err[256];
	const char *path = write_text("unterminated", "ffffffff81000000 T _text\nffffffff81000010 T panic");
	CHECK_EQ(symbols_load_file(&s, path, err, sizeof(err)), 0);
	CHECK_EQ(s.n, 2);
	CHECK(symbols_find(&s, "panic"));
	symbols_free(&s);
}

static void setup(void)
{
	if (!mkdtemp(dir))
		abort();
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
	setup();
	static const struct check_case tests[] = { T(system_map), T(elf_symtab), T(bad_symbol_files),
						   T(no_final_newline) };
	int rc = check_run(__FILE__, tests, (int)(sizeof(tests) / sizeof(tests[0])));
	teardown();
	return rc;
}
