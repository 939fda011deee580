#!/bin/sh
# The boot test's workload: output that does not depend on the machine or the time, then a
# status the test checks (rewind: 7; QEMU: 7 * 2 + 1).
echo "guest: hello from busybox $(busybox | head -1 | cut -d' ' -f2) on Linux $(uname -r | cut -d- -f1)"
echo "guest: pid 1 is $(cat /proc/1/comm)"
echo "guest: $(seq 1 5 | tr '\n' ' ')"
echo "guest: sum $(( $(seq 1 100 | tr '\n' '+')0 ))"
echo "guest: done"
exit 7
