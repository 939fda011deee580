#!/bin/sh
# The test kernel under each engine and under QEMU TCG, side by side: process start to the
# banner, the whole hello run, the whole compute run, and the peak resident set of each run.
# Rounds interleave the configurations (ENGINES_REPS, default 3); each row is median
# [min .. max]. Results: docs/benchmarks.md, docs/soft-engine.md.
cd "$(dirname "$0")/../.."
REPS=${ENGINES_REPS:-3}
. tests/bench/lib.sh
bench_setup engines
BANNER='testos: x86-64 test kernel'
QEMU="qemu-system-x86_64 -accel tcg -nographic -serial stdio -monitor none -display none -net none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel $B/testos.elf"

# one KEY WANT_STATUS COMMAND...: a sample of KEY.wall, KEY.rss and KEY.banner.
one() {
	key=$1 want=$2
	shift 2
	line=$($B/timeit -t 120 -b "$BANNER" -- "$@" </dev/null 2>>$B/stderr.log)
	set -- $(echo "$line" | sed 's/[a-z]*=//g')
	if [ $# -ne 6 ] || [ "$3" -ne "$want" ]; then
		echo "engines: $key: failed ($line)" >&2
		return
	fi
	echo "$key.wall $1" >>$S
	echo "$key.rss $6" >>$S
	[ "$2" != "-1.000000" ] && echo "$key.banner $2" >>$S
}

echo "engines: $REPS rounds on $(nproc) cores, $(uname -r), $(date -u '+%Y-%m-%d %H:%M:%S') UTC"
r=1
while [ $r -le "$REPS" ]; do
	for e in kvm soft; do
		one $e.hello 0 $B/rewind run --engine $e --cmdline workload=hello $B/testos.elf
		one $e.compute 0 $B/rewind run --engine $e --cmdline workload=compute $B/testos.elf
	done
	one qemu.hello 1 $QEMU -append workload=hello
	one qemu.compute 1 $QEMU -append workload=compute
	r=$((r + 1))
done

row() {
	sort -k2 -g "$S" | awk -v k="$1" -v label="$2" -v scale="$3" -v unit="$4" '
		$1 == k { v[n++] = $2 * scale }
		END { if (!n) { printf "  %-44s (no sample)\n", label; exit }
		      printf "  %-44s %10.3f %s [%.3f .. %.3f] n=%d\n", label, v[int((n - 1) / 2)], unit, v[0], v[n - 1], n }'
}
for e in kvm soft qemu; do
	row $e.hello.banner "$e: process start to banner" 1000 ms
	row $e.hello.wall "$e: whole hello run" 1000 ms
	row $e.compute.wall "$e: whole compute run" 1 s
	row $e.hello.rss "$e: peak RSS, hello" 0.001 MB
	row $e.compute.rss "$e: peak RSS, compute" 0.001 MB
done
