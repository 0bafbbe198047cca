#!/bin/bash
# github-incremental: after a full sync, the sandbox adds PRs, merges one,
# adds a review and a deployment; the next sync picks up exactly those. A
# sync with nothing new spends one small GraphQL page per repository and
# conditional REST calls that all come back 304. Finally, a PR merged
# while the watermark says "nothing to page" is still caught by the check
# of the PRs that were OPEN at the last sync.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/github-lib.sh"

gh_setup github-incremental --seed 5 --repos 2 --prs 60
id=$(gh_integration '{"org":"acme"}')
gh_run "$id"
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "first run exited $GH_RC"; }
gh_verify '{"releases":false}'

truth="$GH_DIR/truth0.json"
gh_truth > "$truth"
repo_a=$(jqv 'd.repos[0].name' "$truth")
repo_b=$(jqv 'd.repos[1].name' "$truth")
open_a=$(jqv 'd.repos[0].prs.filter(p => p.state === "OPEN")[0].number' "$truth")
open_b=$(jqv 'd.repos[1].prs.filter(p => p.state === "OPEN")[0].number' "$truth")
gh_api POST /_sandbox/mutate '{"ops":[
	{"op":"add_prs","repo":"'"$repo_a"'","count":2},
	{"op":"merge_pr","repo":"'"$repo_a"'","number":'"$open_a"'},
	{"op":"add_review","repo":"'"$repo_b"'","number":'"$open_b"',"state":"APPROVED"},
	{"op":"add_deployment","repo":"'"$repo_a"'","environment":"production"}]}' >/dev/null

gh_run "$id"
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "second run exited $GH_RC"; }
summary() { sed -n "s/^  $1 \{1,\}[0-9]* records: \([0-9]*\) inserted, \([0-9]*\) updated.*/\1 \2/p" "$GH_LOG"; }
gh_eq "prs inserted/updated" "$(summary prs)" "2 2"
# (merging may turn the PR's last review into APPROVED: an update)
gh_eq "prs_reviews inserted" "$(summary prs_reviews | cut -d' ' -f1)" 1
gh_eq "deployments inserted/updated" "$(summary deployments)" "1 0"
gh_eq "merged PR state" "$(gh_sql "SELECT state FROM prs WHERE repository_external_id = 'acme/$repo_a' AND number = $open_a")" MERGED
gh_verify '{"releases":false}'

# Nothing changed: one GraphQL page per repository, REST all 304.
gh_stats_reset
gh_run "$id"
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "third run exited $GH_RC"; }
stats="$GH_DIR/stats.json"
gh_stats > "$stats"
gh_eq "GraphQL calls of a no-change sync" "$(jqv 'd.graphql' "$stats")" 2
gh_eq "GraphQL points of a no-change sync" "$(jqv 'd.graphql_points' "$stats")" 2
gh_eq "REST calls answered with data" "$(jqv 'd.rest' "$stats")" 0
# the org's repository list, and the deployments of each repository
gh_eq "REST calls answered 304" "$(jqv 'd.rest_304' "$stats")" 3
if grep -E '^  [a-z_]+ +[0-9]+ records: [0-9]+ inserted' "$GH_LOG" |
	grep -vE ': 0 inserted, 0 updated,' >&2; then
	gh_fail "the no-change run changed rows (above)"
fi

# The safety net: merge an open PR of repository B, then touch twelve
# others so the merged one is not on the first (small) page, and move B's
# watermark into the future so paging stops after that page. Only the
# check of PRs that were OPEN at the last sync can see the merge.
open_b2=$(gh_truth "repo=$repo_b" | jqv 'd.repos[0].prs.filter(p => p.state === "OPEN")[0].number')
ops='{"op":"merge_pr","repo":"'"$repo_b"'","number":'"$open_b2"'}'
for n in $(gh_truth "repo=$repo_b" | jqv 'd.repos[0].prs.filter(p => p.number !== '"$open_b2"').slice(0, 12).map(p => p.number).join(" ")'); do
	ops="$ops,{\"op\":\"touch_pr\",\"repo\":\"$repo_b\",\"number\":$n}"
done
gh_api POST /_sandbox/mutate "{\"ops\":[$ops]}" >/dev/null
gh_sql "UPDATE integration_state SET value = '2030-01-01T00:00:00Z'
	WHERE key = 'pr_watermark:acme/$repo_b'" >/dev/null
gh_eq "PR before the run" "$(gh_sql "SELECT state FROM prs WHERE repository_external_id = 'acme/$repo_b' AND number = $open_b2")" OPEN
gh_run "$id"
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "fourth run exited $GH_RC"; }
grep -q "repo=acme/$repo_b prs_pages=1 .* refetched=1" "$GH_LOG" ||
	{ grep GITHUB "$GH_LOG" >&2; gh_fail "the merged PR was not re-fetched"; }
gh_eq "PR merged behind the watermark" "$(gh_sql "SELECT state FROM prs WHERE repository_external_id = 'acme/$repo_b' AND number = $open_b2")" MERGED
gh_log "PASS"
