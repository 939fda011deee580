# What rewind reports when things go wrong: a guest that dies without its debug-exit (triple
# fault), a guest that halts forever, and a fatal error inside rewind itself.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi

# build_guest NAME ASM: a tiny 32-bit PVH guest whose entry runs ASM, with symbols.
build_guest() {
	cat >"$TMP/$1.S" <<EOS
	.section .note.Xen, "a"
	.p2align 2
	.long 4, 4, 18
	.asciz "Xen"
	.long _start
	.text
	.code32
	.globl _start
_start:
	mov \$0x3f8, %dx
	mov \$'!', %al
	out %al, %dx
	.globl crash_here
crash_here:
	$2
EOS
	printf 'ENTRY(_start)\nSECTIONS { . = 0x100000; .text : { *(.text) } .note : { *(.note.Xen) } }\n' >"$TMP/g.ld"
	as --32 "$TMP/$1.S" -o "$TMP/$1.o" && ld -m elf_i386 -T "$TMP/g.ld" "$TMP/$1.o" -o "$TMP/$1.elf"
}

if ! command -v as >/dev/null; then skip all "no assembler"; exit 0; fi

# No IDT: the invalid opcode cannot be delivered and the machine shuts down.
build_guest triple "ud2"
"$REWIND" run --timeout 20 "$TMP/triple.elf" >"$TMP/out" 2>"$TMP/err" </dev/null
status=$?
check triple-fault-status [ "$status" -eq 126 ]
check triple-fault-says-shutdown grep -q "guest shut down" "$TMP/err"
check triple-fault-names-symbol grep -q "RIP .*crash_here" "$TMP/err"
check triple-fault-registers grep -q "^RAX .* RBX .* RCX .* RDX" "$TMP/err"
check triple-fault-console-kept grep -q "!" "$TMP/out"

build_guest halt "cli; hlt"
"$REWIND" run --timeout 20 "$TMP/halt.elf" >"$TMP/out" 2>"$TMP/err" </dev/null
status=$?
check halted-forever-status [ "$status" -eq 126 ]
check halted-forever-message grep -q "halted with interrupts disabled" "$TMP/err"

# A fatal signal inside rewind: its own backtrace and the guest's registers, status 125.
sleep 20 | "$REWIND" run --cmdline workload=echo "$KERNEL" >"$TMP/out" 2>"$TMP/err" &
pid=$!
sleep 1
kill -SEGV $pid
wait $pid
status=$?
check vmm-crash-status [ "$status" -eq 125 ]
check vmm-crash-names-signal grep -q "internal error: Segmentation fault" "$TMP/err"
check vmm-crash-backtrace grep -q "#0 " "$TMP/err"
check vmm-crash-guest-registers grep -q "^RIP " "$TMP/err"
