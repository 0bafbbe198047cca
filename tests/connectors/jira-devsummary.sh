#!/bin/bash
# jira-devsummary: where the site has the Development summary field, the
# plugin asks dev-status only for issues whose summary shows pull
# requests (one call each, none for the others) and still loads every
# issue-PR link of the truth. On a site without the field
# (--no-dev-field) it asks for every issue, as before.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"

count_dev_calls() {
	jqv 'd.by_path["GET /rest/dev-status/1.0/issue/detail"] || 0' <(jr_stats)
}

jr_setup jira-devsummary --seed devsum --projects 2 --issues 30
id=$(jr_integration '{}')
jr_run_ok "$id"
jr_verify "$id" '{"metrics": true}'
jr_truth transitions=0 > "$JR_DIR/truth.json"
with_prs=$(jqv 'd.issues.filter(i => i.pullRequests.length > 0).length' "$JR_DIR/truth.json")
all=$(jqv 'd.issues.length' "$JR_DIR/truth.json")
[ "$with_prs" -gt 0 ] && [ "$with_prs" -lt "$all" ] ||
	jr_fail "the sandbox data should have issues with and without pull requests ($with_prs of $all)"
jr_eq "dev-status calls with the Development field (issues with pull requests)" \
	"$(count_dev_calls)" "$with_prs"

# The same site without the field, as a new integration.
kill -TERM "$JR_SANDBOX_PID"
harness_wait_exit "$JR_SANDBOX_PID" 10 || jr_fail "sandbox did not stop"
jr_start_sandbox --seed devsum --projects 2 --issues 30 --no-dev-field
jr_stats_reset
id=$(jr_integration '{}')
jr_run_ok "$id"
jr_verify "$id" '{"metrics": true}'
jr_eq "dev-status calls without the field (every issue)" "$(count_dev_calls)" "$all"
jr_log "PASS"
