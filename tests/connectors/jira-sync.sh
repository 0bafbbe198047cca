#!/bin/bash
# jira-sync: a full sync of a sandbox site loads exactly what the sandbox
# holds (tests/connectors/jira-check.js compares projects, statuses, types,
# sprints, workflows, every issue's fields, history count and status
# transitions, issue-PR links, and the derived cycle/lead times with
# /_sandbox/truth), including issues with more than 100 histories, whose
# changelogs come from /changelog/bulkfetch. A second run changes nothing.
# Then a site without bulkfetch (404): the per-issue changelog pages give
# the same result.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"

jr_setup jira-sync --seed sync --projects 3 --issues 60

id=$(jr_integration '{}')
jr_stats_reset
jr_run_ok "$id"
jr_verify "$id" '{"metrics": true}'

long=$(jqv 'd.issues.filter(i => i.changelogCount > 100).length' <(jr_truth transitions=0))
[ "$long" -ge 3 ] || jr_fail "the sandbox has only $long issues with more than 100 histories"
got=$(jr_sql "SELECT count(*) FROM (SELECT work_item_external_id FROM changelogs
	WHERE integration_id = $id GROUP BY 1
	HAVING count(DISTINCT split_part(external_id, ':', 1)) > 100) x")
jr_eq "issues with more than 100 histories, complete" "$got" "$long"
jr_stats > "$JR_DIR/stats.json"
n=$(jqv 'd.by_path["POST /rest/api/3/changelog/bulkfetch"] || 0' "$JR_DIR/stats.json")
[ "$n" -ge 1 ] || jr_fail "no bulk changelog request was made"
n=$(jqv 'd.by_path["GET /rest/api/3/issue/{issueIdOrKey}/changelog"] || 0' "$JR_DIR/stats.json")
jr_eq "per-issue changelog requests (bulkfetch was there)" "$n" 0
n=$(jqv 'd.by_path["POST /rest/api/3/search"] || d.by_path["GET /rest/api/3/search"] || 0' "$JR_DIR/stats.json")
jr_eq "calls to the removed /search" "$n" 0
# The job run's stats say the metrics were computed at the end of the run.
n=$(jr_sql "SELECT stats->'work_items'->>'metrics_updated' FROM job_runs
	WHERE integration_id = $id ORDER BY id DESC LIMIT 1")
[ "${n:-0}" -gt 0 ] || jr_fail "the run did not recompute work item metrics (stats: $n)"

# Run again: nothing is new, so nothing is inserted or updated.
jr_run_ok "$id"
if grep -E '^  [a-z_]+ +[0-9]+ records: [0-9]+ inserted' "$JR_LOG" |
	grep -vE ': 0 inserted, 0 updated,' >&2; then
	jr_fail "the second run changed rows (above)"
fi
grep -q 'walk=inc' "$JR_LOG" || jr_fail "the second run was not incremental"
jr_verify "$id" '{"metrics": true}'

# No bulkfetch on this site: the per-issue changelog pages are used.
jr_api POST /_sandbox/faults '{"kind": "status", "status": 404, "count": 1000,
	"path_prefix": "/rest/api/3/changelog/bulkfetch"}' >/dev/null
id2=$(jr_integration '{"dev_status": false}')
jr_stats_reset
jr_run_ok "$id2"
jr_verify "$id2" '{"metrics": true, "links": false}'
jr_stats > "$JR_DIR/stats2.json"
n=$(jqv 'd.by_path["POST /rest/api/3/changelog/bulkfetch"] || 0' "$JR_DIR/stats2.json")
jr_eq "bulkfetch attempts once it said 404" "$n" 1
n=$(jqv 'd.by_path["GET /rest/api/3/issue/{issueIdOrKey}/changelog"] || 0' "$JR_DIR/stats2.json")
[ "$n" -ge "$long" ] || jr_fail "only $n per-issue changelog requests"
n=$(jqv 'd.by_path["GET /rest/dev-status/1.0/issue/detail"] || 0' "$JR_DIR/stats2.json")
jr_eq "dev-status calls with dev_status off" "$n" 0
jr_api DELETE /_sandbox/faults >/dev/null
jr_log "PASS"
