#!/bin/bash
# fabric-sync: a full sync of the Fabric sandbox loads exactly its
# workspaces (with the GitHub link), items, job runs, deploy operations and
# the GraphQL entity's rows, over many continuation pages (page size 2) and
# several GraphQL pages. A pipeline the principal is not Admin of gives a
# warning, not a failure. The REST call count equals the minimum computed
# from the truth; a second run with no change costs one call per runnable
# item plus the listings, and changes no row. The client secret (with
# + / =) is in no log.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/fabric-lib.sh"

fb_setup fabric-sync --workspaces 3 --items 5 --runs 5 --deploys 6 --rows 23 --page-size 2

id=$(fb_integration '{"graphql": true, "graphql_page_size": 5}')
fb_log "integration $id added"
fb_run_ok "$id"
fb_verify "$id" "$FB_URL" 1

t="$FB_DIR/truth.json"
fb_api GET /_sandbox/truth > "$t"
# the warning for the pipeline without the Admin role, and a clean finish
hidden=$(jqv 'd.hidden_pipelines[0]' "$t")
grep -q "no deploy history for deployment pipeline '$hidden'" "$FB_LOG" ||
	{ cat "$FB_LOG" >&2; fb_fail "no warning for the pipeline without the Admin role"; }
grep -q 'warnings=1' "$FB_LOG" || fb_fail "the summary does not count one warning"
fb_eq "workspaces linked to a repository" "$(fb_sql "SELECT string_agg(repository_external_id, ',')
	FROM fabric_workspaces WHERE integration_id = $id")" "contoso/fabric-sales"
fb_eq "GraphQL pages (23 rows, 5 a page)" "$(grep -o 'graphql entity=orders pages=[0-9]*' "$FB_LOG")" \
	"graphql entity=orders pages=5"

# REST calls of a full sync, computed from the truth: workspaces pages;
# per workspace its Git connection, its items pages and per runnable item
# its runs pages; pipelines pages; per pipeline its stages pages and one
# operations call.
read -r full nochange < <(node -e '
	const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const ps = 2, pages = (n) => Math.max(1, Math.ceil(n / ps));
	const runnable = new Set(["DataPipeline", "Notebook", "SparkJobDefinition"]);
	let full = pages(t.workspaces.length), noch = full;
	for (const w of t.workspaces) {
		const its = t.items.filter((i) => i.workspaceId === w.id);
		full += 1 + pages(its.length); noch += 1 + pages(its.length);
		for (const i of its.filter((i) => runnable.has(i.type))) {
			full += pages(t.runs.filter((r) => r.itemId === i.id).length);
			noch += 1;
		}
	}
	const npipes = 2, nstages = 3;
	full += pages(npipes) + npipes * (pages(nstages) + 1);
	noch += pages(npipes) + npipes * (pages(nstages) + 1);
	console.log(full, noch);' "$t")
fb_api GET /_sandbox/stats > "$FB_DIR/stats.json"
fb_eq "REST calls of a full sync" "$(jqv 'd.rest_calls' "$FB_DIR/stats.json")" "$full"
fb_eq "GraphQL calls of a full sync" "$(jqv 'd.graphql_calls' "$FB_DIR/stats.json")" 5
fb_eq "token requests" "$(jqv 'd.token_requests' "$FB_DIR/stats.json")" 1

# No change: the runs listings stop at their watermark (one page each);
# GraphQL reads one page from the watermark.
fb_api POST /_sandbox/stats/reset >/dev/null
fb_run_ok "$id"
fb_api GET /_sandbox/stats > "$FB_DIR/stats2.json"
fb_eq "REST calls of a no-change sync" "$(jqv 'd.rest_calls' "$FB_DIR/stats2.json")" "$nochange"
fb_eq "GraphQL calls of a no-change sync" "$(jqv 'd.graphql_calls' "$FB_DIR/stats2.json")" 1
grep -q 'graphql entity=orders round=incremental' "$FB_LOG" || fb_fail "the second GraphQL round was not incremental"
if grep -E '^  [a-z_]+ +[0-9]+ records: [0-9]+ inserted' "$FB_LOG" |
	grep -vE ': 0 inserted, 0 updated,' >&2; then
	fb_fail "the no-change run changed rows (above)"
fi
fb_verify "$id" "$FB_URL" 1

for f in "$FB_DIR"/run.*.log; do
	if grep -F -- "$FB_SECRET" "$f" >/dev/null; then
		fb_fail "the client secret appears in $(basename "$f")"
	fi
	if grep -E 'eyJ0eXAiOiJKV1Qi\.' "$f" >/dev/null; then
		fb_fail "an access token appears in $(basename "$f")"
	fi
done
fb_log "PASS"
