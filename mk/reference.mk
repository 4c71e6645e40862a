# The reference server's own tests (issue 5): the child cap, resource
# exhaustion, the idle timeout, shutdown, hostile clients, the command
# lines, IPv6 and -v, run against $(B)/echo-server and $(B)/echo-client.
# Runs as root for the fork-failure tests (they switch to `nobody`).
#
#   make reference-test                          everything, about half a minute
#   make reference-test REFERENCE_ARGS='-m "not slow"'  without the storms
#   ECHO_TIMEOUT_SCALE=3 make reference-test     on a slow or crowded machine

REFERENCE_ARGS ?=

.PHONY: reference-test
reference-test: $(PROGS)
	ECHO_SERVER='$(abspath $(B))/echo-server' ECHO_CLIENT='$(abspath $(B))/echo-client' \
	$(PYTHON) -m pytest -p no:cacheprovider tests/reference $(REFERENCE_ARGS)
