# The conformance suite (tests/integration, clauses in SPEC.md).
#
#   make integration     the suite against the reference server and client
#                        (part of `make test`)
#   make conformance SERVER='prog {port}' CLIENT='prog {host} {port}'
#                        the suite against any implementation: with SERVER
#                        only, the server half; with CLIENT only, the client
#                        half; with neither, the reference
#   CONFORMANCE_ARGS='--strict-should --timeout-scale 3 ...'  more suite options
#
# Two xdist workers; --dist loadgroup keeps the endurance tests, which share
# one long run, on one worker.

CONFORMANCE_ARGS ?=
SUITE_JOBS       ?= -n auto --dist loadgroup
SERVER           ?=
CLIENT           ?=

# A make value as one shell word, whatever quotes it holds.
shell_word = '$(subst ','\'',$(1))'

SUITE = $(PYTHON) -m pytest -p no:cacheprovider tests/integration $(SUITE_JOBS)

.PHONY: integration conformance
integration: $(PROGS)
	$(SUITE) --server-cmd '$(abspath $(B))/echo-server {port}' \
	  --client-cmd '$(abspath $(B))/echo-client {host} {port}' $(CONFORMANCE_ARGS)

conformance: $(if $(SERVER)$(CLIENT),,$(PROGS))
	$(SUITE) \
	  $(if $(SERVER),--server-cmd $(call shell_word,$(SERVER)),$(if $(CLIENT),-m client)) \
	  $(if $(CLIENT),--client-cmd $(call shell_word,$(CLIENT)),$(if $(SERVER),-m server)) \
	  $(CONFORMANCE_ARGS)
