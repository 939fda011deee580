#!/bin/sh
# QEMU 7.2's record/replay of testos for reverse debugging (used by tests/bench/reverse_bench.sh).
#   sh tests/bench/qemu_reverse.sh record DIR TICKS   records DIR/qemu.rr (snapshot "init" in
#                                                     DIR/qemu.qcow2), prints the wall time
#   sh tests/bench/qemu_reverse.sh replay DIR TICKS   replays it, stopped at the first
#                                                     instruction, gdb stub on DIR/qemu.sock
# Reverse execution in QEMU needs a snapshot to go back to: rrsnapshot=init keeps one in a
# qcow2 drive (not attached to the guest, which has no disk) taken when recording starts.
cd "$(dirname "$0")/../.." || exit 1
mode=$1 D=$2 TICKS=$3
K=build/guest/testos.elf
case $mode in
record)
	rm -f "$D/qemu.rr" "$D/qemu.qcow2"
	qemu-img create -q -f qcow2 "$D/qemu.qcow2" 16M || exit 1
	t0=$(date +%s.%N)
	# The guest's exit status 0 reaches the host as (0 << 1) | 1 = 1 through isa-debug-exit.
	timeout 600 qemu-system-x86_64 -accel tcg -m 256M -nographic -display none -net none -no-reboot \
		-monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel $K -append "workload=race ticks=$TICKS" -serial file:"$D/qemu.record.serial" \
		-icount shift=auto,rr=record,rrfile="$D/qemu.rr",rrsnapshot=init \
		-drive file="$D/qemu.qcow2",if=none,id=rr,format=qcow2
	rc=$?
	echo "record_s $(echo "$(date +%s.%N) - $t0" | bc)"
	echo "rr_bytes $(stat -c %s "$D/qemu.rr") qcow2_bytes $(stat -c %s "$D/qemu.qcow2")"
	[ $rc -eq 1 ] && grep -q 'testos: exit 0' "$D/qemu.record.serial"
	;;
replay)
	rm -f "$D/qemu.sock"
	exec qemu-system-x86_64 -accel tcg -m 256M -nographic -display none -net none -no-reboot \
		-monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel $K -append "workload=race ticks=$TICKS" -serial file:"$D/qemu.replay.serial" \
		-icount shift=auto,rr=replay,rrfile="$D/qemu.rr",rrsnapshot=init \
		-drive file="$D/qemu.qcow2",if=none,id=rr,format=qcow2 \
		-chardev socket,path="$D/qemu.sock",server=on,wait=off,id=gdbs -gdb chardev:gdbs -S
	;;
*)
	echo "usage: sh tests/bench/qemu_reverse.sh record|replay DIR TICKS" >&2
	exit 2
	;;
esac
