#!/bin/bash
# github-ratelimit: rate limits are waited out and the sync completes with
# exact data.
#   1. one token: REST primary limit (403, remaining 0, reset in 3 s), the
#      same as 429, GraphQL RATE_LIMITED and RATE_LIMIT in a 200, and
#      secondary limits with Retry-After (403 and 429). Waits are real: the
#      sandbox's reset times are a few seconds ahead in its own clock, and
#      the host computes them from the sandbox's Date header.
#   2. two tokens, the first exhausted for an hour: the host switches to
#      the second instead of waiting.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/github-lib.sh"

gh_setup github-ratelimit --seed 3 --repos 2 --prs 30 --token tok-one --token tok-two

gh_api POST /_sandbox/faults '[
	{"kind":"primary_limit","api":"rest","path_prefix":"/repos","skip":2,"reset_in":3},
	{"kind":"primary_limit","api":"graphql","skip":1,"reset_in":3},
	{"kind":"secondary_limit","api":"rest","path_prefix":"/repos","skip":3,"retry_after":2},
	{"kind":"primary_limit","api":"graphql","reset_in":2,"graphql_type":"RATE_LIMIT"},
	{"kind":"secondary_limit","api":"rest","path_prefix":"/repos","skip":2,"retry_after":1,"status":429},
	{"kind":"primary_limit","api":"rest","path_prefix":"/repos","skip":2,"reset_in":2,"status":429}
]' >/dev/null
id=$(gh_integration '{"org":"acme","tokens":["tok-one"]}')
t0=$(harness_now)
gh_run "$id"
secs=$(harness_elapsed "$t0")
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "job run exited $GH_RC"; }
gh_verify '{"releases":false}'
stats="$GH_DIR/stats.json"
gh_stats > "$stats"
gh_eq "primary limits served" "$(jqv 'd.faults.primary_limit' "$stats")" 4
gh_eq "secondary limits served" "$(jqv 'd.faults.secondary_limit' "$stats")" 2
gh_eq "faults left" "$(jqv 'd.pending_faults' "$stats")" 0
for w in "waiting for github rate limit reset at 2026-" \
	"waiting for GitHub GraphQL rate limit reset at 2026-" \
	"waiting 2 s for github secondary rate limit (Retry-After)" \
	"waiting 1 s for github secondary rate limit (Retry-After)"; do
	grep -qF "$w" "$GH_LOG" || { cat "$GH_LOG" >&2; gh_fail "no visible wait \"$w\""; }
done
# GraphQL waits go through the plugin's wait_until; REST ones the host's.
n=$(grep -c 'graphql_rate_limited' "$GH_LOG" || true)
gh_eq "GraphQL RATE_LIMITED/RATE_LIMIT seen by the plugin" "$n" 2
# 3 + 3 + 2 + 2 + 1 + 2 s of waits at least (resets are whole seconds).
awk -v s="$secs" 'BEGIN { exit !(s >= 10) }' || gh_fail "run took $secs s: the waits were not waited"
gh_log "ok: run with six limits took $secs s"

# Two tokens, the first exhausted for an hour: rotate, do not wait.
gh_api POST /_sandbox/ratelimit '{"resource":"core","token":"tok-one","remaining":0,"reset_in":3600}' >/dev/null
gh_api POST /_sandbox/ratelimit '{"resource":"graphql","token":"tok-one","remaining":0,"reset_in":3600}' >/dev/null
id2=$(gh_integration '{"repos":["acme/'"$(gh_truth | jqv 'd.repos[0].name')"'"],"tokens":["tok-one","tok-two"]}')
t0=$(harness_now)
gh_run "$id2"
secs=$(harness_elapsed "$t0")
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "two-token run exited $GH_RC"; }
grep -q 'token_rotate' "$GH_LOG" || { cat "$GH_LOG" >&2; gh_fail "no token rotation logged"; }
if grep -q 'waiting for' "$GH_LOG"; then
	cat "$GH_LOG" >&2
	gh_fail "the host waited although the second token had budget"
fi
awk -v s="$secs" 'BEGIN { exit !(s < 60) }' || gh_fail "two-token run took $secs s"
n=$(gh_sql "SELECT count(*) FROM prs WHERE integration_id = $id2")
gh_eq "PRs of the two-token integration" "$n" 30
gh_log "PASS"
