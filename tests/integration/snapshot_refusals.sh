# Snapshots and checkpoints that must be refused before any guest code runs: bad snapshot
# options, damaged snapshot files, a snapshot whose state is not the one its digest was taken
# of, checkpoints of another recording or out of range, a truncated page store. (The ones that
# must resume exactly are in snapshots.sh.)
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi

# Two snapshots of one compute run.
for at in c:0.3 d:0.2; do
	"$REWIND" run -S "$TMP/${at%%:*}.snap" --snapshot-after "${at#*:}" --stop-after-snapshot \
		--cmdline workload=compute "$KERNEL" >/dev/null 2>&1 </dev/null
done

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

# --- Checkpoints of a race recording.
"$REWIND" record -o "$TMP/race.rwd" --checkpoint-every 0.05 --cmdline workload=race "$KERNEL" >/dev/null 2>&1 </dev/null

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
