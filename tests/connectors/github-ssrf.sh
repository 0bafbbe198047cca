#!/bin/bash
# github-ssrf: an integration whose base_url points at a host that is not
# on http.allow_hosts is refused before anything is sent: plain http, and
# https to a loopback address, both fail the job with a message naming the
# integration, the host, the address and the config key; the sandbox sees
# no request and the token appears nowhere. With the host allowed (the
# tests' usual config), the same integration syncs.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/github-lib.sh"

gh_setup github-ssrf --seed 3 --repos 1 --prs 3 --token ghp_ssrfCanary0123456789

# The same set-up, but the operator allowed no host.
STRICT="$GH_DIR/strict.conf"
grep -v 'allow_hosts' "$GH_CONF" | sed 's/^http = .*$/http = { timeout_seconds = 20; max_retries = 4; };/' > "$STRICT"
if grep -q 'allow_hosts' "$STRICT"; then gh_fail "strict config still allows hosts"; fi

canary=ghp_ssrfCanary0123456789
port=${GH_URL##*:}

# expect_refused ID WHAT STRING...: the job fails naming each STRING.
expect_refused() {
	local id=$1 what=$2 s
	shift 2
	gh_stats_reset
	GH_RUNS=$((GH_RUNS + 1))
	GH_LOG="$GH_DIR/run.$GH_RUNS.log"
	GH_RC=0
	"$B" -c "$STRICT" job run --in-process "$id" >"$GH_LOG" 2>&1 || GH_RC=$?
	[ "$GH_RC" -ne 0 ] || { cat "$GH_LOG" >&2; gh_fail "$what: the job ran"; }
	for s in "$@"; do
		grep -qF -- "$s" "$GH_LOG" || { cat "$GH_LOG" >&2; gh_fail "$what: no \"$s\" in the error"; }
	done
	gh_eq "$what: requests that reached the sandbox" "$(gh_stats | jqv 'd.requests')" 0
	if grep -qF "$canary" "$GH_LOG"; then gh_fail "$what: the token appears in the output"; fi
	gh_eq "$what: job run recorded as" "$(gh_sql "SELECT state || ' ' || coalesce(error_class, '') FROM job_runs WHERE integration_id = $id ORDER BY id DESC LIMIT 1")" "ERROR permanent"
}

id=$(gh_integration '{"org":"acme","tokens":["'"$canary"'"]}')
expect_refused "$id" "plain http to loopback" "integration $id (github)" \
	"https is required" "host 127.0.0.1" "http.allow_hosts"

id2=$(gh_integration '{"org":"acme","tokens":["'"$canary"'"],"base_url":"https://127.0.0.1:'"$port"'"}')
expect_refused "$id2" "https to loopback" "integration $id2 (github)" \
	"host 127.0.0.1 is at address 127.0.0.1, a loopback address" \
	"add \"127.0.0.1\" to http.allow_hosts"

# The operator's allow-list lets the same integration through.
gh_stats_reset
gh_run "$id"
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "job run failed with the host allowed"; }
gh_eq "PRs with the host allowed" "$(gh_sql "SELECT count(*) FROM prs WHERE integration_id = $id")" 3
gh_log "PASS"
