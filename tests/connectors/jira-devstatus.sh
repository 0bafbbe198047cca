#!/bin/bash
# jira-devstatus: the undocumented dev-status API is best effort. 5xx
# answers the host's retries get past, a broken body, and then a run of
# 404s (dev-status missing) do not fail the job: after three failures in
# a row the plugin stops asking for this run, keeps the issues it could
# not read, and reads them at the next sync, which then has every issue-PR
# link of the truth.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"

jr_setup jira-devstatus --seed dev --projects 1 --issues 30

id=$(jr_integration '{}')
jr_api POST /_sandbox/faults '[
	{"kind": "status", "status": 500, "count": 2, "path_prefix": "/rest/dev-status/"},
	{"kind": "invalid_json", "count": 1, "path_prefix": "/rest/dev-status/"},
	{"kind": "status", "status": 404, "count": 1000, "path_prefix": "/rest/dev-status/"}]' >/dev/null
jr_run_ok "$id"
jr_verify "$id" '{"links": false, "metrics": true}'
grep -q 'dev_status_disabled failures=3' "$JR_LOG" ||
	{ cat "$JR_LOG" >&2; jr_fail "dev-status was not switched off after three failures"; }
got=$(jr_sql "SELECT state FROM job_runs WHERE integration_id = $id ORDER BY id DESC LIMIT 1")
jr_eq "run state with dev-status failing" "$got" FINISHED
calls=$(jqv 'd.by_path["GET /rest/dev-status/1.0/issue/detail"] || 0' <(jr_stats))
jr_eq "dev-status requests (issue 1: 500, 500, broken body; issues 2-3: 404)" "$calls" 5
left=$(jr_sql "SELECT value FROM integration_state WHERE integration_id = $id AND key = 'dev_retry'")
[ -n "$left" ] || jr_fail "the issues whose links were not read were not kept"
jr_log "ok: kept for the next sync: $left"

jr_api DELETE /_sandbox/faults >/dev/null
jr_run_ok "$id"
jr_verify "$id" '{"metrics": true}'
left=$(jr_sql "SELECT value FROM integration_state WHERE integration_id = $id AND key = 'dev_retry'")
jr_eq "issues left for a dev-status retry" "$left" ""
jr_log "PASS"
