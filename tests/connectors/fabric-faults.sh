#!/bin/bash
# fabric-faults: the Fabric source under faults.
#  - each permanent AADSTS error (7000215, 7000222, 700016, 90002, 70011)
#    fails the job with its remedy, after one token request;
#  - 429 + Retry-After is waited out, a 503 with isRetriable: true is
#    retried, and the sync still equals the truth;
#  - an error with isRetriable: false is not retried: one call, the job
#    fails with Fabric's errorCode;
#  - a GraphQL page with errors[] beside partial data is not stored (only
#    the page before it is), and the next run resumes from the cursor;
#  - kill -9 while GraphQL waits: the next run resumes from the cursor
#    and the warehouse equals the truth;
#  - a token revoked mid-run is renewed once (the host's 401 handling);
#  - a GraphQL call that times out (an idle API's cold start) is retried.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/fabric-lib.sh"

fb_setup fabric-faults --workspaces 2 --items 3 --runs 3 --deploys 3 --rows 20 --page-size 3

# --- each permanent AADSTS error fails the job with its remedy, no retry
id0=$(fb_integration '{}')
for c in '7000215|not its Secret ID' '7000222|create a new client secret' \
	'700016|not the Object ID' '90002|Directory (tenant) ID' '70011|/.default'; do
	code=${c%%|*} remedy=${c#*|}
	fb_api POST /_sandbox/stats/reset >/dev/null
	fb_api POST /_sandbox/faults "{\"kind\": \"aadsts\", \"code\": $code, \"count\": 1}" >/dev/null
	fb_run "$id0"
	[ "$FB_RC" -ne 0 ] || fb_fail "AADSTS$code did not fail the job"
	grep -q "AADSTS$code" "$FB_LOG" && grep -qF -- "$remedy" "$FB_LOG" ||
		{ cat "$FB_LOG" >&2; fb_fail "the AADSTS$code failure does not give its remedy ($remedy)"; }
	! grep -qF -- "$FB_SECRET" "$FB_LOG" || fb_fail "the secret is in the log of the AADSTS$code run"
	[ "$(fb_api GET /_sandbox/stats | jqv 'd.token_requests')" = 1 ] ||
		fb_fail "AADSTS$code, a permanent error, was retried"
	fb_api DELETE /_sandbox/faults >/dev/null
done

# --- 429 + Retry-After, isRetriable: true, a token revoked mid-run
id=$(fb_integration '{}')
fb_api POST /_sandbox/stats/reset >/dev/null
fb_api POST /_sandbox/faults '{"kind": "revoke", "path_contains": "/git/connection", "skip": 1, "count": 1}' >/dev/null
fb_api POST /_sandbox/faults '{"kind": "status", "status": 429, "retry_after": 1, "path_contains": "/items", "count": 1}' >/dev/null
fb_api POST /_sandbox/faults '{"kind": "status", "status": 503, "retriable": true, "retry_after": 1, "path_contains": "/jobs/instances", "count": 1}' >/dev/null
fb_run_ok "$id"
grep -q 'fabric_wait status=429 wait_s=1' "$FB_LOG" || { cat "$FB_LOG" >&2; fb_fail "the 429 was not waited out (Retry-After 1)"; }
grep -q 'fabric_wait status=503' "$FB_LOG" || fb_fail "the retriable 503 was not retried"
fb_eq "token requests (one renewal after the revocation)" "$(fb_api GET /_sandbox/stats | jqv 'd.token_requests')" 2
fb_verify "$id"

# --- isRetriable: false: one call, a failure naming the errorCode
fb_api POST /_sandbox/stats/reset >/dev/null
fb_api POST /_sandbox/faults '{"kind": "status", "status": 400, "retriable": false, "code": "InvalidInput", "path_contains": "/items", "count": 5}' >/dev/null
fb_run "$id"
[ "$FB_RC" -ne 0 ] || fb_fail "a non-retriable error did not fail the job"
grep -q 'InvalidInput' "$FB_LOG" || { cat "$FB_LOG" >&2; fb_fail "the failure does not name the errorCode"; }
fb_eq "items calls with isRetriable false" \
	"$(fb_api GET /_sandbox/stats | jqv 'd.by_path["GET /v1/workspaces/{id}/items"]')" 1
fb_api DELETE /_sandbox/faults >/dev/null

# --- GraphQL errors[] with partial data on the 2nd page
gid=$(fb_integration '{"graphql": true, "graphql_page_size": 4}')
fb_api POST /_sandbox/faults '{"kind": "gql_error", "skip": 1, "count": 1}' >/dev/null
fb_run "$gid"
[ "$FB_RC" -ne 0 ] || { cat "$FB_LOG" >&2; fb_fail "a GraphQL errors[] page did not fail the job"; }
grep -q 'answered with errors beside partial data, so the page was not stored' "$FB_LOG" ||
	{ cat "$FB_LOG" >&2; fb_fail "the failure does not explain the errors[] page"; }
fb_eq "GraphQL pages stored (the first only)" "$(fb_sql "SELECT count(*) FROM raw_extraction_data
	WHERE integration_id = $gid AND entity = 'gql'")" 1
fb_eq "stored GraphQL pages with errors" "$(fb_sql "SELECT count(*) FROM raw_extraction_data
	WHERE integration_id = $gid AND entity = 'gql' AND body::text LIKE '%\"errors\"%'")" 0
fb_api POST /_sandbox/stats/reset >/dev/null
fb_run_ok "$gid"
grep -q 'graphql entity=orders round=full resumed' "$FB_LOG" || { cat "$FB_LOG" >&2; fb_fail "the GraphQL round did not resume"; }
fb_eq "GraphQL calls of the resumed round (4 pages left)" "$(fb_api GET /_sandbox/stats | jqv 'd.graphql_calls')" 4
fb_verify "$gid" "$FB_URL" 1

# --- kill -9 while the 3rd GraphQL page waits out a long Retry-After
kid=$(fb_integration '{"graphql": true, "graphql_page_size": 4}')
fb_api POST /_sandbox/stats/reset >/dev/null
fb_api POST /_sandbox/faults '{"kind": "status", "status": 429, "retry_after": 600, "path_contains": "graphql", "skip": 2, "count": 1}' >/dev/null
"$B" -c "$FB_CONF" job run --in-process "$kid" >"$FB_DIR/killed.log" 2>&1 &
runner=$!
FB_PIDS+=("$runner")
harness_wait_sql 90 "$FB_ADMIN_URL" "SELECT count(*) FROM integration_state
	WHERE integration_id = $kid AND key = 'gql.orders.after'" 1 || fb_fail "no GraphQL cursor was saved"
gql_calls_are() { [ "$(fb_api GET /_sandbox/stats | jqv 'd.graphql_calls')" = "$1" ]; }
harness_wait_for 60 "the job to get the 429 on the third GraphQL page" gql_calls_are 3 ||
	{ cat "$FB_DIR/killed.log" >&2; fb_fail "the job did not reach the 429"; }
kill -KILL "$runner"
wait "$runner" 2>/dev/null || true
fb_eq "GraphQL pages stored before the kill" "$(fb_sql "SELECT count(*) FROM raw_extraction_data
	WHERE integration_id = $kid AND entity = 'gql'")" 2
fb_api DELETE /_sandbox/faults >/dev/null
fb_api POST /_sandbox/stats/reset >/dev/null
fb_run_ok "$kid"
grep -q 'graphql entity=orders round=full resumed' "$FB_LOG" || { cat "$FB_LOG" >&2; fb_fail "the killed GraphQL round did not resume"; }
fb_eq "GraphQL calls after the kill (3 pages left)" "$(fb_api GET /_sandbox/stats | jqv 'd.graphql_calls')" 3
fb_verify "$kid" "$FB_URL" 1

# --- an idle GraphQL API answers its first call late: the timeout is retried
fb_start_sandbox COLD --cold-start-ms 6000 --workspaces 1 --items 1 --runs 1 --deploys 1 --rows 6
cid=$(fb_integration '{"graphql": true, "graphql_page_size": 4, "graphql_timeout_seconds": 3}' t1 "$COLD")
fb_run_ok "$cid"
fb_api "$COLD" GET /_sandbox/stats > "$FB_DIR/cold.json"
fb_eq "cold starts served late" "$(jqv 'd.cold_starts' "$FB_DIR/cold.json")" 1
# 2 pages and at least the timed-out call (a loaded machine may add more)
[ "$(jqv 'd.graphql_calls' "$FB_DIR/cold.json")" -ge 3 ] ||
	fb_fail "the timed-out GraphQL call was not retried ($(jqv 'd.graphql_calls' "$FB_DIR/cold.json") calls)"
fb_verify "$cid" "$COLD" 1
fb_log "PASS"
