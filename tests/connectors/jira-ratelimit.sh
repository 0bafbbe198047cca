#!/bin/bash
# jira-ratelimit: Jira's 429 with Retry-After is waited out by the host
# (two of them on the issue search: at least 4 s, and the sync completes
# with everything), and a site that enforces a burst limit (the sandbox's
# token bucket) shows X-RateLimit-NearLimit in the job's step and log and
# still ends with the complete data.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"

jr_setup jira-ratelimit --seed rate --projects 1 --issues 30

id=$(jr_integration '{}')
jr_api POST /_sandbox/faults '{"kind": "rate_limit", "retry_after": 2, "count": 2,
	"path_prefix": "/rest/api/3/search/jql"}' >/dev/null
t0=$(harness_now)
jr_run_ok "$id"
secs=$(harness_elapsed "$t0")
jr_verify "$id"
got=$(jqv 'd.rate_limited' <(jr_stats))
jr_eq "429 answers" "$got" 2
waits=$(grep -c '\[HTTP\].* wait .*Retry-After' "$JR_LOG" || true)
[ "$waits" -ge 2 ] || { cat "$JR_LOG" >&2; jr_fail "the Retry-After waits were not visible ($waits)"; }
awk -v s="$secs" 'BEGIN { exit !(s >= 4) }' || jr_fail "the run took $secs s; two Retry-After: 2 need 4 s"
jr_log "ok: two Retry-After waits, run took $secs s"

# A burst limit of 15 requests a second: NearLimit shows, 429s are waited.
# Without the Development field every issue costs a dev-status call, which
# makes the burst that reaches the limit.
kill -TERM "$JR_SANDBOX_PID"
harness_wait_exit "$JR_SANDBOX_PID" 10 || jr_fail "sandbox did not stop"
jr_start_sandbox --seed rate --projects 1 --issues 30 --rate-limit 15 --no-dev-field
id=$(jr_integration '{}')
jr_run_ok "$id"
jr_verify "$id"
grep -q '\[JIRA\].*rate_limit_near remaining=' "$JR_LOG" ||
	{ cat "$JR_LOG" >&2; jr_fail "X-RateLimit-NearLimit was not reported"; }
grep -q 'Jira rate limit nearly reached' "$JR_LOG" ||
	{ cat "$JR_LOG" >&2; jr_fail "X-RateLimit-NearLimit did not become the job's step"; }
got=$(jqv 'd.rate_limited' <(jr_stats))
jr_log "ok: NearLimit reported; $got requests answered 429 and waited out"
jr_log "PASS"
