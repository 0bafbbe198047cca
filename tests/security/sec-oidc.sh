#!/bin/bash
# Single sign-on over OpenID Connect (issue 18 item 4, docs/auth.md),
# end to end against a real, certified OpenID Provider: the npm package
# oidc-provider on loopback (tests/sandbox/oidc/server.mjs), driven by
# headless Chromium (playwright-core). A person signs in, gets the role of
# their group claim, and a second sign-in updates the user (changed name
# and group). Then the refusals, each with its own error code: a state
# mismatch, a reused state, a tampered ID token, a wrong audience (ES256),
# an expired token, a replayed nonce, and a key id that is not in the
# JWKS even after fetching it again. Crafted tokens are signed with keys
# the test gave the provider (or a stranger key) and go through the
# daemon's test-only token file; the sign-in flow itself is the
# provider's. Installs chromium, npm, playwright-core and oidc-provider
# (into the build tree, never committed) if missing.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
. "$abs_top_srcdir/tests/harness/browser.sh"
# its own directory (oidc-provider beside playwright-core)
deps=$abs_top_builddir/tests/node-deps-oidc
browser_deps "$deps" playwright-core@1 oidc-provider@9
orch_setup
sed -i 's/^worker_roles = .*/worker_roles = ["server"];/' "$WH_CONF"
# ES modules resolve packages next to the script: run copies in $deps.
for f in server.mjs login.mjs sign.mjs keys.mjs; do
	cp "$abs_top_srcdir/tests/sandbox/oidc/$f" "$deps/oidc-$f"
done
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
# A string field of our own one-line JSON replies, without a python start
# (seconds each on a loaded machine): jstr FILE KEY
jstr() { sed -n 's/.*"'"$2"'":"\([^"]*\)".*/\1/p' "$1"; }

ph tenant add acme >/dev/null
OP_PORT=$(harness_free_port "$WH_DIR")
ISSUER=http://127.0.0.1:$OP_PORT
CLIENT=pulse-test
SECRET=op-client-secret-$(harness_random_hex 8)
node "$deps/oidc-keys.mjs" "$WH_DIR/keys.json" "$WH_DIR/op-keys.json"
accounts() { # accounts NAME GROUPS_JSON: alice's account at the provider
	printf '{"alice": {"email": "Alice@Example.com", "name": "%s", "groups": %s}}\n' "$1" "$2" \
		> "$WH_DIR/accounts.json"
}
accounts "Alice Liddell" '["engineers", "pulse-admins"]'
node "$deps/oidc-server.mjs" "$OP_PORT" "$WH_DIR/op-keys.json" "$WH_DIR/accounts.json" \
	"$CLIENT" "$SECRET" "$ORCH_URL/api/v1/auth/oidc/callback" > "$WH_DIR/op.log" 2>&1 &
echo $! > "$WH_DIR/op.pid"
wh_wait_for 60 "the OpenID Provider to listen" grep -q '^listening' "$WH_DIR/op.log"

# ---- CLI: the secret never on the command line; set, show
wh_expect_fail "$WH_DIR/argv.err" ph auth oidc set --tenant acme --client-secret "$SECRET"
wh_contains "$WH_DIR/argv.err" "never taken from the command line"
printf '%s\n' "$SECRET" | ph auth oidc set --tenant acme --issuer "$ISSUER" --client-id "$CLIENT" \
	--client-secret-stdin --scopes "openid email profile groups" --role-claim groups \
	--role-map "pulse-admins=admin,engineers=user" --default-role none \
	--redirect-base "$ORCH_URL/" --json > "$WH_DIR/set.json"
ph auth oidc show --tenant acme --json > "$WH_DIR/show.json"
[ "$(jget "$WH_DIR/show.json" "(d['client_secret'], d['redirect_uri'], d['role_map']['pulse-admins'])")" = \
	"('<set>', '$ORCH_URL/api/v1/auth/oidc/callback', 'admin')" ] || wh_fail "show: $(cat "$WH_DIR/show.json")"
grep -q "$SECRET" "$WH_DIR/set.json" "$WH_DIR/show.json" && wh_fail "the secret was printed"
[ "$(wh_sql "SELECT count(*) FROM oidc_providers WHERE position(convert_to('$SECRET', 'UTF8') in client_secret) > 0")" = 0 ] ||
	wh_fail "the client secret is stored in clear"

TOKFILE=$WH_DIR/idtoken
PULSE_HOST_TEST_OIDC_ID_TOKEN_FILE=$TOKFILE orch_daemon main "$WH_CONF"
curl -s "$ORCH_URL/api/v1/auth/methods?tenant=acme" > "$WH_DIR/methods.json"
[ "$(cat "$WH_DIR/methods.json")" = '{"password":true,"token":true,"oidc":true}' ] ||
	wh_fail "methods: $(cat "$WH_DIR/methods.json")"
# no tenant, or a name that is no tenant: no SSO, and nothing told
for q in "" "?tenant=nosuch"; do
	curl -s "$ORCH_URL/api/v1/auth/methods$q" > "$WH_DIR/methods.json"
	[ "$(cat "$WH_DIR/methods.json")" = '{"password":true,"token":true,"oidc":false}' ] ||
		wh_fail "methods$q: $(cat "$WH_DIR/methods.json")"
