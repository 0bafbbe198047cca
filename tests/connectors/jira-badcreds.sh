#!/bin/bash
# jira-badcreds: a wrong API token (or e-mail) fails the job at once with a
# clear, permanent error naming the 401 and the command that fixes it, and
# a non-zero exit; no issue data is written. After `integration
# set-secret` the same integration syncs.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"

jr_setup jira-badcreds --seed creds --projects 1 --issues 10

id=$(jr_integration '{"api_token": "not-the-token"}')
jr_run "$id"
[ "$JR_RC" -ne 0 ] || { cat "$JR_LOG" >&2; jr_fail "job run with a wrong token exited 0"; }
grep -q "integration $id (jira).*401" "$JR_LOG" ||
	{ cat "$JR_LOG" >&2; jr_fail "the error does not name the integration and the 401"; }
grep -q "pulse-host integration set-secret $id api_token" "$JR_LOG" ||
	{ cat "$JR_LOG" >&2; jr_fail "the error does not say how to fix the token"; }
got=$(jr_sql "SELECT state || ' ' || error_class FROM job_runs WHERE integration_id = $id
	ORDER BY id DESC LIMIT 1")
jr_eq "run state and error class" "$got" "ERROR permanent"
got=$(jr_sql "SELECT count(*) FROM work_items WHERE integration_id = $id")
jr_eq "work items after the failed run" "$got" 0
got=$(jqv 'd.unauthorized' <(jr_stats))
jr_eq "requests refused by the site (no retries of a 401)" "$got" 1

# A wrong e-mail is a 401 as well.
id2=$(jr_integration '{"email": "someone-else@example.com"}')
jr_run "$id2"
[ "$JR_RC" -ne 0 ] && grep -q "401" "$JR_LOG" ||
	{ cat "$JR_LOG" >&2; jr_fail "a wrong e-mail did not fail with 401"; }

# Fixed with set-secret.
printf 'sandbox-token\n' | jr_cli integration set-secret "$id" api_token >/dev/null
jr_run_ok "$id"
jr_verify "$id"
jr_log "PASS"
