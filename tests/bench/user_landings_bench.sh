#!/bin/sh
# Interrupts in user code under the kvm engine (issue 14): `compute` run, recorded (every
# timer interrupt lands asynchronously in its CPL3 loops) and replayed with --verify (every
# landing found on the soft engine), side by side. USER_SCALE (default 16) divides compute's
# work (`compute scale=N`); USER_REPS rounds (default 3), interleaved: one run, one recording,
# the replay of that recording. Rows: median [min .. max] of the wall time, the landings per
# recording, and replay/record. USER_BASE=PATH also replays each recording with another rewind
# binary (an older build), right after, for a side-by-side figure. Results: docs/benchmarks.md.
cd "$(dirname "$0")/../.."
REPS=${USER_REPS:-3}
SCALE=${USER_SCALE:-16}
. tests/bench/lib.sh
bench_setup user_landings
: >$B/stderr.log
CMDLINE="workload=compute scale=$SCALE"
[ -z "$USER_BASE" ] || cp "$USER_BASE" "$B/base-rewind" || exit 1

echo "user_landings: $REPS rounds of '$CMDLINE' on $(nproc) cores, $(uname -r), $(date -u '+%Y-%m-%d %H:%M:%S') UTC"

# timed NAME COMMAND...: samples NAME.wall; fails on a non-zero status.
timed() {
	name=$1; shift
	line=$($B/timeit -t 1800 -- "$@" </dev/null 2>>$B/stderr.log)
	set -- $(echo "$line" | sed 's/[a-z]*=//g')
	if [ $# -ne 6 ] || [ "$3" -ne 0 ]; then
		echo "user_landings: $name failed ($line; see $B/stderr.log)" >&2
		return 1
	fi
	echo "$name.wall $1" >>$S
}

r=1
while [ $r -le "$REPS" ]; do
	timed run $B/rewind run --cmdline "$CMDLINE" $B/testos.elf
	if timed record $B/rewind record -o $B/c.rwd --cmdline "$CMDLINE" $B/testos.elf; then
		$B/rewind trace info $B/c.rwd | sed -n 's/^interrupts: .* \([0-9]*\) asynchronous.*/landings \1/p' >>$S
		timed replay $B/rewind replay --verify $B/c.rwd
		[ -z "$USER_BASE" ] || timed replay.base "$B/base-rewind" replay --verify $B/c.rwd
	fi
	r=$((r + 1))
done

echo "user_landings: commands: rewind run|record -o c.rwd --cmdline '$CMDLINE' testos.elf; rewind replay --verify c.rwd"
bench_row run.wall "run" s
bench_row record.wall "record" s
bench_row replay.wall "replay --verify" s
[ -z "$USER_BASE" ] || bench_row replay.base.wall "replay --verify by USER_BASE" s
bench_row landings "asynchronous landings per recording" ""
# ratio KEY LABEL: KEY's samples over the recordings', in order, as median [min .. max].
ratio() {
	awk -v k="$1.wall" '$1 == "record.wall" { r[n++] = $2 } $1 == k { p[m++] = $2 }
	     END { for (i = 0; i < n && i < m; i++) printf "%g\n", p[i] / r[i] }' $S | sort -g |
		awk -v label="$2" '{ v[n++] = $1 } END { if (n) printf "  %-52s %10.3g x [%.3g .. %.3g] n=%d\n", label, v[int((n - 1) / 2)], v[0], v[n - 1], n }'
}
ratio replay "replay / record (same recording)"
[ -z "$USER_BASE" ] || ratio replay.base "replay by USER_BASE / record (same recording)"
rm -f $B/c.rwd
