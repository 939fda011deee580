# Every field of the trace format is checked (docs/trace-format.md): traces edited with their
# checksums made right again. An edited final blob is a divergence (127); a field no writer
# produces is damage (125), never a divergence.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi

"$REWIND" record -o "$TMP/good.rwd" --timeout 60 --cmdline workload=hello "$KERNEL" </dev/null >/dev/null 2>&1
check good-recorded [ $? -eq 0 ]
# echo waits for input: stopped by the timeout, status 124.
"$REWIND" record -o "$TMP/timeout.rwd" --timeout 1 --cmdline workload=echo "$KERNEL" </dev/null >/dev/null 2>&1
check timeout-recorded [ $? -eq 124 ]
"$REWIND" replay --verify "$TMP/timeout.rwd" </dev/null >/dev/null 2>"$TMP/e"
check timeout-replay-verifies [ $? -eq 124 ]
check timeout-replay-says-verified grep -q "verified up to where the recording was stopped from outside" "$TMP/e"

# edit IN OUT WHAT: writes IN edited as WHAT says, with its checksums recomputed.
edit() {
	python3 - "$@" <<'PY'
import ctypes, ctypes.util, struct, sys
lib = ctypes.CDLL(ctypes.util.find_library("xxhash"))
lib.XXH3_64bits.restype = ctypes.c_uint64
lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
lz4 = ctypes.CDLL(ctypes.util.find_library("lz4"))
h64 = lambda b: lib.XXH3_64bits(bytes(b), len(b))
src, dst, what = sys.argv[1:4]
t = bytearray(open(src, "rb").read())
hlen = struct.unpack_from("<Q", t, 16)[0]
ioff, ilen = struct.unpack_from("<QQ", t, len(t) - 24)
nchunks = struct.unpack_from("<Q", t, ioff + 8)[0]
blob = ioff + 48 + 32 * nchunks
def rehash_index():
    struct.pack_into("<Q", t, ioff + ilen - 8, h64(t[ioff:ioff + ilen - 8]))
def varint(b, i):
    v = s = 0
    while True:
        v |= (b[i] & 0x7f) << s; s += 7; i += 1
        if not b[i - 1] & 0x80: return v, i
if what.startswith("blob-"):
    field = {"blob-digest": (0, "<B"), "blob-status": (16, "<I"), "blob-exits": (20, "<Q"),
             "blob-guest-ns": (28, "<Q")}[what]
    v = struct.unpack_from(field[1], t, blob + field[0])[0]
    struct.pack_into(field[1], t, blob + field[0], v ^ 2)
    rehash_index()
elif what == "header-reserved":
    struct.pack_into("<I", t, 36, 1)
    struct.pack_into("<Q", t, hlen - 8, h64(t[:hlen - 8]))
elif what == "index-csize":
    struct.pack_into("<Q", t, ioff + 32, struct.unpack_from("<Q", t, ioff + 32)[0] + 1)
    rehash_index()
elif what == "clock-1-byte":
    # The first clock event of chunk 0 keeps one byte of its payload; the chunk is rebuilt and
    # the trace cut after it (a truncated trace needs no index).
    c = hlen
    usize, csize = struct.unpack_from("<II", t, c + 36)
    data = ctypes.create_string_buffer(usize)
    assert lz4.LZ4_decompress_safe(bytes(t[c + 64:c + 64 + csize]), data, csize, usize) == usize
    ev = bytearray(data.raw)
    i = 0
    while True:
        typ = ev[i]; _, j = varint(ev, i + 1); n, k = varint(ev, j)
        if typ == 1: break
        i = k + n
    ev[j:k + n] = bytes([1, ev[k]])
    out = ctypes.create_string_buffer(len(ev) + 1024)
    cs = lz4.LZ4_compress_default(bytes(ev), out, len(ev), len(out))
    hdr = bytearray(t[c:c + 64])
    struct.pack_into("<II", hdr, 36, len(ev), cs)
    struct.pack_into("<Q", hdr, 48, h64(ev))
    struct.pack_into("<Q", hdr, 56, h64(hdr[:56]))
    t = t[:c] + hdr + out.raw[:cs]
open(dst, "wb").write(t)
PY
}

# expect NAME STATUS PATTERN TRACE: replay --verify exits STATUS saying PATTERN.
expect() {
	timeout 60 "$REWIND" replay --verify "$4" </dev/null >/dev/null 2>"$TMP/e"
	rc=$?
	if [ "$rc" -eq "$2" ] && grep -q -e "$3" "$TMP/e"; then
		ok "$1"
	else
		fail "$1" "status $rc (want $2), stderr: $(grep -v '^ ' "$TMP/e" | head -c 300)"
	fi
}

for f in blob-digest blob-status blob-exits blob-guest-ns; do
	edit "$TMP/good.rwd" "$TMP/$f.rwd" "$f"
	expect "$f-diverges" 127 "replay diverged" "$TMP/$f.rwd"
done
# The final state of a recording stopped by --timeout is taken at an arbitrary instruction: it
# is not compared, and replay says so rather than "verified".
edit "$TMP/timeout.rwd" "$TMP/timeout-digest.rwd" blob-digest
expect timeout-final-digest-not-compared 124 "final state is not compared" "$TMP/timeout-digest.rwd"
edit "$TMP/timeout.rwd" "$TMP/timeout-status.rwd" blob-status
expect timeout-final-status-diverges 127 "replay diverged" "$TMP/timeout-status.rwd"

edit "$TMP/good.rwd" "$TMP/reserved.rwd" header-reserved
expect header-reserved-refused 125 "reserved field at offset 36" "$TMP/reserved.rwd"
edit "$TMP/good.rwd" "$TMP/csize.rwd" index-csize
expect index-csize-refused 125 "compressed bytes" "$TMP/csize.rwd"
"$REWIND" trace verify "$TMP/csize.rwd" >/dev/null 2>&1
check index-csize-trace-verify [ $? -ne 0 ]

edit "$TMP/good.rwd" "$TMP/clock1.rwd" clock-1-byte
expect clock-payload-is-damage 125 "damaged: clock event at position [0-9]* has a 1-byte payload" "$TMP/clock1.rwd"
"$REWIND" trace verify "$TMP/clock1.rwd" >"$TMP/v" 2>&1
check clock-payload-trace-verify grep -q "clock event at position [0-9]* has a 1-byte payload" "$TMP/v"

# A soft-engine recording verifies too: its final guest time comes from exact instruction
# counts, and its block scan builds a Unicorn control value (once a signed shift UBSan rejects,
# which the ASan pass of make test would report here).
"$REWIND" record -o "$TMP/soft.rwd" --engine soft --timeout 60 --cmdline workload=hello "$KERNEL" \
	</dev/null >/dev/null 2>"$TMP/soft.err"
check soft-recorded [ $? -eq 0 ]
expect soft-replay-verifies 0 "verified: " "$TMP/soft.rwd"
