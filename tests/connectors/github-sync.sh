#!/bin/bash
# github-sync: a full sync of a sandbox organization loads exactly what the
# sandbox holds (tests/connectors/github-check.js compares every count and
# field, and every child id of sampled PRs, with /_sandbox/truth). Uses the
# GitHub Enterprise URL shape (REST /api/v3, GraphQL /api/graphql),
# releases as deployments and an anchored environment regex. A second run
# changes nothing.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/github-lib.sh"

# 120 PRs per repository: three GraphQL pages, and a few PRs whose commits,
# reviews or comments spill past the first page of their connection.
gh_setup github-sync --seed 11 --repos 3 --prs 120

id=$(gh_integration '{"base_url":"'"$GH_URL"'/api/v3","org":"acme",
	"releases_as_deployments":true,"deployment_environment":"^(prod|production)$"}')
gh_run "$id"
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "job run exited $GH_RC"; }
gh_verify '{"envRegex":"^(prod|production)$","releases":true}'

# Nested connections were paged with node(id:) follow-ups, and GraphQL went
# to the Enterprise endpoint.
n=$(gh_sql "SELECT count(*) FROM raw_extraction_data WHERE entity = 'pull_request_children'")
[ "$n" -gt 0 ] || gh_fail "no follow-up pages for nested connections were stored"
n=$(gh_sql "SELECT count(*) FROM raw_extraction_data WHERE request_url LIKE '%/api/graphql'")
[ "$n" -gt 0 ] || gh_fail "GraphQL was not sent to /api/graphql"
gh_log "ok: follow-ups and the Enterprise GraphQL endpoint were used"

# The warehouse's DORA inputs: production deployments carry their commits.
n=$(gh_sql "SELECT count(*) FROM deployments WHERE is_production AND environment = 'staging'")
gh_eq "staging deployments marked production" "$n" 0

# Run again: nothing is new, so nothing is inserted or updated.
gh_run "$id"
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "second run exited $GH_RC"; }
if grep -E '^  [a-z_]+ +[0-9]+ records: [0-9]+ inserted' "$GH_LOG" |
	grep -vE ': 0 inserted, 0 updated,' >&2; then
	gh_fail "the second run changed rows (above)"
fi
gh_verify '{"envRegex":"^(prod|production)$","releases":true}'
gh_log "PASS"
