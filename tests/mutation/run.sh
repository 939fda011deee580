#!/bin/sh
# The mutation suite: breaks, one at a time, each check that rewind's claims rest on (digests,
# checksums, event matching, landing signatures...) and shows that some test notices.
#   usage: sh tests/mutation/run.sh [NAME...]      (make mutate runs them all)
# Each mutation in tests/mutation/mutations replaces one piece of code text, which must occur
# exactly once in its file, in a scratch copy of the tree; the copy is built and the suites
# the mutation names are run. A case that passes unmutated and fails mutated catches it. A
# mutation whose text is gone or ambiguous (the code moved on) or that does not build is an
# error: fix the list, never drop the mutation to make the suite pass.
# Prints "caught NAME: the failing cases" or "MISSED NAME", then "N caught, N missed".
# The whole script is one compound command, parsed before it runs: the tree (this file too)
# may be edited during the half hour a full run takes.
{
cd "$(dirname "$0")/../.." || exit 2
list=${MUTATIONS:-tests/mutation/mutations}
limit=${MUTATE_TIMEOUT:-900}	# seconds one suite may take before it counts as hung
us=$(printf '\037')		# field separator: code text holds spaces and tabs, never this
start=$(date +%s)

work=$(mktemp -d)
trap '[ -n "$MUTATE_KEEP" ] || rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
tree=$work/tree
mkdir "$tree"

# The list, one line a mutation: name, file, find, put, suites (checked as it is read).
awk -v us="$us" '
function flush() {
	if (name == "") return
	if (file == "" || !hasfind || !hasput || suites == "") {
		printf "%s:%d: mutation %s needs file, find, put and suites\n", FILENAME, at, name > "/dev/stderr"
		bad = 1
	}
	print name us file us find us put us suites
	name = ""
}
/^[ \t]*(#|$)/ { next }
{
	key = $1
	rest = substr($0, index($0, key) + length(key))
	sub(/^[ \t]+/, "", rest); sub(/[ \t]+$/, "", rest)
	if (key == "mutation") { flush(); name = rest; at = FNR; file = find = put = suites = ""; hasfind = hasput = 0 }
	else if (name == "") { printf "%s:%d: %s outside a mutation\n", FILENAME, FNR, key > "/dev/stderr"; bad = 1 }
	else if (key == "file") file = rest
	else if (key == "find") { find = rest; hasfind = 1 }
	else if (key == "put") { put = rest; hasput = 1 }
	else if (key == "suites") suites = rest
	else if (key != "why") { printf "%s:%d: unknown key %s\n", FILENAME, FNR, key > "/dev/stderr"; bad = 1 }
}
END { flush(); exit bad }' "$list" >"$work/list" || { echo "mutate: $list is malformed"; exit 2; }

# Only the named mutations, when names are given.
if [ $# -gt 0 ]; then
	for n in "$@"; do
		grep -q "^$n$us" "$work/list" || { echo "mutate: no mutation named $n" >&2; exit 2; }
		grep "^$n$us" "$work/list"
	done >"$work/chosen"
	mv "$work/chosen" "$work/list"
fi

# The scratch tree: the files git knows (committed or not) and the current build, times
# kept, so only what a mutation touches is rebuilt.
git ls-files -co --exclude-standard | while IFS= read -r f; do [ -f "$f" ] && echo "$f"; done |
	tar -cf - -T - | tar -xf - -C "$tree"
[ -d build ] && cp -a build "$tree/"
if ! (cd "$tree" && make -s all) </dev/null >"$work/build.log" 2>&1; then
	echo "mutate: the unmutated tree does not build:"; tail -20 "$work/build.log"; exit 2
fi

# occurrences FILE: how often $FIND occurs in FILE, as plain text.
occurrences() {
	awk 'BEGIN { f = ENVIRON["FIND"] }
	{ s = $0; while ((i = index(s, f)) > 0) { n++; s = substr(s, i + length(f)) } }
	END { print n + 0 }' "$1"
}

# mutate FILE: $FIND replaced by $PUT (once: occurrences said 1).
mutate() {
	awk 'BEGIN { f = ENVIRON["FIND"]; p = ENVIRON["PUT"] }
	{ if (!done && (i = index($0, f)) > 0) { $0 = substr($0, 1, i - 1) p substr($0, i + length(f)); done = 1 } print }' \
		"$1" >"$1.mutant" && mv "$1.mutant" "$1"
}

# run_suites OUT SUITES...: runs each suite in the tree (VAR=VALUE words set the environment
# of the suites after them); OUT gets one "suite: case" line per failed case (a suite that
# exits non-zero without naming one, or hangs, counts as a case).
run_suites() {
	out=$1; shift
	: >"$out"
	envs=""
	for s in "$@"; do
		case $s in
		*=*) envs="$envs $s"; continue;;
		*.sh) cmd="sh tests/integration/$s";;
		*) cmd="build/tests/$s";;
		esac
		(cd "$tree" && eval "env $envs timeout $limit $cmd") </dev/null >"$work/suite.out" 2>&1
		rc=$?
		sed -n 's/^FAIL \([^:]*\): \([^:]*\).*/\1: \2/p' "$work/suite.out" >"$work/suite.fail"
		if [ "$rc" -eq 124 ]; then
			echo "$s: timed out after $limit s" >>"$work/suite.fail"
		elif [ "$rc" -ne 0 ] && [ ! -s "$work/suite.fail" ]; then
			echo "$s: exited with status $rc" >>"$work/suite.fail"
		fi
		cat "$work/suite.fail" >>"$out"
	done
}

