# echo-kit: the fork-per-connection echo server, its client, and the
# conformance suite.  See README.md.
#
#   make [all]          the two programs, build/echo-server and build/echo-client
#   make test           every test (installs what is missing first)
#   make deps           install the Debian packages the tests and checks need
#   make build-all      every C program: also the mutants, demo stages, unit tests
#   make clean          remove the build folder
#   make help           this list: one line per target, from these headers
#
# Each fragment in mk/ opens with such lines, one per target a user may ask
# for ("#   make TARGET  what it does"); `make help` prints them and fails
# when a .PHONY target has none, so the list stays whole.

CC      ?= cc
CFLAGS  ?= -O2 -g
CPPFLAGS ?=
WERROR  ?= -Werror
WARN     = -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wwrite-strings $(WERROR)
# The user's CPPFLAGS come after the project's, never instead of them: a
# command-line `make CPPFLAGS=-DNDEBUG` replaces CPPFLAGS outright, and the
# sources need the POSIX feature macro whatever the user adds.
ALL_CPPFLAGS = -D_POSIX_C_SOURCE=200809L -Isrc $(CPPFLAGS)
LDFLAGS ?=
LDLIBS  ?=

B       ?= build

# An interpreter that can import pytest: on Debian that is /usr/bin/python3
# with python3-pytest, which may not be the python3 first on PATH.
PYTHON  ?= $(shell for p in python3 /usr/bin/python3; do \
             $$p -c 'import pytest' >/dev/null 2>&1 && { echo $$p; exit; }; done; \
             echo /usr/bin/python3)

# The scripts make runs (tests/mutants, demo/, ci/valgrind-logs.py) import
# the suite's package, and demo/ the mutants' verdict module, from the tree;
# pytest runs of the tree find them through its conftest.py as well.
export PYTHONPATH := $(CURDIR)/tests/integration:$(CURDIR)/tests/mutants$(if $(PYTHONPATH),:$(PYTHONPATH))

# Every symbol resolved at start-up: with lazy binding, each child's first
# call of a libc function writes the GOT, and that page is copied into the
# child (bench/README.md has what each choice here saves).  STATIC=1 links
# statically as well: faster forks and less memory per child, but
# valgrind cannot check a static program's heap, and glibc then needs its
# own NSS modules at run time to resolve host names.
LINK     = -Wl,-z,relro,-z,now $(if $(STATIC),-static)

LIBOBJ   = $(B)/echo.o $(B)/net.o $(B)/reap.o $(B)/opt.o
PROGS    = $(B)/echo-server $(B)/echo-client

.PHONY: all deps test build-all clean help
all: $(PROGS)

# A recipe that fails leaves no half-written target that a later make would
# take as up to date.
.DELETE_ON_ERROR:

$(B):
	mkdir -p $@

$(B)/%.o: src/%.c src/*.h | $(B)
	$(CC) $(ALL_CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(B)/libecho.a: $(LIBOBJ)
	$(AR) rcs $@ $^

$(B)/echo-server: $(B)/server.o $(B)/libecho.a
	$(CC) $(CFLAGS) $(LINK) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/echo-client: $(B)/client.o $(B)/libecho.a
	$(CC) $(CFLAGS) $(LINK) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# What every mutant (tests/mutants) and every demo stage (demo/) is built
# on: the correct parts of an echo server or client, in plumbing/, so that
# each of those files holds only its one defect.
PLUMBING_OBJ      = $(B)/plumbing/plumbing.o
PLUMBING_DEPS     = plumbing/plumbing.h $(PLUMBING_OBJ) $(B)/libecho.a
PLUMBING_CPPFLAGS = -Iplumbing
PLUMBING_LIBS     = $(PLUMBING_OBJ) $(B)/libecho.a

$(B)/plumbing:
	mkdir -p $@

$(PLUMBING_OBJ): plumbing/plumbing.c plumbing/plumbing.h src/*.h | $(B)/plumbing
	$(CC) $(ALL_CPPFLAGS) $(PLUMBING_CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

# Installs the Debian packages the tests and checks need, when any is missing.
deps:
	@ci/install-deps.sh

test:
	$(MAKE) unit unit-valgrind integration reference-test demo-test

# The programs the other areas build on demand (mk/*.mk), all at once: a
# warning in any of them, under this CC, shows here.
build-all: $(PROGS) mutant-bins demo-bins unit-build $(B)/bench/loadgen

clean:
	rm -rf $(B)

HELP_FILES = Makefile $(sort $(wildcard mk/*.mk))
help:
	@sed -n 's/^#   \(make\( .*\)\{0,1\}\)$$/\1/p' $(HELP_FILES) | sed 's|\$$(B)|$(B)|g' | \
	    awk -F '  +' '{ printf "  %-21s %s\n", $$1, $$2 }'
	@documented=$$(sed -n 's/^#   make \[\{0,1\}\([a-z][-a-z]*\).*/\1/p' $(HELP_FILES) | sort -u); \
	phony=$$(sed -n 's/^\.PHONY: *//p' $(HELP_FILES) | tr ' ' '\n' | sed '/^$$/d' | sort -u); \
	missing=$$(echo "$$phony" | grep -vxF "$$documented" | tr '\n' ' '); \
	if [ -n "$$missing" ]; then echo "help: no line for: $$missing" >&2; exit 1; fi

# Every goal but these needs more than a C compiler (pytest, valgrind,
# cmocka, the peers, the linters), and gets what is missing before make
# looks at any target: a prerequisite, even an order-only one, gives no such
# order, so `make conformance` on a machine without a compiler would fail
# on its first object.  The build-only goals never call apt: a packager's
# build runs offline, and plain `make` needs nothing but make and cc.
# Sub-makes (MAKELEVEL > 0) and `make -n` skip it.
BUILD_ONLY_GOALS = all install uninstall clean deps deb wheel installcheck help
ifeq ($(MAKELEVEL)$(findstring n,$(firstword -$(MAKEFLAGS))),0)
ifneq ($(filter-out $(BUILD_ONLY_GOALS),$(MAKECMDGOALS)),)
$(shell ci/install-deps.sh $(MAKECMDGOALS) >&2)
ifneq ($(.SHELLSTATUS),0)
$(error ci/install-deps.sh failed (see above); `make deps` retries)
endif
else ifneq ($(filter all install deb,$(or $(MAKECMDGOALS),all)),)
ifeq ($(shell command -v $(firstword $(CC))),)
$(error no C compiler ($(CC)): `make deps` installs one with all the tests need)
endif
endif
endif

# Each further area (unit tests, conformance, mutants, demo, bench, checks)
# keeps its targets in a fragment of its own.
include $(sort $(wildcard mk/*.mk))
