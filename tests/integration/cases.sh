# Replays the kept cases (tests/cases/): traces that once showed a defect must now verify.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi

# verifies NAME TRACE [replay options]: replay --verify exits 0 and says "verified".
verifies() {
	name=$1 t=$2; shift 2
	"$REWIND" replay --verify "$@" "$t" </dev/null >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q "verified:.*final state digest" "$TMP/err"; then
		ok "$name"
	else
		fail "$name" "status $rc: $(grep 'rewind replay' "$TMP/err" | head -2)"
	fi
}

t=tests/cases/race-soft-search-diverges.rwd
verifies race-soft-search-verifies "$t"
verifies race-breakpoint-search-verifies "$t" --landing-search breakpoint

# The ACPI machine before the pvpanic device: no pvpanic=1 line, the 64-byte DSDT, no port
# 0x505. It replays on that machine, and the final state digest (guest RAM, where the tables
# are) matches.
verifies acpi-machine-before-pvpanic-verifies tests/cases/acpi-machine-before-pvpanic.rwd

# Landings in user code (issue 14), one right after a `shl $17`, whose OF the CPU and the soft
# engine set differently: the search leaves undefined flags out of its match.
verifies compute-landing-after-shl-verifies tests/cases/compute-landing-after-shl.rwd

# A landing on a new task's first user instruction (issue 14): Unicorn's walker set an
# accessed bit there before the instruction ran, kvm's had not yet.
verifies race-landing-on-a-task-start-verifies tests/cases/race-landing-on-a-task-start.rwd
# ... and one where kvm had set the dirty bit of that page-directory entry too.
verifies hello-landing-kvm-set-dirty-verifies tests/cases/hello-landing-kvm-set-dirty.rwd
# A landing where kvm had RF set (PVM leaves it where a shadow page fault it handled stopped
# the guest): the interrupt frame delivered there kept it, and the next landing, which hashed
# that stack page, was never found while replay cleared RF (issue 14).
verifies compute-landing-with-rf-verifies tests/cases/compute-landing-with-rf.rwd
# A race trace with one landing in user code (0x40006f) among 33 in the kernel: asked for the
# hardware breakpoint search, replay on this host (no breakpoint fires in CPL3 code under PVM)
# finds that one on the soft engine instead of looking where it never could.
verifies race-user-landing-breakpoint-verifies tests/cases/race-user-landing.rwd --landing-search breakpoint
# ... and under `rewind debug`, which replays it again to step back from the end: gdb's
# continue reaches the end and reverse-stepi goes back one step (the debugger searched only
# with the breakpoint, never found that landing, and the session broke).
sock=$TMP/user-landing.sock
"$REWIND" debug --socket "$sock" tests/cases/race-user-landing.rwd >"$TMP/user-landing.server" 2>&1 &
server=$!
wait_for_socket "$sock"
timeout 120 gdb -batch -nx -ex 'set pagination off' -ex "target remote $sock" -ex continue \
	-ex reverse-stepi -ex 'monitor when' "$KERNEL" >"$TMP/user-landing.gdb" 2>&1
wait $server
check race-user-landing-debugged-backwards grep -q '^position' "$TMP/user-landing.gdb"
