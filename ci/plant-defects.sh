#!/usr/bin/env bash
# ci/plant-defects.sh - the proof that the checks catch what they are for.
# In scratch copies of the tree it runs `make valgrind`, `make sanitize` and
# `make lint` on the unmodified code (each must pass), then plants
#   1. a leak: str_echo() allocates a block and drops the pointer; it runs
#      only in the server's forked children, so this also proves that the
#      children are checked, not just the parent;
#   2. an out-of-bounds write: str_echo() writes one byte past a heap block,
#      again in the children;
#   3. a cppcheck finding: a function that leaks a descriptor on its
#      success path (resourceLeak);
# each into a copy of its own, and requires that the matching target fails
# and names the defect.  Exits 0 when all six outcomes are as expected.
# Usage: ci/plant-defects.sh [BUILD_DIR]   (run from the top of the tree)
#
# valgrind and sanitize run the echo and client parts of the suite only
# (CONFORMANCE_ARGS, as for `make integration`): they start the server, fork
# children and run the client, which is all a planted defect needs to show,
# in seconds instead of minutes.  PLANT_SUITE_ARGS= (empty) runs it whole.
set -euo pipefail

B=${1:-build}
export CONFORMANCE_ARGS=${PLANT_SUITE_ARGS-"-k 'test_server_echo or test_client'"}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/plant-defects.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failures=0

# copy NAME: the tree as it is now (committed or not), without its build
# output and git data, in $scratch/NAME.
copy() {
	mkdir "$scratch/$1"
	tar -C . --exclude=./.git --exclude="./$B" --exclude=__pycache__ \
		--exclude=node_modules -cf - . | tar -C "$scratch/$1" -xf -
}

# plant_in_str_echo NAME CODE: CODE becomes the first statement of
# str_echo() in NAME's src/echo.c.  The volatile pointer keeps the compiler
# from deleting an allocation that nothing reads.
plant_in_str_echo() {
	local f=$scratch/$1/src/echo.c
	awk -v code="$2" '
		/^#include/ && !included { print "#include <stdlib.h>"; print "#include <string.h>"; included = 1 }
		{ print }
		/^(int[ \t]+)?str_echo\(.*[^;]$/ { indef = 1 }
		indef && /^\{$/ { print "\tstatic char *volatile planted;"; print "\t" code; indef = 0; done = 1 }
		END { exit !done }
	' "$f" >"$f.new" || { echo "plant: no str_echo() definition found in $f" >&2; exit 1; }
	mv "$f.new" "$f"
}

# expect NAME TARGET OUTCOME PATTERN: runs `make TARGET` in copy NAME;
# OUTCOME is pass or fail; for fail, the output must match PATTERN too,
# so a target that goes red for an unrelated reason does not count.
expect() {
	local name=$1 target=$2 outcome=$3 pattern=${4:-} log=$scratch/$1-$2.log rc=0
	echo "== $name: make $target (expect $outcome)"
	(cd "$scratch/$name" && make --no-print-directory "$target") \
		>"$log" 2>&1 || rc=$?
	if [ "$outcome" = pass ] && [ "$rc" -eq 0 ]; then
		echo "   ok: passed"
	elif [ "$outcome" = fail ] && [ "$rc" -ne 0 ] && grep -Eq "$pattern" "$log"; then
		echo "   ok: failed, output names the defect: $(grep -Em1 "$pattern" "$log")"
	else
		echo "   WRONG: exit status $rc; the last lines of its output:"
		tail -n 40 "$log" | sed 's/^/   | /'
		failures=$((failures + 1))
	fi
}

copy clean
copy leak
plant_in_str_echo leak 'planted = malloc(64); if (planted != NULL) *planted = 1; planted = NULL;'
copy overflow
plant_in_str_echo overflow '{ volatile size_t n = 8; planted = malloc(n); if (planted != NULL) memset(planted, 0, n + 1); free(planted); }'
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

expect clean lint pass
expect cppcheck lint fail '\[resourceLeak\]'
expect clean sanitize pass
expect overflow sanitize fail 'AddressSanitizer: heap-buffer-overflow'
expect clean valgrind pass
expect leak valgrind fail 'forked child of .*definitely or indirectly lost'

if [ "$failures" -ne 0 ]; then
	echo "checks-selftest: FAILED: $failures of 6 outcomes not as expected"
	exit 1
fi
echo "checks-selftest: every check passes on the clean tree and fails on its planted defect"
