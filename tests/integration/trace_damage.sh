# Damaged traces: a recorder killed with SIGKILL, and over a hundred corrupted variants of a
# good trace. Each gets a clear message and a non-zero status: never a crash, never a hang.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi

# --- A recorder killed mid-run leaves a trace that verifies as truncated and replays up to its
# last complete chunk. echo waits for input, so the kill lands while it runs.
mkfifo "$TMP/in"
"$REWIND" record -o "$TMP/killed.rwd" --cmdline workload=echo "$KERNEL" <"$TMP/in" >"$TMP/killed.out" 2>&1 &
rec=$!
exec 3>"$TMP/in"
printf 'before the kill\n' >&3
sleep 1.5
kill -9 $rec
wait $rec 2>/dev/null
exec 3>&-
"$REWIND" trace verify "$TMP/killed.rwd" >"$TMP/v.out" 2>&1
check killed-verify-status-5 [ $? -eq 5 ]
check killed-verify-says-truncated grep -qi truncated "$TMP/v.out"
"$REWIND" replay "$TMP/killed.rwd" >"$TMP/r.out" 2>"$TMP/r.err" </dev/null
status=$?
check killed-replay-status-122 [ "$status" -eq 122 ]
check killed-replay-says-truncated grep -q "end of the truncated trace" "$TMP/r.err"
check killed-replay-output grep -q "001: before the kill" "$TMP/r.out"
"$REWIND" trace info "$TMP/killed.rwd" >"$TMP/i.out" 2>&1
check killed-info-works grep -qi "truncated" "$TMP/i.out"

# --- Corrupted variants of a complete trace.
"$REWIND" record -o "$TMP/good.rwd" --cmdline workload=hello "$KERNEL" </dev/null >/dev/null 2>&1
"$REWIND" trace verify "$TMP/good.rwd" >/dev/null
check good-trace-verifies [ $? -eq 0 ]
mkdir "$TMP/bad"
python3 - "$TMP/good.rwd" "$TMP/bad" <<'PY'
import os, random, struct, sys
good = open(sys.argv[1], "rb").read()
out = sys.argv[2]
rnd = random.Random(1234)
def put(name, data):
    open(os.path.join(out, name), "wb").write(data)
n = len(good)
# Flipped bytes: some in the header and the embedded kernel, most in the chunks, index, trailer.
offsets = sorted(set([rnd.randrange(0, 64) for _ in range(8)] + [rnd.randrange(0, n) for _ in range(20)] +
                     [rnd.randrange(max(0, n - 4096), n) for _ in range(40)]))
for off in offsets:
    b = bytearray(good); b[off] ^= 1 << rnd.randrange(8); put("flip-%d" % off, b)
for off in sorted(set([rnd.randrange(0, n) for _ in range(25)] + [n - k for k in range(1, 80, 5)])):
    put("cut-%d" % off, good[:off])
put("empty", b"")
put("magic", b"XXXXXXXX" + good[8:])
b = bytearray(good); b[8:12] = struct.pack("<I", 99); put("version", b)
for size in (1, 100, 5000, 200000):
    put("garbage-%d" % size, bytes(rnd.randrange(256) for _ in range(size)))
# The embedded kernel altered: find the ELF magic inside the header and change a byte past it.
at = good.find(b"\x7fELF")
b = bytearray(good); b[at + 4096] ^= 0xff; put("kernel-altered", b)
PY
count=0 bad=""
for f in "$TMP"/bad/*; do
	count=$((count + 1))
	name=$(basename "$f")
	timeout 30 "$REWIND" trace verify "$f" >"$TMP/v" 2>&1
	vs=$?
	timeout 30 "$REWIND" replay --verify "$f" >/dev/null 2>"$TMP/e" </dev/null
	rs=$?
	# Non-zero, not a signal (>= 128) or a hang (124 from timeout), and a message.
	if [ "$vs" -eq 0 ] || [ "$vs" -ge 124 ] || [ "$rs" -eq 0 ] || [ "$rs" -ge 128 ] ||
	   [ "$rs" -eq 124 ] || [ ! -s "$TMP/e" ] || grep -q "internal error" "$TMP/e"; then
		bad="$bad $name(verify=$vs replay=$rs: $(head -c 160 "$TMP/e"))"
	fi
	case $name in
	kernel-altered) grep -qi "kernel" "$TMP/e" || bad="$bad kernel-altered-message($(head -c 160 "$TMP/e"))";;
	magic|empty|garbage-*) grep -qi "not a rewind trace\|too short\|magic\|empty" "$TMP/e" || bad="$bad $name-message($(head -c 160 "$TMP/e"))";;
	version) grep -qi "version" "$TMP/e" || bad="$bad version-message($(head -c 160 "$TMP/e"))";;
	esac
done
check "at-least-100-variants($count)" [ "$count" -ge 100 ]
if [ -z "$bad" ]; then ok corrupted-variants-refused; else fail corrupted-variants-refused "$bad"; fi

# --- Missing and unreadable inputs.
"$REWIND" replay "$TMP/nope.rwd" >/dev/null 2>"$TMP/e"
check missing-trace-status [ $? -eq 125 ]
check missing-trace-message grep -q "nope.rwd: No such file" "$TMP/e"
"$REWIND" record -o "$TMP/no/such/dir/t.rwd" --cmdline workload=hello "$KERNEL" >/dev/null 2>"$TMP/e" </dev/null
check record-bad-output-status [ $? -eq 125 ]
check record-bad-output-message grep -q "t.rwd" "$TMP/e"
check record-bad-output-no-file [ ! -e "$TMP/no/such/dir/t.rwd" ]
