#!/bin/bash
# vzhistory-bench: GET /api/v1/vectorization/history (the console's
# throughput chart) on a tenant whose queue holds ROWS done rows over 30
# days (default 1,000,000; 600 of them in the last hour), measured in one
# run with migration 116's partial index and, as the baseline, after
# dropping it; GET /vectorization/queue/summary (a scan of the tenant's
# queue) beside them. p50 and p95 of 30 requests each, by curl.
#
#   make bench BENCH=vzhistory        or, from the build directory,
#   ../../tests/bench/vzhistory-bench.sh [ROWS]
set -euo pipefail
BENCH_NAME=vzhistory-bench
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
rows=${1:-1000000}
orch_setup
trap 'orch_cleanup; bench_pg_cleanup' EXIT
t=$(wh_tenant acme)
i=$(wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($t, 'gh', 'Data', 'sandbox') RETURNING id")
s0=$(date +%s.%N)
wh_sql "INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation, status, created_at, updated_at)
	SELECT $t, $i, 'prs', 'PR_' || g, 'insert', CASE WHEN g % 50 = 0 THEN 'failed' ELSE 'completed' END,
	       now() - interval '30 days' * (g::float8 / $rows) - interval '1 hour',
	       now() - interval '30 days' * (g::float8 / $rows) - interval '1 hour'
	  FROM generate_series(1, $rows) g;
	INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation, status, updated_at)
	SELECT $t, $i, 'prs', 'new_' || g, 'insert', 'completed', now() - interval '1 second' * g
	  FROM generate_series(1, 600) g;
	ANALYZE vectorization_queue" > /dev/null
echo "vzhistory-bench: $rows done rows over 30 days + 600 in the last hour, loaded in" \
	"$(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
orch_daemon main "$WH_CONF"
tok=$(orch_token acme view)
printf 'H: Authorization: Bearer %s\n' "$tok" | sed 's/^H: /header = "/; s/$/"/' > "$WH_DIR/curl.cfg"
measure() { # measure PATH: p50 and p95 ms of 30 requests (after one warm-up)
	local k
	curl -fsS -K "$WH_DIR/curl.cfg" -o /dev/null "$ORCH_URL$1"
	for k in $(seq 30); do
		curl -fsS -K "$WH_DIR/curl.cfg" -o /dev/null -w '%{time_total}\n' "$ORCH_URL$1"
	done | sort -n | awk '{ a[NR] = $1 * 1000 } END { printf "p50 %7.1f ms  p95 %7.1f ms", a[int(NR * 0.5 + 0.5)], a[int(NR * 0.95 + 0.5)] }'
}
printf '%-52s %s\n' "history?window=1h (index 116)" "$(measure '/api/v1/vectorization/history?window=1h')"
printf '%-52s %s\n' "history?window=24h (index 116)" "$(measure '/api/v1/vectorization/history?window=24h')"
wh_sql "DROP INDEX vectorization_done_at; ANALYZE vectorization_queue" > /dev/null
printf '%-52s %s\n' "history?window=1h (baseline: no index 116)" "$(measure '/api/v1/vectorization/history?window=1h')"
printf '%-52s %s\n' "history?window=24h (baseline: no index 116)" "$(measure '/api/v1/vectorization/history?window=24h')"
printf '%-52s %s\n' "queue/summary (reference: the whole queue)" "$(measure '/api/v1/vectorization/queue/summary')"
curl -fsS -K "$WH_DIR/curl.cfg" "$ORCH_URL/api/v1/vectorization/history?window=1h" | jq -c '{done, failed, per_second}'
orch_stop main
