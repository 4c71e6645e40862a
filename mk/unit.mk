# Unit tests: tests/unit/test_*.c, one cmocka binary each, linked with the
# shared harness and the library exactly as the programs use it.
#
#   make unit             the cmocka tests, built and run
#                         UNIT_TEST='str_cli_*': only the tests so named
#   make unit-valgrind    the same binaries under valgrind memcheck
#   make unit-build       only build them, $(B)/unit/test_*
#                         one binary: make build/unit/test_echo && build/unit/test_echo

UNIT_SRC  = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
UNIT_HDR  = tests/unit/harness.h src/*.h

# Every call of these in the test binaries, the library's included, goes to
# the harness's __wrap_X (fault injection, see tests/unit/harness.c).
UNIT_WRAP = -Wl,--wrap=read,--wrap=write,--wrap=poll,--wrap=accept4,--wrap=splice,--wrap=malloc
# test_reap learns the address of the book, reap.c's own, from its mmap().
$(B)/unit/test_reap: UNIT_WRAP += -Wl,--wrap=mmap

CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka)

# A test that hangs is killed after 60 s times this; valgrind is slower.
UNIT_VALGRIND_SCALE ?= 10
VALGRIND ?= valgrind
VALGRIND_FLAGS = --quiet --leak-check=full --show-leak-kinds=definite,indirect \
                 --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
                 --trace-children=yes

.PHONY: unit unit-valgrind unit-build
# Keep the objects: they are intermediate to make, but relinking is cheaper.
.SECONDARY: $(UNIT_BIN:=.o) $(B)/unit/harness.o
unit-build: $(UNIT_BIN)

$(B)/unit:
	mkdir -p $@

$(B)/unit/%.o: tests/unit/%.c $(UNIT_HDR) | $(B)/unit
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(CMOCKA_CFLAGS) $(WARN) $(CFLAGS) -pthread -c -o $@ $<

$(B)/unit/test_%: $(B)/unit/test_%.o $(B)/unit/harness.o $(B)/libecho.a
	$(CC) $(CFLAGS) -pthread $(LDFLAGS) $(UNIT_WRAP) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

# Every binary runs even after one fails, so each prints its summary.
# UNIT_JUNIT=DIR writes each binary's results to DIR/<binary>.xml instead
# (cmocka 1.1 prints one or the other, and never overwrites a file).
UNIT_JUNIT ?=
unit: $(UNIT_BIN)
	@status=0; for t in $(UNIT_BIN); do \
	    echo "== $$t"; \
	    if [ -n "$(UNIT_JUNIT)" ]; then \
	        mkdir -p "$(UNIT_JUNIT)" && x="$(UNIT_JUNIT)/$${t##*/}.xml" && rm -f "$$x" && \
	        { CMOCKA_MESSAGE_OUTPUT=xml CMOCKA_XML_FILE="$$x" $$t || status=1; }; \
	    else $$t || status=1; fi; \
	done; exit $$status

unit-valgrind: $(UNIT_BIN)
	@status=0; for t in $(UNIT_BIN); do \
	    echo "== valgrind $$t"; \
	    ECHO_CONFORMANCE_TIMEOUT_SCALE=$(UNIT_VALGRIND_SCALE) $(VALGRIND) $(VALGRIND_FLAGS) $$t || status=1; \
	done; exit $$status
