# Checks: memory, undefined behaviour, static analysis, and the
# proof that each of them catches what it is there to catch.  The logic is
# in ci/, so that make, .ci/run and the GitHub workflow run the same thing.
#
#   make valgrind          the conformance suite, server and client under
#                          memcheck, children traced; logs in $(B)/valgrind-logs
#   make sanitize          ASan+UBSan builds in $(B)/asan-CC, unit tests and
#                          the suite against each, for every CC in SAN_CC
#                          (default: gcc clang; SAN_CC=clang for one)
#   make lint              cppcheck, clang-tidy, shellcheck, workflow schema
#   make checks-selftest   plants defects in scratch copies (a cppcheck
#                          finding; per compiler, ASan and UBSan defects in
#                          the server's forked child, a leak, a descriptor
#                          left open) and shows that lint, sanitize and
#                          valgrind each go red, and pass on a clean copy

SAN_CC ?= gcc clang

.PHONY: valgrind sanitize lint checks-selftest
valgrind: $(PROGS)
	@ci/valgrind.sh '$(B)'

# Every compiler runs, even after one fails, so one run shows all reports.
sanitize:
	@status=0; for cc in $(SAN_CC); do \
	    ci/sanitize.sh "$$cc" '$(B)' || status=1; \
	done; exit $$status

lint:
	@ci/lint.sh '$(B)'

checks-selftest:
	@ci/plant-defects.sh '$(B)'
