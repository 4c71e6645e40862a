# The benchmark: bench/loadgen drives the reference server and
# client, the peers from Debian, and the machine's floors; bench/bench.py
# runs it all interleaved and writes $(B)/bench/results.json, table.md and
# chart.png.  See bench/README.md.
#
#   make bench          the full run, then the run at scale (about 30 min)
#                       (the reference at 1,000 to 25,000 connections, the
#                       peers at 1,000 and 5,000); BENCH_QUICK=1: a smoke
#                       run, a few minutes
#   make bench-bulk     where a bulk echo's time goes, every server (~2 min)
#                       (bench/bulk.py; beside the one-way floor)
#   make bench-portable  the portable build's bulk echo beside the default (~1 min)

BENCH_QUICK ?=

.PHONY: bench bench-bulk bench-portable
$(B)/bench:
	mkdir -p $@

# -pthread: the bulk and floor modes run their two ends as threads.
$(B)/bench/loadgen: bench/loadgen.c | $(B)/bench
	$(CC) $(ALL_CPPFLAGS) $(WARN) $(CFLAGS) -pthread $(LDFLAGS) -o $@ $< $(LDLIBS)

# The same server linked statically (STATIC=1), measured beside the default.
$(B)/bench/static/echo-server: src/*.c src/*.h
	$(MAKE) --no-print-directory B=$(B)/bench/static STATIC=1 $@

bench: $(PROGS) $(B)/bench/loadgen $(B)/bench/static/echo-server
	$(PYTHON) bench/bench.py --build $(B) $(if $(filter 1 yes true,$(BENCH_QUICK)),--quick) \
	    --scale-peers --server 'reference-static=$(B)/bench/static/echo-server -c 1000 {port}'

bench-bulk: $(PROGS) $(B)/bench/loadgen
	$(PYTHON) bench/bulk.py --build $(B) --out $(B)/bench/bulk.json

# The server built with ECHO_PORTABLE, as on a system without splice().
$(B)/bench/portable/echo-server: src/*.c src/*.h
	$(MAKE) --no-print-directory B=$(B)/bench/portable CFLAGS='$(CFLAGS) -DECHO_PORTABLE' $@

bench-portable: $(PROGS) $(B)/bench/loadgen $(B)/bench/portable/echo-server
	$(PYTHON) bench/bulk.py --build $(B) --bytes 536870912 --only reference,portable \
	    --server 'portable=$(B)/bench/portable/echo-server -c 1000 {port}' \
	    --out $(B)/bench/portable.json
