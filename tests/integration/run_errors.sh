# Bad input to `rewind run`: each gets one clear line on stderr and a non-zero status.
. tests/integration/lib.sh

# expect_error NAME PATTERN CMD...: status 125 and PATTERN on stderr, nothing crashed.
expect_error() {
	name=$1 pattern=$2; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	if [ "$rc" -eq 125 ] && grep -q -e "$pattern" "$TMP/err" && ! grep -q "internal error" "$TMP/err"; then
		ok "$name"
	else
		fail "$name" "status $rc, stderr: $(head -c 300 "$TMP/err")"
	fi
}

expect_error missing-file "nosuch.elf: No such file" "$REWIND" run "$TMP/nosuch.elf"
expect_error directory "not a regular file" "$REWIND" run "$TMP"
printf 'hello, not an ELF\n' >"$TMP/text"
expect_error not-a-kernel "text: not a kernel rewind can boot: neither an ELF .* nor a bzImage" \
	"$REWIND" run "$TMP/text"
expect_error no-pvh-note "/bin/true: ELF has no PVH entry" "$REWIND" run /bin/true
: >"$TMP/empty"
expect_error empty-file "empty: not a kernel rewind can boot" "$REWIND" run "$TMP/empty"

# bzImages (Linux x86 boot protocol): a setup header claiming protocol 2.11, too old for the
# 64-bit entry, and one with a boot sector but no "HdrS" header at all.
bzimage() { # FILE VERSION MAGIC
	python3 - "$@" <<'PY'
import struct, sys
b = bytearray(5 * 512 + 4096)
b[0x1f1] = 4
struct.pack_into("<H", b, 0x1fe, 0xaa55)
b[0x200:0x202] = bytes([0xeb, 0x6a])
b[0x202:0x206] = sys.argv[3].encode()
struct.pack_into("<H", b, 0x206, int(sys.argv[2], 16))
b[0x211] = 1
struct.pack_into("<H", b, 0x236, 1)
struct.pack_into("<QI", b, 0x258, 0x1000000, 0x100000)
open(sys.argv[1], "wb").write(b)
PY
}
bzimage "$TMP/old.bz" 0x020b HdrS
expect_error bzimage-too-old "old.bz: boot protocol 2.11 is too old" "$REWIND" run "$TMP/old.bz"
bzimage "$TMP/ancient.bz" 0x0200 Hdr_
expect_error bzimage-no-header "ancient.bz: .*no Linux setup header" "$REWIND" run "$TMP/ancient.bz"
bzimage "$TMP/ok.bz" 0x020f HdrS
expect_error bzimage-needs-ram "ok.bz: needs guest RAM up to 17.0 MiB" "$REWIND" run -m 16M "$TMP/ok.bz"

# --initrd: missing, not a file, larger than the RAM left above the kernel, empty.
expect_error initrd-missing "nope.cpio: No such file" "$REWIND" run --initrd "$TMP/nope.cpio" "$KERNEL"
expect_error initrd-directory "$TMP: not a regular file" "$REWIND" run --initrd "$TMP" "$KERNEL"
head -c $((4 << 20)) /dev/zero >"$TMP/big.cpio"
expect_error initrd-too-big "big.cpio: the initrd (4194304 bytes, 4.0 MiB) does not fit in guest RAM" \
	"$REWIND" run -m 8M --initrd "$TMP/big.cpio" "$KERNEL"
: >"$TMP/empty.cpio"
expect_error initrd-empty "empty.cpio: the initrd is empty" "$REWIND" run --initrd "$TMP/empty.cpio" "$KERNEL"
# --symbols: missing, a directory, empty, Debian's placeholder System.map (the kernel package's
# own: the real one is in the -dbg package), binary garbage, a stripped ELF. On replay too.
expect_error symbols-missing "nope.map: No such file" "$REWIND" run --symbols "$TMP/nope.map" "$KERNEL"
expect_error symbols-directory "$TMP: not a regular file" "$REWIND" run --symbols "$TMP" "$KERNEL"
expect_error symbols-empty "empty.cpio: empty" "$REWIND" run --symbols "$TMP/empty.cpio" "$KERNEL"
echo 'ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package' >"$TMP/System.map"
expect_error symbols-placeholder 'System.map: line 1 is not "ADDRESS TYPE NAME"' \
	"$REWIND" run --symbols "$TMP/System.map" "$KERNEL"
printf 'ffffffff81000000 T _text\nffffffff81000010 T\n' >"$TMP/short.map"
expect_error symbols-short-line 'short.map: line 2 is not' "$REWIND" run --symbols "$TMP/short.map" "$KERNEL"
head -c 4096 /dev/urandom >"$TMP/garbage.map"
expect_error symbols-garbage "garbage.map: neither an ELF file nor a text symbol map" \
	"$REWIND" run --symbols "$TMP/garbage.map" "$KERNEL"
strip -o "$TMP/stripped.elf" "$KERNEL"
expect_error symbols-stripped "stripped.elf: an ELF file without a symbol table" \
	"$REWIND" run --symbols "$TMP/stripped.elf" "$KERNEL"
"$REWIND" record -o "$TMP/hello.rwd" --engine soft --cmdline workload=hello "$KERNEL" </dev/null >/dev/null 2>&1
expect_error replay-symbols-missing "rewind replay: .*nope.map: No such file" \
	"$REWIND" replay --symbols "$TMP/nope.map" "$TMP/hello.rwd"
