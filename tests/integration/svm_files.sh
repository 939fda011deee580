# The nested-SVM target's way out for files (tests/svm/: send_files in the guest, svm_files_out
# here), on this host without booting anything: a round trip brings the same bytes, and an
# archive damaged on the way, or none at all, is refused with the reason.
. tests/svm/lib.sh
. tests/svm/guest/svm-lib.sh

mkdir -p "$TMP/sent/sub"
head -c 100000 /dev/urandom >"$TMP/sent/a.rwd"
echo small >"$TMP/sent/sub/b.txt"
# The serial line adds carriage returns; svm_files_out drops them.
send_files "$TMP/sent" "$TMP/port"
sed 's/$/\r/' "$TMP/port" >"$TMP/console"
svm_files_out "$TMP/console" "$TMP/got" >"$TMP/msg"
check round-trip-unpacks [ $? -eq 0 ]
check round-trip-same-bytes cmp -s "$TMP/sent/a.rwd" "$TMP/got/a.rwd"
check round-trip-subdirectories cmp -s "$TMP/sent/sub/b.txt" "$TMP/got/sub/b.txt"

# One base64 character changed in the middle of the archive.
awk 'NR == 100 { $0 = (substr($0, 1, 1) == "A" ? "B" : "A") substr($0, 2) } { print }' \
	"$TMP/port" >"$TMP/damaged"
svm_files_out "$TMP/damaged" "$TMP/got2" >"$TMP/msg"
check damaged-refused [ $? -ne 0 ]
check damaged-named grep -q "not the one sent (sha256 differs)" "$TMP/msg"
check damaged-not-unpacked [ ! -e "$TMP/got2" ]

head -c 0 >"$TMP/empty"
svm_files_out "$TMP/empty" "$TMP/got3" >"$TMP/msg"
check nothing-sent-refused [ $? -ne 0 ]
check nothing-sent-named grep -q "no files came out" "$TMP/msg"
