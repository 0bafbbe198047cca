#!/bin/bash
# github-truncated: cut and broken responses are retried and never stored.
# The sandbox truncates GraphQL and REST bodies (full Content-Length, socket
# closed half-way), sends syntactically broken JSON, closes connections
# without an answer and answers 502/500. The sync completes, every raw row
# is a whole page (exactly one per good response), and the warehouse
# matches the sandbox's truth.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/github-lib.sh"

gh_setup github-truncated --seed 9 --repos 2 --prs 60

gh_api POST /_sandbox/faults '[
	{"kind":"truncate","api":"graphql","count":2},
	{"kind":"truncate","api":"rest","path_prefix":"/orgs"},
	{"kind":"invalid_json","api":"rest","path_prefix":"/repos","skip":3,"count":2},
	{"kind":"truncate","api":"rest","path_prefix":"/repos","skip":4},
	{"kind":"close","api":"graphql","skip":1},
	{"kind":"status","status":502,"api":"graphql","skip":1},
	{"kind":"status","status":500,"api":"rest","path_prefix":"/repos","skip":5}
]' >/dev/null
id=$(gh_integration '{"org":"acme"}')
gh_run "$id"
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "job run exited $GH_RC"; }
gh_verify '{"releases":false}'

stats="$GH_DIR/stats.json"
gh_stats > "$stats"
gh_eq "faults left" "$(jqv 'd.pending_faults' "$stats")" 0
gh_eq "truncated responses served" "$(jqv 'd.faults.truncate' "$stats")" 4
gh_eq "broken-JSON responses served" "$(jqv 'd.faults.invalid_json' "$stats")" 2
# Eight faults answer something (cut, broken, 5xx) and each costs one
# host retry; a connection closed without an answer is retried by libcurl
# itself when it was a reused keep-alive connection, else by the host.
retries=$(grep -c 'level=info retry integration=' "$GH_LOG" || true)
[ "$retries" -ge 8 ] && [ "$retries" -le 9 ] || gh_fail "host retries: got $retries, want 8 or 9"
gh_log "ok: $retries retries"

# One raw row per good response: the faulty 200s (cut, broken) were not
# stored, nothing was stored twice.
good=$(jqv 'd.rest + d.graphql - d.faults.truncate - d.faults.invalid_json' "$stats")
gh_eq "raw rows" "$(gh_sql "SELECT count(*) FROM raw_extraction_data")" "$good"
gh_eq "PR pages without data" "$(gh_sql "SELECT count(*) FROM raw_extraction_data
	WHERE entity = 'pull_requests' AND body #> '{data,repository,pullRequests,nodes}' IS NULL")" 0
gh_eq "raw rows not completed" "$(gh_sql "SELECT count(*) FROM raw_extraction_data WHERE status <> 'completed'")" 0
gh_log "PASS"
