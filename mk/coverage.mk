# Line coverage of src/ (ci/coverage.sh, ci/coverage.py): the unit tests,
# the conformance suite and the reference tests against a --coverage build
# in $(B)/coverage.
#
#   make coverage         every line of src/ run, or listed as unreachable
#                         (ci/coverage-unreachable.txt, with the reason)

.PHONY: coverage
coverage: | deps
	@ci/coverage.sh '$(B)'
