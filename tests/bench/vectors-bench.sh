#!/bin/bash
# vectors-bench.sh: search latency of the embedded vector store (pgvectors)
# at 10k and 100k vectors per tenant, beside a brute-force numpy baseline
# on the same vectors and queries in the same run, and this machine's
# memory bandwidth (the floor of a scan that reads every vector). Figures,
# not assertions.
#
#   make bench BENCH=vectors
#
# Vectors: 384 random floats (the sandbox's and MiniLM's dimension); 200
# top-10 queries per size after one warm-up query that loads the cache
# (its time is printed separately). numpy: normalised matrix @ query then
# argpartition, i.e. the same exact search without the database or cache,
# with the same BLAS threads.
#
#   VECTORS_BENCH_SIZES    sizes (default "10000 100000")
#   VECTORS_BENCH_THREADS  OpenBLAS threads for both sides (default 2)
#   VECTORS_BENCH_ROUNDS   timed rounds per size, alternating the sides,
#                          to show the spread on a loaded machine (default 3;
#                          the vectors are stored once)
#   VECTORS_BENCH_BASE     another build's tests/db/pgv-tool, timed in the
#                          same rounds (e.g. before/after a change)
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup
sizes=${VECTORS_BENCH_SIZES:-"10000 100000"}
rounds=${VECTORS_BENCH_ROUNDS:-3}
base=${VECTORS_BENCH_BASE:-}
tool=$abs_top_builddir/tests/db/pgv-tool
dim=384
nq=200
export OPENBLAS_NUM_THREADS=${VECTORS_BENCH_THREADS:-2}
export OMP_NUM_THREADS=$OPENBLAS_NUM_THREADS
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' ||
	{ echo "vectors-bench: /usr/bin/python3 with numpy is needed for the baseline" >&2; exit 1; }
echo "cpu: $(awk -F: '/^model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ //'), $(nproc) cores;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS"
read -r bw_wall bw_cpu fl32 fl8 _ < <("$tool" membw 100000 "$dim")
echo "memory bandwidth, 1 thread streaming read: $bw_wall GB/s by the wall clock," \
	"$bw_cpu GB/s by CPU time; floor of one scan of 100k x $dim at the CPU-time rate:" \
	"float32 (154 MB) $fl32 ms, int8 copy (38 MB) $fl8 ms"
# first_query_ms: the whole load; after_write_ms: the first query after a
# write of 100 points, which reads the changes only (102_pgvectors_changes)
printf '%-8s %-5s %-30s %10s %10s %14s %9s %14s\n' vectors round side p50_ms p99_ms first_query_ms cache_mb after_write_ms
for n in $sizes; do
	t=$(wh_tenant "b$n")
	i=$(wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($t, 'gh', 'Data', 'sandbox') RETURNING id")
	for r in $(seq 1 "$rounds"); do
		read -r p50 p99 first mb aw < <("$tool" bench "$WH_APP_URL" "$t" "$i" "$n" "$dim" "$nq" "$WH_DIR/m.bin")
		printf '%-8s %-5s %-30s %10s %10s %14s %9s %14s\n' "$n" "$r" "pgvectors (int8 scan + exact)" "$p50" "$p99" "$first" "${mb:--}" "${aw:--}"
		if [ -n "$base" ]; then
			read -r p50 p99 first mb aw < <("$base" bench "$WH_APP_URL" "$t" "$i" "$n" "$dim" "$nq" "$WH_DIR/b.bin")
			rm -f "$WH_DIR/b.bin"
			printf '%-8s %-5s %-30s %10s %10s %14s %9s\n' "$n" "$r" "pgvectors (VECTORS_BENCH_BASE)" "$p50" "$p99" "$first" "${mb:--}"
		fi
		/usr/bin/python3 - "$WH_DIR/m.bin" "$n" "$dim" "$nq" "$r" <<'PY'
import sys, time
import numpy as np
path, n, dim, nq, rnd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
a = np.fromfile(path, dtype=np.float32)
m = a[: n * dim].reshape(n, dim)
q = a[n * dim :].reshape(nq, dim)
m = np.ascontiguousarray(m / np.linalg.norm(m, axis=1, keepdims=True))
lat = []
for i in range(nq):
    t0 = time.perf_counter()
    v = q[i] / np.linalg.norm(q[i])
    s = m @ v
    top = np.argpartition(-s, 10)[:10]
    top = top[np.argsort(-s[top])]
    lat.append((time.perf_counter() - t0) * 1e3)
lat.sort()
print("%-8d %-5s %-30s %10.2f %10.2f %14s %9.0f" % (n, rnd, "numpy brute force (float32)", lat[nq // 2], lat[(nq * 99) // 100], "-", m.nbytes / 1e6))
PY
		rm -f "$WH_DIR/m.bin"
	done
done
# the qdrant store (against the Qdrant sandbox), in its own script
bash "$abs_top_srcdir/tests/bench/qdrant-bench.sh"
# vectorization throughput (its own file: tests/bench/vectorize-bench.sh)
echo
bash "$abs_top_srcdir/tests/bench/vectorize-bench.sh"
