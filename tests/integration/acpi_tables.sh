# The ACPI tables rewind builds (core/acpi_tables.c), read by ACPICA's own tools from Debian's
# acpica-tools (tests/deps.sh): iasl -d disassembles each table and must find nothing wrong
# (checksums, lengths, reserved fields), and acpiexec, ACPICA's interpreter as Linux runs it,
# loads the FADT, FACS, MADT and DSDT and evaluates \_S5.
. tests/integration/lib.sh
DUMP=${DUMP:-build/tests/tools/acpi_tables_dump}

if ! command -v iasl >/dev/null 2>&1 || ! command -v acpiexec >/dev/null 2>&1; then
	skip all "iasl/acpiexec not installed (Debian's acpica-tools; make deps)"
	exit 0
fi
if ! "$DUMP" "$TMP" 2>"$TMP/dump.err"; then
	fail dump "$(cat "$TMP/dump.err")"
	exit 0
fi

# disassembles TABLE: iasl -d succeeds, and its listing flags no field (iasl writes
# "Incorrect checksum, should be …" and similar notes into the .dsl).
disassembles() {
	if ! iasl -d "$TMP/$1.dat" >"$TMP/$1.iasl" 2>&1; then
		fail "$1-disassembles" "iasl -d: $(tail -2 "$TMP/$1.iasl")"
	elif grep -qi 'incorrect\|invalid\|error\|warning' "$TMP/$1.dsl"; then
		fail "$1-disassembles" "$(grep -i 'incorrect\|invalid\|error\|warning' "$TMP/$1.dsl" | head -2)"
	else
		ok "$1-disassembles"
	fi
}
for t in XSDT FACP FACS APIC DSDT; do
	disassembles $t
done

# field TABLE NAME VALUE: the decoded field as iasl prints it ("Name : Value").
field() {
	grep -q "^\[[0-9A-F]*h [0-9]* *[0-9]*\] *$2 : $3\$" "$TMP/$1.dsl"
}
check fadt-pm1a-event-block field FACP "PM1A Event Block Address" 00000600
check fadt-pm1a-control-block field FACP "PM1A Control Block Address" 00000604
check fadt-sci field FACP "SCI Interrupt" 0009
check fadt-no-pm-timer field FACP "PM Timer Block Address" 00000000
check fadt-reset-register field FACP "Address" 0000000000000CF9
check madt-pcat-compat grep -q "PC-AT Compatibility : 1" "$TMP/APIC.dsl"
check madt-one-processor test "$(grep -c 'Subtable Type : 00 \[Processor Local APIC\]' "$TMP/APIC.dsl")" -eq 1
check madt-no-io-apic sh -c "! grep -q 'I/O APIC' '$TMP/APIC.dsl'"

# acpiexec builds its own RSDP and XSDT around the tables it is given and runs ACPICA's table
# checks on them: what Linux prints as "ACPI BIOS Error (bug): …" acpiexec prints as
# "Firmware Error (ACPI): …" (a required FADT field left 0, a 32/64-bit address mismatch…).
complaints='Firmware Error\|Firmware Warning\|ACPI BIOS\|ACPI Error\|ACPI Warning'
(cd "$TMP" && acpiexec -b 'evaluate \_S5' FACP.dat FACS.dat APIC.dat DSDT.dat) >"$TMP/exec" 2>&1
if grep -q "$complaints" "$TMP/exec"; then
	fail acpiexec-accepts-the-tables "$(grep "$complaints" "$TMP/exec" | head -2)"
else
	ok acpiexec-accepts-the-tables
fi
# \_S5 = {5, 5, 0, 0}: SLP_TYP 5 is what devices/acpi_pm.c powers off on.
sed -n '/Evaluation of \\_S5/,/^$/p' "$TMP/exec" | grep -o '\[Integer\] = [0-9A-F]*' >"$TMP/s5"
printf '[Integer] = %016X\n' 5 5 0 0 >"$TMP/s5.want"
check dsdt-s5-evaluates-to-5-5-0-0 cmp -s "$TMP/s5" "$TMP/s5.want"
