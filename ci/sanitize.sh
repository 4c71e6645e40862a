#!/usr/bin/env bash
# ci/sanitize.sh - build with AddressSanitizer (LeakSanitizer included) and
# UndefinedBehaviorSanitizer, run the unit tests and the conformance suite
# against that build, and fail on any test failure or any sanitizer report.
# Usage: ci/sanitize.sh [CC] [BUILD_DIR]   (run from the top of the tree;
# ECHO_CONFORMANCE_TIMEOUT_SCALE: slack for every test's timeouts, default
# 3; CONFORMANCE_ARGS: more suite options, as for `make integration`)
#
# The build goes to BUILD_DIR/asan-CC, apart from the plain one.  Forked
# server children report through log_path (one file per pid), not through
# their exit status, which nobody but the reaper sees: the log folder is
# checked after the run, and any file in it fails the target.
set -euo pipefail

cc=${1:-gcc}
B=${2:-build}
sb=$B/asan-$cc
logs=$sb/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)	# absolute: the tests run processes elsewhere

# -fno-sanitize-recover: an undefined-behaviour report ends the process, so
# it also fails the test that caused it.  -O1, as the sanitizers' manuals
# advise: tolerable speed, and stacks in the reports that still read true.
sanflags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
ldflags=$sanflags
# gcc links libasan and libubsan as two shared libraries, each with its own
# copy of the report plumbing: UBSan's reports then ignore log_path and go to
# stderr, where a forked child's report is lost, and with only libubsan
# static, ASan's reports go there instead.  Both static, all three runtimes
# write whole reports to log_path.  clang has one combined runtime.
case $("$cc" --version) in
*clang*) ;;
*) ldflags="$ldflags -static-libasan -static-libubsan" ;;
esac

# One prefix for all three runtimes: clang's combined runtime takes a
# single log_path anyway, and every file in the folder is a finding.
# halt_on_error: the first error stops the process.  detect_leaks only
# covers processes that end with exit(): the server's children _exit(), so
# `make valgrind` is what checks them for leaks.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:log_path=$logs/report"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/report"
export LSAN_OPTIONS="log_path=$logs/report"

# The two programs only: the mutants and the demo's stages, which `all`
# builds too, are never run from this build.
make --no-print-directory B="$sb" CC="$cc" CFLAGS="-O1 -g $sanflags" \
	LDFLAGS="$ldflags" "$sb/echo-server" "$sb/echo-client"

# A build that silently lost its flags would pass everything and prove
# nothing: both runtimes must be linked into both programs.
for prog in "$sb/echo-server" "$sb/echo-client"; do
	syms=$(nm "$prog")
	for rt in __asan_init __ubsan_handle_; do
		if ! grep -q "$rt" <<<"$syms"; then
			echo "sanitize: $prog has no $rt: not a sanitized build" >&2
			exit 1
		fi
	done
done

# The unit tests, then the conformance suite with the sanitized programs;
# ASan makes them slower, not silent, so the usual timeouts only get slack
# (the unit tests' watchdog too).
export ECHO_CONFORMANCE_TIMEOUT_SCALE=${ECHO_CONFORMANCE_TIMEOUT_SCALE:-3}
tests_rc=0
make --no-print-directory B="$sb" CC="$cc" CFLAGS="-O1 -g $sanflags" \
	LDFLAGS="$ldflags" unit integration CONFORMANCE_ARGS="--timeout-scale \
${ECHO_CONFORMANCE_TIMEOUT_SCALE:-3} --junitxml $sb/junit/sanitize.xml ${CONFORMANCE_ARGS:-}" ||
	tests_rc=$?

# A defect in the children repeats in each of them: the first few reports
# in full say all there is.
shopt -s nullglob
reports=("$logs"/*)
for r in "${reports[@]:0:3}"; do
	echo "==== sanitizer report $r"
	cat "$r"
done
echo "sanitize ($cc): ${#reports[@]} sanitizer report(s), tests exit status $tests_rc"
echo "sanitizer logs: $logs"
[ "$tests_rc" -eq 0 ] && [ "${#reports[@]}" -eq 0 ]
