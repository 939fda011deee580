# make svm-cross: how traces fare across kinds of kvm host (issue 18), a report, not a test.
# The same testos workloads recorded here and in the nested-SVM guest (tests/svm/lib.sh), each
# replayed with --verify on the other kind of host (and on its own, as the control); one line
# a trace and direction, "cross NAME: HOW: verified" or the replay's status and first message.
# Exits non-zero only when the measurement itself could not be made. docs/platform.md.
. tests/svm/lib.sh
. tests/svm/guest/svm-lib.sh
svm_skip_unless_ready
host=$(grep -qw -e vmx -e svm /proc/cpuinfo && echo "hardware kvm" || echo "kvm without VT-x/AMD-V (PVM)")
echo "# this host: $host"

# NAME=CMDLINE, spaces as '+' (they go through the kernel command line to the guest).
workloads="hello=workload=hello panic=workload=panic compute=workload=compute"
workloads="$workloads race-1=workload=race race-2=workload=race race-3=workload=race"
workloads="$workloads race-loops-1=workload=race+ticks=10+loops=1 race-loops-4=workload=race+ticks=10+loops=4"

mkdir -p "$TMP/here"
set --
for w in $workloads; do
	name=${w%%=*}
	"$REWIND" record -o "$TMP/here/$name.rwd" --timeout 120 --cmdline "$(echo "${w#*=}" | tr '+' ' ')" \
		"$KERNEL" </dev/null >/dev/null 2>&1
	cross_report "$REWIND" "$TMP/replay.err" "$name" "recorded on the host, replayed on the host" "$TMP/here/$name.rwd"
	set -- "$@" "in/$name.rwd=$TMP/here/$name.rwd"
done
svm_initramfs "$TMP/cross.cpio" "$@" || exit 1
svm_boot "$TMP/cross.cpio" "$TMP/console" "$TMP/files" \
	svm_workloads="$(echo $workloads | tr ' ' ',')" -- /etc/rewind/cross.sh
echo "# nested-SVM boot: $took s"
tr -d '\r' <"$TMP/console" | grep -e '^cross ' -e '^FAIL '
if [ "$status" -ne 1 ]; then
	echo "the SVM guest did not finish: $(svm_boot_failed "$TMP/console")" >&2
	exit 1
fi
if ! msg=$(svm_files_out "$TMP/files" "$TMP/there"); then
	echo "the SVM guest's traces did not come out: $msg" >&2
	exit 1
fi
for t in "$TMP"/there/*.rwd; do
	cross_report "$REWIND" "$TMP/replay.err" "$(basename "$t" .rwd)" "recorded in SVM, replayed on the host" "$t"
done
