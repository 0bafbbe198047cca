#!/bin/bash
# Users, password sign-in, sessions and the audit log (issue 18,
# docs/auth.md), against a real daemon: CLI user commands (passwords from
# stdin only, weak ones refused), login success and failure, lock-out and
# its expiry (short configured lock-out), cookie flags and the stored hash,
# CSRF refused, idle and absolute expiry (short configured lifetimes),
# logout and disabling a user (API and CLI) closing that user's viewer,
# tenant A's admin unable to see or change tenant B's users, machine
# tokens listed and revoked, each audited action recorded once, and the
# app role unable to update or delete audit rows.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
sed -i 's/^worker_roles = .*/worker_roles = ["server"];/' "$WH_CONF"
cat >> "$WH_CONF" <<'CONF'
auth = { lockout_attempts = 3; lockout_seconds = 15; lockout_window_seconds = 600;
         address_attempts = 1000;
         viewer_recheck_seconds = 1; argon2_iterations = 1;
         argon2_memory_kib = 8192; min_password_length = 12; };
CONF
ph tenant add acme >/dev/null
ph tenant add other >/dev/null
PW='plum-kettle-orbit-9'
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# ---- CLI: add, refuse weak or argv passwords, list
printf '%s\n' "$PW" | ph user add --tenant acme --email Alice@Example.com --role admin --password-stdin --json > "$WH_DIR/add.json"
ALICE=$(jget "$WH_DIR/add.json" "d['id']")
wh_expect_fail "$WH_DIR/weak.err" sh -c "printf 'password1234\n' | '$WH_BIN' -c '$WH_CONF' user add --tenant acme --email weak@example.com --role view --password-stdin"
wh_contains "$WH_DIR/weak.err" "most common passwords"
wh_expect_fail "$WH_DIR/short.err" sh -c "printf 'short\n' | '$WH_BIN' -c '$WH_CONF' user add --tenant acme --email weak@example.com --role view --password-stdin"
wh_contains "$WH_DIR/short.err" "at least 12 are required"
wh_expect_fail "$WH_DIR/argv.err" ph user add --tenant acme --email x@example.com --role view --password "$PW"
wh_contains "$WH_DIR/argv.err" "never taken from the command line"
printf '%s\n' "$PW-carol" | ph user add --tenant other --email carol@example.com --role admin --password-stdin >/dev/null
ph user list --tenant acme --json > "$WH_DIR/list.json"
[ "$(jget "$WH_DIR/list.json" "[(u['email'], u['role'], u['has_password']) for u in d]")" = "[('alice@example.com', 'admin', True)]" ] ||
	wh_fail "user list: $(cat "$WH_DIR/list.json")"
# the password is never stored, only its Argon2id hash
wh_sql "SELECT password_hash FROM users WHERE id = $ALICE" | grep -q '^\$argon2id\$v=19\$m=8192,t=1,p=1\$' ||
	wh_fail "password_hash is not an argon2id PHC string"
[ "$(wh_sql "SELECT count(*) FROM users WHERE password_hash LIKE '%$PW%'")" = 0 ] || wh_fail "password stored in clear"

orch_daemon main "$WH_CONF"

