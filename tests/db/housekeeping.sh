#!/bin/bash
# housekeeping run: partitions ahead; retention removes exactly the rows
# and months past their windows (global and per tenant), keeps pending and
# processing rows and the last run of an integration; --dry-run changes
# nothing and reports what the real run then does; a second run is a no-op.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup
cat >> "$WH_CONF" <<'CONF'
housekeeping = { completed_days = 30; failed_days = 90; history_days = 90; batch_rows = 100; };
CONF

A=$(wh_tenant alpha)
B=$(wh_tenant beta)
wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($A, 'a', 'Data', 'sandbox'), ($B, 'b', 'Data', 'sandbox')"
IA=$(wh_sql "SELECT id FROM integrations WHERE tenant_id = $A")
IB=$(wh_sql "SELECT id FROM integrations WHERE tenant_id = $B")

# months: M6 = six months back (every row past its window), M5 = five
# back (a pending row keeps it), and the month of 45 days ago
m6="(date_trunc('month', now() AT TIME ZONE 'UTC') - interval '6 months' + interval '2 days') AT TIME ZONE 'UTC'"
m5="(date_trunc('month', now() AT TIME ZONE 'UTC') - interval '5 months' + interval '2 days') AT TIME ZONE 'UTC'"
d45="now() - interval '45 days'"
P6=$(wh_sql "SELECT raw_partition_create($m6)")
wh_sql "SELECT raw_partition_create($m5), raw_partition_create($d45)" >/dev/null
ins() { # tenant integration status count created_at [dead]
	wh_sql "INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body, status, dead_lettered, created_at)
		SELECT $1, $2, 'prs', 'u', 200, '{}', '$3', ${6:-false}, $5 FROM generate_series(1, $4)"
}
ins $A $IA completed 50 "$m6"; ins $B $IB completed 50 "$m6"; ins $A $IA failed 5 "$m6"
ins $A $IA completed 20 "$m5"; ins $A $IA pending 1 "$m5"; ins $B $IB processing 1 "$m5"
ins $A $IA completed 250 "$d45"; ins $B $IB completed 10 "$d45"; ins $A $IA failed 3 "$d45"
ins $A $IA pending 2 "$d45" true   # dead-lettered, within the failed window
ins $A $IA completed 7 "now()"

# run history: tenant A, three runs and six transitions, four of them old
wh_sql "INSERT INTO etl_jobs (tenant_id, integration_id) VALUES ($A, $IA)"
J=$(wh_sql "SELECT id FROM etl_jobs WHERE integration_id = $IA")
wh_sql "INSERT INTO job_runs (tenant_id, job_id, integration_id, state, started_at, finished_at)
	SELECT $A, $J, $IA, 'FINISHED', now() - interval '100 days' + g * interval '1 hour', now() - interval '100 days' + g * interval '1 hour' FROM generate_series(1, 3) g"
wh_sql "INSERT INTO job_transitions (tenant_id, job_id, from_state, to_state, reason, at)
	SELECT $A, $J, 'PENDING', 'RUNNING', 'test', now() - CASE WHEN g <= 4 THEN interval '100 days' ELSE interval '1 day' END FROM generate_series(1, 6) g"

# tenant B keeps completed rows 60 days
ph housekeeping retention --tenant beta --completed-days 60 > /dev/null
ph housekeeping retention --tenant beta --json > "$WH_DIR/ret.json"
wh_contains "$WH_DIR/ret.json" '"completed_days":{"days":60,"source":"tenant"}'
wh_contains "$WH_DIR/ret.json" '"failed_days":{"days":90,"source":"global"}'
wh_expect_fail "$WH_DIR/ret.err" ph housekeeping retention --tenant beta --failed-days 0
wh_contains "$WH_DIR/ret.err" "between 1 and 36500"
# the windows are the tenant's own: alpha does not see beta's
[ "$(wh_app_sql "BEGIN; SET LOCAL app.tenant_id = '$A'; SELECT count(*) FROM tenant_retention; COMMIT;")" = 0 ] ||
	wh_fail "tenant A reads tenant B's retention row"

