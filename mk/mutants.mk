# Mutants: deliberately broken echo servers and clients (tests/mutants/),
# each a correct program but for one defect, and `make mutants`, which runs
# the whole conformance suite against each and checks that it is rejected
# for exactly the clauses tests/mutants/expect.tsv names, while the correct
# implementations (the reference; servers built on poll(), threads, a
# signalfd, a self-pipe, a double fork, SIGCHLD ignored, a non-blocking
# accept with naps, slow writes, a supervisor and its worker, prefork
# workers that fork or use epoll; the real peers) pass, and that no run
# leaves a process behind.  Each row is a whole suite run for its side:
# about 30 s for a correct server on a quiet 2-core machine, up to the
# suite's own budget (5 min x --timeout-scale) for a mutant.
#
#   make mutants                      all rows of expect.tsv
#   make mutants ONLY='stage* poll-*'  only the rows whose name matches a pattern
#   make mutants JOBS=2               two suite runs at once (default 1)
#   make mutants MUTANT_SUITE_JOBS=   each suite run without pytest-xdist
#                                     (default: as `make conformance`, 2 workers)
#   make mutants-stability REPEAT=3   every row judged REPEAT times; lists the
#                                     rows whose verdict changed (ONLY= too)

MUTANT_DIR  = tests/mutants
MUTANT_SRC  = $(filter-out $(MUTANT_DIR)/plumbing.c,$(wildcard $(MUTANT_DIR)/*.c))
MUTANT_BINS = $(patsubst $(MUTANT_DIR)/%.c,$(B)/mutants/%,$(MUTANT_SRC))
PLUMBING    = $(B)/mutants/plumbing.o
JOBS       ?= 1
MUTANT_SUITE_JOBS ?= -n 2 --dist loadgroup
ONLY       ?=
REPEAT     ?= 3

.PHONY: mutant-bins mutants mutants-stability
# Built by plain `make` too, so that a warning in them fails the build at once.
all: $(MUTANT_BINS)
mutant-bins: $(MUTANT_BINS)

$(B)/mutants:
	mkdir -p $@

$(PLUMBING): $(MUTANT_DIR)/plumbing.c $(MUTANT_DIR)/plumbing.h src/*.h | $(B)/mutants
	$(CC) $(ALL_CPPFLAGS) -I$(MUTANT_DIR) $(WARN) $(CFLAGS) -c -o $@ $<

# The programs with threads.
$(B)/mutants/thread-server $(B)/mutants/unjoined-threads: LDLIBS += -pthread
$(B)/mutants/thread-server $(B)/mutants/unjoined-threads: CFLAGS += -pthread

$(B)/mutants/%: $(MUTANT_DIR)/%.c $(MUTANT_DIR)/plumbing.h $(PLUMBING) $(B)/libecho.a | $(B)/mutants
	$(CC) $(ALL_CPPFLAGS) -I$(MUTANT_DIR) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PLUMBING) $(B)/libecho.a $(LDLIBS)

mutants: $(MUTANT_BINS) $(STAGE_BINS) $(PROGS)
	$(PYTHON) $(MUTANT_DIR)/run.py --build $(B) --jobs $(JOBS) \
	  --suite-jobs '$(MUTANT_SUITE_JOBS)' $(foreach p,$(ONLY),'$(p)')

mutants-stability: $(MUTANT_BINS) $(STAGE_BINS) $(PROGS)
	$(PYTHON) $(MUTANT_DIR)/run.py --build $(B) --jobs $(JOBS) --repeat $(REPEAT) \
	  --suite-jobs '$(MUTANT_SUITE_JOBS)' $(foreach p,$(ONLY),'$(p)')
