#!/bin/bash
# fabric-incremental: after a full sync, the sandbox gains new job runs,
# new deploy operations (one failed), new GraphQL rows and an updated row.
# The next sync loads exactly those: the new rows' counts are what was
# added, nothing else changes, and the warehouse equals the truth again.
# Runs before `since` are not loaded.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/fabric-lib.sh"

fb_setup fabric-incremental --workspaces 2 --items 4 --runs 3 --deploys 4 --rows 12 --page-size 3

id=$(fb_integration '{"graphql": true, "graphql_page_size": 4}')
fb_run_ok "$id"
fb_verify "$id" "$FB_URL" 1
runs0=$(fb_sql "SELECT count(*) FROM fabric_job_runs WHERE integration_id = $id")
deps0=$(fb_sql "SELECT count(*) FROM deployments WHERE integration_id = $id")
rows0=$(fb_sql "SELECT count(*) FROM fabric_records WHERE integration_id = $id")

# 2 items x 4 new runs (more than a page), 3 deploys (1 failed), 5 rows, 1 update
fb_api POST /_sandbox/mutate '[{"op":"add_runs","items":2,"count":4},
	{"op":"add_deploys","count":2},{"op":"add_deploys","count":1,"failed":true},
	{"op":"add_rows","count":5},{"op":"touch_row","id":2}]' >/dev/null
fb_run_ok "$id"
fb_verify "$id" "$FB_URL" 1
fb_eq "new job runs" "$(( $(fb_sql "SELECT count(*) FROM fabric_job_runs WHERE integration_id = $id") - runs0 ))" 8
fb_eq "new deployments" "$(( $(fb_sql "SELECT count(*) FROM deployments WHERE integration_id = $id") - deps0 ))" 3
fb_eq "failed new deployments" "$(fb_sql "SELECT count(*) FROM deployments WHERE integration_id = $id
	AND status = 'failure' AND created_at > (SELECT max(started_at) FROM fabric_job_runs)")" 1
fb_eq "new GraphQL rows" "$(( $(fb_sql "SELECT count(*) FROM fabric_records WHERE integration_id = $id") - rows0 ))" 5
fb_eq "job runs loaded by the incremental" "$(grep -E '^  fabric_job_runs' "$FB_LOG" | grep -oE '[0-9]+ inserted')" "8 inserted"
fb_eq "deployments loaded by the incremental" "$(grep -E '^  deployments' "$FB_LOG" | grep -oE '[0-9]+ inserted, [0-9]+ updated')" "3 inserted, 0 updated"
fb_eq "GraphQL rows by the incremental" "$(grep -E '^  fabric_records' "$FB_LOG" | grep -oE '[0-9]+ inserted, [0-9]+ updated')" "5 inserted, 1 updated"
grep -q 'graphql entity=orders round=incremental' "$FB_LOG" || fb_fail "the GraphQL round was not incremental"

# since: a new integration with since after the middle run loads only
# the runs started at or after it.
t="$FB_DIR/truth.json"
fb_api GET /_sandbox/truth > "$t"
since=$(jqv 'd.runs.map((r) => r.startTimeUtc).sort()[Math.floor(d.runs.length / 2)]' "$t")
want=$(jqv "d.runs.filter((r) => r.startTimeUtc >= '$since').length" "$t")
id2=$(fb_integration "{\"since\": \"$since\"}")
fb_run_ok "$id2"
fb_eq "runs loaded with since=$since" "$(fb_sql "SELECT count(*) FROM fabric_job_runs WHERE integration_id = $id2")" "$want"
fb_log "PASS"
