#!/bin/sh
# The guest side of tests/svm/cross.sh (issue 18: traces across host kinds): replays with
# --verify each trace the host put in /in (recorded under another kind of kvm), records the
# same workloads here (svm_workloads from the kernel command line: NAME=CMDLINE words joined
# by commas, spaces as '+') and replays each here as the control, then sends the recordings
# out. One report line a trace: "cross NAME: HOW: verified" or "...: status S: MESSAGE".
. /etc/rewind/svm-lib.sh
kvm_up || exit 1
R=/rewind/build/rewind
K=/rewind/build/guest/testos.elf

for t in /in/*.rwd; do
	[ -f "$t" ] && cross_report "$R" /tmp/replay.err "$(basename "$t" .rwd)" "recorded on the host, replayed in SVM" "$t"
done
mkdir -p /tmp/out
for w in $(echo "$svm_workloads" | tr ',' ' '); do
	name=${w%%=*}
	"$R" record -o "/tmp/out/$name.rwd" --timeout 120 --cmdline "$(echo "${w#*=}" | tr '+' ' ')" "$K" \
		</dev/null >/dev/null 2>&1
	cross_report "$R" /tmp/replay.err "$name" "recorded in SVM, replayed in SVM" "/tmp/out/$name.rwd"
done
send_files /tmp/out
