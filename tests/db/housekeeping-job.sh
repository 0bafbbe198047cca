#!/bin/bash
# The rest of housekeeping (083): ai_usage retention (global and per
# tenant, --dry-run changes nothing, checkpoints untouched); ANALYZE of a
# table a large load changed; the vector store check reports drift; the
# audit_events past housekeeping.audit_days are deleted (issue 21). A run killed with -9 in the
# middle of its batches leaves whole batches, and the next run ends at the
# same rows as an uninterrupted one, then is a no-op (idempotent).
# `pulse-host stats`: rows per table, raw ledger by month, growth.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup
cat >> "$WH_CONF" <<'CONF'
housekeeping = { completed_days = 30; usage_days = 30; batch_rows = 100; analyze_min_rows = 5000; };
CONF
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

A=$(wh_tenant alpha)
B=$(wh_tenant beta)
wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($A, 'a', 'Data', 'sandbox'), ($B, 'b', 'Data', 'sandbox')"
IA=$(wh_sql "SELECT id FROM integrations WHERE tenant_id = $A")
IB=$(wh_sql "SELECT id FROM integrations WHERE tenant_id = $B")
# checkpoints (cursors) of both integrations: never touched by retention
wh_sql "INSERT INTO integration_state (tenant_id, integration_id, key, value, updated_at) VALUES ($A, $IA, 'page', '7', now() - interval '400 days'), ($B, $IB, 'page', '3', now() - interval '400 days')"

# ai_usage: rows 5, 20 and 40 days old per tenant (3 + 4 + 5 each)
usage() { # tenant count age_days
	wh_sql "INSERT INTO ai_usage (tenant_id, plugin, context, operation, outcome, created_at)
		SELECT $1, 'embed-local', 'vectorize', 'embed', 'ok', now() - interval '$3 days' FROM generate_series(1, $2)"
}
for t in $A $B; do usage "$t" 3 5; usage "$t" 4 20; usage "$t" 5 40; done
# beta keeps AI usage 10 days: its 20-day rows go too
ph housekeeping retention --tenant beta --usage-days 10 > /dev/null
ph housekeeping retention --tenant beta --json > "$WH_DIR/ret.json"
wh_contains "$WH_DIR/ret.json" '"usage_days":{"days":10,"source":"tenant"}'
ph housekeeping retention --tenant alpha --json > "$WH_DIR/ret-a.json"
wh_contains "$WH_DIR/ret-a.json" '"usage_days":{"days":30,"source":"global"}'

# a large load into one table (analyze_min_rows = 5000); autovacuum kept
# off it so that only housekeeping analyses it
cur=$(wh_sql "SELECT 'raw_extraction_data_' || to_char(now() AT TIME ZONE 'UTC', '\"y\"YYYY\"m\"MM')")
wh_sql "ALTER TABLE $cur SET (autovacuum_enabled = off)"
wh_sql "INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body, status, created_at)
	SELECT $A, $IA, 'prs', 'u', 200, '{}', 'pending', now() FROM generate_series(1, 6000)"

# vectors: tenant A has 3 stored references and 2 points in collection c1
wh_sql "INSERT INTO vector_references (tenant_id, integration_id, entity, external_id, collection, point_id, model)
	SELECT $A, $IA, 'prs', 'e' || g, 'c1', gen_random_uuid(), 'm' FROM generate_series(1, 3) g"
wh_sql "INSERT INTO pgvectors (tenant_id, integration_id, collection, point_id, entity, external_id, dim, vec)
	SELECT $A, $IA, 'c1', gen_random_uuid(), 'prs', 'e' || g, 1, '\\x00000000'::bytea FROM generate_series(1, 2) g"
# tenant B: in step
wh_sql "INSERT INTO vector_references (tenant_id, integration_id, entity, external_id, collection, point_id, model)
	VALUES ($B, $IB, 'prs', 'x', 'c2', gen_random_uuid(), 'm')"
wh_sql "INSERT INTO pgvectors (tenant_id, integration_id, collection, point_id, entity, external_id, dim, vec)
	VALUES ($B, $IB, 'c2', gen_random_uuid(), 'prs', 'x', 1, '\\x00000000'::bytea)"

# audit_events (issue 21): 400-day-old events go (default 365 days)
wh_sql "INSERT INTO audit_events (tenant_id, actor, action, at) VALUES ($A, 'cli', 'old', now() - interval '400 days'), ($A, 'cli', 'old', now() - interval '400 days'), ($A, 'cli', 'recent', now() - interval '10 days'), ($B, 'cli', 'old', now() - interval '400 days')"

