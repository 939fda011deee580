# rewind — top-level build.
#   make          build/rewind, build/librewind.a, build/guest/testos.elf
#   make demo     build and run the test kernel's hello workload
#   make test     build and run every test (ends with "N passed, N failed"), the unit and
#                 bad-input tests once more under ASan+UBSan (build/asan/)
#   make asan     only build build/asan/rewind and its unit tests
#   make fuzz     run the libFuzzer targets for a bounded time
#   make bench    run the benchmarks under tests/bench/
#   make linux-guest  Debian's cloud kernel and a busybox initramfs in build/linux/ (downloads
#                 ~28 MB of Debian packages once; LINUX_DBG=1 adds vmlinux, ~280 MB more)
#   make test-linux   boot them (QEMU TCG; docs/linux.md)
#   make test-linux-soft  boot them on the soft engine (minutes; not in CI yet)
#   make test-svm the kvm engine's suites inside a nested-SVM guest (QEMU TCG, kvm-amd; docs/platform.md)
#   make svm-cross  a report: traces recorded here replayed under nested SVM, and the reverse
#   make soak-linux   record the hello boot 20 times, two at a time, replay each with --verify
#   make test-fidelity  20 bigger compute recordings under load replayed (docs/testing.md)
#   make mutate   break each check rewind relies on, one at a time: some test must notice

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -I. -MMD -MP
# Unicorn is linked statically (Debian's libunicorn-dev ships libunicorn.a, which needs only
# libm and libpthread): a trace's determinism rests on the exact emulator, so the binary carries
# the one it was built and tested with. core/soft_priv.h refuses Unicorn older than 2.1.
LDLIBS  := -llz4 -lxxhash -l:libunicorn.a -lunwind -lunwind-x86_64 -lpthread -lm

B := build

# The core is a library: the CLI and the tests link it.
LIB_SRC := $(wildcard core/*.c devices/*.c traces/*.c record/*.c replay/*.c gdb/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
UNIT_COMMON := $(B)/tests/unit/check.o
# Helpers the integration scripts run to build their inputs (not suites themselves).
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tests/tools/%)

all: $(B)/rewind guest $(UNIT_BIN) $(TOOL_BIN)

# The same binaries built with the sanitizers, for the bad-input tests: any report fails them.
# clang: its UBSan honours log_path, so tests/run.sh finds reports whatever a test does with stderr.
ASAN_CC ?= clang
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
	-Wno-gnu-variable-sized-type-not-at-end
bins: $(B)/rewind $(UNIT_BIN)
asan:
	@CFLAGS="$(ASAN_CFLAGS)" $(MAKE) --no-print-directory CC=$(ASAN_CC) B=$(B)/asan bins

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/librewind.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/rewind: $(CLI_OBJ) $(B)/librewind.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(B)/librewind.a $(LDLIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(UNIT_COMMON) $(B)/librewind.a
	$(CC) $(CFLAGS) -o $@ $< $(UNIT_COMMON) $(B)/librewind.a $(LDLIBS)

$(B)/tests/tools/%: $(B)/tests/tools/%.o $(B)/librewind.a
	$(CC) $(CFLAGS) -o $@ $< $(B)/librewind.a $(LDLIBS)

.PHONY: all bins asan guest deps demo test fuzz bench mutate clean linux-guest test-linux test-linux-soft test-linux-debug \
	test-svm svm-cross soak-linux test-fidelity
.SECONDARY:

guest:
	$(MAKE) -C tests/guest B=$(abspath $(B))/guest

# Installs the Debian packages the build and the tests use (no-op when present).
deps:
	@sh tests/deps.sh

# The tour: run the test kernel, record its racy workload, replay it exactly, look inside.
demo: deps all
	$(B)/rewind run --timeout 60 --cmdline workload=hello $(B)/guest/testos.elf </dev/null
	$(B)/rewind record -o $(B)/demo-race.rwd --timeout 60 --cmdline workload=race $(B)/guest/testos.elf </dev/null
	$(B)/rewind replay --verify $(B)/demo-race.rwd
	$(B)/rewind trace info $(B)/demo-race.rwd

test: deps all asan
	@sh tests/run.sh

# The Linux guest assets, from Debian's packages (tests/linux/assets.sh).
linux-guest:
	@sh tests/linux/assets.sh $(B)/linux

test-linux: deps all linux-guest
	@sh tests/run.sh tests/linux/boot_qemu.sh tests/linux/acpi_boot.sh

# Linux on the soft engine: run, record and replay --verify (docs/linux.md).
test-linux-soft: deps all linux-guest
	@sh tests/run.sh tests/linux/boot_soft.sh tests/linux/panic_soft.sh

# Interrupts in user code, recorded and replayed (issue 14): the quick version is in make test.
test-fidelity: deps all
	@FIDELITY_RUNS=20 FIDELITY_SCALE=8 sh tests/run.sh tests/integration/user_landings.sh

# Reverse-debugging a Linux kernel crash with gdb on its vmlinux (a 283 MB download, once).
test-linux-debug: deps all
	@$(MAKE) --no-print-directory linux-guest LINUX_DBG=1
	@sh tests/run.sh tests/linux/debug_soft.sh

# The kvm engine on hardware-virtualization semantics: Debian's cloud kernel under QEMU TCG with
# an SVM CPU loads kvm-amd, and the kvm engine's suites run inside (tests/svm/).
test-svm: deps all linux-guest
	@sh tests/run.sh tests/svm/svm.sh

# Not a test: how traces fare between this host's kvm and nested SVM's, both ways (issue 18).
svm-cross: deps all linux-guest
	@sh tests/svm/cross.sh

# The hello boot recorded LINUX_SOAK_N times (20), two at a time, each replayed with --verify
# (docs/linux.md; ~10 minutes on 2 cores).
soak-linux: deps all linux-guest
	@sh tests/run.sh tests/linux/soak.sh

fuzz: deps all
	@sh tests/fuzz/run.sh

bench: deps all
	@sh tests/bench/run.sh

# Not part of test: it rebuilds and reruns suites once per mutation (docs/testing.md).
mutate: deps all
	@sh tests/mutation/run.sh

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
