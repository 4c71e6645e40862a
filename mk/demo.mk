# The zombies demo: the classic text's server in four stages
# (demo/stage1.c .. stage4.c), then the reference, each run against the
# five-connection client and shown with its process tree and the suite's
# verdict.  See docs/zombies.md.
#
#   make demo             all stages, then the reference (about 30 s)
#                         STEP=1: pause after each stage
#   make demo-test        the demo's own tests (tests/demo/)
#   make demo-bins        only build the stages, $(B)/demo/stage*

STAGE_BINS = $(patsubst demo/%.c,$(B)/demo/%,$(wildcard demo/stage*.c))
STEP      ?=

.PHONY: demo demo-test demo-bins
demo-bins: $(STAGE_BINS)
$(B)/demo:
	mkdir -p $@

# The stages are built on the plumbing the mutants use (stage1-3 are rows
# of tests/mutants/expect.tsv too): the Makefile's PLUMBING rules.
$(B)/demo/%: demo/%.c $(PLUMBING_DEPS) | $(B)/demo
	$(CC) $(ALL_CPPFLAGS) $(PLUMBING_CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PLUMBING_LIBS) $(LDLIBS)

demo: $(STAGE_BINS) $(PROGS)
	$(PYTHON) demo/demo.py --build $(B) $(if $(STEP),--step)

demo-test: $(STAGE_BINS) $(PROGS)
	BUILD=$(B) $(PYTHON) -m pytest -q -p no:cacheprovider tests/demo
