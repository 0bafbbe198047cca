#!/bin/bash
# Isolation under attack: two tenants with the same texts. Every search as
# A returns only A's points, through the CLI and the API, with crafted
# --table / table= input, and a token of tenant B only ever sees B.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
vx_setup
read -r ta ia < <(vx_tenant alpha)
read -r tb ib < <(vx_tenant beta)
# overlapping texts: the same titles in both tenants, plus one of B's own
for k in 1 2 3 4 5; do
	vx_pr "$ta" "$ia" "PR_$k" acme/api "$k" "Fix flaky login test number $k"
	vx_pr "$tb" "$ib" "PR_$k" beta/api "$k" "Fix flaky login test number $k"
done
vx_pr "$tb" "$ib" PR_SECRET beta/vault 99 "Rotate the production signing keys secretly"
ph vectorize run --tenant alpha > /dev/null
ph vectorize run --tenant beta > /dev/null

only_alpha() { # FILE: every hit is one of alpha's
	jq -e --argjson ia "$ia" '(.hits | length) > 0 and all(.hits[]; (.external_id | startswith("acme/")) and .integration_id == $ia)' "$1" > /dev/null ||
		wh_fail "a search as alpha returned another tenant's points: $(cat "$1")"
}

# CLI
ph search --tenant alpha --json --limit 50 "flaky login test" > "$WH_DIR/c1.json"
only_alpha "$WH_DIR/c1.json"
[ "$(jq '.hits | length' "$WH_DIR/c1.json")" = 5 ] || wh_fail "alpha should see its 5 PRs: $(cat "$WH_DIR/c1.json")"
ph search --tenant alpha --json --limit 50 "rotate production signing keys" > "$WH_DIR/c2.json"
jq -e 'all(.hits[]; .external_id != "beta/vault#99")' "$WH_DIR/c2.json" > /dev/null ||
	wh_fail "alpha found beta's secret PR: $(cat "$WH_DIR/c2.json")"
# beta's integration id through alpha: nothing
ph search --tenant alpha --json --integration "$ib" "flaky login test" > "$WH_DIR/c3.json"
[ "$(jq '.hits | length' "$WH_DIR/c3.json")" = 0 ] || wh_fail "beta's integration via alpha: $(cat "$WH_DIR/c3.json")"
# crafted tables are refused, never passed on
for bad in "prs' OR '1'='1" "prs,tenant_id" "pgvectors" "prs;DROP TABLE prs"; do
	wh_expect_fail "$WH_DIR/c4.err" ph search --tenant alpha --table "$bad" "flaky"
	wh_contains "$WH_DIR/c4.err" "is not a searchable table"
done
ph search --tenant beta --json "rotate production signing keys" > "$WH_DIR/c5.json"
jq -e '.hits[0].external_id == "beta/vault#99"' "$WH_DIR/c5.json" > /dev/null ||
	wh_fail "beta does not find its own PR: $(cat "$WH_DIR/c5.json")"

# API: a daemon, tokens of both tenants
port=$(harness_free_port "$WH_DIR")
cat >> "$WH_CONF" <<CONF
jwt_key_file = "$WH_DIR/jwt.key";
listen = "127.0.0.1:$port";
worker_roles = ["server"];
CONF
api=http://127.0.0.1:$port
# the binary itself, not the ph function: the kill at the end must reach it
"$WH_BIN" -c "$WH_CONF" run > "$WH_DIR/daemon.log" 2>&1 &
dpid=$!
wh_wait_for 30 "the daemon" curl -fsS "$api/healthz"
TA=$(ph token issue --tenant alpha --role view --ttl 1h)
TB=$(ph token issue --tenant beta --role view --ttl 1h)
q() { curl -s -o "$WH_DIR/r.json" -w '%{http_code}' -H "Authorization: Bearer $1" "$api/api/v1/$2"; }
[ "$(q "$TA" 'ai/search?q=flaky+login+test&limit=50')" = 200 ] || wh_fail "API search: $(cat "$WH_DIR/r.json")"
only_alpha "$WH_DIR/r.json"
[ "$(q "$TA" 'ai/search?q=rotate+production+signing+keys&limit=50')" = 200 ] || wh_fail "$(cat "$WH_DIR/r.json")"
jq -e 'all(.hits[]; .external_id != "beta/vault#99")' "$WH_DIR/r.json" > /dev/null ||
	wh_fail "alpha's token found beta's secret PR: $(cat "$WH_DIR/r.json")"
# a tenant parameter is not a thing; the token decides
[ "$(q "$TA" "ai/search?q=rotate+signing+keys&tenant=$tb&tenant_id=$tb")" = 200 ] || wh_fail "$(cat "$WH_DIR/r.json")"
jq -e 'all(.hits[]; .external_id != "beta/vault#99")' "$WH_DIR/r.json" > /dev/null ||
	wh_fail "a tenant parameter crossed tenants: $(cat "$WH_DIR/r.json")"
[ "$(q "$TA" "ai/search?q=flaky&table=prs'%20OR%201=1")" = 400 ] || wh_fail "a crafted table was not refused: $(cat "$WH_DIR/r.json")"
# beta's token sees beta only
[ "$(q "$TB" 'ai/search?q=flaky+login+test&limit=50')" = 200 ] || wh_fail "$(cat "$WH_DIR/r.json")"
jq -e 'all(.hits[]; .external_id | startswith("beta/"))' "$WH_DIR/r.json" > /dev/null ||
	wh_fail "beta's token saw alpha's points: $(cat "$WH_DIR/r.json")"
[ "$(q "" 'ai/search?q=flaky')" = 401 ] || wh_fail "no token: not 401"
[ "$(q "$TA" 'vectorization/queue/summary')" = 200 ] || wh_fail "summary: $(cat "$WH_DIR/r.json")"
jq -e '.completed == 5 and .vectors == 5 and .by_operation.insert.completed == 5' "$WH_DIR/r.json" > /dev/null ||
	wh_fail "alpha's summary counts another tenant: $(cat "$WH_DIR/r.json")"
kill "$dpid"; wait "$dpid" 2>/dev/null || :
echo PASS
