# make test-svm: rewind's kvm engine on hardware-virtualization semantics. A Linux guest under
# QEMU TCG with an emulated AMD CPU with SVM loads kvm-amd, and the rewind built here runs the
# project's own kvm-engine suites in it (tests/svm/guest/suites.sh): record and replay
# --verify of every testos workload (several recordings each, race among them), divergences
# reported, the guest checks. Their lines come out as "ok svm SUITE: CASE". A trace recorded
# here goes in and one recorded there comes out, both checked whole. docs/platform.md,
# docs/testing.md.
#   SVM_RECORDINGS  recordings of each workload in the guest (default 3)
#   SVM_SUITES      the integration suites the guest runs, comma-separated
#                   (default record_replay,divergence,guest_rewind; landing is the other)
#   SVM_TIMEOUT     seconds before a hung boot is killed (default 900)
. tests/svm/lib.sh
svm_skip_unless_ready

# In: a trace recorded here, checked there (rewind trace verify) against the sha256 given on
# the command line.
"$REWIND" record -o "$TMP/in.rwd" --timeout 60 --cmdline workload=hello "$KERNEL" </dev/null >/dev/null 2>&1
in_sum=$(sha256sum <"$TMP/in.rwd" | cut -d' ' -f1)
if ! svm_initramfs "$TMP/svm.cpio" in/hello.rwd="$TMP/in.rwd" >"$TMP/initramfs.err" 2>&1; then
	fail initramfs "$(cat "$TMP/initramfs.err")"
	exit 1
fi
suites=${SVM_SUITES:+svm_suites=$SVM_SUITES}
svm_boot "$TMP/svm.cpio" "$TMP/console" "$TMP/files" svm_recordings="${SVM_RECORDINGS:-3}" \
	$suites svm_in_sum="$in_sum" -- /etc/rewind/suites.sh
echo "# nested-SVM boot with the guest's suites: $took s" >&2
tr -d '\r' <"$TMP/console" >"$TMP/console.txt"
svm_results "$TMP/console.txt"
grep '^[0-9]* passed, [0-9]* failed' "$TMP/console.txt" | sed 's/^/# in the SVM guest: /'

# The guest's status, as its /init printed it and as QEMU passed it on (status * 2 + 1).
guest=$(sed -n 's/^init: exit \([0-9]*\)$/\1/p' "$TMP/console.txt")
if [ -n "$guest" ] && [ "$status" -eq $((guest * 2 + 1)) ]; then
	check "guest-exit-status-0($guest)" [ "$guest" -eq 0 ]
else
	fail boot "$(svm_boot_failed "$TMP/console")"
	exit 1
fi
# The guest ran its suites (a script that stopped early would print few lines and may exit 0).
check guest-suites-ran grep -q '^ok [a-z_]*: ' "$TMP/console.txt"

# Out: the race trace the guest recorded, whole, and still a trace here.
trace_verifies() { "$REWIND" trace verify "$1" >/dev/null; }
if msg=$(svm_files_out "$TMP/files" "$TMP/out"); then
	ok files-come-out
	check trace-out-verifies trace_verifies "$TMP/out/race.rwd"
	check trace-out-is-the-one-recorded grep -q \
		"^race.rwd sha256 $(sha256sum <"$TMP/out/race.rwd" | cut -d' ' -f1)" "$TMP/console.txt"
else
	fail files-come-out "$msg"
fi
