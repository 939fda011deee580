#!/bin/sh
# The nested-SVM target's guest side (tests/svm/svm.sh boots it): with /dev/kvm served by
# kvm-amd, run the project's own kvm-engine suites on the rewind built on the host, from the
# copy of the project under /rewind. Their lines ("ok SUITE: CASE", ...) go to the console;
# the exit status is non-zero when any case failed.
# From the kernel command line: svm_recordings=N recordings of each workload (default 3);
# svm_suites=A,B the integration suites to run (default below).
. /etc/rewind/svm-lib.sh
kvm_up || exit 1
cd /rewind || exit 1
# landing.sh is not in the default list: its recordings' landings are not all found here
# (docs/platform.md, "PVM and SVM"). When run, with the soft search only: hardware execute
# breakpoints never fire in this nested guest (QEMU TCG does not arm the nested DR7).
suites=${svm_suites:-record_replay,divergence,guest_rewind}
set --
for s in $(echo "$suites" | tr ',' ' '); do
	set -- "$@" "tests/integration/$s.sh"
done
RR_RECORDINGS=${svm_recordings:-3} LANDING_SEARCHES=soft LANDING_LOOPS=4 sh tests/run.sh "$@"
status=$?

# A trace carried in (the host recorded it; its sha256 is on the command line) and one
# carried out (tests/svm/svm.sh checks it there).
if [ "$(sha256sum </in/hello.rwd | cut -d' ' -f1)" = "$svm_in_sum" ] &&
	build/rewind trace verify /in/hello.rwd >/dev/null; then
	echo "ok guest: trace-in-verifies"
else
	echo "FAIL guest: trace-in-verifies: /in/hello.rwd is not the trace the host put in"
	status=1
fi
mkdir -p /tmp/out
build/rewind record -o /tmp/out/race.rwd --timeout 60 --cmdline workload=race build/guest/testos.elf \
	</dev/null >/dev/null 2>&1
echo "race.rwd sha256 $(sha256sum </tmp/out/race.rwd | cut -d' ' -f1)"
send_files /tmp/out
exit $status
