# The reference server's own tests: the child cap, resource
# exhaustion, the idle timeout, shutdown, hostile clients, the command
# lines, IPv6 and -v, run against $(B)/echo-server and $(B)/echo-client.
# The fork-failure tests need root: they run the server under a uid of
# their own with a small RLIMIT_NPROC (and skip without root).
#
#   make reference-test   the reference's own tests (about half a minute)
#                         REFERENCE_ARGS='-m "not slow"': without the storms;
#                         ECHO_CONFORMANCE_TIMEOUT_SCALE=3: a crowded machine
#   make sa-restart-test  the suite and these tests against an SA_RESTART build
#   make portable-test    unit tests and the suite against a POSIX-only build
#   make scale-test       the reference holding SCALE_CONNS connections at once

REFERENCE_ARGS ?=

.PHONY: reference-test
reference-test: $(PROGS)
	ECHO_SERVER='$(abspath $(B))/echo-server' ECHO_CLIENT='$(abspath $(B))/echo-client' \
	$(PYTHON) -m pytest -p no:cacheprovider tests/reference $(REFERENCE_ARGS)

# Two builds that prove what the default one cannot show by itself:
#
#   sa-restart-test: the server with SA_RESTART set on its handlers
#       (ECHO_SA_RESTART): the whole suite and the reference tests pass it
#       as they pass the default, so nothing relies on a call failing with
#       EINTR (the parent never blocks in accept(); it waits in pselect()).
#       First test_reap shows that this build does set the flag.
#   portable-test: only POSIX calls (ECHO_PORTABLE): accept() and
#       fcntl() for accept4(), read()/write() for splice().  No Linux-only
#       call may be left in the programs; the unit tests and the whole suite
#       run against them, but for the unit tests that inject faults into
#       accept4() and splice(), which such a build never calls.
SA_RESTART_B = $(B)/sa-restart
PORTABLE_B   = $(B)/portable
# binary:pattern, one cmocka filter each (UNIT_TEST takes one pattern).
PORTABLE_UNIT = test_str_cli:* test_reap:* \
    test_net:accept_resource_error_* test_net:accept_retry_returns_a_* \
    test_net:accept_retry_returns_the_* test_net:accept_retry_on_a_* \
    test_net:nonblocking_mode_* \
    test_echo:writen_* test_echo:str_echo_echoes_* test_echo:str_echo_returns_* \
    test_echo:str_echo_restarts_after_* test_echo:str_echo_completes_despite_short_writes \
    test_echo:str_echo_reports_the_* test_echo:*stream* test_echo:str_echo_allocates_*
LINUX_ONLY_CALLS = 'accept4|splice|pipe2'

.PHONY: sa-restart-test portable-test
sa-restart-test: | deps
	$(MAKE) --no-print-directory B=$(SA_RESTART_B) CFLAGS='$(CFLAGS) -DECHO_SA_RESTART' \
	    all $(SA_RESTART_B)/unit/test_reap
	UNIT_TEST='set_handler_installs_*' $(SA_RESTART_B)/unit/test_reap
	$(MAKE) --no-print-directory B=$(SA_RESTART_B) CFLAGS='$(CFLAGS) -DECHO_SA_RESTART' \
	    integration reference-test

portable-test: | deps
	$(MAKE) --no-print-directory B=$(PORTABLE_B) CFLAGS='$(CFLAGS) -DECHO_PORTABLE' all unit-build
	@for p in $(PROGS:$(B)/%=$(PORTABLE_B)/%); do \
	    if nm -u $$p | grep -wE $(LINUX_ONLY_CALLS); then \
	        echo "$$p still calls the above"; exit 1; fi; done
	@for t in $(PORTABLE_UNIT); do \
	    echo "== $(PORTABLE_B)/unit/$${t%%:*} $${t#*:}"; \
	    UNIT_TEST="$${t#*:}" $(PORTABLE_B)/unit/$${t%%:*} || exit 1; done
	$(MAKE) --no-print-directory B=$(PORTABLE_B) CFLAGS='$(CFLAGS) -DECHO_PORTABLE' integration

# The reference at scale (tests/scale): SCALE_CONNS connections held at once
# by several load processes, one child each; not part of `make test`, it
# takes most of the machine's pids for a minute.
SCALE_CONNS ?= 25000

.PHONY: scale-test
scale-test: $(PROGS) $(B)/bench/loadgen
	SCALE_CONNS=$(SCALE_CONNS) LOADGEN='$(abspath $(B))/bench/loadgen' \
	ECHO_SERVER='$(abspath $(B))/echo-server' ECHO_CLIENT='$(abspath $(B))/echo-client' \
	$(PYTHON) -m pytest -p no:cacheprovider -s tests/scale
