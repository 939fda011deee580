# Snapshots (run -S, restore) and checkpoints (record --checkpoint-every, trace checkpoint,
# replay --from-checkpoint), and damaged snapshot files.
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

# The state of one snapshot with the position and whole-state digest of another, every checksum
# valid (tests/tools/snapshot_splice.c): the restored state is not the one the digest was taken
# of, and restore refuses it before the guest runs.
build/tests/tools/snapshot_splice "$TMP/c.snap" "$TMP/d.snap" "$TMP/spliced.snap"
"$REWIND" restore "$TMP/spliced.snap" >"$TMP/o" 2>"$TMP/e" </dev/null
check restore-state-not-its-digest-status-125 [ $? -eq 125 ]
check restore-state-not-its-digest-no-output [ ! -s "$TMP/o" ]
check restore-state-not-its-digest-message grep -q "the restored state does not match the digest taken with the snapshot" "$TMP/e"

# Bad snapshot options and damaged snapshot files: refused before any guest code runs.
"$REWIND" run -S "$TMP/x.snap" --cmdline workload=hello "$KERNEL" >/dev/null 2>"$TMP/e" </dev/null
check snapshot-needs-time [ $? -eq 125 ]
"$REWIND" run -S "$TMP/late.snap" --snapshot-after 100 --cmdline workload=hello "$KERNEL" >/dev/null 2>"$TMP/e" </dev/null
check snapshot-never-reached-status [ $? -eq 125 ]
check snapshot-never-reached-no-file [ ! -e "$TMP/late.snap" ]
size=$(stat -c %s "$TMP/c.snap")
bad=""
for off in 0 9 40 200 1000 4000 $((size / 2)) $((size - 40)) $((size - 1)); do
	cp "$TMP/c.snap" "$TMP/flip.snap"
	printf '\377' | dd of="$TMP/flip.snap" bs=1 seek=$off conv=notrunc 2>/dev/null
	"$REWIND" restore "$TMP/flip.snap" >"$TMP/o" 2>"$TMP/e" </dev/null
	rc=$?
	{ [ $rc -eq 125 ] && [ ! -s "$TMP/o" ] && [ -s "$TMP/e" ]; } || bad="$bad flip@$off:$rc"
done
for cut in 0 10 100 $((size / 3)) $((size - 1)); do
	head -c $cut "$TMP/c.snap" >"$TMP/cut.snap"
	"$REWIND" restore "$TMP/cut.snap" >"$TMP/o" 2>"$TMP/e" </dev/null
	rc=$?
	{ [ $rc -eq 125 ] && [ ! -s "$TMP/o" ] && [ -s "$TMP/e" ]; } || bad="$bad cut@$cut:$rc"
done
"$REWIND" restore "$TMP/none.snap" >/dev/null 2>"$TMP/e" </dev/null
[ $? -eq 125 ] && grep -q "none.snap" "$TMP/e" || bad="$bad missing-file"
if [ -z "$bad" ]; then ok damaged-snapshots-refused; else fail damaged-snapshots-refused "$bad"; fi

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
"$REWIND" record -o "$TMP/compute.rwd" --cmdline workload=compute "$KERNEL" >/dev/null 2>&1 </dev/null
"$REWIND" trace checkpoint "$TMP/compute.rwd" --every 0.05 >"$TMP/tc.out" 2>&1
check trace-checkpoint-status [ $? -eq 0 ]
every_checkpoint_replays compute "$TMP/compute.rwd"
# The same under the soft engine, whose interrupts are positioned by instruction count.
"$REWIND" record --engine soft -o "$TMP/soft.rwd" --checkpoint-every 0.1 --cmdline workload=race "$KERNEL" >/dev/null 2>&1 </dev/null
every_checkpoint_replays soft-race "$TMP/soft.rwd"
"$REWIND" trace info "$TMP/race.rwd" >"$TMP/info" 2>&1
check info-shows-page-store grep -q "page store: .* pages referenced, .* unique pages stored .* deduplication" "$TMP/info"

# Checkpoints copied beside another recording, whole and well formed, belong to another trace:
# refused by the trace id they carry.
"$REWIND" record -o "$TMP/other.rwd" --cmdline workload=hello "$KERNEL" >/dev/null 2>&1 </dev/null
cp -r "$TMP/race.rwd.ckpt" "$TMP/other.rwd.ckpt"
"$REWIND" replay --from-checkpoint 1 "$TMP/other.rwd" >"$TMP/o" 2>"$TMP/e" </dev/null
check checkpoints-of-another-recording-status-125 [ $? -eq 125 ]
check checkpoints-of-another-recording-message grep -q "a checkpoint of another recording" "$TMP/e"

# Damaged checkpoints are refused clearly; a checkpoint number out of range too.
"$REWIND" replay --from-checkpoint 999 "$TMP/race.rwd" >/dev/null 2>"$TMP/e" </dev/null
check checkpoint-out-of-range [ $? -eq 125 ]
check checkpoint-out-of-range-message grep -q "has checkpoints 0 to" "$TMP/e"
store="$TMP/race.rwd.ckpt/store"
head -c $(($(stat -c %s "$store") - 100)) "$store" >"$TMP/s" && cp "$TMP/s" "$store"
"$REWIND" replay --from-checkpoint 1 "$TMP/race.rwd" >"$TMP/o" 2>"$TMP/e" </dev/null
check truncated-store-refused [ $? -eq 125 ]
check truncated-store-no-output [ ! -s "$TMP/o" ]
check truncated-store-message grep -q "store" "$TMP/e"
"$REWIND" record -o "$TMP/race.rwd" --cmdline workload=hello "$KERNEL" >/dev/null 2>&1 </dev/null
check new-recording-drops-stale-checkpoints [ ! -e "$TMP/race.rwd.ckpt" ]
