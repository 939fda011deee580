#!/bin/sh
# Reverse debugging latency (issue 6): a real gdb in batch mode against `rewind debug` and
# against QEMU's record/replay (tests/bench/qemu_reverse.sh) on the same recording of testos
# `workload=race ticks=N` (N timer ticks at 100 Hz: N=100 is ~1 s of guest time).
#   sh tests/bench/reverse_bench.sh          (REVERSE_TICKS=100: under ~3 minutes)
#   REVERSE_TICKS=1000 sh tests/bench/reverse_bench.sh   (a ~10 s recording: ~20 minutes)
#   REVERSE_QEMU=0 skips QEMU.
# In one gdb session each, every command timed with gdb's
# own Python (time.monotonic() around gdb.execute): continue to race_finish (the end of the
# run: a forward replay of all of it), 3 stepi, a reverse-stepi, reverse-continue to the last
# timer tick (race_tick, a short way back), 4 reverse-stepi there, reverse-continue to
# race_start (back across the whole recording), then stepi and reverse-stepi there.
# QEMU's gdb session is bounded by REVERSE_QEMU_TIMEOUT seconds (default 120): QEMU 7.2 can
# stop answering (see docs/benchmarks-snapshots-debug.md). rewind's page store (monitor
# info) and the server's RSS (/proc/PID/status) are read at the end.
# Output: "TIME NAME SECONDS" lines per engine, then a table; raw output in build/bench/reverse/.
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh

TICKS=${REVERSE_TICKS:-100}
B=${REVERSE_DIR:-build/bench/reverse}
K=build/guest/testos.elf
R=build/rewind
mkdir -p $B
rm -f $B/*.out $B/*.sock $B/*.gdb
if [ ! -x $R ] || [ ! -f $K ]; then
	echo "reverse_bench: build first (make -j2)" >&2
	exit 1
fi
if ! command -v gdb >/dev/null 2>&1; then
	echo "reverse_bench: gdb not installed" >&2
	exit 1
fi
fail=0

# script FILE EXTRA...: the gdb session, connecting to the socket given as $1 of `target remote`.
script() {
	out=$1 target=$2 extra=$3
	cat >"$out" <<EOG
set pagination off
set confirm off
target remote $target
$(gdb_timer)
break race_finish
python timed('continue-to-end', 'continue')
delete
python timed('stepi', 'stepi')
python timed('stepi', 'stepi')
python timed('stepi', 'stepi')
python timed('reverse-stepi', 'reverse-stepi')
break race_tick
python timed('reverse-continue-near', 'reverse-continue')
delete
python timed('reverse-stepi', 'reverse-stepi')
python timed('reverse-stepi', 'reverse-stepi')
python timed('reverse-stepi', 'reverse-stepi')
python timed('reverse-stepi', 'reverse-stepi')
delete
break race_start
python timed('reverse-continue-far', 'reverse-continue')
delete
python timed('stepi-at-start', 'stepi')
python timed('reverse-stepi-at-start', 'reverse-stepi')
$extra
EOG
}

echo "reverse_bench: race ticks=$TICKS on $(nproc) cores, $(uname -r), $(date -u '+%F %T UTC')"

# --- rewind
$R record -o $B/race.rwd --cmdline "workload=race ticks=$TICKS" $K >$B/rewind.record.out 2>&1 </dev/null
if [ $? -ne 0 ]; then
	echo "reverse_bench: rewind record failed" >&2
	exit 1
fi
timeout 1200 $R debug --socket $B/rewind.sock $B/race.rwd >$B/rewind.server.out 2>&1 &
srv=$!
i=0
while [ ! -S $B/rewind.sock ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
# $srv is timeout(1); its child is the server.
script $B/rewind.gdb $B/rewind.sock "monitor info
shell grep -E 'VmRSS|VmHWM' /proc/$(pgrep -P $srv)/status"
timeout 1200 gdb -batch -nx -x $B/rewind.gdb $K >$B/rewind.out 2>&1
wait $srv
# rewind must have gone back across the whole recording.
grep -aq '^AT reverse-continue-far .*<race_start>' $B/rewind.out || fail=1

# --- QEMU
if [ "${REVERSE_QEMU:-1}" != 0 ] && command -v qemu-system-x86_64 >/dev/null 2>&1; then
	sh tests/bench/qemu_reverse.sh record $B "$TICKS" >$B/qemu.record.out 2>&1 || fail=1
	sh tests/bench/qemu_reverse.sh replay $B "$TICKS" >$B/qemu.server.out 2>&1 &
	qsrv=$!
	i=0
	while [ ! -S $B/qemu.sock ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	script $B/qemu.gdb $B/qemu.sock ""
	timeout ${REVERSE_QEMU_TIMEOUT:-120} gdb -batch -nx -x $B/qemu.gdb $K >$B/qemu.out 2>&1 ||
		echo "reverse_bench: the QEMU gdb session did not finish in ${REVERSE_QEMU_TIMEOUT:-120} s" | tee -a $B/qemu.out
	# A QEMU deadlocked in reverse execution ignores SIGTERM (its main loop is stuck).
	kill $qsrv 2>/dev/null
	sleep 2
	kill -9 $qsrv 2>/dev/null
	wait $qsrv 2>/dev/null
fi

for e in rewind qemu; do
	[ -f $B/$e.out ] || continue
	echo "== $e (raw: $B/$e.out)"
	grep -a '^TIME\|^AT' $B/$e.out
done
echo "== rewind page store and server memory"
grep -a 'page store\|checkpoints:\|^Vm' $B/rewind.out | cut -c1-200
if grep -aq 'diverged\|error' $B/rewind.server.out; then
	echo "== rewind debug said:"
	cat $B/rewind.server.out
	fail=1
fi
exit $fail
