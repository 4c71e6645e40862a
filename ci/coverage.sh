#!/usr/bin/env bash
# ci/coverage.sh - line coverage of src/ with gcov: builds the programs and
# the unit tests with --coverage in BUILD_DIR/coverage, runs the unit tests,
# the conformance suite and the reference tests against that build, then
# ci/coverage.py reports every file of src/ and fails when a line is
# neither run nor listed, with its reason, in ci/coverage-unreachable.txt.
# Usage: ci/coverage.sh [BUILD_DIR]   (run from the top of the tree;
# CONFORMANCE_ARGS, REFERENCE_ARGS: more options for those two runs;
# ECHO_CONFORMANCE_TIMEOUT_SCALE: slack for the suite's timeouts, default 3)
#
# gcc only: clang's --coverage data needs llvm-cov, and one compiler's
# view of which lines run is all this is for.  -O0, so that every line of
# source keeps lines of code of its own.  A failed test fails the target
# too, after the report: coverage of a red run proves little.
set -euo pipefail

B=${1:-build}
cb=$B/coverage
mkdir -p "$cb"
cb=$(cd "$cb" && pwd)	# absolute: the programs run from elsewhere
# tests/reference runs the server as a user of its own (fork failure: root
# ignores the process limit); its counts must land in the same files.
umask 000
chmod 777 "$cb"

# gcov alone loses the counts of the server's children (they _exit()) and
# of a server the tests SIGKILL: ci/gcov-exit.c writes them (see there).
# The shim is not a prerequisite make knows of: relink whenever it is built.
gcc -O2 -g -c -o "$cb/gcov-exit.o" ci/gcov-exit.c
rm -f "$cb/echo-server" "$cb/echo-client"
for t in tests/unit/test_*.c; do
	t=${t##*/}
	rm -f "$cb/unit/${t%.c}"
done
build=(B="$cb" CC=gcc CFLAGS="-O0 -g --coverage"
	LDFLAGS="--coverage -Wl,--wrap=_exit,--wrap=pselect,--wrap=ppoll" LDLIBS="$cb/gcov-exit.o")
make --no-print-directory "${build[@]}" "$cb/echo-server" "$cb/echo-client" unit-build \
	>"$cb/build.log" 2>&1 || { cat "$cb/build.log"; exit 1; }

# Counts add up across runs: start from zero.
find "$cb" -name '*.gcda' -delete
tests_rc=0
make --no-print-directory "${build[@]}" unit >"$cb/unit.log" 2>&1 || tests_rc=$?
echo "coverage: unit tests exit status $tests_rc (output in $cb/unit.log)"
# Every child writes its counts as it ends, under a lock: slower than the
# plain build, so the suite's timeouts get slack
# (ECHO_CONFORMANCE_TIMEOUT_SCALE).
for target in integration reference-test; do
	rc=0
	make --no-print-directory "${build[@]}" "$target" CONFORMANCE_ARGS="--timeout-scale \
${ECHO_CONFORMANCE_TIMEOUT_SCALE:-3} ${CONFORMANCE_ARGS:-}" >"$cb/$target.log" 2>&1 || rc=$?
	echo "coverage: make $target exit status $rc (output in $cb/$target.log)"
	[ "$rc" -eq 0 ] || tests_rc=$rc
done

report_rc=0
ci/coverage.py "$cb" ci/coverage-unreachable.txt src/*.c || report_rc=$?
[ "$tests_rc" -eq 0 ] || echo "coverage: FAILED: a test run failed (see its log above)"
[ "$tests_rc" -eq 0 ] && [ "$report_rc" -eq 0 ]
