#!/bin/bash
# jira-deletions: with the default settings, an issue deleted in Jira is
# marked deleted by the very next sync (not after `reconcile_every`
# syncs): each sync compares Jira's count of each project with ours and
# runs the key-set reconciliation when they differ. A sync without a
# deletion asks for the counts only, and after each sync the warehouse
# equals the sandbox's truth, as a fresh full sync would leave it.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"

jr_setup jira-deletions --seed del --projects 2 --issues 30

id=$(jr_integration '{}')
jr_run_ok "$id"
jr_verify "$id" '{"metrics": true}'

deleted() {
	jr_sql "SELECT count(*) FROM work_items WHERE integration_id = $id AND deleted_at IS NOT NULL"
}

# Nothing deleted: the counts agree, no id search.
jr_api POST /_sandbox/clock '{"advance": 3600}' >/dev/null
jr_api POST /_sandbox/mutate '[{"op": "edit_issue", "key": "MOB-2", "summary": "Edited"}]' >/dev/null
jr_stats_reset
jr_run_ok "$id"
jr_verify "$id" '{"metrics": true}'
jr_stats > "$JR_DIR/stats.1.json"
got=$(jqv 'd.by_path["POST /rest/api/3/search/jql"] || 0' "$JR_DIR/stats.1.json")
jr_eq "search/jql calls without a deletion (1 incremental, no id walk)" "$got" 1
got=$(jqv 'd.by_path["POST /rest/api/3/search/approximate-count"] || 0' "$JR_DIR/stats.1.json")
jr_eq "count calls (1 progress + 1 per project)" "$got" 3
jr_eq "work items marked deleted" "$(deleted)" 0

# One deletion in each project: found by the next sync.
jr_api POST /_sandbox/clock '{"advance": 3600}' >/dev/null
jr_api POST /_sandbox/mutate '[
	{"op": "delete_issue", "key": "MOB-3"},
	{"op": "delete_issue", "key": "PLAT-2"}]' >/dev/null
jr_truth transitions=0 > "$JR_DIR/after.json"
n=$(node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1])); process.stdout.write(String(a.deleted.length))' "$JR_DIR/after.json")
# (a deleted parent takes its sub-tasks along, as in Jira)
[ "$n" -ge 2 ] || jr_fail "the sandbox deleted $n issues, expected at least 2"
jr_run_ok "$id"
jr_verify "$id" '{"metrics": true}'
grep -q 'reconcile_needed project=' "$JR_LOG" ||
	{ cat "$JR_LOG" >&2; jr_fail "the count difference was not noticed"; }
jr_eq "work items marked deleted after one sync" "$(deleted)" "$n"
jr_log "PASS"
