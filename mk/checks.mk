# Checks: memory, undefined behaviour, static analysis, and the
# proof that each of them catches what it is there to catch.  The logic is
# in ci/, so that make, .ci/run and the GitHub workflow run the same thing.
#
#   make valgrind         the suite with server and client under memcheck
#                         (children traced); logs in $(B)/valgrind-logs
#   make sanitize         unit tests and suite against ASan+UBSan builds
#                         ($(B)/asan-CC), for every CC in SAN_CC (default:
#                         gcc clang; SAN_CC=clang for one)
#   make lint             every linter: C, shell, Python, man pages, workflow
#                         (ci/lint.sh: cppcheck, clang-tidy, shellcheck,
#                         pyflakes, mandoc, the workflow's schema)
#   make checks-selftest  proof that lint, sanitize and valgrind catch defects
#                         (planted in scratch copies: a cppcheck finding;
#                         per compiler, ASan and UBSan defects in the
#                         server's forked child, a leak, a descriptor left
#                         open): each goes red, and passes a clean copy

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
