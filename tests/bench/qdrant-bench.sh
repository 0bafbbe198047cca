#!/bin/bash
# qdrant-bench.sh: search latency of the qdrant store at 10k and 100k
# vectors per tenant, run by `make bench BENCH=vectors` after the embedded
# store's figures (vectors-bench.sh calls it). Figures, not assertions.
#
# The server is the Qdrant SANDBOX (tests/sandbox/qdrant, Node, brute
# force in JavaScript), not Qdrant: the figures measure the host's path
# (vstore -> plugin -> HTTP/JSON) plus a naive scan, not Qdrant's HNSW.
# The baseline in the same run is the sandbox alone: the same queries
# sent straight to it by a Node client, so the difference is what the
# host and the plugin add. Vectors: 384 random floats; 200 top-10 queries
# per size after one warm-up. VECTORS_BENCH_SIZES overrides the sizes.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
VX_QDRANT=1
vx_setup
sizes=${VECTORS_BENCH_SIZES:-"10000 100000"}
dim=384
nq=200
tool=$abs_top_builddir/tests/bench/qdrant-tool
[ -x "$tool" ] || wh_fail "$tool is not built (make bench builds it)"
echo "qdrant store against the Qdrant sandbox (Node, brute force): NOT Qdrant; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-34s %10s %10s %14s %10s\n' vectors side p50_ms p99_ms first_query_ms store_s
for n in $sizes; do
	t=$(wh_tenant "q$n")
	i=$(wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($t, 'gh', 'Data', 'sandbox') RETURNING id")
	qd_add "q$n" > /dev/null
	read -r p50 p99 first store < <("$tool" bench "$WH_CONF" "$t" "$i" "$n" "$dim" "$nq")
	printf '%-8s %-34s %10s %10s %14s %10s\n' "$n" "qdrant plugin via host (sandbox)" "$p50" "$p99" "$first" "$store"
	# the sandbox alone, same collection, same tenant filter
	node - "$VX_QD" "$WH_DIR/qd.hdr" "$t" "$n" "$dim" "$nq" <<'JS'
const [url, hdr, tenant, n, dim, nq] = process.argv.slice(2);
const key = require('fs').readFileSync(hdr, 'utf8').split(': ')[1].trim();
const http = require('http');
function post(body) {
  return new Promise((resolve, reject) => {
    const r = http.request(url + '/collections/pulse_bench_' + dim + '/points/query',
      { method: 'POST', headers: { 'content-type': 'application/json', 'api-key': key } }, (res) => {
        const parts = []; res.on('data', (c) => parts.push(c));
        res.on('end', () => resolve(Buffer.concat(parts).toString()));
      });
    r.on('error', reject); r.end(body);
  });
}
(async () => {
  const lat = [];
  for (let i = 0; i <= +nq; i++) {
    const q = Array.from({ length: +dim }, () => Math.random() - 0.5);
    const body = JSON.stringify({ query: q, limit: 10, with_payload: true,
      filter: { must: [{ key: 'tenant_id', match: { value: tenant } }] } });
    const t0 = process.hrtime.bigint();
    const r = JSON.parse(await post(body));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (!r.result || r.result.points.length !== 10) throw new Error('bad reply: ' + JSON.stringify(r).slice(0, 200));
    if (i) lat.push(ms);
  }
  lat.sort((a, b) => a - b);
  const f = (x) => x.toFixed(2).padStart(10);
  console.log(String(n).padEnd(8) + ' ' + 'sandbox alone (node client)'.padEnd(34) + ' ' + f(lat[lat.length >> 1]) + ' ' +
    f(lat[Math.floor(lat.length * 0.99)]) + ' ' + '-'.padStart(14) + ' ' + '-'.padStart(10));
})().catch((e) => { console.error(e.message); process.exit(1); });
JS
	# each size in its own collection state: drop the points before the next
	qd_api DELETE /collections/pulse_bench_$dim > /dev/null
done
