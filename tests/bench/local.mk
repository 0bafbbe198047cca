# Benchmark helpers, built by `make bench` only (see BENCHMARKS in
# Makefile.am).
EXTRA_PROGRAMS += tests/bench/bench-transform
tests_bench_bench_transform_SOURCES = tests/bench/bench-transform.c
tests_bench_bench_transform_CFLAGS = $(host_libpulsehost_la_CFLAGS)
tests_bench_bench_transform_LDADD = host/libpulsehost.la
CLEANFILES += tests/bench/bench-transform$(EXEEXT)
EXTRA_DIST += tests/bench/ws-bench.mjs tests/bench/bench-lib.sh

# The qdrant store's search latency (qdrant-bench.sh, run by
# vectors-bench.sh so that BENCH=vectors gives both stores).
EXTRA_PROGRAMS += tests/bench/qdrant-tool
tests_bench_qdrant_tool_SOURCES = tests/bench/qdrant-tool.c
tests_bench_qdrant_tool_CFLAGS = $(host_libpulsehost_la_CFLAGS)
tests_bench_qdrant_tool_LDADD = host/libpulsehost.la
CLEANFILES += tests/bench/qdrant-tool$(EXEEXT)
EXTRA_DIST += tests/bench/qdrant-bench.sh

EXTRA_PROGRAMS += tests/bench/bench-ask-guard
tests_bench_bench_ask_guard_SOURCES = tests/bench/bench-ask-guard.c
tests_bench_bench_ask_guard_CFLAGS = $(host_libpulsehost_la_CFLAGS)
tests_bench_bench_ask_guard_LDADD = host/libpulsehost.la
CLEANFILES += tests/bench/bench-ask-guard$(EXEEXT)
EXTRA_DIST += tests/bench/ask-bench.sh

# make bench BENCH=gateway: the router and the gateway against the sandbox.
EXTRA_PROGRAMS += tests/bench/bench-gateway
tests_bench_bench_gateway_SOURCES = tests/bench/bench-gateway.c
tests_bench_bench_gateway_CFLAGS = $(host_libpulsehost_la_CFLAGS)
tests_bench_bench_gateway_LDADD = host/libpulsehost.la
CLEANFILES += tests/bench/bench-gateway$(EXEEXT)

# Run by vectors-bench.sh (BENCH=vectors): vectorization throughput.
EXTRA_DIST += tests/bench/vectorize-bench.sh

# make bench BENCH=ad: the Active Directory source against slapd.
BENCHMARKS += tests/bench/ad-bench.sh

# make bench BENCH=passwd: Argon2id cost of a sign-in (docs/auth.md).
EXTRA_PROGRAMS += tests/bench/bench-passwd
tests_bench_bench_passwd_SOURCES = tests/bench/bench-passwd.c
tests_bench_bench_passwd_CFLAGS = $(host_libpulsehost_la_CFLAGS)
tests_bench_bench_passwd_LDADD = host/libpulsehost.la
CLEANFILES += tests/bench/bench-passwd$(EXEEXT)
EXTRA_DIST += tests/bench/passwd-bench.sh

# make bench BENCH=console: the web console's load time in Chromium, with
# curl fetching the same files as the baseline (docs/console.md).
BENCHMARKS += tests/bench/console-bench.sh
EXTRA_DIST += tests/bench/console-bench.mjs

# make bench BENCH=entra: the Entra ID source against the Graph sandbox,
# curl walking the same delta pages as the baseline.
BENCHMARKS += tests/bench/entra-bench.sh

# make bench BENCH=people: people_resolve at 20,000 directory users, 110's
# set-based definition against 104's loop (docs/people.md, "Cost").
BENCHMARKS += tests/bench/people-bench.sh
