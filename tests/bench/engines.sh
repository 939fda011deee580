#!/bin/sh
# The test kernel under each engine and under QEMU TCG, side by side: process start to the
# banner, the whole hello run, the whole compute run, and the peak resident set of each run;
# then a CPL0 loop (tests/bench/bench_guest.S, MODE=3) in M instructions/s of CPU time, by
# difference of a short and a long run (start-up cancels out).
# Rounds interleave the configurations (ENGINES_REPS, default 3); each row is median
# [min .. max]. Results: docs/benchmarks.md, docs/soft-engine.md.
cd "$(dirname "$0")/../.."
REPS=${ENGINES_REPS:-3}
. tests/bench/lib.sh
bench_setup engines
BANNER='testos: x86-64 test kernel'
QEMU_VM="qemu-system-x86_64 -accel tcg -nographic -serial stdio -monitor none -display none -net none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"
QEMU="$QEMU_VM -kernel $B/testos.elf"
LOOP_SMALL=1000000
LOOP_LARGE=100000000
LOOP_INSNS=5	# per iteration
bench_guest loop_small MODE=3 COUNT=$LOOP_SMALL && bench_guest loop_large MODE=3 COUNT=$LOOP_LARGE ||
	{ echo "engines: cannot assemble tests/bench/bench_guest.S" >&2; exit 1; }

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
	echo "$key.cpu $(awk "BEGIN { print $4 + $5 }")" >>$S
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
	# Not under kvm: on this PVM host every store of the loop traps (~3 us each).
	for n in small large; do
		one soft.loop_$n 0 $B/rewind run --engine soft $B/loop_$n.elf
	done
	one qemu.hello 1 $QEMU -append workload=hello
	one qemu.compute 1 $QEMU -append workload=compute
	for n in small large; do
		one qemu.loop_$n 1 $QEMU_VM -kernel $B/loop_$n.elf
	done
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
	row $e.compute.cpu "$e: compute, CPU (user + sys)" 1 s
	row $e.hello.rss "$e: peak RSS, hello" 0.001 MB
	row $e.compute.rss "$e: peak RSS, compute" 0.001 MB
done
# The loop's rate: the instructions the long run adds over the short one, over the CPU time
# it adds (medians).
median() {
	grep "^$1 " "$S" | cut -d' ' -f2 | sort -g | awk '{ v[n++] = $1 } END { if (n) print v[int((n - 1) / 2)] }'
}
for e in soft qemu; do
	small=$(median $e.loop_small.cpu) large=$(median $e.loop_large.cpu)
	if [ -z "$small" ] || [ -z "$large" ]; then
		printf '  %-44s (no sample)\n' "$e: CPL0 loop"
		continue
	fi
	awk -v e="$e" -v s="$small" -v l="$large" -v n=$(((LOOP_LARGE - LOOP_SMALL) * LOOP_INSNS)) \
		'BEGIN { printf "  %-44s %10.1f M instructions/s of CPU (%.3f s - %.3f s)\n",
		         e ": CPL0 loop", (l > s ? n / (l - s) / 1e6 : 0), l, s }'
done
