#!/bin/sh
# Reverse-debugging latency on a Linux recording (docs/benchmarks-linux.md): the sysrq crash
# (tests/linux/debug_soft.sh's workload) recorded on the soft engine, served by `rewind debug`
# to a real gdb on the vmlinux (make linux-guest LINUX_DBG=1), every command timed with gdb's
# own Python (time.monotonic() around gdb.execute). In one session: continue to panic (the
# first pass: a replay of the boot, taking the checkpoints), stepi, 4 reverse-stepi,
# reverse-finish, break __handle_sysrq + reverse-continue (a short way back), then from the
# panic again a watchpoint on console_loglevel (console_printk[0]) + reverse-continue: to
# __handle_sysrq's store (near), and, after a stepi over it and the raise before it, to the
# early parameter `quiet` setting it (back across the whole boot). Raw output:
# build/bench/linux-reverse/.
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh
. tests/linux/lib.sh
bench_setup linux-reverse
if ! have_linux_assets || [ ! -s "$LINUX/vmlinux" ] || ! command -v gdb >/dev/null; then
	echo "needs $BZIMAGE, $INITRD, $LINUX/vmlinux (make linux-guest LINUX_DBG=1) and gdb" >&2
	exit 1
fi
"$B/rewind" record -o "$B/sysrq.rwd" --engine soft -m 256M --initrd "$INITRD" \
	--cmdline "$LINUX_CMDLINE nokaslr -- /etc/rewind/sysrq.sh" "$BZIMAGE" </dev/null >"$B/record.out" 2>&1
[ $? -eq 123 ] || { echo "recording the sysrq crash failed: $B/record.out" >&2; exit 1; }
rm -f "$B/debug.sock"
cat >"$B/bench.gdb" <<EOG
set pagination off
set confirm off
target remote $B/debug.sock
$(gdb_timer)
break panic
python timed('continue-to-panic', 'continue')
delete
python timed('stepi', 'stepi')
python timed('reverse-stepi', 'reverse-stepi')
python timed('reverse-stepi', 'reverse-stepi')
python timed('reverse-stepi', 'reverse-stepi')
python timed('reverse-stepi', 'reverse-stepi')
python timed('reverse-finish', 'reverse-finish')
break __handle_sysrq
python timed('reverse-continue-breakpoint', 'reverse-continue')
delete
break panic
python timed('continue-to-panic-again', 'continue')
delete
watch console_printk[0]
python timed('reverse-continue-watch-near', 'reverse-continue')
stepi
python timed('reverse-continue-watch-raise', 'reverse-continue')
python timed('reverse-continue-watch-boot', 'reverse-continue')
monitor info
EOG
timeout 3600 "$B/rewind" debug --socket "$B/debug.sock" "$B/sysrq.rwd" >"$B/server.out" 2>&1 &
server=$!
wait_for_socket "$B/debug.sock"
timeout 3600 gdb -batch -nx -x "$B/bench.gdb" "$LINUX/vmlinux" >"$B/gdb.out" 2>&1
wait $server
echo "Reverse debugging the sysrq crash ($("$B/rewind" trace info "$B/sysrq.rwd" | sed -n 's/^run: *//p'))," \
	"$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), seconds per gdb command:"
awk '/^TIME /{ t = $3; n = $2 }
	/^AT /{ at = match($0, /<[^>]*>/) ? substr($0, RSTART, RLENGTH) : "?"; printf "  %-30s %8.2f  %s\n", n, t, at }' "$B/gdb.out"
grep -E '^searches|checkpoints:' "$B/gdb.out" | sed 's/^/  /' | cut -c1-100
