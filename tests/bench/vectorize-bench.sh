#!/bin/bash
# vectorize-bench.sh: throughput of the vectorization stage with the local
# embedder (embed-local), and where its time goes. Figures, not
# assertions. Run by `make bench BENCH=vectors` (from vectors-bench.sh), or
# alone from the build dir:
#   abs_top_srcdir=SRC abs_top_builddir=$PWD bash SRC/tests/bench/vectorize-bench.sh
#
# N queued PRs (VECTORIZE_BENCH_N, default 10000; the issue asks 100k,
# which takes a long time with a MiniLM-shaped model on 2 cores: set
# VECTORIZE_BENCH_N=100000 for it) are vectorized by `pulse-host vectorize
# run --batch B` (VECTORIZE_BENCH_BATCH, default 256) into the embedded
# store, with a random-weights model of all-MiniLM-L6-v2's shape
# (384/6/12/1536) as tests/bench/embed-bench.sh makes. Printed: entities/s
# and the shares of the wall time spent in the embedder, the store
# (pgvectors upserts) and the database (claim, text build, bookkeeping).
# Baseline in the same run: `pulse-host embed --integration` on the same
# texts (the embedder alone: no queue, no store).
# OpenBLAS picks generic kernels on this machine's CPU (it does not
# recognise it); OPENBLAS_CORETYPE=SkylakeX makes the embedder about 5x
# faster here, and the header line says which was used.
set -euo pipefail
. "$abs_top_srcdir/tests/embed/lib.sh"
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"

n=${VECTORIZE_BENCH_N:-10000}
batch=${VECTORIZE_BENCH_BATCH:-256}
base_n=${VECTORIZE_BENCH_BASELINE_N:-2000}
[ "$base_n" -le "$n" ] || base_n=$n
export OPENBLAS_NUM_THREADS=${VECTORIZE_BENCH_THREADS:-2}
embed_require_torch
embed_node_modules
wh_setup
W=$WH_DIR
embed_model "$W/m" minilm 3 > /dev/null
sha=$(sha256sum "$W/m/model.safetensors" | cut -d' ' -f1)
cat > "$WH_CONF" <<CONF
key_file = "$W/secret.key";
plugin_dirs = ["$abs_top_builddir/plugins/provider-embed-local/.libs"];
CONF
t=$(wh_tenant bench)
printf '{"model_dir": "%s", "sha256": "%s", "batch_size": 32}\n' "$W/m" "$sha" > "$W/emb.json"
emb=$(ph integration add --tenant bench --plugin embed-local --type Embedding \
	--config "$W/emb.json" --name local --json | harness_json_get id)
i=$(wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($t, 'gh', 'Data', 'sandbox') RETURNING id")
# PR titles of 8-14 words from a small vocabulary: what a sync queues
wh_sql "INSERT INTO repositories (tenant_id, integration_id, external_id, full_name, url)
	SELECT $t, $i, 'acme/r' || r, 'acme/r' || r, 'https://github.example/acme/r' || r FROM generate_series(1, 20) r;
	INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number, title, state)
	SELECT $t, $i, 'PR_' || g, 'acme/r' || (g % 20 + 1), g,
	  (SELECT string_agg((ARRAY['fix','add','remove','refactor','cache','session','billing','retry',
	    'timeout','login','search','index','migration','deploy','flaky','test','parser','api','limit',
	    'queue','worker','metrics','docs','config','upgrade','driver','memory','leak','race','export'])
	    [1 + ((g * 7919 + w * 104729) % 30)], ' ') FROM generate_series(1, 8 + g % 7) w),
	  'OPEN' FROM generate_series(1, $n) g;
	INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation)
	SELECT $t, $i, 'prs', 'PR_' || g, 'insert' FROM generate_series(1, $n) g" > /dev/null

echo "cpu: $(awk -F: '/^model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ //'), $(nproc) cores;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS;" \
	"OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset (generic kernels on this CPU)}"

# baseline: the embedder alone, on the first base_n of the same texts (as
# the builder writes them)
wh_sql "SELECT concat_ws(' ', p.title, r.full_name || '#' || p.number, p.state)
	FROM prs p JOIN repositories r ON r.tenant_id = p.tenant_id AND r.external_id = p.repository_external_id
	WHERE p.tenant_id = $t ORDER BY p.id LIMIT $base_n" > "$W/texts"
s0=$(date +%s.%N)
ph embed --integration "$emb" < "$W/texts" > /dev/null
s1=$(date +%s.%N)

ph vectorize run --tenant bench --batch "$batch" --json > "$W/run.json"
stored=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $t")
jq -r --arg n "$n" --arg stored "$stored" --arg b0 "$s0" --arg b1 "$s1" --arg bn "$base_n" --arg batch "$batch" '
	.seconds as $s |
	"entities: \($n) queued PRs, \(.embedded) embedded, \($stored) stored; batch \($batch)",
	"vectorize: \($s.total | . * 100 | round / 100) s, \(($n | tonumber) / $s.total | . * 10 | round / 10) entities/s",
	"  embed \(100 * $s.embed / $s.total | . * 10 | round / 10)%, store \(100 * $s.store / $s.total | . * 10 | round / 10)%, database \(100 * $s.database / $s.total | . * 10 | round / 10)%, other \(100 * ($s.total - $s.embed - $s.store - $s.database) / $s.total | . * 10 | round / 10)%",
	"baseline (embedder alone, same model and texts, \($bn) texts): \(($bn | tonumber) / (($b1 | tonumber) - ($b0 | tonumber)) | . * 10 | round / 10) texts/s"
' "$W/run.json"
