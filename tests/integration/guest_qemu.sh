#!/bin/sh
# Boots each test-kernel workload under QEMU (TCG) and checks its console text and exit
# status. QEMU's isa-debug-exit turns the guest's status v into (v << 1) | 1.
cd "$(dirname "$0")/../.." || exit 1
S=guest_qemu
ELF=build/guest/testos.elf

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "skip $S: all: qemu-system-x86_64 not installed"
	exit 0
fi
if [ ! -f "$ELF" ] && ! make -s -C tests/guest B="$(pwd)/build/guest" >/dev/null; then
	echo "FAIL $S: build: make -C tests/guest failed"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# boot WORKLOAD [QEMU args...] < input: the kernel's text (firmware output before the
# kernel's first line dropped) in $tmp/out, QEMU's status in $rc.
boot() {
	w=$1
	shift
	timeout 30 qemu-system-x86_64 -accel tcg -kernel "$ELF" -append "workload=$w" \
		-nographic -serial stdio -monitor none -display none -net none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot "$@" >"$tmp/raw" 2>&1
	rc=$?
	tr -d '\r' <"$tmp/raw" | sed -n 's/^.*\(testos: x86-64 test kernel\)/\1/; /^testos: x86-64 test kernel/,$p' >"$tmp/out"
}

# check NAME EXPECTED_STATUS EXPECTED_FILE: compares $tmp/out and $rc.
check() {
	if [ "$rc" -ne "$2" ]; then
		echo "FAIL $S: $1: QEMU exit status $rc, expected $2"
		sed 's/^/    /' "$tmp/raw" | tail -20
	elif ! diff -u "$3" "$tmp/out" >"$tmp/diff"; then
		echo "FAIL $S: $1: unexpected console output"
		sed 's/^/    /' "$tmp/diff"
	else
		echo "ok $S: $1"
	fi
}

# hello: the RTC line must carry the host's UTC time (QEMU's RTC defaults to UTC).
boot hello </dev/null
rtc=$(sed -n 's/^hello: testos is up; RTC says \([0-9-]* [0-9:]*\)$/\1/p' "$tmp/out")
now=$(date -u +%s)
then=$(date -u -d "$rtc" +%s 2>/dev/null || echo 0)
sed 's/RTC says .*/RTC says <time>/' "$tmp/out" >"$tmp/out2" && mv "$tmp/out2" "$tmp/out"
cat >"$tmp/want" <<'TXT'
testos: x86-64 test kernel
testos: workload hello
hello: testos is up; RTC says <time>
hello: hello from a user task at CPL 3
testos: exit 0
TXT
check hello 1 "$tmp/want"
skew=$((now - then))
if [ "${skew#-}" -le 120 ]; then
	echo "ok $S: hello RTC time"
else
	echo "FAIL $S: hello RTC time: guest read '$rtc', host is $(date -u '+%F %T')"
fi

# compute: results checked against independently known values (primes below 3e6, the
# Project Euler 14 answer, a host build of the same hash, Python's pow for the Fermat test).
boot compute </dev/null
cat >"$tmp/want" <<'TXT'
testos: x86-64 test kernel
testos: workload compute
compute: task 0: primes below 3000000: 216816
compute: task 1: longest Collatz start below 1000000: 837799 (525 terms)
compute: task 2: FNV-1a of 100000000 xorshift words: 0x0ec78746514f0434
compute: task 3: base-2 Fermat probable primes below 6000000: 413441
compute: 4 tasks finished, results digest 0xc41e2e30aceda3ff
testos: exit 0
TXT
check compute 1 "$tmp/want"

# echo: input starts once the firmware is done (SeaBIOS/iPXE may swallow early bytes).
(sleep 2; printf 'hello world\nsecond line\r\n\nquit\n') | boot echo
cat >"$tmp/want" <<'TXT'
testos: x86-64 test kernel
testos: workload echo
echo: type lines, "quit" ends
001: hello world
002: second line
003: 
echo: quit after 3 lines
testos: exit 0
TXT
check echo 1 "$tmp/want"

# race: the result depends on where timer interrupts land, so it must differ between
# runs; the arithmetic must still add up.
: >"$tmp/race"
bad=
for i in 1 2 3 4 5 6 7 8; do
	boot race </dev/null
	line=$(grep '^race: counter' "$tmp/out")
	set -- $(echo "$line" | sed 's/[^0-9 ]//g')
	if [ "$rc" -ne 1 ] || [ $# -ne 5 ] || [ $(($1 + $5)) -ne "$2" ] || [ $(($3 + $4)) -ne "$2" ]; then
		bad="run $i: status $rc, '$line'"
		break
	fi
	echo "$line" >>"$tmp/race"
done
if [ -n "$bad" ]; then
	echo "FAIL $S: race: $bad"
elif [ "$(sort -u "$tmp/race" | wc -l)" -lt 2 ]; then
	echo "FAIL $S: race: 8 runs printed the same result: $(head -1 "$tmp/race")"
else
	echo "ok $S: race ($(sort -u "$tmp/race" | wc -l) distinct results in 8 runs)"
fi

# panic: fires every time, with the same report every time.
first=
for i in 1 2 3; do
	boot panic </dev/null
	if [ "$rc" -ne 7 ] || ! grep -q '^PANIC: page fault (vector 14, error 0x0) in kernel mode$' "$tmp/out" ||
		! grep -q '^  rip 0x[0-9a-f]* <sys_session_touch+0x[0-9a-f]*>$' "$tmp/out" ||
		! grep -q '^  cr2 0x0000000000000008$' "$tmp/out" ||
		! grep -q '<syscall_entry+0x[0-9a-f]*>$' "$tmp/out"; then
		echo "FAIL $S: panic: run $i: status $rc"
		sed 's/^/    /' "$tmp/out"
		first=failed
		break
	fi
	if [ -z "$first" ]; then
		first=$(cat "$tmp/out")
	elif [ "$first" != "$(cat "$tmp/out")" ]; then
		echo "FAIL $S: panic: run $i printed a different report"
		first=failed
		break
	fi
done
[ "$first" != failed ] && echo "ok $S: panic"

boot bogus </dev/null
cat >"$tmp/want" <<'TXT'
testos: x86-64 test kernel
testos: unknown workload 'bogus'; known: hello compute echo race panic
testos: exit 2
TXT
check "unknown workload" 5 "$tmp/want"
exit 0
