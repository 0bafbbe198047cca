#!/bin/bash
# Hardening of the daemon's HTTP server and REST input (issue 11):
# 10. Request framing: Content-Length twice, with Transfer-Encoding, or
#     not a number: 400 and the connection closed at once (no hidden
#     second request, no hang). Oversize URL 414, oversize headers 431.
#     JSON bodies: trailing data, a string for a boolean, an empty name,
#     invalid UTF-8 or \u0000, an invalid date: 400. Database errors never
#     reach the client: a request id does, and the log has the details.
# 12. A locked table: /healthz answers at once while API calls that need
#     the table wait on the API thread and end in 503 database_timeout.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
sed -i 's/^worker_roles = .*/worker_roles = ["server"];/' "$WH_CONF"
# Short database limits so the locked-table case ends quickly.
echo 'database = { statement_timeout_ms = 4000; lock_timeout_ms = 2500; };' >> "$WH_CONF"
ph tenant add acme >/dev/null
INT=$(orch_add acme s1 sandbox '{"repos":1,"prs_per_repo":3,"page_size":5}')
orch_daemon main "$WH_CONF"
PID=$(cat "$WH_DIR/main.pid")
PORT=$(orch_port "$WH_CONF")
ADMIN=$(orch_token acme admin)
RAW="$abs_top_srcdir/tests/daemon/sec-http-raw.py"

# raw NAME REQUEST [SECONDS]: send REQUEST over a fresh socket; what came
# back is in $WH_DIR/NAME.raw (see sec-http-raw.py).
raw() { /usr/bin/python3 "$RAW" "$PORT" "$2" "${3:-5}" > "$WH_DIR/$1.raw"; }
# raw_expect NAME STATUS: exactly one response, STATUS, then closed, fast.
raw_expect() {
	local f=$WH_DIR/$1.raw ms
	[ "$(grep -c '^status ' "$f")" = 1 ] || { cat "$f" >&2; wh_fail "$1: not exactly one response"; }
	grep -qx "status $2" "$f" || { cat "$f" >&2; wh_fail "$1: expected $2"; }
	grep -qx closed "$f" || { cat "$f" >&2; wh_fail "$1: connection left open"; }
	ms=$(sed -n 's/^elapsed_ms //p' "$f")
	[ "$ms" -lt 3000 ] || { cat "$f" >&2; wh_fail "$1: took $ms ms"; }
}
H='Host: x\r\n'
A="Authorization: Bearer $ADMIN\r\n"

# ---- 10. framing: smuggling openings and bad lengths
raw dupcl "POST /api/v1/integrations HTTP/1.1\r\n$H${A}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}GET /healthz HTTP/1.1\r\n${H}\r\n"
raw_expect dupcl 400
wh_contains "$WH_DIR/dupcl.raw" "Content-Length is given 2 times"
raw clte "POST /api/v1/integrations HTTP/1.1\r\n$H${A}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
raw_expect clte 400
wh_contains "$WH_DIR/clte.raw" "Transfer-Encoding"
for cl in -5 99999999999999999999999 12abc; do
	raw "cl$cl" "POST /api/v1/integrations HTTP/1.1\r\n$H${A}Content-Length: $cl\r\n\r\n"
	raw_expect "cl$cl" 400
done
raw clbig "POST /api/v1/integrations HTTP/1.1\r\n$H${A}Content-Length: 5000000\r\n\r\n"
raw_expect clbig 413

# ---- 10. oversize URL and headers: a status, not a silent close
LONG=$(head -c 9000 /dev/zero | tr '\0' a)
raw longurl "GET /$LONG HTTP/1.1\r\n$H\r\n"
grep -qx "status 414" "$WH_DIR/longurl.raw" || { cat "$WH_DIR/longurl.raw" >&2; wh_fail "long URL: no 414"; }
HUGE=$(head -c 20000 /dev/zero | tr '\0' b)
raw longhdr "GET /healthz HTTP/1.1\r\n${H}Referer: $HUGE\r\n\r\n"
raw_expect longhdr 431
MANY=""
for i in $(seq 70); do MANY="${MANY}Accept: x$i\r\n"; done
raw manyhdr "GET /healthz HTTP/1.1\r\n$H$MANY\r\n"
raw_expect manyhdr 431
harness_alive "$PID" || wh_fail "daemon died"
orch_expect 200 GET /healthz ""

