# The conformance suite (tests/integration, clauses in SPEC.md).
#
#   make integration      the suite against the reference (part of make test)
#   make conformance      the suite against SERVER, CLIENT, or the reference
#                         SERVER='prog {port}' alone: the server half;
#                         CLIENT='prog {host} {port}' alone: the client
#                         half; neither: the reference, both halves
#   CONFORMANCE_ARGS='--strict-should --timeout-scale 3 ...'  more suite options
#
# One xdist worker per core (-n auto; SUITE_JOBS= for none); --dist
# loadgroup keeps the endurance tests, which share one long run, on one worker.

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
