# The zombies demo: the classic text's server in four stages
# (demo/stage1.c .. stage4.c), then the reference, each run against the
# five-connection client and shown with its process tree and the suite's
# verdict.  See docs/zombies.md.
#
#   make demo           all stages, no pauses
#   make demo STEP=1    pause before each stage
#   make demo-test      the demo's own tests (tests/demo/)

STAGE_BINS = $(patsubst demo/%.c,$(B)/demo/%,$(wildcard demo/stage*.c))
STEP      ?=

.PHONY: demo demo-test
all: $(STAGE_BINS)
$(B)/demo:
	mkdir -p $@

# The stages share the mutants' plumbing (stage1-3 are mutants too).
$(B)/demo/%: demo/%.c tests/mutants/plumbing.h $(B)/mutants/plumbing.o $(B)/libecho.a | $(B)/demo
	$(CC) $(ALL_CPPFLAGS) -Itests/mutants $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/mutants/plumbing.o $(B)/libecho.a $(LDLIBS)

demo: $(STAGE_BINS) $(PROGS)
	$(PYTHON) demo/demo.py --build $(B) $(if $(STEP),--step)

demo-test: $(STAGE_BINS) $(PROGS)
	BUILD=$(B) $(PYTHON) -m pytest -q -p no:cacheprovider tests/demo
