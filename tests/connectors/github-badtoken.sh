#!/bin/bash
# github-badtoken: a rejected token fails the job at once with a message
# naming the integration, the 401 and the command that fixes it; the
# token never appears in the output; the fix works. A configured
# repository that does not exist fails the job naming the repository.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/github-lib.sh"

gh_setup github-badtoken --seed 2 --repos 1 --prs 5

bad="ghp_wrongTokenValue1234567890"
id=$(gh_integration '{"org":"acme","tokens":["'"$bad"'"]}')
gh_stats_reset
gh_run "$id"
[ "$GH_RC" -ne 0 ] || { cat "$GH_LOG" >&2; gh_fail "job run succeeded with a bad token"; }
want="integration $id (github): token rejected (401 Bad credentials); update it with \`pulse-host integration set-secret $id tokens\`"
grep -qF "$want" "$GH_LOG" || { cat "$GH_LOG" >&2; gh_fail "no error \"$want\""; }
gh_log "ok: exit $GH_RC with \"$want\""
if grep -qF "$bad" "$GH_LOG"; then
	gh_fail "the token appears in the job's output"
fi
# Permanent: one request, no retries.
gh_eq "requests sent with the bad token" "$(gh_stats | jqv 'd.unauthorized')" 1
gh_eq "job run recorded as" "$(gh_sql "SELECT state || ' ' || coalesce(error_class, '') FROM job_runs WHERE integration_id = $id ORDER BY id DESC LIMIT 1")" "ERROR permanent"
n=$(gh_sql "SELECT count(*) FROM job_runs WHERE integration_id = $id AND error LIKE '%token rejected (401 Bad credentials)%'")
gh_eq "job_runs.error names the 401" "$n" 1

# The remedy the message names.
printf '%s\n' sandbox-token | "$B" -c "$GH_CONF" integration set-secret "$id" tokens >/dev/null
gh_run "$id"
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "job run failed after set-secret"; }
gh_eq "PRs after the fix" "$(gh_sql "SELECT count(*) FROM prs WHERE integration_id = $id")" 5

# A configured repository that does not exist.
id2=$(gh_integration '{"repos":["acme/no-such-repo"]}')
gh_run "$id2"
[ "$GH_RC" -ne 0 ] || gh_fail "job run succeeded for a missing repository"
grep -qF "repository acme/no-such-repo not found (404)" "$GH_LOG" ||
	{ cat "$GH_LOG" >&2; gh_fail "the error does not name the missing repository"; }
gh_log "PASS"