done

browser_login() { # browser_login BETWEEN: alice signs in, BETWEEN runs, she
	# signs in again
	node "$deps/oidc-login.mjs" "$chromium" "$ORCH_URL" acme alice "$WH_DIR/sso" "$1" \
		> "$WH_DIR/login.out" 2>&1 || :
	cat "$WH_DIR/login.out"
	grep -q '^ok$' "$WH_DIR/login.out" || {
		grep -h "AUTH" "$WH_DIR/main.log" | tail -n 20 >&2 || :
		cat "$WH_DIR/op.log" >&2
		wh_fail "browser sign-in failed"
	}
	sed -n 's/^session1 //p' "$WH_DIR/login.out" > "$WH_DIR/session-1.json"
	sed -n 's/^session2 //p' "$WH_DIR/login.out" > "$WH_DIR/session-2.json"
}
user_sql() { echo "SELECT u.id, u.email, u.display_name, u.source, r.role FROM users u JOIN user_roles r ON r.user_id = u.id WHERE u.email = 'alice@example.com'"; }
user_row() { wh_sql "$(user_sql)"; }

# ---- two sign-ins: created just in time (admin from the group claim),
# then updated (between them the provider changes her name and groups)
printf '{"alice": {"email": "alice@example.com", "name": "Alice Pleasance", "groups": ["engineers"]}}\n' \
	> "$WH_DIR/accounts2.json"
browser_login "psql -X -q -At '$WH_ADMIN' -c \"$(user_sql)\" && cp '$WH_DIR/accounts2.json' '$WH_DIR/accounts.json'"
[ "$(jstr "$WH_DIR/session-1.json" email) $(jstr "$WH_DIR/session-1.json" role)" = "alice@example.com admin" ] ||
	wh_fail "session 1: $(cat "$WH_DIR/session-1.json")"
grep -q '^cookie1 {"httpOnly":true,"sameSite":"Lax"}' "$WH_DIR/login.out" || wh_fail "cookie flags"
[ "$(sed -n 's/^between [0-9]*|//p' "$WH_DIR/login.out")" = "alice@example.com|Alice Liddell|oidc|admin" ] ||
	wh_fail "user after sign-in 1: $(sed -n 's/^between //p' "$WH_DIR/login.out")"
[ "$(jstr "$WH_DIR/session-2.json" role)" = user ] || wh_fail "session 2: $(cat "$WH_DIR/session-2.json")"
row2=$(user_row)
[ "$(cut -d'|' -f2- <<<"$row2")" = "alice@example.com|Alice Pleasance|oidc|user" ] ||
	wh_fail "user after sign-in 2: $row2"
[ "$(wh_sql "SELECT count(*) FROM users")" = 1 ] || wh_fail "a second user was made"
[ "$(wh_sql "SELECT count(*) FROM audit_events WHERE action = 'auth.login' AND result = 'ok' AND detail->>'method' = 'oidc'")" = 2 ] ||
	wh_fail "the two sign-ins are not audited once each"

# ---- refusals
pending() { # pending NAME: a sign-in started by curl, its state cookie in
	# NAME.jar; sets STATE_NAME and NONCE_NAME
	local loc
	loc=$(curl -s -c "$WH_DIR/$1.jar" -o /dev/null -w '%{redirect_url}' "$ORCH_URL/api/v1/auth/oidc/login?tenant=acme")
	# state and nonce are base64url (and the tenant's digits): no
	# percent-encoding to undo
	grep -q '[?&]code_challenge_method=S256&\|[?&]code_challenge_method=S256$' <<<"$loc" &&
		grep -Eq '[?&]code_challenge=[A-Za-z0-9_-]{43}(&|$)' <<<"$loc" ||
		wh_fail "no PKCE S256 challenge in $loc"
	printf -v "STATE_$1" '%s' "$(sed -n 's/.*[?&]state=\([0-9A-Za-z._-]*\).*/\1/p' <<<"$loc")"
	printf -v "NONCE_$1" '%s' "$(sed -n 's/.*[?&]nonce=\([0-9A-Za-z_-]*\).*/\1/p' <<<"$loc")"
}
callback() { # callback TOKEN STATE JAR: the status; the reply in resp.json
	printf '%s\n' "$1" > "$TOKFILE"
	curl -s -b "$3" -o "$WH_DIR/resp.json" -w '%{http_code}' \
		"$ORCH_URL/api/v1/auth/oidc/callback?state=$2&code=test-code"
	rm -f "$TOKFILE"
}
refused() { # refused STATUS WANT_STATUS CODE WHAT
	local code
	code=$(jstr "$WH_DIR/resp.json" code)
	[ "$1" = "$2" ] && [ "$code" = "$3" ] || {
		cat "$WH_DIR/resp.json" >&2; echo >&2
		grep -h "AUTH" "$WH_DIR/main.log" | tail -n 10 >&2 || :
		wh_fail "$4: HTTP $1 $code, expected $2 $3"
	}
	echo "refused as expected: $4: $(jstr "$WH_DIR/resp.json" message)"
}

