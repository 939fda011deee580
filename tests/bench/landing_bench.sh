#!/bin/sh
# Replaying asynchronous landings under the kvm engine: the same race recording replayed with
# `--landing-search breakpoint` (a hardware breakpoint at the landing's RIP, two VM exits per
# pass over it) and `--landing-search soft` (the stretch run on the soft engine), side by side.
# One recording (`workload=race ticks=1000`, ~12 s); LANDING_REPS rounds (default 3) each
# replay it both ways with --verify, interleaved. Rows: median [min .. max] of the wall time,
# and the landings each way found (from the --verify line). Results: docs/benchmarks.md.
cd "$(dirname "$0")/../.."
REPS=${LANDING_REPS:-3}
. tests/bench/lib.sh
bench_setup landing
: >$B/stderr.log
T=$B/race.rwd

echo "landing: $REPS rounds on $(nproc) cores, $(uname -r), $(date -u '+%Y-%m-%d %H:%M:%S') UTC"
if ! $B/rewind record -o $T --cmdline 'workload=race ticks=1000' $B/testos.elf \
	</dev/null >$B/record.out 2>>$B/stderr.log; then
	echo "landing: the recording failed (see $B/stderr.log)" >&2
	exit 1
fi

# one WAY: a replay of the recording with --landing-search WAY; samples WAY.wall,
# WAY.landings, WAY.soft (landings the soft engine found), WAY.hits (breakpoint hits passed
# over).
one() {
	line=$($B/timeit -t 300 -- $B/rewind replay --verify --landing-search $1 $T \
		</dev/null 2>$B/$1.err)
	cat $B/$1.err >>$B/stderr.log
	set -- "$1" $(echo "$line" | sed 's/[a-z]*=//g')
	counts=$(sed -n 's/.* \([0-9]*\) asynchronous landings (\([0-9]*\) found on the soft engine, [0-9]* left to the breakpoint, \([0-9]*\) breakpoint hits.*/\1 \2 \3/p' $B/$1.err)
	if [ $# -ne 7 ] || [ "$4" -ne 0 ] || [ -z "$counts" ]; then
		echo "landing: $1: failed ($line; see $B/stderr.log)" >&2
		return
	fi
	echo "$1.wall $2" >>$S
	set -- "$1" $counts
	echo "$1.landings $2" >>$S
	echo "$1.soft $3" >>$S
	echo "$1.hits $4" >>$S
}

r=1
while [ $r -le "$REPS" ]; do
	one breakpoint
	one soft
	r=$((r + 1))
done

echo "landing: command: rewind replay --verify --landing-search WAY $T (a race ticks=1000 recording)"
for w in breakpoint soft; do
	bench_row $w.wall "--landing-search $w: replay --verify" s
	bench_row $w.landings "--landing-search $w: asynchronous landings" ""
	bench_row $w.soft "--landing-search $w: of them found on the soft engine" ""
	bench_row $w.hits "--landing-search $w: breakpoint hits passed over" ""
done
