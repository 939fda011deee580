#!/bin/sh
# Writes, as assembly, the sorted text symbol table of the ELF file $1 (or an empty table
# when $1 is "-") for ksyms.c.
if [ "$1" = - ]; then
	syms=
else
	syms=$(nm -n --defined-only "$1" | awk '($2 == "T" || $2 == "t") && $3 !~ /^__/ { print $1, $3 }') || exit 1
fi
echo "$syms" | awk '
BEGIN { n = 0 }
NF == 2 { addr[n] = $1; name[n] = $2; n++ }
END {
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.globl ksym_count, ksym_addrs, ksym_names"
	print "ksym_count:\n\t.quad " (n + 0)
	print "ksym_addrs:"
	for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
	print "ksym_names:"
	for (i = 0; i < n; i++) print "\t.quad .Lname" i
	for (i = 0; i < n; i++) print ".Lname" i ":\n\t.asciz \"" name[i] "\""
	print "\t.section .note.GNU-stack, \"\", @progbits"
}'