expect_error bad-memory-suffix "bad memory size" "$REWIND" run -m 12X "$KERNEL"
expect_error memory-too-small "bad memory size" "$REWIND" run -m 1M "$KERNEL"
expect_error memory-too-big "bad memory size" "$REWIND" run -m 100G "$KERNEL"
expect_error memory-negative "bad memory size" "$REWIND" run -m -5 "$KERNEL"
expect_error bad-timeout "bad timeout" "$REWIND" run --timeout abc "$KERNEL"
expect_error bad-engine "unknown engine" "$REWIND" run --engine vmx "$KERNEL"
expect_error unknown-option "unknown option" "$REWIND" run --frobnicate "$KERNEL"
expect_error no-kernel "expected one KERNEL" "$REWIND" run
expect_error unknown-command "unknown command" "$REWIND" frobnicate
expect_error serial-in-missing "serial-in $TMP/nope" "$REWIND" run --serial-in "$TMP/nope" "$KERNEL"
# A directory opens, but the guest would then wait for input forever.
expect_error serial-in-directory "serial-in $TMP: Is a directory" \
	timeout 30 "$REWIND" run --timeout 20 --cmdline workload=echo --serial-in "$TMP" "$KERNEL"

# A PVH kernel whose image needs more RAM than the VM has: a 6 MiB segment with -m 4M.
python3 - "$TMP/big.elf" <<'PY'
import struct, sys
phoff, note_off, seg_off = 64, 0x100, 0x200
eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x100000, phoff, 0, 0, 64, 56, 2, 64, 0, 0)
ph = struct.pack("<IIQQQQQQ", 1, 7, seg_off, 0x100000, 0x100000, 16, 6 << 20, 0x1000)
note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", 0x100000)
ph += struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(note), len(note), 4)
img = bytearray(seg_off + 16)
img[0:len(eh)] = eh
img[phoff:phoff + len(ph)] = ph
img[note_off:note_off + len(note)] = note
open(sys.argv[1], "wb").write(img)
PY
expect_error image-too-big "does not fit in 4 MiB" "$REWIND" run -m 4M "$TMP/big.elf"

# /dev/kvm missing, and present but not accessible: in a private mount namespace.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	expect_error kvm-missing "opening /dev/kvm: No such file" \
		unshare -m sh -c "mount -t tmpfs none /dev && exec $REWIND run $KERNEL"
	expect_error kvm-not-kvm "checking the KVM API version" \
		unshare -m sh -c "mount --bind /dev/null /dev/kvm && exec $REWIND run $KERNEL"
	if command -v setpriv >/dev/null; then
		cp "$REWIND" "$TMP/rewind" && cp "$KERNEL" "$TMP/k.elf" && chmod 755 "$TMP" "$TMP/rewind" && chmod 644 "$TMP/k.elf"
		expect_error kvm-no-permission "opening /dev/kvm: Permission denied" \
			setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/rewind" run "$TMP/k.elf"
	fi
else
	skip kvm-missing "needs root and unshare"
fi

# --help and --version answer on stdout with status 0, for rewind and each command.
"$REWIND" --version >"$TMP/out" 2>&1
check version [ $? -eq 0 ]
check version-text grep -q "^rewind [0-9]" "$TMP/out"
check version-unicorn grep -q "Unicorn 2\.[1-9]" "$TMP/out"
for cmd in "" run record replay debug trace restore; do
	# shellcheck disable=SC2086
	"$REWIND" $cmd --help >"$TMP/out" 2>&1
	check "help-${cmd:-rewind}" [ $? -eq 0 ]
	check "help-${cmd:-rewind}-usage" grep -q "usage: rewind" "$TMP/out"
done
expect_error trace-no-subcommand "usage: rewind trace" "$REWIND" trace
expect_error replay-no-file "expected one trace FILE" "$REWIND" replay
expect_error debug-bad-port "bad port" "$REWIND" debug --port 99999 x.rwd
expect_error record-no-output "-o FILE is required" "$REWIND" record "$KERNEL"

# Options may come after the KERNEL operand, as with gcc, git and QEMU.
"$REWIND" run "$KERNEL" --timeout 60 --cmdline workload=hello >"$TMP/out" 2>&1 </dev/null
check options-after-kernel [ $? -eq 0 ]
check options-after-kernel-used grep -q "^hello: testos is up" "$TMP/out"

# --timeout still bounds a run after gdb continued, interrupted and detached: the echo workload
# waits for input forever, so only the timeout ends it.
if have_kvm; then
	cat >"$TMP/gdb_client.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
for _ in range(300):
    try:
        s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.1)
s.settimeout(30)
buf = b""
def send(p): s.sendall(b"$%s#%02x" % (p, sum(p) & 0xff))
def packet():
    global buf
    while True:
        i = buf.find(b"$")
        j = buf.find(b"#", i)
        if i >= 0 and j >= 0 and len(buf) >= j + 3:
            p, buf = buf[i + 1:j], buf[j + 3:]
            s.sendall(b"+")
            return p
        buf += s.recv(4096)
send(b"c"); time.sleep(1); s.sendall(b"\x03"); packet()
send(b"D")
try:
    packet()
except OSError:
    pass  # the server may close as soon as it has answered
PY
	start=$(date +%s)
	timeout 60 "$REWIND" run --gdb-socket "$TMP/gdb.sock" --timeout 3 --cmdline workload=echo \
		"$KERNEL" </dev/null >/dev/null 2>"$TMP/gdb.err" &
	run=$!
	python3 "$TMP/gdb_client.py" "$TMP/gdb.sock" >/dev/null 2>&1
	wait $run
	rc=$?
	took=$(($(date +%s) - start))
	check gdb-detach-keeps-timeout sh -c "[ $rc -eq 124 ] && [ $took -le 20 ] && grep -q 'did not finish within 3 s' '$TMP/gdb.err'"
else
	skip gdb-detach-keeps-timeout "/dev/kvm not accessible"
fi
