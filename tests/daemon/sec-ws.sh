#!/bin/bash
# Hardening of the daemon's WebSocket and token handling (issue 11):
#  1. {"subscribe":[null]} and other malformed client messages are
#     answered with an error event; the daemon stays up and the viewer's
#     connection keeps working.
#  4. SIGHUP with a replaced jwt_key_file: old tokens are refused (REST and
#     the open viewer, closed with a reason), new ones accepted; a viewer
#     whose token expires is closed with "token expired".
#  9. A token of a removed tenant is refused.
# 13. SIGHUP with an empty config file is refused; the old one stays.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
sed -i 's/^worker_roles = .*/worker_roles = ["server"];/' "$WH_CONF"
ph tenant add acme >/dev/null
ph tenant add gone >/dev/null
orch_daemon main "$WH_CONF"
PID=$(cat "$WH_DIR/main.pid")
WS="ws://${ORCH_URL#http://}/ws/progress?token="

# sec_ws NAME TOKEN MESSAGE [SECONDS]: a viewer that sends MESSAGE; its
# replies (and the close) go to $WH_DIR/NAME.out.
sec_ws() {
	local i
	orch_node "$abs_top_srcdir/tests/daemon/sec-ws-client.mjs" "$WS$2" "$3" \
		"$WH_DIR/$1.out" "${4:-60}" > "$WH_DIR/$1.ws.out" 2>&1 &
	echo $! > "$WH_DIR/$1.ws.pid"
	for i in $(seq 100); do
		grep -q '^open' "$WH_DIR/$1.ws.out" 2>/dev/null && return 0
		grep -q "^refused" "$WH_DIR/$1.ws.out" 2>/dev/null && { orch_dump; wh_fail "viewer $1 refused"; }
		sleep 0.1
	done
	orch_dump
	wh_fail "viewer $1 did not connect: $(cat "$WH_DIR/$1.ws.out")"
}
# sec_wait_line FILE PATTERN SECONDS: until FILE has a line matching.
sec_wait_line() {
	local end=$(( SECONDS + $3 ))
	while [ "$SECONDS" -le "$end" ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	orch_dump
	wh_fail "no line '$2' in $1 after $3 s: $(cat "$1" 2>/dev/null)"
}

# ---- 1. malformed client messages: error reply, daemon alive
VIEW=$(orch_token acme view)
i=0
for m in '{"subscribe":[null]}' '{"subscribe":[7,{}]}' '{"subscribe":null}' \
	 '[null]' 'not json' '{"subscribe":["job:1"],"subscribe":[null]}'; do
	i=$((i + 1))
	sec_ws "bad$i" "$VIEW" "$m" 5
	sec_wait_line "$WH_DIR/bad$i.out" '"event":"error"' 10
	harness_alive "$PID" || { cat "$WH_DIR/main.log" >&2; wh_fail "daemon died on $m"; }
	orch_ws_stop "bad$i"
done
wh_contains "$WH_DIR/bad1.out" 'subscribe[0] is null'
orch_expect 200 GET /healthz ""
# the connection survives a bad message: a good one after it works
sec_ws good "$VIEW" '{"subscribe":[null]}' 30
sec_wait_line "$WH_DIR/good.out" '"event":"error"' 10
orch_ws_stop good

# ---- 9. a token of a tenant that has been removed
GONE=$(orch_token gone view)
orch_expect 200 GET /api/v1/jobs "$GONE"
wh_sql "DELETE FROM tenants WHERE name = 'gone'" >/dev/null
orch_expect 401 GET /api/v1/jobs "$GONE"
wh_contains "$WH_DIR/resp.json" "does not exist"

# ---- 4. a viewer whose token expires is closed, saying why
SHORT=$(orch_token acme view 10s) # time for node to start under load
sec_ws short "$SHORT" "" 30
sec_wait_line "$WH_DIR/short.out" "^close 1008 token expired" 25

# ---- 4. SIGHUP with a new jwt_key_file revokes the old tokens
OLD=$(orch_token acme view)
orch_expect 200 GET /api/v1/jobs "$OLD"
sec_ws old "$OLD" "" 60
mv "$WH_DIR/jwt.key" "$WH_DIR/jwt.key.old"
NEW=$(orch_token acme view) # creates a fresh key at the same path
kill -HUP "$PID"
sec_wait_line "$WH_DIR/main.log" 'event=jwt_key_reloaded' 10
orch_expect 401 GET /api/v1/jobs "$OLD"
wh_contains "$WH_DIR/resp.json" "signature is invalid"
orch_expect 200 GET /api/v1/jobs "$NEW"
sec_wait_line "$WH_DIR/old.out" '^close 1008 token no longer valid' 10

# ---- 11. a second daemon on the same port fails loudly, never "ready"
wh_expect_fail "$WH_DIR/second.err" "$WH_BIN" -c "$WH_CONF" run
wh_contains "$WH_DIR/second.err" "cannot listen on 127.0.0.1:$(orch_port "$WH_CONF")"
if grep -q 'event=ready' "$WH_DIR/second.err"; then wh_fail "second daemon said ready"; fi

# ---- 13. an empty config file on SIGHUP is refused, the old one kept
cp "$WH_CONF" "$WH_DIR/main.conf.bak"
: > "$WH_CONF"
kill -HUP "$PID"
sec_wait_line "$WH_DIR/main.log" 'event=reload_failed.*the file is empty' 10
cp "$WH_DIR/main.conf.bak" "$WH_CONF"
harness_alive "$PID" || wh_fail "daemon died on an empty config reload"
orch_expect 200 GET /api/v1/jobs "$NEW"
orch_stop main
echo "ok"