snapshot() { wh_sql "SELECT (SELECT count(*) FROM raw_extraction_data) || '/' || (SELECT count(*) FROM job_runs) || '/' || (SELECT count(*) FROM job_transitions) || '/' || (SELECT count(*) FROM pg_inherits WHERE inhparent = 'raw_extraction_data'::regclass)"; }
before=$(snapshot)
[ "${before%%/*}" = 399 ] || wh_fail "set-up has ${before%%/*} raw rows, not 399"
ahead=$(wh_sql "SELECT 'raw_extraction_data_' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', '\"y\"YYYY\"m\"MM')")
[ -z "$(wh_sql "SELECT to_regclass('$ahead')")" ] || wh_fail "$ahead exists before housekeeping"

# dry run: the report, nothing changed
ph housekeeping run --dry-run --json --quiet > "$WH_DIR/dry.json"
[ "$(snapshot)" = "$before" ] || wh_fail "--dry-run changed the database: $before -> $(snapshot)"
[ -z "$(wh_sql "SELECT to_regclass('$ahead')")" ] || wh_fail "--dry-run created $ahead"

jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
check_report() { # file
	[ "$(jq_ "$1" "[p['name'] + ':' + str(p['rows']) for p in d['partitions_dropped']]")" = "['$P6:105']" ] ||
		{ cat "$1"; wh_fail "$1: partitions dropped should be $P6 with 105 rows"; }
	[ "$(jq_ "$1" "sorted((x['table'], x.get('tenant_id'), x['class'], x['rows']) for x in d['deleted'])")" = \
	  "[('job_runs', $A, 'finished', 2), ('job_transitions', $A, 'old', 4), ('raw_extraction_data', $A, 'completed', 270)]" ] ||
		{ cat "$1"; wh_fail "$1: rows deleted differ from the expected ones"; }
	jq_ "$1" "d['partitions_created']" | grep -q "$ahead" || { cat "$1"; wh_fail "$1: $ahead not created"; }
}
check_report "$WH_DIR/dry.json"
[ "$(jq_ "$WH_DIR/dry.json" "d['dry_run']")" = True ] || wh_fail "dry_run not flagged"

# the real run: the same report, the rows gone
ph housekeeping run --json > "$WH_DIR/run.json" 2> "$WH_DIR/run.progress"
check_report "$WH_DIR/run.json"
wh_contains "$WH_DIR/run.progress" "partition $P6 dropped: 105 rows"
wh_contains "$WH_DIR/run.progress" "raw_extraction_data tenant $A: 200 completed rows deleted so far"
[ -z "$(wh_sql "SELECT to_regclass('$P6')")" ] || wh_fail "$P6 still there"
[ -n "$(wh_sql "SELECT to_regclass('$ahead')")" ] || wh_fail "$ahead not created"
after=$(snapshot)
[ "${after%%/*}" = 24 ] || wh_fail "${after%%/*} raw rows left, expected 24"
left=$(wh_sql "SELECT string_agg(tenant_id || ':' || status || ':' || dead_lettered || ':' || n, ',' ORDER BY tenant_id, status, dead_lettered) FROM (SELECT tenant_id, status, dead_lettered, count(*) n FROM raw_extraction_data GROUP BY 1, 2, 3) x")
[ "$left" = "$A:completed:false:7,$A:failed:false:3,$A:pending:false:1,$A:pending:true:2,$B:completed:false:10,$B:processing:false:1" ] ||
	wh_fail "rows left: $left"
[ "$(wh_sql "SELECT count(*) FROM job_runs")" = 1 ] || wh_fail "the last run of the integration was not kept"
[ "$(wh_sql "SELECT count(*) FROM job_transitions WHERE at > now() - interval '2 days'")" = 2 ] || wh_fail "recent transitions removed"

# again: nothing to do
ph housekeeping run --json --quiet > "$WH_DIR/again.json"
[ "$(jq_ "$WH_DIR/again.json" "len(d['partitions_dropped']) + len(d['deleted']) + len(d['partitions_created'])")" = 0 ] ||
	{ cat "$WH_DIR/again.json"; wh_fail "a second run did something"; }
[ "$(snapshot)" = "$after" ] || wh_fail "a second run changed the database"
ph housekeeping run > "$WH_DIR/text.out" 2>&1
wh_contains "$WH_DIR/text.out" "nothing to do"
echo "PASS: housekeeping made partitions ahead, dropped $P6 (105 rows), deleted exactly the rows past their windows"
