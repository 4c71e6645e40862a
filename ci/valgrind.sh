#!/usr/bin/env bash
# ci/valgrind.sh - the conformance suite against the reference server and
# client, both run under valgrind memcheck by the suite's --valgrind (one
# log per process, forked children included), then every log judged by
# ci/valgrind-logs.py: a memory error, a definite or indirect leak, or a
# descriptor left open at exit in any process fails the run, and the
# offending log is printed.  The last line names the log folder.
# Usage: ci/valgrind.sh [BUILD_DIR]   (run from the top of the tree, after
# `make`; PYTHON: an interpreter with pytest; TIMEOUT_SCALE: extra slack
# on top of the suite's own allowance for valgrind)
set -euo pipefail

B=${1:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
logs=$B/valgrind-logs
rm -rf "$logs"
mkdir -p "$logs" "$B/junit"
logs=$(cd "$logs" && pwd)	# absolute: the suite runs processes elsewhere
bin=$(cd "$B" && pwd)

suite_rc=0
"$PYTHON" -m pytest -q tests/integration \
	--server-cmd "$bin/echo-server {port}" \
	--client-cmd "$bin/echo-client {host} {port}" \
	--valgrind --valgrind-logs "$logs" \
	--timeout-scale "${TIMEOUT_SCALE:-1}" \
	--junitxml "$B/junit/valgrind.xml" || suite_rc=$?

logs_rc=0
ci/valgrind-logs.py "$logs" || logs_rc=$?
echo "valgrind: suite exit status $suite_rc, logs verdict $logs_rc"
echo "valgrind logs: $logs"
[ "$suite_rc" -eq 0 ] && [ "$logs_rc" -eq 0 ]