snap() { wh_sql "SELECT (SELECT count(*) FROM ai_usage) || '/' || (SELECT count(*) FROM integration_state) || '/' || (SELECT count(*) FROM raw_extraction_data) || '/' || coalesce((SELECT last_analyze::text FROM pg_stat_user_tables WHERE relname = 'ai_usage'), '-')"; }
before=$(snap)
ph housekeeping run --dry-run --json --quiet > "$WH_DIR/dry.json"
[ "$(snap)" = "$before" ] || wh_fail "--dry-run changed the database: $before -> $(snap)"
usage_rows() { jq_ "$1" "sorted((x['tenant_id'], x['rows']) for x in d['deleted'] if x['table'] == 'ai_usage')"; }
[ "$(usage_rows "$WH_DIR/dry.json")" = "[($A, 5), ($B, 9)]" ] || { cat "$WH_DIR/dry.json"; wh_fail "dry run: ai_usage rows $(usage_rows "$WH_DIR/dry.json")"; }

ph housekeeping run --json > "$WH_DIR/run.json" 2> "$WH_DIR/run.err"
[ "$(usage_rows "$WH_DIR/run.json")" = "[($A, 5), ($B, 9)]" ] || { cat "$WH_DIR/run.json"; wh_fail "run: ai_usage rows $(usage_rows "$WH_DIR/run.json")"; }
left=$(wh_sql "SELECT string_agg(tenant_id || ':' || extract(day from now() - created_at)::int || ':' || n, ',' ORDER BY tenant_id, created_at DESC) FROM (SELECT tenant_id, created_at, count(*) n FROM ai_usage GROUP BY 1, 2) x")
[ "$left" = "$A:5:3,$A:20:4,$B:5:3" ] || wh_fail "ai_usage left: $left"
[ "$(wh_sql "SELECT count(*) FROM integration_state")" = 2 ] || wh_fail "retention touched the checkpoints"
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE status = 'pending'")" = 6000 ] || wh_fail "pending rows removed"
# checks: raw ledger analysed (6000 rows changed), drift of tenant A, B in step
jq_ "$WH_DIR/run.json" "[c['name'] for c in d['checks'] if c['step'] == 'analyze']" | grep -q "raw_extraction_data" ||
	{ cat "$WH_DIR/run.json"; wh_fail "the loaded raw partition was not analysed"; }
[ -n "$(wh_sql "SELECT last_analyze FROM pg_stat_user_tables WHERE relname LIKE 'raw_extraction_data_y%' AND last_analyze IS NOT NULL LIMIT 1")" ] ||
	wh_fail "no raw partition has last_analyze set"
[ "$(jq_ "$WH_DIR/run.json" "[(c['tenant_id'], c['name'], c['references'], c['points']) for c in d['checks'] if c['step'] == 'vector_drift']")" = "[($A, 'c1', 3, 2)]" ] ||
	{ cat "$WH_DIR/run.json"; wh_fail "vector drift not reported as tenant A c1 3 vs 2"; }
[ "$(jq_ "$WH_DIR/run.json" "[(c['tenant_id'], c['name']) for c in d['checks'] if c['step'] == 'vector_check']")" = "[($B, 'c2')]" ] ||
	wh_fail "tenant B's collection not reported in step"
audit_rows() { jq_ "$1" "sorted((x['tenant_id'], x['rows']) for x in d['deleted'] if x['table'] == 'audit_events')"; }
[ "$(audit_rows "$WH_DIR/run.json")" = "[($A, 2), ($B, 1)]" ] || { cat "$WH_DIR/run.json"; wh_fail "run: audit_events rows $(audit_rows "$WH_DIR/run.json")"; }
[ "$(wh_sql "SELECT string_agg(tenant_id || ':' || action, ',') FROM audit_events")" = "$A:recent" ] ||
	wh_fail "audit_events left: $(wh_sql "SELECT string_agg(tenant_id || ':' || action, ',') FROM audit_events")"
ph housekeeping run > "$WH_DIR/text.out" 2>/dev/null
wh_contains "$WH_DIR/text.out" "vector drift tenant $A c1: 3 references, 2 points: 1 references without a point"
wh_contains "$WH_DIR/text.out" "nothing to do"

# kill -9 in the middle of the batches, then the same end as without
old="now() - interval '40 days'"
wh_sql "SELECT raw_partition_create($old)" > /dev/null
wh_sql "INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body, status, created_at)
	SELECT $A, $IA, 'prs', 'u', 200, '{}', CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'completed' END, $old FROM generate_series(1, 15000) g"
