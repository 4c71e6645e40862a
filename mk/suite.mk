# The suite's own tests (tests/suite): that a run of the conformance suite
# leaves nothing of the program under test running, whether it passes,
# fails, runs with xdist workers, or is interrupted by Ctrl-C or SIGTERM;
# and that `pytest -p echo_conformance` runs it from another project's folder.
#
#   make suite-selftest   the suite's own tests (about 1 to 3 minutes)

.PHONY: suite-selftest
suite-selftest: $(PROGS) $(B)/mutants/double-fork-immortal $(B)/mutants/nul-truncates
	BUILD=$(B) $(PYTHON) -m pytest -p no:cacheprovider -q tests/suite
