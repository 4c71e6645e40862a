# The reference server's own tests: the child cap, resource
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

# Two builds that prove what the default one cannot show by itself:
#
#   make sa-restart-test   the server with SA_RESTART set on its handlers
#       (ECHO_SA_RESTART): the whole suite and the reference tests pass it
#       as they pass the default, so nothing relies on a call failing with
#       EINTR (the parent never blocks in accept(); it waits in pselect()).
#   make portable-test     only POSIX calls (ECHO_PORTABLE): accept() and
#       fcntl() for accept4(), read()/write() for splice().  No Linux-only
#       call may be left in the programs; the unit tests (but the accept
#       fault tests: the harness wraps accept4() only) and the whole suite
#       run against them.
SA_RESTART_B = $(B)/sa-restart
PORTABLE_B   = $(B)/portable
PORTABLE_NET_TESTS = 'accept_resource_error_*' 'accept_retry_returns_a_*' \
                     'accept_retry_returns_the_*' 'accept_retry_on_a_*' 'nonblocking_mode_*'
LINUX_ONLY_CALLS   = 'accept4|splice|pipe2'

.PHONY: sa-restart-test portable-test
sa-restart-test:
	$(MAKE) --no-print-directory B=$(SA_RESTART_B) CFLAGS='$(CFLAGS) -DECHO_SA_RESTART' \
	    integration reference-test

portable-test: | deps
	$(MAKE) --no-print-directory B=$(PORTABLE_B) CFLAGS='$(CFLAGS) -DECHO_PORTABLE' all unit-build
	@for p in $(PROGS:$(B)/%=$(PORTABLE_B)/%); do \
	    if nm -u $$p | grep -wE $(LINUX_ONLY_CALLS); then \
	        echo "$$p still calls the above"; exit 1; fi; done
	@for t in test_cli test_echo test_reap; do \
	    echo "== $(PORTABLE_B)/unit/$$t"; $(PORTABLE_B)/unit/$$t || exit 1; done
	@for p in $(PORTABLE_NET_TESTS); do \
	    echo "== $(PORTABLE_B)/unit/test_net $$p"; \
	    UNIT_TEST="$$p" $(PORTABLE_B)/unit/test_net || exit 1; done
	$(MAKE) --no-print-directory B=$(PORTABLE_B) CFLAGS='$(CFLAGS) -DECHO_PORTABLE' integration
