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