# baseline SUITES...: runs, unmutated, each suite not run so before: a case that fails already
# proves nothing about a mutation.
: >"$work/baseline"
: >"$work/baseline.done"
baseline() {
	benv=""
	for b in "$@"; do
		case $b in *=*) benv="$benv $b"; continue;; esac
		grep -qxF "$benv $b" "$work/baseline.done" && continue
		echo "$benv $b" >>"$work/baseline.done"
		# shellcheck disable=SC2086 # the environment words, split on purpose
		run_suites "$work/one" $benv "$b"
		if [ -s "$work/one" ]; then
			echo "mutate: failing before any mutation (not counted as catches):"
			sed 's/^/    /' "$work/one"
			cat "$work/one" >>"$work/baseline"
		fi
	done
}

caught=0 missed=0
while IFS="$us" read -r name file find put suites; do
	export FIND="$find" PUT="$put"
	n=$(occurrences "$tree/$file" 2>/dev/null || echo 0)
	if [ ! -f "$tree/$file" ] || [ "$n" -ne 1 ]; then
		echo "MISSED $name: ERROR: '$find' occurs $n times in $file, not once (the code moved, or the text is not unique): update the mutation"
		missed=$((missed + 1)); continue
	fi
	# shellcheck disable=SC2086 # a suites line is words
	(cd "$tree" && make -s all) </dev/null >"$work/build.log" 2>&1 && baseline $suites
	t0=$(date +%s)
	cp "$tree/$file" "$work/original"
	mutate "$tree/$file"
	if ! (cd "$tree" && make -s all) </dev/null >"$work/build.log" 2>&1; then
		echo "MISSED $name: ERROR: the mutant does not build:"
		grep -m5 'error' "$work/build.log" | sed 's/^/    /'
		missed=$((missed + 1))
	else
		# shellcheck disable=SC2086
		run_suites "$work/mutant" $suites
		grep -vxF -f "$work/baseline" "$work/mutant" >"$work/new"
		took=$(($(date +%s) - t0))
		if [ -s "$work/new" ]; then
			echo "caught $name (${took} s): $(head -5 "$work/new" | paste -sd ';' - | sed 's/;/; /g')$([ "$(wc -l <"$work/new")" -gt 5 ] && echo "; ...")"
			caught=$((caught + 1))
		else
			echo "MISSED $name (${took} s): no case of $suites fails"
			missed=$((missed + 1))
		fi
	fi
	# A fresh time stamp, so the next build compiles the original again.
	cp "$work/original" "$tree/$file"
done <"$work/list"

echo "mutate: $((caught + missed)) mutations in $(($(date +%s) - start)) s"
echo "$caught caught, $missed missed"
[ "$missed" -eq 0 ]
exit # from inside the braces: the shell reads nothing after them, whatever the file is now
}
