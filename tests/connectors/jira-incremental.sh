#!/bin/bash
# jira-incremental: after a full sync, the sandbox edits, adds and deletes
# issues; the next sync picks up exactly those changes (work items
# written = edited + added + deleted + children that lost their deleted
# epic), marks the deleted ones (key-set reconciliation, every 2nd sync
# here), needs one search page and no bulk changelog call, and the
# warehouse equals the truth again. Then a refused nextPageToken (Jira's
# expire after 7 days) falls back to the watermark without losing issues.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"

jr_setup jira-incremental --seed inc --projects 2 --issues 40

id=$(jr_integration '{"reconcile_every": 2}')
jr_run_ok "$id"
jr_verify "$id" '{"metrics": true}'
jr_truth transitions=0 > "$JR_DIR/before.json"

# An hour later: a transition, an edit, three new bugs, two deletions (one
# an epic, whose children lose their parent).
jr_api POST /_sandbox/clock '{"advance": 3600}' >/dev/null
jr_api POST /_sandbox/mutate '[
	{"op": "transition", "key": "PLAT-3", "to": "Done"},
	{"op": "edit_issue", "key": "MOB-5", "summary": "Renamed", "priority": "High"},
	{"op": "add_issues", "project": "PLAT", "count": 3, "type": "Bug"},
	{"op": "delete_issue", "key": "MOB-4"},
	{"op": "delete_issue", "key": "PLAT-1"}]' >/dev/null
jr_truth transitions=0 > "$JR_DIR/after.json"
jr_stats_reset
t0=$(jr_sql "SELECT now()")
jr_run_ok "$id"
jr_verify "$id" '{"metrics": true}'

# Exactly the changed work items were written.
want=$(node -e '
	const fs = require("fs");
	const b = JSON.parse(fs.readFileSync(process.argv[1])), a = JSON.parse(fs.readFileSync(process.argv[2]));
	const before = new Map(b.issues.map(i => [i.id, i]));
	const ids = new Set();
	for (const i of a.issues) { const o = before.get(i.id); if (!o || o.updated !== i.updated) ids.add(i.id); }
	for (const d of a.deleted) ids.add(String(d.id));
	process.stdout.write([...ids].sort().join(","));
' "$JR_DIR/before.json" "$JR_DIR/after.json")
got=$(jr_sql "SELECT string_agg(external_id, ',' ORDER BY external_id) FROM work_items
	WHERE integration_id = $id AND loaded_at >= '$t0'")
jr_eq "work items written by the incremental sync" "$got" "$want"
n=$(node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1])); process.stdout.write(String(a.deleted.length))' "$JR_DIR/after.json")
got=$(jr_sql "SELECT count(*) FROM work_items WHERE integration_id = $id AND deleted_at IS NOT NULL")
jr_eq "work items marked deleted" "$got" "$n"

# API calls: one incremental search page, one id page per project for the
# reconciliation, no complete changelog was needed.
jr_stats > "$JR_DIR/stats.json"
got=$(jqv 'd.by_path["POST /rest/api/3/search/jql"] || 0' "$JR_DIR/stats.json")
jr_eq "search/jql calls (1 incremental + 2 reconciliation)" "$got" 3
got=$(jqv 'd.by_path["POST /rest/api/3/changelog/bulkfetch"] || 0' "$JR_DIR/stats.json")
jr_eq "bulk changelog calls" "$got" 0
grep -q 'AND updated >= "' "$JR_LOG" || grep -q 'walk=inc' "$JR_DIR"/run.2.log ||
	jr_fail "the second sync was not incremental"

# A refused nextPageToken: restart from the newest `updated` stored.
jr_api POST /_sandbox/clock '{"advance": 600}' >/dev/null
jr_api POST /_sandbox/mutate '[{"op": "transition", "key": "MOB-6", "to": "In Review"}]' >/dev/null
wm=$(jr_sql "SELECT value::json->>'watermark' FROM integration_state
	WHERE integration_id = $id AND key = 'synced'")
projects=$(jr_sql "SELECT string_agg(external_id, ',' ORDER BY key) FROM projects WHERE integration_id = $id")
ck=$(node -e 'process.stdout.write(JSON.stringify({kind: "inc", projects: process.argv[1],
	jql: "project in (" + process.argv[1] + ") ORDER BY updated ASC", token: "expired-token",
	max: process.argv[2], prev: process.argv[2], lower: process.argv[2], pending: "", done: false}))' \
	"$projects" "$wm")
jr_sql "UPDATE integration_state SET value = '$ck' WHERE integration_id = $id AND key = 'search'"
[ "$(jr_sql "SELECT count(*) FROM integration_state WHERE integration_id = $id AND key = 'search'")" = 1 ] ||
	jr_sql "INSERT INTO integration_state (tenant_id, integration_id, key, value)
		SELECT tenant_id, id, 'search', '$ck' FROM integrations WHERE id = $id"
jr_run_ok "$id"
grep -q 'search_token_rejected' "$JR_LOG" || { cat "$JR_LOG" >&2; jr_fail "the expired token was not noticed"; }
jr_verify "$id" '{"metrics": true}'
jr_log "PASS"
