#!/usr/bin/env bash
# ci/suite.sh - the conformance suite (tests/integration) against the server
# and client built in one build folder, with JUnit results in its junit/.
# Usage: ci/suite.sh BUILD_DIR NAME [PYTEST_ARG...]
#   writes BUILD_DIR/junit/NAME.xml; the extra arguments go to pytest
#   (--valgrind ..., --timeout-scale F, -k EXPR).  PYTHON: an interpreter
#   with pytest; SUITE_SELECT: a pytest -k expression, to run part of the
#   suite.  The programs are named explicitly, so the suite never falls back
#   to another build's.
set -euo pipefail

B=$1
name=$2
shift 2
bin=$(cd "$B" && pwd)
mkdir -p "$B/junit"
if [ -n "${SUITE_SELECT:-}" ]; then
	set -- "$@" -k "$SUITE_SELECT"
fi
exec "${PYTHON:-/usr/bin/python3}" -m pytest -q tests/integration \
	--server-cmd "$bin/echo-server {port}" \
	--client-cmd "$bin/echo-client {host} {port}" \
	--junitxml "$B/junit/$name.xml" "$@"
