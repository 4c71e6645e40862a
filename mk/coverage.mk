# Line coverage of src/ (ci/coverage.sh, ci/coverage.py): the unit tests,
# the conformance suite and the reference tests against a --coverage build
# in $(B)/coverage.  Fails when a line of src/ is neither run nor listed in
# ci/coverage-unreachable.txt with the reason it cannot be.
#
#   make coverage

.PHONY: coverage
coverage: | deps
	@ci/coverage.sh '$(B)'
