#!/bin/sh
# Linux on rewind's soft engine beside QEMU TCG (docs/benchmarks-linux.md): Debian's cloud
# kernel and the project's initramfs (make linux-guest) boot to the hello script and exit.
# Rounds interleave the configurations so that a slow spell of this shared host hits all of
# them alike: QEMU TCG run, rewind run, rewind record, rewind replay --verify of that record.
# Each sample: wall seconds, CPU seconds (user + system) and peak RSS; the trace's size.
# LINUX_BENCH_REPS rounds (default 3). Samples: build/bench/linux/samples.txt.
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh
. tests/linux/lib.sh
bench_setup linux
REPS=${LINUX_BENCH_REPS:-3}
if ! have_linux_assets; then
	echo "no $BZIMAGE or $INITRD: run make linux-guest" >&2
	exit 1
fi
cmdline="$LINUX_CMDLINE -- /etc/rewind/hello.sh"

# sample NAME STATUS COMMAND...: runs COMMAND under /usr/bin/time; the status must be STATUS.
sample() {
	name=$1 want=$2; shift 2
	/usr/bin/time -f "%e %U %S %M" -o "$B/time" "$@" </dev/null >"$B/$name.out" 2>"$B/$name.err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "$name: status $got, expected $want; see $B/$name.err" >&2
		exit 1
	fi
	read -r wall user sys rss <<EOF
$(tail -1 "$B/time")
EOF
	echo "$name $wall $(awk "BEGIN { print $user + $sys }") $rss" >>"$S"
}

for i in $(seq "$REPS"); do
	sample qemu 15 qemu-system-x86_64 -M isapc -cpu qemu64,-tsc,-apic,-nx -m 256 \
		-kernel "$BZIMAGE" -initrd "$INITRD" -append "$cmdline" -nographic -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=4
	sample run 7 "$B/rewind" run --engine soft -m 256M --initrd "$INITRD" --cmdline "$cmdline" "$BZIMAGE"
	sample record 7 "$B/rewind" record -o "$B/linux.rwd" --engine soft -m 256M --initrd "$INITRD" \
		--cmdline "$cmdline" "$BZIMAGE"
	echo "trace_bytes $(wc -c <"$B/linux.rwd")" >>"$S"
	sample replay 7 "$B/rewind" replay --verify "$B/linux.rwd"
done

# Median and range of each column per configuration.
echo "Linux boot to the hello script and exit, $REPS rounds (median [min .. max]):"
for name in qemu run record replay; do
	for col in 2 3 4; do
		grep "^$name " "$S" | cut -d' ' -f$col | sort -n >"$B/col"
		n=$(wc -l <"$B/col")
		printf '%s %s %s %s\n' "$name" "$col" "$(sed -n "$(((n + 1) / 2))p" "$B/col")" \
			"[$(head -1 "$B/col") .. $(tail -1 "$B/col")]"
	done
done | awk '{ unit = $2 == 2 ? "s wall" : $2 == 3 ? "s CPU" : "KB peak RSS";
	printf "  %-7s %10s %-12s %s %s %s\n", $1, $3, unit, $4, $5, $6 }'
grep '^trace_bytes ' "$S" | cut -d' ' -f2 | sort -n | sed -n 1p |
	awk '{ printf "  trace   %10d bytes (the smallest of the rounds; kernel and initrd included)\n", $1 }'
