# Plays docs/ci.md's recipe on the test kernel: the CI job's hunt, its artifact, and the
# developer's two commands on a copy of that artifact elsewhere.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi
if ! command -v gdb >/dev/null; then skip all "gdb is not installed"; exit 0; fi
REWIND=$(realpath "$REWIND")
KERNEL=$(realpath "$KERNEL")

# The CI job, as in docs/ci.md (in a scratch checkout directory).
mkdir -p "$TMP/ci" "$TMP/dev"
status=0
(cd "$TMP/ci" && "$REWIND" hunt --chaos --runs 200 --timeout 1200 \
	--json hunt/verdict.json --junit hunt/junit.xml -o hunt \
	--timeout 60 --cmdline workload=flaky "$KERNEL" >hunt.log 2>&1) || status=$?
check ci-hunt-finds-the-bug [ "$status" -eq 0 ]
# The artifact: hunt/, downloaded on another machine (another directory, no CI files).
cp -r "$TMP/ci/hunt" "$TMP/dev/"
trace=$(python3 -c "import json; print(json.load(open('$TMP/dev/hunt/verdict.json'))['kept'][0]['trace'])")
check ci-verdict-names-the-trace [ -f "$TMP/dev/$trace" ]

cd "$TMP/dev" || exit 1
"$REWIND" replay --verify "$trace" </dev/null >replay.out 2>replay.err
check dev-replay-verifies-the-failure [ $? -eq 3 ] && grep -q "verified:" replay.err

"$REWIND" debug --socket dbg.sock "$trace" >debug.out 2>&1 &
server=$!
n=0
while [ ! -S dbg.sock ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
timeout 120 gdb -batch -nx -ex 'set pagination off' -ex 'target remote dbg.sock' \
	-ex continue -ex bt -ex 'reverse-stepi' -ex 'monitor when' "$KERNEL" >gdb.out 2>&1
wait $server
check dev-debug-reaches-the-crash grep -q "sys_flaky_touch" gdb.out
check dev-debug-steps-back grep -q "position" gdb.out