expect_left=$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE NOT (status = 'completed' AND created_at < now() - interval '30 days')")
# Another session locks a row in the middle of the expired ones: the run's
# DELETE waits on it once the batches before it have committed, so the kill
# lands mid-run however fast the machine is.
lockid=$(wh_sql "SELECT id FROM raw_extraction_data WHERE status = 'completed' AND created_at < now() - interval '30 days' ORDER BY id OFFSET 6000 LIMIT 1")
harness_hold "$WH_DIR" "$WH_ADMIN" "SELECT id FROM raw_extraction_data WHERE id = $lockid FOR UPDATE" ||
	wh_fail "could not lock raw row $lockid"
ph housekeeping run > "$WH_DIR/k.out" 2> "$WH_DIR/k.err" &
hk=$!
hk_blocked() { [ "$(wh_sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%DELETE FROM raw_extraction_data%'")" = 1 ]; }
harness_wait_for 60 "the run to reach the locked row" hk_blocked || { cat "$WH_DIR/k.err"; wh_fail "the run never waited on the locked row"; }
grep -q "completed rows deleted so far" "$WH_DIR/k.err" || wh_fail "no batch committed before the locked row"
kill -9 "$hk"
wait "$hk" 2>/dev/null || :
mid=$(wh_sql "SELECT count(*) FROM raw_extraction_data")
harness_release
[ "$mid" -gt "$expect_left" ] || wh_fail "the run ended before the kill ($mid rows left); nothing tested"
[ $(( (mid - expect_left) % 100 )) = 0 ] || wh_fail "a partial batch was committed: $mid rows left, $expect_left expected at the end"
# the killed run's backend lets its advisory lock go once it sees the
# client gone
hk_unlocked() { [ "$(wh_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" = 0 ]; }
harness_wait_for 30 "the killed run's lock to go" hk_unlocked || wh_fail "the advisory lock outlived the killed run"
ph housekeeping run > "$WH_DIR/k2.out" 2>/dev/null || wh_fail "the run after kill -9 failed (lock left behind?)"
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data")" = "$expect_left" ] || wh_fail "after kill -9 and a rerun: $(wh_sql "SELECT count(*) FROM raw_extraction_data") rows, expected $expect_left"
ph housekeeping run > "$WH_DIR/k3.out" 2>/dev/null
wh_contains "$WH_DIR/k3.out" "nothing to do"

# stats
ph stats --tenant alpha --json > "$WH_DIR/stats.json"
raw_a=$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE tenant_id = $A")
[ "$(jq_ "$WH_DIR/stats.json" "[t['rows'] for t in d['tables'] if t['table'] == 'raw_extraction_data'][0]")" = "$raw_a" ] ||
	{ cat "$WH_DIR/stats.json"; wh_fail "stats: raw rows of alpha should be $raw_a"; }
[ "$(jq_ "$WH_DIR/stats.json" "[t['rows'] for t in d['tables'] if t['table'] == 'ai_usage'][0]")" = 7 ] || wh_fail "stats: ai_usage rows of alpha"
[ "$(jq_ "$WH_DIR/stats.json" "sum(m['rows'] for m in d['raw_by_month'])")" = "$raw_a" ] || wh_fail "stats: months do not add up to the raw rows"
[ "$(jq_ "$WH_DIR/stats.json" "all(m['partition_bytes'] > 0 for m in d['raw_by_month'])")" = True ] || wh_fail "stats: a partition without bytes"
recent=$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE tenant_id = $A AND created_at >= now() - interval '30 days'")
[ "$(jq_ "$WH_DIR/stats.json" "(d['growth']['rows_added'], d['growth']['rows_per_day'], d['growth']['bytes_per_day'] > 0)")" = "($recent, $((recent / 30)), True)" ] ||
	{ cat "$WH_DIR/stats.json"; wh_fail "stats: growth of the last 30 days should be $recent rows"; }
ph stats --tenant beta > "$WH_DIR/stats-b.txt"
wh_contains "$WH_DIR/stats-b.txt" "growth of the raw ledger over the last 30 days: 0 rows"
wh_expect_fail "$WH_DIR/stats.err" ph stats
wh_contains "$WH_DIR/stats.err" "usage: pulse-host stats --tenant T"
echo "PASS: ai_usage retention per tenant, analyze, vector drift, audit retention, kill -9 idempotent, stats"
