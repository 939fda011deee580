# Snapshots (run -S, restore) and checkpoints (record --checkpoint-every, trace checkpoint,
# replay --from-checkpoint) resume exactly. The ones that must be refused are in
# snapshot_refusals.sh.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi

# --- A compute run stopped at a snapshot and restored prints, from there on, what the
# uninterrupted run prints, and exits the same way.
"$REWIND" run --cmdline workload=compute "$KERNEL" >"$TMP/full.out" 2>/dev/null </dev/null
full=$?
"$REWIND" run -S "$TMP/c.snap" --snapshot-after 0.3 --stop-after-snapshot --cmdline workload=compute \
	"$KERNEL" >"$TMP/before.out" 2>"$TMP/before.err" </dev/null
check snapshot-stop-status [ $? -eq 0 ]
check snapshot-written grep -q "snapshot of guest time .* written to" "$TMP/before.err"
"$REWIND" restore "$TMP/c.snap" >"$TMP/after.out" 2>"$TMP/after.err" </dev/null
check restore-status-equals-run [ $? -eq "$full" ]
cat "$TMP/before.out" "$TMP/after.out" >"$TMP/joined.out"
check restore-output-continues-exactly cmp -s "$TMP/joined.out" "$TMP/full.out"
check restore-ran-after-snapshot grep -q "results digest" "$TMP/after.out"

# A snapshot taken while the run goes on; restoring it twice gives the same output.
"$REWIND" run -S "$TMP/d.snap" --snapshot-after 0.2 --cmdline workload=compute "$KERNEL" \
	>"$TMP/cont.out" 2>/dev/null </dev/null
check snapshot-and-continue [ $? -eq 0 ]
"$REWIND" restore "$TMP/d.snap" >"$TMP/r1.out" 2>/dev/null </dev/null
"$REWIND" restore "$TMP/d.snap" >"$TMP/r2.out" 2>/dev/null </dev/null
check restore-twice-same-output cmp -s "$TMP/r1.out" "$TMP/r2.out"

# --- Checkpoints: replay from every checkpoint reaches the final digest of a replay from
# the start, on two workloads (record-time checkpoints on race, added ones on compute).
digest() { sed -n 's/.*final state digest \([0-9a-f]*\) match.*/\1/p' "$1"; }
every_checkpoint_replays() {
	name=$1 t=$2
	"$REWIND" replay --verify "$t" >/dev/null 2>"$TMP/start.err" </dev/null
	want=$(digest "$TMP/start.err")
	n=$("$REWIND" trace info --json "$t" | grep -o '"id":[0-9]*' | wc -l)
	check "$name-has-checkpoints($n)" [ "$n" -ge 2 ]
	bad=""
	k=0
	while [ $k -lt "$n" ]; do
		"$REWIND" replay --verify --from-checkpoint $k "$t" >/dev/null 2>"$TMP/k.err" </dev/null
		[ "$(digest "$TMP/k.err")" = "$want" ] && [ -n "$want" ] || bad="$bad $k($(head -c 200 "$TMP/k.err"))"
		k=$((k + 1))
	done
	if [ -z "$bad" ]; then ok "$name-every-checkpoint-replays-to-final-digest"; else fail "$name-every-checkpoint-replays-to-final-digest" "$bad"; fi
}
"$REWIND" record -o "$TMP/race.rwd" --checkpoint-every 0.05 --cmdline workload=race "$KERNEL" >/dev/null 2>&1 </dev/null
every_checkpoint_replays race "$TMP/race.rwd"
# Checkpoints stand at the guest time they were asked for: no gap shorter than the interval
# (the time of a checkpoint is read before its memory is copied; times print to the µs).
"$REWIND" trace info "$TMP/race.rwd" | awk '$2 == "exit" && $5 == "time" { print $6 }' >"$TMP/times"
check checkpoints-spaced-by-the-interval awk 'NR > 1 && $1 - prev < 0.0499 { bad = 1 } { prev = $1 } END { exit bad || NR < 3 }' "$TMP/times"
# (A 32nd of compute: its interrupts land in user code, replayed on the soft engine.)
"$REWIND" record -o "$TMP/compute.rwd" --cmdline "workload=compute scale=32" "$KERNEL" >/dev/null 2>&1 </dev/null
"$REWIND" trace checkpoint "$TMP/compute.rwd" --every 0.02 >"$TMP/tc.out" 2>&1
check trace-checkpoint-status [ $? -eq 0 ]
every_checkpoint_replays compute "$TMP/compute.rwd"
# The same under the soft engine, whose interrupts are positioned by instruction count.
"$REWIND" record --engine soft -o "$TMP/soft.rwd" --checkpoint-every 0.1 --cmdline workload=race "$KERNEL" >/dev/null 2>&1 </dev/null
every_checkpoint_replays soft-race "$TMP/soft.rwd"
"$REWIND" trace info "$TMP/race.rwd" >"$TMP/info" 2>&1
check info-shows-page-store grep -q "page store: .* pages referenced, .* unique pages stored .* deduplication" "$TMP/info"

# A new recording at the same path drops the old one's checkpoints.
"$REWIND" record -o "$TMP/race.rwd" --cmdline workload=hello "$KERNEL" >/dev/null 2>&1 </dev/null
check new-recording-drops-stale-checkpoints [ ! -e "$TMP/race.rwd.ckpt" ]
