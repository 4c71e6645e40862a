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
#   make mutants          the suite judged on every row of expect.tsv (~33 min)
#                         ONLY='stage* poll-*': only the rows whose name
#                         matches a pattern; JOBS=2: two suite runs at once
#                         (default 1); MUTANT_SUITE_JOBS=: each suite run
#                         without pytest-xdist (default: 2 workers)
#   make mutants-stability  every row judged REPEAT times (default 3, ONLY= too); lists the rows whose verdict changed
#   make mutant-bins      only build the programs, $(B)/mutants/*

MUTANT_DIR  = tests/mutants
MUTANT_SRC  = $(wildcard $(MUTANT_DIR)/*.c)
MUTANT_BINS = $(patsubst $(MUTANT_DIR)/%.c,$(B)/mutants/%,$(MUTANT_SRC))
JOBS       ?= 1
MUTANT_SUITE_JOBS ?= -n 2 --dist loadgroup
ONLY       ?=
REPEAT     ?= 3

.PHONY: mutant-bins mutants mutants-stability
mutant-bins: $(MUTANT_BINS)

$(B)/mutants:
	mkdir -p $@

# The programs with threads.
$(B)/mutants/thread-server $(B)/mutants/unjoined-threads: LDLIBS += -pthread
$(B)/mutants/thread-server $(B)/mutants/unjoined-threads: CFLAGS += -pthread

$(B)/mutants/%: $(MUTANT_DIR)/%.c $(PLUMBING_DEPS) | $(B)/mutants
	$(CC) $(ALL_CPPFLAGS) $(PLUMBING_CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PLUMBING_LIBS) $(LDLIBS)

mutants: $(MUTANT_BINS) $(STAGE_BINS) $(PROGS)
	$(PYTHON) $(MUTANT_DIR)/run.py --build $(B) --jobs $(JOBS) \
	  --suite-jobs '$(MUTANT_SUITE_JOBS)' $(foreach p,$(ONLY),'$(p)')

mutants-stability: $(MUTANT_BINS) $(STAGE_BINS) $(PROGS)
	$(PYTHON) $(MUTANT_DIR)/run.py --build $(B) --jobs $(JOBS) --repeat $(REPEAT) \
	  --suite-jobs '$(MUTANT_SUITE_JOBS)' $(foreach p,$(ONLY),'$(p)')
