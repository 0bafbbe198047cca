#!/bin/bash
# fabric-token-expiry: a run that outlives its access token renews it on
# the token's own expires_in, before the resource refuses it.
#  - the sandbox's first token lives 5 s (expires_in: 5; later ones an
#    hour), and the workspace's item listing answers 429 with Retry-After
#    6 s: the run is still going when the first token is due for renewal;
#  - exactly 2 token requests; no call refused for its token (a renewal
#    driven by expires_in, not by a 401); the calls carry token 1, then
#    token 2 only; and the warehouse equals the truth.
# No timing race: the 6 s wait the run must do outlasts the first token's
# renewal time (5 s less a fifth) whatever the load; the second token
# lives an hour, so a slow rest of the run needs no other; the sandbox
# allows 60 s of clock skew, as resources do, so a late call is not
# refused either.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/fabric-lib.sh"

fb_setup fabric-token-expiry --workspaces 1 --items 2 --runs 2 --deploys 2 --rows 1 \
	--token-ttl 5 --short-tokens 1 --token-skew 60
t="$FB_DIR/truth.json"
fb_api GET /_sandbox/truth > "$t"
ws0=$(jqv 'd.workspaces[0].id' "$t")
id=$(fb_integration '{}')
fb_api POST /_sandbox/stats/reset >/dev/null
fb_api POST /_sandbox/faults "{\"kind\": \"status\", \"status\": 429, \"retry_after\": 6,
	\"path_contains\": \"$ws0/items\", \"count\": 1}" >/dev/null
fb_run_ok "$id"
s="$FB_DIR/stats.json"
fb_api GET /_sandbox/stats > "$s"
fb_eq "token requests" "$(jqv 'd.token_requests' "$s")" 2
fb_eq "calls refused for their token" "$(jqv 'd.rejected_tokens' "$s")" 0
fb_eq "the 429 was served" "$(jqv "d.by_path['GET /v1/workspaces/{id}/items']" "$s")" 2
# token 1 first, then token 2 only, and both used
fb_eq "tokens the calls carried, in order" "$(jqv 'd.token_serials.filter((x, i, a) => i === 0 || a[i - 1] !== x).join(",")' "$s")" "1,2"
fb_verify "$id"
fb_log "PASS"
