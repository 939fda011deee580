#!/bin/sh
# QEMU's snapshots of the test kernel, for comparison with rewind's checkpoints
# (tests/bench/ckpt_bench.sh): boots testos under QEMU TCG with 256 MiB and a qcow2 disk that
# holds internal snapshots, then over the HMP monitor takes COUNT `savevm`s 100 ms apart (each
# timed), reads their sizes from `info snapshots`, times `loadvm` of the first and the last
# three times each, and reports the qcow2 file's size.
#   usage: sh tests/bench/qemu_savevm.sh [COUNT [FILL_MIB [DIR]]]
# FILL_MIB > 0 loads that many MiB of random bytes at the top of guest RAM (QEMU's generic
# loader; testos never touches it), like ckpt_bench's fill. Prints "key value" lines:
#   savevm_ms N, vmsize_mib N (one per snapshot), loadvm_ms N, qcow2_bytes N.
cd "$(dirname "$0")/../.." || exit 1
COUNT=${1:-10}
FILL=${2:-0}
D=${3:-build/bench/qemu_savevm}
K=build/guest/testos.elf
MIB=256
if ! command -v qemu-system-x86_64 >/dev/null 2>&1 || ! command -v qemu-img >/dev/null 2>&1; then
	echo "qemu_savevm: qemu-system-x86_64 or qemu-img not installed" >&2
	exit 1
fi
mkdir -p "$D"
rm -f "$D/snap.qcow2" "$D/mon.sock" "$D/serial.txt"
qemu-img create -q -f qcow2 "$D/snap.qcow2" 16M || exit 1
fill=
if [ "$FILL" -gt 0 ]; then
	[ -f "$D/fill$FILL.bin" ] || head -c "${FILL}M" /dev/urandom >"$D/fill$FILL.bin" || exit 1
	fill="-device loader,file=$D/fill$FILL.bin,addr=$(((MIB - FILL) << 20)),force-raw=on"
fi
# ticks= keeps the guest racing (timer interrupts, system calls) for far longer than this runs.
qemu-system-x86_64 -accel tcg -m ${MIB}M -nographic -display none -net none -no-reboot \
	-serial file:"$D/serial.txt" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel $K -append "workload=race ticks=1000000" $fill \
	-drive file="$D/snap.qcow2",if=none,id=snaps,format=qcow2 \
	-monitor unix:"$D/mon.sock",server=on,wait=off &
qpid=$!
python3 - "$D/mon.sock" "$COUNT" <<'EOPY'
import re, socket, sys, time

path, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX)
for _ in range(400):
    try:
        s.connect(path)
        break
    except OSError:
        time.sleep(0.025)
else:
    sys.exit('qemu_savevm: no monitor at ' + path)
buf = b''

def until_prompt():
    global buf
    while b'(qemu) ' not in buf:
        d = s.recv(65536)
        if not d:
            sys.exit('qemu_savevm: the monitor closed')
        buf += d
    out, buf = buf.split(b'(qemu) ', 1)
    # HMP echoes the command with terminal escapes: keep the lines after the echo.
    return out.decode(errors='replace').split('\n', 1)[-1] if b'\n' in out else ''

def cmd(c):
    s.sendall(c.encode() + b'\n')
    t = time.monotonic()
    out = until_prompt()
    return out, (time.monotonic() - t) * 1e3

until_prompt()
time.sleep(1.0)  # past boot: the race workload is running
for i in range(count):
    out, ms = cmd('savevm s%d' % i)
    if out.strip():
        sys.exit('qemu_savevm: savevm said: ' + out.strip())
    print('savevm_ms %.2f' % ms)
    time.sleep(0.1)
out, _ = cmd('info snapshots')
units = {'B': 1 / 1048576, 'KiB': 1 / 1024, 'MiB': 1, 'GiB': 1024}
sizes = re.findall(r'^\S+\s+s\d+\s+([0-9.]+) (B|KiB|MiB|GiB)\s', out, re.M)
if len(sizes) != count:
    sys.exit('qemu_savevm: info snapshots lists %d snapshots, not %d:\n%s' % (len(sizes), count, out))
for v, u in sizes:
    print('vmsize_mib %.3f' % (float(v) * units[u]))
for tag in ('s0', 's%d' % (count - 1)):
    for _ in range(3):
        out, ms = cmd('loadvm ' + tag)
        if out.strip():
            sys.exit('qemu_savevm: loadvm said: ' + out.strip())
        print('loadvm_ms %.2f' % ms)
# QEMU drops a command still unread when the client hangs up: stay until it closes.
s.sendall(b'quit\n')
while s.recv(65536):
    pass
EOPY
rc=$?
# Should QEMU still be up (the script failed half way), it is stopped here.
i=0
while kill -0 $qpid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill $qpid 2>/dev/null
wait $qpid
[ $rc -eq 0 ] || exit 1
grep -q 'race: a system call' "$D/serial.txt" || { echo "qemu_savevm: testos did not start the race" >&2; exit 1; }
echo "qcow2_bytes $(stat -c %s "$D/snap.qcow2")"
