# Interrupts land in user code under the kvm engine as in a plain run (issue 14): a compute
# recording is preempted about as often as a run, defers nothing, names the host that recorded
# it, and replays exactly (its landings in CPL3 code found on the soft engine, which takes
# this host's SYSCALL for it: docs/platform.md). The 20 recordings under load are in
# record_replay.sh; `make test-fidelity` runs this with bigger recordings, FIDELITY_RUNS times.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi
RUNS=${FIDELITY_RUNS:-1}
SCALE=${FIDELITY_SCALE:-32}

# ticks OUT: the total of "compute: timer ticks in user code per task: a b c d, N in all".
ticks() { sed -n 's/^compute: timer ticks in user code per task:.*, \([0-9]*\) in all$/\1/p' "$1"; }
# guest_time INFO: the guest time `trace info` printed.
guest_time() { sed -n 's/^guest time: *\([0-9.]*\) s$/\1/p' "$1"; }

# Preemption, measured by the guest, per second: a run against a recording of the whole
# workload. The run's guest time is its wall time.
start=$(date +%s.%N)
run_guest "$TMP/run.out" "compute preemption=1"
end=$(date +%s.%N)
run_rate=$(echo "$(ticks "$TMP/run.out") $start $end" | awk '{ print $1 / ($3 - $2) }')
"$REWIND" record -o "$TMP/full.rwd" --timeout 60 --cmdline "workload=compute preemption=1" "$KERNEL" \
	</dev/null >"$TMP/rec.out" 2>"$TMP/rec.err"
"$REWIND" trace info "$TMP/full.rwd" >"$TMP/full.info" 2>&1
secs=$(guest_time "$TMP/full.info")
rec_rate=$(echo "$(ticks "$TMP/rec.out") $secs" | awk '{ print $1 / $2 }')
check "preempted-like-a-run(run $run_rate/s, recording $rec_rate/s)" \
	awk -v a="$run_rate" -v b="$rec_rate" 'BEGIN { exit !(a > 0 && b > 0 && b <= 2 * a && a <= 2 * b) }'
check nothing-deferred grep -q '^interrupts: .* 0 deferred$' "$TMP/full.info"
async=$(sed -n 's/^interrupts: .* \([0-9]*\) asynchronous,.*/\1/p' "$TMP/full.info")
# The ticks the guest time implies: 100 a second, or as many as the host gave a plain run if
# fewer (5 helpers' suites on 2 cores descheduled the vCPU thread and ticks coalesced: a run
# saw 44-52 a second, and the recording's 7.8 s of guest time "implied" 777 ticks).
check "asynchronous-at-least-half-the-ticks($async in $secs s, run $run_rate/s)" \
	awk -v n="$async" -v s="$secs" -v a="$run_rate" 'BEGIN { exit !(n >= s * (a < 100 ? a : 100) / 2) }'
# Stricter than the issue's 2x: a waker that slept through the grace period (fixed
# 2026-12-07) lost every other tick, half the run's rate, and still passed the checks above.
# A loaded host slows the run's ticks as much as the recording's (both ~0.9 of each other).
check "preempted-at-3/4-of-the-run's-rate" \
	awk -v a="$run_rate" -v b="$rec_rate" 'BEGIN { exit !(b >= a * 3 / 4) }'
check trace-names-its-host grep -q '^ *host=pvm$' "$TMP/full.info"

# Smaller recordings replay with --verify: every landing found, same output, same final state.
# The other core kept busy, as a loaded CI machine would.
sh -c 'while :; do :; done' &
busy=$!
trap 'kill $busy 2>/dev/null; rm -rf "$TMP"' EXIT
i=1 failed=""
while [ $i -le "$RUNS" ] && [ -z "$failed" ]; do
	t="$TMP/c$i.rwd"
	"$REWIND" record -o "$t" --timeout 60 --cmdline "workload=compute scale=$SCALE preemption=1" \
		"$KERNEL" </dev/null >"$TMP/c.out" 2>/dev/null
	"$REWIND" replay --verify "$t" </dev/null >"$TMP/r.out" 2>"$TMP/r.err"
	if [ $? -ne 0 ] || ! cmp -s "$TMP/c.out" "$TMP/r.out" ||
		! grep -q 'verified:.* asynchronous landings ([1-9][0-9]* found on the soft engine, 0 left' "$TMP/r.err"; then
		failed="recording $i: $(head -2 "$TMP/r.err")"
	fi
	rm -f "$t"
	i=$((i + 1))
done
if [ -z "$failed" ]; then ok "compute-scale-$SCALE-$RUNS-recordings-replay"; else fail "compute-scale-$SCALE-$RUNS-recordings-replay" "$failed"; fi
