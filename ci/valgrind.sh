#!/usr/bin/env bash
# ci/valgrind.sh - the conformance suite (`make integration`) against the
# reference server and client, both run under valgrind memcheck by the suite's
# --valgrind (one log per process, forked children included), then every
# log judged by
# ci/valgrind-logs.py: a memory error, a definite or indirect leak, or a
# descriptor left open at exit in any process fails the run, and the
# offending log is printed.  The last line names the log folder.
# Usage: ci/valgrind.sh [BUILD_DIR]   (run from the top of the tree, after
# `make`; ECHO_CONFORMANCE_TIMEOUT_SCALE: extra slack on top of the
# suite's own allowance for valgrind; CONFORMANCE_ARGS: more suite
# options, as for `make integration`, e.g. -k EXPR to run part of it)
set -euo pipefail

B=${1:-build}
logs=$B/valgrind-logs
rm -rf "$logs"
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)	# absolute: the suite runs processes elsewhere

# One test at a time (SUITE_JOBS empty): a thousand-connection test makes a
# thousand valgrind processes, and a second one beside it on two cores
# turns slow into timed out.  The timeouts get twice the suite's own
# allowance for valgrind: this machine is shared.
# The tests that lower the server's descriptor limit are left out: valgrind
# keeps descriptors of its own above that limit and cannot log a forked
# child below it, so they would judge valgrind (the suite says so, as not
# judged, when they run under --valgrind); `make integration` judges them.
exhaustion=tests/integration/echo_conformance/tests/test_server_exhaustion.py
suite_rc=0
make --no-print-directory B="$B" integration SUITE_JOBS= CONFORMANCE_ARGS="\
--valgrind --valgrind-logs $logs --timeout-scale ${ECHO_CONFORMANCE_TIMEOUT_SCALE:-2} \
--junitxml $B/junit/valgrind.xml \
--deselect $exhaustion::test_out_of_descriptors_connected_clients_are_still_served \
--deselect $exhaustion::test_out_of_descriptors_server_serves_again_once_clients_leave \
--deselect tests/integration/echo_conformance/tests/test_server_idle.py::test_server_out_of_descriptors_sleeps \
${CONFORMANCE_ARGS:-}" || suite_rc=$?

logs_rc=0
ci/valgrind-logs.py "$logs" echo-server echo-client || logs_rc=$?
echo "valgrind: suite exit status $suite_rc, logs verdict $logs_rc"
echo "valgrind logs: $logs"
[ "$suite_rc" -eq 0 ] && [ "$logs_rc" -eq 0 ]
