# Benchmark helpers, built by `make bench` only (see BENCHMARKS in
# Makefile.am).
EXTRA_PROGRAMS += tests/bench/bench-transform
tests_bench_bench_transform_SOURCES = tests/bench/bench-transform.c
tests_bench_bench_transform_CFLAGS = $(host_libpulsehost_la_CFLAGS)
tests_bench_bench_transform_LDADD = host/libpulsehost.la
CLEANFILES += tests/bench/bench-transform$(EXEEXT)
EXTRA_DIST += tests/bench/ws-bench.mjs tests/bench/bench-lib.sh