login() { # login JAR EMAIL PASSWORD [TENANT]: prints the status
	local body
	body=$(python3 -c 'import json,sys; d={"email":sys.argv[1],"password":sys.argv[2]}
if len(sys.argv) > 3: d["tenant"]=sys.argv[3]
print(json.dumps(d))' "${@:2}")
	curl -s -c "$1" -D "$WH_DIR/login.hdr" -o "$WH_DIR/resp.json" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data-binary "$body" "$ORCH_URL/api/v1/auth/login"
}
cookie_of() { awk '$6 == "pulse_session" { print $7 }' "$1"; }
capi() { # capi JAR METHOD PATH [CSRF] [BODY]: with the cookie; prints the status
	# The cookie goes as a header, not through curl's jar: the jar drops it
	# at its Max-Age, racing the server's own absolute-expiry answer.
	local c args=(-s -o "$WH_DIR/resp.json" -w '%{http_code}' -X "$2")
	c=$(cookie_of "$1")
	[ -z "$c" ] || args+=(-H "Cookie: pulse_session=$c")
	[ -z "${4:-}" ] || args+=(-H "X-CSRF-Token: $4")
	[ -z "${5:-}" ] || args+=(-H 'Content-Type: application/json' --data-binary "$5")
	curl "${args[@]}" "$ORCH_URL$3"
}
viewer() { # viewer NAME TOKEN: a /ws/progress client; "close CODE REASON" goes to NAME.events
	local i
	orch_node "$abs_top_srcdir/tests/daemon/sec-ws-client.mjs" \
		"ws://${ORCH_URL#http://}/ws/progress?token=$2" "" "$WH_DIR/$1.events" 60 \
		> "$WH_DIR/$1.ws.out" 2>&1 &
	for i in $(seq 100); do
		grep -q '^open' "$WH_DIR/$1.ws.out" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$WH_DIR/$1.ws.out" >&2
	wh_fail "viewer $1 did not connect"
}
expect() { [ "$1" = "$2" ] || { cat "$WH_DIR/resp.json" >&2; echo >&2; grep -h "AUTH\|AUDIT\|level=error" "$WH_DIR"/main.log | tail -n 20 >&2 || :; wh_fail "$3: HTTP $1, expected $2"; }; }

# ---- login: success, cookie flags, stored hashed, CSRF
expect "$(login "$WH_DIR/a.jar" alice@example.com "$PW")" 200 "alice login"
grep -i '^set-cookie: pulse_session=' "$WH_DIR/login.hdr" > "$WH_DIR/setcookie" || wh_fail "no session cookie"
for flag in HttpOnly SameSite=Lax Path=/; do
	grep -q "; $flag" "$WH_DIR/setcookie" || wh_fail "cookie lacks $flag: $(cat "$WH_DIR/setcookie")"
done
grep -qi '; Secure' "$WH_DIR/setcookie" && wh_fail "Secure set on a plain-http daemon without auth.cookie_secure"
CSRF=$(jget "$WH_DIR/resp.json" "d['csrf_token']")
[ "$(jget "$WH_DIR/resp.json" "d['role']")" = admin ] || wh_fail "login role: $(cat "$WH_DIR/resp.json")"
SA=$(cookie_of "$WH_DIR/a.jar")
[ -n "$SA" ] || wh_fail "cookie jar has no pulse_session"
[ "$(wh_sql "SELECT encode(token_hash, 'hex') FROM sessions ORDER BY id DESC LIMIT 1")" = "$(printf '%s' "$SA" | sha256sum | cut -d' ' -f1)" ] ||
	wh_fail "the session is not stored as SHA-256 of the cookie"
expect "$(capi "$WH_DIR/a.jar" GET /api/v1/jobs)" 200 "GET with the cookie"
expect "$(orch_api GET /api/v1/users "$SA")" 200 "the session value as a bearer token"
expect "$(capi "$WH_DIR/a.jar" POST /api/v1/users "" '{"email":"bob@example.com","role":"view","password":"'"$PW"'-bob"}')" 403 "POST without CSRF"
wh_contains "$WH_DIR/resp.json" '"code":"csrf"'
expect "$(capi "$WH_DIR/a.jar" POST /api/v1/users wrong-token '{"email":"bob@example.com","role":"view","password":"'"$PW"'-bob"}')" 403 "POST with a wrong CSRF token"
expect "$(capi "$WH_DIR/a.jar" POST /api/v1/users "$CSRF" '{"email":"bob@example.com","role":"view","password":"'"$PW"'-bob"}')" 201 "POST with CSRF"
BOB=$(jget "$WH_DIR/resp.json" "d['id']")
expect "$(capi "$WH_DIR/a.jar" POST /api/v1/users "$CSRF" '{"email":"weak@example.com","role":"view","password":"qwertyuiop123"}')" 400 "weak password over the API"

# ---- failures, lock-out and its expiry
expect "$(login "$WH_DIR/x.jar" alice@example.com wrong-password-1)" 401 "wrong password"
wh_contains "$WH_DIR/resp.json" "wrong email or password"
expect "$(login "$WH_DIR/x.jar" nobody@example.com "$PW")" 401 "unknown account"
wh_contains "$WH_DIR/resp.json" "wrong email or password"
expect "$(login "$WH_DIR/x.jar" alice@example.com wrong-password-2)" 401 "second wrong password"
expect "$(login "$WH_DIR/x.jar" alice@example.com wrong-password-3)" 429 "third wrong password locks"
expect "$(login "$WH_DIR/x.jar" alice@example.com "$PW")" 429 "right password while locked"
left=$(jget "$WH_DIR/resp.json" "d['error']['retry_after']")
[ "$left" -ge 1 ] && [ "$left" -le 15 ] || wh_fail "retry_after $left not within the 15 s lock-out"
wh_contains "$WH_DIR/resp.json" "try again in $left s"
sleep $((left + 1)) # the lock-out ends then (retry_after is whole seconds), not later
expect "$(login "$WH_DIR/x.jar" alice@example.com "$PW")" 200 "login once the lock-out is over"

# ---- roles and tenants
expect "$(login "$WH_DIR/b.jar" bob@example.com "$PW-bob")" 200 "bob login"
expect "$(capi "$WH_DIR/b.jar" GET /api/v1/users)" 403 "a view user lists users"
expect "$(login "$WH_DIR/c.jar" carol@example.com "$PW-carol")" 200 "carol (tenant other) login"
CC=$(jget "$WH_DIR/resp.json" "d['csrf_token']")
expect "$(capi "$WH_DIR/c.jar" GET /api/v1/users)" 200 "carol lists"
[ "$(jget "$WH_DIR/resp.json" "[u['email'] for u in d['users']]")" = "['carol@example.com']" ] ||
	wh_fail "tenant other's admin sees: $(cat "$WH_DIR/resp.json")"
expect "$(capi "$WH_DIR/c.jar" PATCH "/api/v1/users/$ALICE" "$CC" '{"status":"disabled"}')" 404 "carol disables acme's alice"
expect "$(capi "$WH_DIR/c.jar" PATCH "/api/v1/users/$BOB" "$CC" '{"role":"admin"}')" 404 "carol promotes acme's bob"
OTHER=$(orch_token other admin)
expect "$(orch_api GET /api/v1/users "$OTHER")" 200 "other's token lists"
grep -q alice "$WH_DIR/resp.json" && wh_fail "tenant other's token sees acme's users"
[ "$(wh_sql "SELECT status || '/' || (SELECT role FROM user_roles WHERE user_id = $BOB) FROM users WHERE id = $BOB")" = active/view ] ||
	wh_fail "bob changed by another tenant"

# ---- disabling bob (API) closes his viewer and revokes his session
SB=$(cookie_of "$WH_DIR/b.jar")
viewer bob "$SB"
expect "$(capi "$WH_DIR/a.jar" PATCH "/api/v1/users/$BOB" "$CSRF" '{"status":"disabled"}')" 200 "alice disables bob"
[ "$(jget "$WH_DIR/resp.json" "d['sessions_revoked']")" = 1 ] || wh_fail "disable: $(cat "$WH_DIR/resp.json")"
closed() { grep -q "^close 1008 " "$WH_DIR/$1.events" 2>/dev/null; }
wh_wait_for 15 "bob's viewer to close" closed bob
expect "$(capi "$WH_DIR/b.jar" GET /api/v1/jobs)" 401 "bob's cookie after disable"
wh_contains "$WH_DIR/resp.json" "revoked (user disabled)"
expect "$(login "$WH_DIR/b.jar" bob@example.com "$PW-bob")" 403 "a disabled user signs in"

# ---- disabling through the CLI closes the viewer within viewer_recheck_seconds
ph user enable --tenant acme --email bob@example.com >/dev/null
expect "$(login "$WH_DIR/b.jar" bob@example.com "$PW-bob")" 200 "bob again"
viewer bob2 "$(cookie_of "$WH_DIR/b.jar")"
ph user disable --tenant acme --email bob@example.com --json > "$WH_DIR/dis.json"
[ "$(jget "$WH_DIR/dis.json" "d['sessions_revoked']")" = 1 ] || wh_fail "cli disable: $(cat "$WH_DIR/dis.json")"
wh_wait_for 10 "bob's viewer to close after the CLI disable" closed bob2

# ---- logout closes the session's viewer
expect "$(login "$WH_DIR/a2.jar" alice@example.com "$PW")" 200 "alice second session"
C2=$(jget "$WH_DIR/resp.json" "d['csrf_token']")
viewer alice2 "$(cookie_of "$WH_DIR/a2.jar")"
expect "$(capi "$WH_DIR/a2.jar" POST /api/v1/auth/logout)" 403 "logout without CSRF"
expect "$(capi "$WH_DIR/a2.jar" POST /api/v1/auth/logout "$C2")" 200 "logout"
wh_wait_for 15 "the signed-out viewer to close" closed alice2
expect "$(capi "$WH_DIR/a2.jar" GET /api/v1/jobs)" 401 "cookie after logout"
wh_contains "$WH_DIR/resp.json" "signed out"
expect "$(capi "$WH_DIR/a.jar" GET /api/v1/jobs)" 200 "alice's first session survives the other's logout"

# ---- machine tokens: listed by id, revoked
TOK=$(orch_token acme user)
ph token list --tenant acme --json > "$WH_DIR/tokens.json"
TID=$(jget "$WH_DIR/tokens.json" "[t['id'] for t in d if t['role'] == 'user'][0]")
grep -q "$TOK" "$WH_DIR/tokens.json" && wh_fail "token list prints the token"
expect "$(orch_api GET /api/v1/jobs "$TOK")" 200 "a recorded token"
ph token revoke --tenant acme "$TID" >/dev/null
expect "$(orch_api GET /api/v1/jobs "$TOK")" 401 "a revoked token"
wh_contains "$WH_DIR/resp.json" "was revoked"
[ "$(ph token list --tenant acme --json | python3 -c "import json,sys; print([t['state'] for t in json.load(sys.stdin) if t['id'] == $TID][0])")" = revoked ] ||
	wh_fail "token list does not show the revocation"

# ---- job control through the API is audited
I1=$(orch_add acme s1 sandbox '{"repos":1,"prs_per_repo":1,"page_size":5}')
J1=$(orch_job "$I1")
ADMIN=$(orch_token acme admin)
expect "$(orch_api POST "/api/v1/jobs/$J1/start" "$ADMIN")" 200 "job start"

# ---- the audit log: each action once; append-only for the app role
ph audit --tenant acme --json > "$WH_DIR/audit.json"
count() { jget "$WH_DIR/audit.json" "len([e for e in d if $1])"; }
[ "$(count "e['action'] == 'user.add' and e['target'] == 'user:$BOB'")" = 1 ] || wh_fail "user.add of bob not recorded once"
[ "$(count "e['action'] == 'user.add' and e['target'] == 'user:$ALICE' and e['actor'].startswith('cli:')")" = 1 ] || wh_fail "CLI user.add not recorded once"
[ "$(count "e['action'] == 'user.disable' and e['target'] == 'user:$BOB'")" = 2 ] || wh_fail "two disables of bob not recorded"
[ "$(count "e['action'] == 'user.enable'")" = 1 ] || wh_fail "enable not recorded once"
[ "$(count "e['action'] == 'auth.lockout'")" = 1 ] || wh_fail "lock-out not recorded once"
[ "$(count "e['action'] == 'auth.login' and e['result'] == 'failed' and e['target'] == 'user:$ALICE'")" = 3 ] || wh_fail "alice's 3 failures not recorded"
[ "$(count "e['action'] == 'auth.login' and e['result'] == 'locked'")" = 1 ] || wh_fail "the attempt while locked not recorded once"
[ "$(count "e['action'] == 'auth.logout'")" = 1 ] || wh_fail "logout not recorded once"
[ "$(count "e['action'] == 'token.issue'")" = 2 ] || wh_fail "acme's 2 token issues not recorded"
[ "$(count "e['action'] == 'token.revoke' and e['target'] == 'token:$TID'")" = 1 ] || wh_fail "token revoke not recorded once"
[ "$(count "e['action'] == 'job.start' and e['target'] == 'job:$J1'")" = 1 ] || wh_fail "job start not recorded once"
grep -q "$PW" "$WH_DIR/audit.json" && wh_fail "a password reached the audit log"
[ "$(ph audit --tenant other --json | python3 -c "import json,sys; print(sorted({e['actor'] for e in json.load(sys.stdin)}))")" = "['cli', 'cli:$(id -un)', 'user:carol@example.com']" ] ||
	wh_fail "tenant other's audit log holds others' events"
expect "$(capi "$WH_DIR/a.jar" GET "/api/v1/audit?since=2000-01-01")" 200 "GET /audit"
[ "$(jget "$WH_DIR/resp.json" "len(d['events'])")" = "$(jget "$WH_DIR/audit.json" "len(d)")" ] || wh_fail "API and CLI audit logs differ"
expect "$(capi "$WH_DIR/a.jar" GET "/api/v1/audit?since=yesterday-ish")" 400 "a bad since"
wh_expect_fail "$WH_DIR/upd.err" wh_app_sql "UPDATE audit_events SET action = 'x'"
wh_contains "$WH_DIR/upd.err" "permission denied"
wh_expect_fail "$WH_DIR/del.err" wh_app_sql "DELETE FROM audit_events"
wh_contains "$WH_DIR/del.err" "permission denied"
wh_expect_fail "$WH_DIR/own.err" wh_sql "UPDATE audit_events SET action = 'x'"
wh_contains "$WH_DIR/own.err" "append-only"
orch_stop main

# ---- idle and absolute lifetimes (short, from the config)
# idle 4 s and absolute 8 s: far enough apart that a slow request on a
# loaded machine does not end the busy session by idling
sed -i 's/^auth = { /auth = { session_idle_seconds = 4; session_absolute_seconds = 8; /' "$WH_CONF"
orch_daemon main "$WH_CONF"
expect "$(login "$WH_DIR/i.jar" alice@example.com "$PW")" 200 "login (idle test)"
expect "$(capi "$WH_DIR/i.jar" GET /api/v1/jobs)" 200 "fresh session"
idle_gone() { [ "$(capi "$WH_DIR/i.jar" GET /api/v1/jobs)" = 401 ]; }
sleep 5 # one idle period (4 s) without a request
idle_gone || wh_fail "session still valid after 5 s idle: $(cat "$WH_DIR/resp.json")"
wh_contains "$WH_DIR/resp.json" "idle"
expect "$(login "$WH_DIR/t.jar" alice@example.com "$PW")" 200 "login (absolute test)"
busy() { # a request every 0.5 s keeps it from idling; ends at the absolute limit
	[ "$(capi "$WH_DIR/t.jar" GET /api/v1/jobs)" = 401 ] && return 0
	sleep 0.5; return 1
}
wh_wait_for 20 "the absolute lifetime to end a busy session" busy
wh_contains "$WH_DIR/resp.json" "absolute"
echo "PASS: users, password sign-in, lock-out, cookies, CSRF, viewers closed, tenants, tokens, audit, lifetimes"