# a state this server never issued (with a matching browser cookie)
bogus=1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
st=$(curl -s -H "Cookie: pulse_oidc=$bogus" -o "$WH_DIR/resp.json" -w '%{http_code}' \
	"$ORCH_URL/api/v1/auth/oidc/callback?state=$bogus&code=x")
refused "$st" 400 state_mismatch "a state never issued"
# one sign-in started for each crafted token, then every token signed by
# one node process (a node start costs seconds on a loaded machine)
for n in good csrf tamper aud exp replay kid; do pending $n; done
now=$(date +%s)
# KID ALG NONCE CLAIM-OVERRIDES TAMPER, one token a line
python3 - "$WH_DIR/keys.json" "$ISSUER" "$CLIENT" > "$WH_DIR/specs.json" <<PY
import json, sys, time
k = json.load(open(sys.argv[1]))
now = int(time.time())
rows = [("ec-1", "ES256", "$NONCE_good", {}, False),
        ("rsa-1", "RS256", "$NONCE_tamper", {}, True),
        ("ec-1", "ES256", "$NONCE_aud", {"aud": "someone-else"}, False),
        ("rsa-1", "RS256", "$NONCE_exp", {"iat": now - 900, "exp": now - 600}, False),
        ("rsa-1", "RS256", "$NONCE_good", {}, False),
        ("stranger", "ES256", "$NONCE_kid", {}, False)]
specs = []
for kid, alg, nonce, over, tamper in rows:
    jwk = k['stranger'] if kid == 'stranger' else [j for j in k['op']['keys'] if j['kid'] == kid][0]
    claims = {'iss': sys.argv[2], 'aud': sys.argv[3], 'sub': 'alice',
              'email': 'alice@example.com', 'name': 'Alice Pleasance',
              'groups': ['engineers'], 'nonce': nonce, 'iat': now, 'exp': now + 300}
    claims.update(over)
    specs.append({'jwk': jwk, 'alg': alg, 'kid': kid, 'claims': claims, 'tamper': tamper})
json.dump(specs, sys.stdout)
PY
node "$deps/oidc-sign.mjs" "$WH_DIR/specs.json" > "$WH_DIR/tokens.txt"
mapfile -t TOK < "$WH_DIR/tokens.txt"
[ "${#TOK[@]}" = 6 ] || wh_fail "sign.mjs made ${#TOK[@]} tokens, not 6"
# a real state, but from another browser (login CSRF): no state cookie
st=$(callback "${TOK[0]}" "$STATE_csrf" /dev/null)
refused "$st" 400 state_mismatch "a state of another browser"
# the positive control of the crafted path: a good ES256 token signs in
st=$(callback "${TOK[0]}" "$STATE_good" "$WH_DIR/good.jar")
[ "$st" = 302 ] || { cat "$WH_DIR/resp.json" >&2; wh_fail "a good crafted ES256 token: HTTP $st"; }
st=$(callback "${TOK[0]}" "$STATE_good" "$WH_DIR/good.jar")
refused "$st" 400 state_used "a reused state"
st=$(callback "${TOK[1]}" "$STATE_tamper" "$WH_DIR/tamper.jar")
refused "$st" 401 bad_signature "a tampered ID token"
st=$(callback "${TOK[2]}" "$STATE_aud" "$WH_DIR/aud.jar")
refused "$st" 401 wrong_audience "a wrong aud"
st=$(callback "${TOK[3]}" "$STATE_exp" "$WH_DIR/exp.jar")
refused "$st" 401 token_expired "an expired ID token"
# the nonce of the completed sign-in "good", in a token for another one
st=$(callback "${TOK[4]}" "$STATE_replay" "$WH_DIR/replay.jar")
refused "$st" 401 nonce_replayed "a replayed nonce"
fetched=$(grep -c 'oidc=jwks_fetched' "$WH_DIR/main.log" || :)
st=$(callback "${TOK[5]}" "$STATE_kid" "$WH_DIR/kid.jar")
refused "$st" 401 unknown_kid "an unknown kid"
[ "$(grep -c 'oidc=jwks_fetched.*refresh=1' "$WH_DIR/main.log")" -ge 1 ] &&
	[ "$(grep -c 'oidc=jwks_fetched' "$WH_DIR/main.log")" = $((fetched + 1)) ] ||
	wh_fail "the JWKS was not fetched again exactly once for the unknown kid"
# every refusal after the state check is audited as a failed sign-in
[ "$(wh_sql "SELECT string_agg(detail->>'reason', ',' ORDER BY id) FROM audit_events WHERE action = 'auth.login' AND result = 'failed'")" = \
	"state_used,bad_signature,wrong_audience,token_expired,nonce_replayed,unknown_kid" ] ||
	wh_fail "failed sign-ins in the audit log: $(wh_sql "SELECT string_agg(detail->>'reason', ',' ORDER BY id) FROM audit_events WHERE result = 'failed'")"
grep -q "$SECRET" "$WH_DIR/main.log" && wh_fail "the client secret is in the daemon's log"
orch_stop main
echo "sec-oidc: ok in $SECONDS s"
