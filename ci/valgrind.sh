#!/usr/bin/env bash
# ci/valgrind.sh - the conformance suite (ci/suite.sh) against the reference
# server and client, both run under valgrind memcheck by the suite's
# --valgrind (one log per process, forked children included), then every
# log judged by
# ci/valgrind-logs.py: a memory error, a definite or indirect leak, or a
# descriptor left open at exit in any process fails the run, and the
# offending log is printed.  The last line names the log folder.
# Usage: ci/valgrind.sh [BUILD_DIR]   (run from the top of the tree, after
# `make`; PYTHON: an interpreter with pytest; TIMEOUT_SCALE: extra slack
# on top of the suite's own allowance for valgrind)
set -euo pipefail

B=${1:-build}
logs=$B/valgrind-logs
rm -rf "$logs"
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)	# absolute: the suite runs processes elsewhere

suite_rc=0
ci/suite.sh "$B" valgrind --valgrind --valgrind-logs "$logs" \
	--timeout-scale "${TIMEOUT_SCALE:-1}" || suite_rc=$?

logs_rc=0
ci/valgrind-logs.py "$logs" echo-server echo-client || logs_rc=$?
echo "valgrind: suite exit status $suite_rc, logs verdict $logs_rc"
echo "valgrind logs: $logs"
[ "$suite_rc" -eq 0 ] && [ "$logs_rc" -eq 0 ]