# ---- 10. JSON bodies
post() { orch_expect "$1" POST /api/v1/integrations "$ADMIN" "$2"; }
post 400 '{"name":"t1","plugin":"sandbox","settings":{"repos":1}} {"x":1}'
wh_contains "$WH_DIR/resp.json" "\"code\":\"bad_json\""
post 400 '{"name":"","plugin":"sandbox","settings":{"repos":1}}'
wh_contains "$WH_DIR/resp.json" "'name' must be 1 to 200"
post 400 '{"name":"   ","plugin":"sandbox","settings":{"repos":1}}'
post 400 '{"name":"a\u0000b","plugin":"sandbox","settings":{"repos":1}}'
wh_contains "$WH_DIR/resp.json" "NUL"
post 400 '{"name":"t2","plugin":"sandbox","settings":{"repos":1},"secrets":{"token":"x\u0000"}}'
post 400 '{"name":"t3","plugin":"sandbox","settings":{"repos":1},"type":"Nope"}'
printf '{"name":"t4\xc3\x28","plugin":"sandbox","settings":{"repos":1}}' > "$WH_DIR/badutf8.json"
got=$(curl -s -o "$WH_DIR/resp.json" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
	--data-binary @"$WH_DIR/badutf8.json" "$ORCH_URL/api/v1/integrations")
[ "$got" = 400 ] || { cat "$WH_DIR/resp.json" >&2; wh_fail "invalid UTF-8: HTTP $got"; }
wh_contains "$WH_DIR/resp.json" "UTF-8"
orch_expect 400 PATCH "/api/v1/integrations/$INT" "$ADMIN" '{"enabled":"false"}'
wh_contains "$WH_DIR/resp.json" "'enabled' must be true or false"
orch_expect 200 PATCH "/api/v1/integrations/$INT" "$ADMIN" '{"enabled":false}'
[ "$(wh_sql "SELECT enabled FROM integrations WHERE id = $INT")" = f ] || wh_fail "enabled not stored"
orch_expect 400 PATCH "/api/v1/integrations/$INT" "$ADMIN" '{"name":""}'
orch_expect 400 GET "/api/v1/raw?status=%ff" "$ADMIN"
orch_expect 400 GET "/api/v1/metrics/dora?from=2026-02-30" "$ADMIN"
wh_contains "$WH_DIR/resp.json" "not a valid date"
if grep -qi "ERROR:\|out of range\|SQLSTATE" "$WH_DIR/resp.json"; then
	wh_fail "PostgreSQL text in a reply: $(cat "$WH_DIR/resp.json")"
fi
# A name taken: 409 in our words, not the server's "duplicate key ..."
post 201 '{"name":"t5","plugin":"sandbox","settings":{"repos":1}}'
post 409 '{"name":"t5","plugin":"sandbox","settings":{"repos":1}}'
orch_expect 409 PATCH "/api/v1/integrations/$INT" "$ADMIN" '{"name":"t5"}'
if grep -qi "duplicate key\|violates\|constraint" "$WH_DIR/resp.json"; then
	wh_fail "PostgreSQL text in a reply: $(cat "$WH_DIR/resp.json")"
fi

# ---- 12. a locked table: /healthz stays fast, the API times out clearly
harness_hold "$WH_DIR" "$WH_ADMIN" "LOCK TABLE integrations IN ACCESS EXCLUSIVE MODE" ||
	wh_fail "could not lock integrations"
# Two calls queue on the API thread: ~5 s of lock waits in all.
for i in 1 2; do
	curl -s -o "$WH_DIR/locked$i.json" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
		"$ORCH_URL/api/v1/integrations" > "$WH_DIR/locked$i.code" &
	echo $! > "$WH_DIR/locked$i.cpid"
done
sleep 0.3
for i in 1 2 3 4 5; do
	t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "$ORCH_URL/healthz" || echo "000 5")
	echo "healthz during lock: $t"
	[ "${t% *}" = 200 ] || wh_fail "/healthz answered ${t% *} while a table was locked"
	awk -v s="${t#* }" 'BEGIN { exit !(s < 1.0) }' ||
		wh_fail "/healthz took ${t#* } s while a table was locked"
	sleep 0.2
done
for i in 1 2; do
	wait "$(cat "$WH_DIR/locked$i.cpid")" || :
	code=$(cat "$WH_DIR/locked$i.code")
	[ "$code" = 503 ] || { cat "$WH_DIR/locked$i.json" >&2; wh_fail "locked call $i: HTTP $code, expected 503"; }
	wh_contains "$WH_DIR/locked$i.json" '"code":"database_timeout"'
	rid=$(sed -n 's/.*"request_id":"\([0-9a-f]*\)".*/\1/p' "$WH_DIR/locked$i.json")
	[ -n "$rid" ] || wh_fail "no request_id in $(cat "$WH_DIR/locked$i.json")"
	if grep -q "lock timeout\|canceling\|ERROR:" "$WH_DIR/locked$i.json"; then
		wh_fail "PostgreSQL text in a reply: $(cat "$WH_DIR/locked$i.json")"
	fi
	# the operator finds the server's text under that id
	grep "request_id=$rid" "$WH_DIR/main.log" | grep -q "sqlstate=55P03" ||
		wh_fail "request $rid not logged with its cause"
done
harness_release
orch_expect 200 GET /api/v1/integrations "$ADMIN"
orch_stop main
echo "ok"
