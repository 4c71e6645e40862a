#!/usr/bin/env bash
# ci/plant-defects.sh - the proof that the checks catch what they are for.
# In scratch copies of the tree it runs `make lint`, `make sanitize` and
# `make valgrind` on the unmodified code (each must pass), then plants one
# defect per copy and requires that the matching target fails and names it:
#   1. lint: a function that leaks a descriptor on its success path
#      (cppcheck's resourceLeak);
#   2. sanitize: a heap buffer overflow (ASan) in the server's child();
#   3. sanitize: a signed integer overflow (UBSan) in the server's child();
#   4. valgrind: a block str_echo() allocates and drops (a leak);
#   5. valgrind: a descriptor the server's child() dups and never closes
#      (--track-fds).
# child() is server.c's: the unit tests never link it, so only the
# conformance suite reaches it, and only in a forked child: 2, 3 and 5 prove
# that the suite's runs check the children, and 2 and 3 that the report
# names child(); 4 and 5 must come from a forked child's log.  Sanitize and
# valgrind are proved for each compiler in turn (PLANT_CC, default
# "gcc clang"), lint once.  Exits 0 when every outcome is as expected.
# Usage: ci/plant-defects.sh [BUILD_DIR]   (run from the top of the tree)
#
# valgrind and sanitize run two clauses of the suite only, S-ECHO-1 and
# C-BATCH-1 (CONFORMANCE_ARGS, as for `make integration`): they start the
# server, fork children and run the client, which is all a planted defect
# needs to show, in seconds instead of minutes.  PLANT_SUITE_ARGS= (empty)
# runs the suite whole.
set -euo pipefail

B=${1:-build}
export CONFORMANCE_ARGS=${PLANT_SUITE_ARGS-"-k 'S-ECHO-1 or C-BATCH-1'"}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/plant-defects.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
failures=0
outcomes=0

# copy NAME: the tree as it is now (committed or not), without its build
# output and git data, in $scratch/NAME, with a git index of its own: lint
# asks git which Python files are the project's.
copy() {
	mkdir "$scratch/$1"
	tar -C . --exclude=./.git --exclude="./$B" --exclude=__pycache__ \
		--exclude=node_modules -cf - . | tar -C "$scratch/$1" -xf -
	git -C "$scratch/$1" init -q && git -C "$scratch/$1" add -A
}

# plant NAME FILE FUNCTION CODE: CODE becomes the first statement of
# FUNCTION() in NAME's src/FILE.  `planted`, a volatile pointer declared
# when CODE uses it, keeps the compiler from deleting what nothing reads.
plant() {
	local f=$scratch/$1/src/$2
	awk -v fn="$3" -v code="$4" '
		/^#include/ && !included {
			print "#include <stdlib.h>"; print "#include <string.h>"
			print "#include <unistd.h>"; included = 1
		}
		{ print }
		$0 ~ ("^([a-z_]+[ \t]+)*" fn "\\(.*[^;]$") { indef = 1 }
		indef && /^\{$/ {
			if (index(code, "planted")) print "\tstatic char *volatile planted;"
			print "\t" code; indef = 0; done = 1
		}
		END { exit !done }
	' "$f" >"$f.new" || { echo "plant: no $3() definition found in $f" >&2; exit 1; }
	mv "$f.new" "$f"
}

# expect NAME OUTCOME 'TARGET [VAR=VALUE...]' [PATTERN...]: runs make with
# those words in copy NAME; OUTCOME is pass or fail; for fail, the output
# must match every PATTERN too, so a target that goes red for an unrelated
# reason does not count.
expect() {
	local name=$1 outcome=$2 args=$3 rc=0 p missing=
	local log=$scratch/$name-${args// /-}.log start=$SECONDS
	shift 3
	echo "== $name: make $args (expect $outcome)"
	# shellcheck disable=SC2086 # the make words are split on purpose
	(cd "$scratch/$name" && make --no-print-directory $args) >"$log" 2>&1 || rc=$?
	for p in "$@"; do
		grep -Eq -- "$p" "$log" || missing="$missing '$p'"
	done
	if [ "$outcome" = pass ] && [ "$rc" -eq 0 ]; then
		echo "   ok: passed ($((SECONDS - start)) s)"
	elif [ "$outcome" = fail ] && [ "$rc" -ne 0 ] && [ -z "$missing" ]; then
		echo "   ok: failed ($((SECONDS - start)) s), output names the defect:" \
			"$(grep -Em1 -- "$1" "$log")"
	else
		echo "   WRONG: exit status $rc${missing:+; output lacks$missing}; its last lines:"
		tail -n 40 "$log" | sed 's/^/   | /'
		failures=$((failures + 1))
	fi
	outcomes=$((outcomes + 1))
}

copy clean
copy cppcheck
cat >>"$scratch/cppcheck/src/net.c" <<'EOF'

#include <fcntl.h>
int planted_probe(const char *path);
int planted_probe(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	return 0;
}
EOF
copy overflow
plant overflow server.c child '{ volatile size_t n = 8; planted = malloc(n); if (planted != NULL) memset(planted, 0, n + 1); free(planted); }'
copy ubsan
plant ubsan server.c child '{ volatile int big = 2147483647; big = big + 1; }'
copy leak
plant leak echo.c str_echo 'planted = malloc(64); if (planted != NULL) *planted = 1; planted = NULL;'
copy fdleak
plant fdleak server.c child 'if (dup(connfd) < 0) _exit(1);'

expect clean pass lint
expect cppcheck fail lint '\[resourceLeak\]'
# A sanitizer's stack names the function: "#1 0x... in child .../src/server.c:NN".
in_child='in child .*src/server\.c'
# valgrind 3.19 cannot read clang 14's default DWARF 5 ("Possibly corrupted
# debuginfo file"): its builds ask for DWARF 4.
for cc in ${PLANT_CC:-gcc clang}; do
	vg="valgrind CC=$cc B=build-$cc CFLAGS=-gdwarf-4"
	expect clean pass "sanitize SAN_CC=$cc"
	expect overflow fail "sanitize SAN_CC=$cc" 'AddressSanitizer: heap-buffer-overflow' "$in_child"
	expect ubsan fail "sanitize SAN_CC=$cc" 'runtime error: signed integer overflow' "$in_child"
	expect clean pass "$vg"
	expect leak fail "$vg" 'forked child of .*definitely or indirectly lost'
	expect fdleak fail "$vg" 'forked child of .*descriptor\(s\) left open at exit'
done

if [ "$failures" -ne 0 ]; then
	echo "checks-selftest: FAILED: $failures of $outcomes outcomes not as expected"
	exit 1
fi
echo "checks-selftest: all $outcomes outcomes as expected: every check passes on the" \
	"clean tree and fails on its planted defect ($SECONDS s)"
