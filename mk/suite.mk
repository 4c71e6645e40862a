# The suite's own tests (tests/suite): that a run of the conformance suite
# leaves nothing of the program under test running, whether it passes,
# fails, runs with xdist workers, or is interrupted by Ctrl-C or SIGTERM;
# and that `pytest -p echo_conformance` runs it from another project's folder.
# A run the program cannot break: it starts in a session of its own, and a
# run interrupted, killed or stopped early is reported not completed; a
# program's output reaches its reports labelled and inert; the fork gate
# (S-EXH-2) fails a program's fork() on demand and lets it go on again.
#
#   make suite-selftest   the suite's own tests (about 1 to 3 minutes)

.PHONY: suite-selftest
suite-selftest: $(PROGS) $(B)/mutants/double-fork-immortal $(B)/mutants/nul-truncates \
                $(B)/mutants/group-term-server $(B)/mutants/double-fork-setsid
	BUILD=$(B) $(PYTHON) -m pytest -p no:cacheprovider -q tests/suite
