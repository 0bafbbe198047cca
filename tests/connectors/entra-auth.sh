#!/bin/bash
# entra-auth: the host's token service seen from a sync.
#  - a token revoked mid-run (401): one new token, one retry, the run ends
#    well;
#  - the identity platform's permanent refusals give their remedy and fail
#    the run without retries: a wrong secret (AADSTS7000215), an expired
#    one (7000222), an unknown app (700016), an unknown tenant (90002);
#  - none of them puts the secret in the log.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/entra-lib.sh"

en_setup entra-auth --users 20 --groups 3 --big-group 10 --page-size 5

id=$(en_integration '{}')
en_api POST /_sandbox/faults '{"kind": "revoke", "count": 1, "path_prefix": "/v1.0/groups/delta"}' >/dev/null
en_api POST /_sandbox/stats/reset >/dev/null
en_run_ok "$id"
en_verify "$id"
en_eq "token requests (first + after the 401)" "$(en_api GET /_sandbox/stats | jqv 'd.token_requests')" 2

# expect_refusal NAME SETTINGS_JSON TEXT...: a new integration's run fails
# with each TEXT in its log.
expect_refusal() {
	local what=$1 json=$2 i
	shift 2
	i=$(en_integration "$json")
	en_run "$i"
	[ "$EN_RC" -ne 0 ] || grep -q 'failed' "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "$what: the run did not fail"; }
	for t in "$@"; do
		grep -qF -- "$t" "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "$what: no '$t' in the log"; }
	done
	if grep -qF -- "$EN_SECRET" "$EN_LOG"; then en_fail "$what: the secret is in the log"; fi
	en_log "ok: $what"
}
expect_refusal "wrong secret" '{"client_secret": "aaaaaaaa-0000-4000-8000-0000000000ee"}' \
	AADSTS7000215 "not its Secret ID" "set-secret"
en_api POST /_sandbox/faults '{"kind": "aadsts", "code": 7000222, "count": 1}' >/dev/null
expect_refusal "expired secret" '{}' AADSTS7000222 "has expired" "create a new client secret"
expect_refusal "unknown app" '{"client_id": "deadbeef-0000-4000-8000-000000000000"}' \
	AADSTS700016 "not the Object ID"
expect_refusal "unknown tenant" '{"tenant": "00000000-1111-4000-8000-000000000000"}' \
	AADSTS90002 "Directory (tenant) ID"
# No Graph call was made with a refused token request.
n=$(en_api GET /_sandbox/stats | jqv 'd.token_requests')
[ "$n" -ge 6 ] || en_fail "only $n token requests"
en_log "PASS"
