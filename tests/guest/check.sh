#!/bin/sh
# Boots every testos workload under a runner and checks its console text and exit status,
# printing "ok SUITE: CASE", "FAIL SUITE: CASE" or "skip SUITE: CASE: why" lines.
#   usage: sh tests/guest/check.sh qemu|rewind [SUITE]
# The expected text is in tests/guest/expected/ and is the same for both runners: only the
# RTC time (hello) and the race numbers differ between runs.
cd "$(dirname "$0")/../.." || exit 1
runner=$1
S=${2:-guest_$1}
ELF=build/guest/testos.elf
EXP=tests/guest/expected

case $runner in
qemu)
	if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
		echo "skip $S: all: qemu-system-x86_64 not installed"
		exit 0
	fi
	race_runs=8
	;;
rewind)
	if [ ! -x build/rewind ]; then
		echo "skip $S: all: build/rewind not built"
		exit 0
	fi
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "skip $S: all: /dev/kvm not usable"
		exit 0
	fi
	race_runs=5
	;;
*)
	echo "usage: sh tests/guest/check.sh qemu|rewind [SUITE]" >&2
	exit 2
	;;
esac
if [ ! -f "$ELF" ] && ! make -s -C tests/guest B="$(pwd)/build/guest" >/dev/null; then
	echo "FAIL $S: build: make -C tests/guest failed"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The status the runner reports for guest exit status $1: QEMU's isa-debug-exit turns v
# into (v << 1) | 1, rewind passes it through.
status_of() {
	if [ "$runner" = qemu ]; then echo $(($1 * 2 + 1)); else echo "$1"; fi
}

# boot WORKLOAD [INPUT]: the kernel's text in $tmp/out (QEMU's firmware text before the
# kernel's first line dropped, CRs removed), the runner's status in $rc.
boot() {
	input=${2:-/dev/null}
	if [ "$runner" = qemu ]; then
		# SeaBIOS and iPXE read the serial port too: start input once the kernel runs.
		delay=0
		[ "$input" != /dev/null ] && delay=2
		(sleep $delay; cat "$input") | timeout 30 qemu-system-x86_64 -accel tcg \
			-kernel "$ELF" -append "workload=$1" -nographic -serial stdio \
			-monitor none -display none -net none -no-reboot \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 >"$tmp/raw" 2>"$tmp/err"
	else
		timeout 60 build/rewind run --timeout 30 --cmdline "workload=$1" \
			--serial-in "$input" "$ELF" >"$tmp/raw" 2>"$tmp/err" </dev/null
	fi
	rc=$?
	tr -d '\r' <"$tmp/raw" |
		sed -n 's/^.*\(testos: x86-64 test kernel\)/\1/; /^testos: x86-64 test kernel/,$p' >"$tmp/out"
}

report_failure() {
	echo "FAIL $S: $1"
	sed 's/^/    | /' "$tmp/raw" | tail -20
	sed 's/^/    ! /' "$tmp/err" | tail -5
}

# check CASE GUEST_STATUS EXPECTED_FILE [RUNNER_STATUS]: RUNNER_STATUS when the run does not end
# through the debug-exit port.
check() {
	want=${4:-$(status_of "$2")}
	if [ "$rc" -ne "$want" ]; then
		report_failure "$1: exit status $rc, expected $want"
	elif ! diff -u "$3" "$tmp/out" >"$tmp/diff"; then
		echo "FAIL $S: $1: unexpected console output"
		sed 's/^/    /' "$tmp/diff"
	else
		echo "ok $S: $1"
	fi
}

# hello: the RTC line must carry the host's UTC time (both runners' RTCs default to UTC).
boot hello
rtc=$(sed -n 's/^hello: testos is up; RTC says \([0-9-]* [0-9:]*\)$/\1/p' "$tmp/out")
now=$(date -u +%s)
then=$(date -u -d "$rtc" +%s 2>/dev/null || echo 0)
sed -i 's/RTC says .*/RTC says <time>/' "$tmp/out"
check hello 0 "$EXP/hello.txt"
skew=$((now - then))
if [ "${skew#-}" -le 120 ]; then
	echo "ok $S: hello RTC time"
else
	echo "FAIL $S: hello RTC time: guest read '$rtc', host is $(date -u '+%F %T')"
fi

# compute: results checked against independently known values (primes below 3e6, the
# Project Euler 14 answer, a host build of the same hash, Python's pow for the Fermat test).
boot compute
check compute 0 "$EXP/compute.txt"

boot echo "$EXP/echo.in"
check echo 0 "$EXP/echo.txt"

# The line discipline as a terminal sends keys: CR, LF and CRLF end lines, Backspace and DEL
# erase (not past the line's start), Ctrl-C drops the line; everything is echoed.
boot echo "$EXP/keys.in"
check "echo keys" 0 "$EXP/keys.txt"

# race: the result depends on where timer interrupts land, so it must differ between
# runs; the arithmetic must still add up.
: >"$tmp/race"
bad=
i=0
while [ $i -lt $race_runs ]; do
	i=$((i + 1))
	boot race
	line=$(grep '^race: counter' "$tmp/out")
	set -- $(echo "$line" | sed 's/[^0-9 ]//g')
	if [ "$rc" -ne "$(status_of 0)" ] || [ $# -ne 5 ] || [ $(($1 + $5)) -ne "$2" ] ||
		[ $(($3 + $4)) -ne "$2" ]; then
		bad="run $i: status $rc, '$line'"
		break
	fi
	echo "$line" >>"$tmp/race"
done
distinct=$(sort -u "$tmp/race" | wc -l)
if [ -n "$bad" ]; then
	report_failure "race: $bad"
elif [ "$distinct" -lt 2 ]; then
	echo "FAIL $S: race: $race_runs runs printed the same result: $(head -1 "$tmp/race")"
else
	echo "ok $S: race ($distinct distinct results in $race_runs runs)"
fi

# panic: fires every time, with the same report every time.
first=
for i in 1 2 3; do
	boot panic
	if [ "$rc" -ne "$(status_of 3)" ] ||
		! grep -q '^PANIC: page fault (vector 14, error 0x0) in kernel mode$' "$tmp/out" ||
		! grep -q '^  rip 0x[0-9a-f]* <sys_session_touch+0x[0-9a-f]*>$' "$tmp/out" ||
		! grep -q '^  cr2 0x0000000000000008$' "$tmp/out" ||
		! grep -q '<syscall_entry+0x[0-9a-f]*>$' "$tmp/out"; then
		report_failure "panic: run $i: status $rc"
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

boot bogus
check "unknown workload" 2 "$EXP/bogus.txt"

# poweroff: S5 through the ACPI tables, rewind's (core/acpi_tables.c) or QEMU's -M pc ones;
# both runners end with status 0 when the guest powers the machine off.
boot poweroff
check poweroff 0 "$EXP/poweroff.txt" 0
exit 0
