#!/bin/bash
# The WebSocket handshake keeps the database off the event loop (issue 11,
# items 12 and 18): the loop checks a viewer's token for signature and
# claims only; the tenant look-up runs on the API thread, and the viewer
# gets events once it has passed.
#  - With the tenants table locked, a viewer still connects at once and
#    /healthz answers while its look-up waits (before: the handshake's
#    query held the whole loop until the lock timeout).
#  - After the lock, that viewer is subscribed: it gets a job's events.
#  - A token of a removed tenant: the session is closed with the reason
#    "token's tenant does not exist", and gets no event.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
# Long enough that the lock below outlives no look-up under load.
sed -i 's/^jobs = {/database = { lock_timeout_ms = 20000; };\njobs = {/' "$WH_CONF"
ph tenant add acme >/dev/null
ph tenant add gone >/dev/null
job=$(orch_job "$(orch_add acme tiny sandbox '{"repos":1,"prs_per_repo":3,"page_size":5}')")
wh_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE id = $job" >/dev/null
orch_daemon main "$WH_CONF"
WS="ws://${ORCH_URL#http://}/ws/progress?token="

# viewer NAME TOKEN: a viewer in the background (events and the close in
# $WH_DIR/NAME.out); waits until it is open.
viewer() {
	orch_node "$abs_top_srcdir/tests/daemon/sec-ws-client.mjs" "$WS$2" "" \
		"$WH_DIR/$1.out" 240 > "$WH_DIR/$1.ws.out" 2>&1 7>&- &
	echo $! > "$WH_DIR/$1.ws.pid"
	harness_wait_for 15 "viewer $1 open" grep -q '^open' "$WH_DIR/$1.ws.out" ||
		wh_fail "viewer $1 did not open: $(cat "$WH_DIR/$1.ws.out")"
}
wait_line() { # wait_line FILE PATTERN SECONDS
	harness_wait_for "$3" "'$2' in $1" grep -q -- "$2" "$1" ||
		{ orch_dump; wh_fail "no line '$2' in $1: $(cat "$1" 2>/dev/null)"; }
}

# ---- the tenants table locked: the handshake and /healthz do not wait
VIEW=$(orch_token acme view)
USER=$(orch_token acme user)
GONE=$(orch_token gone view)
harness_hold "$WH_DIR" "$WH_ADMIN" "LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE" ||
	wh_fail "could not lock tenants"
viewer early "$VIEW"
for i in 1 2 3; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$ORCH_URL/healthz" 7>&- || echo 000)
	[ "$code" = 200 ] || wh_fail "/healthz answered $code while a viewer's tenant look-up waited on a lock"
done
harness_release COMMIT

# ---- a removed tenant: closed with the reason, no event
wh_sql "DELETE FROM tenants WHERE name = 'gone'" >/dev/null
viewer gone "$GONE"
wait_line "$WH_DIR/gone.out" "^close 1008 token's tenant does not exist" 20

# ---- the early viewer is subscribed: it sees the job run to the end
curl -fsS -X POST -H "Authorization: Bearer $USER" \
	"$ORCH_URL/api/v1/jobs/$job/resume" >/dev/null
wait_line "$WH_DIR/early.out" '"event":"job_completed"' 60
grep -q '^close' "$WH_DIR/early.out" && wh_fail "the early viewer was closed: $(cat "$WH_DIR/early.out")"
grep -q '"event"' "$WH_DIR/gone.out" && wh_fail "a removed tenant's viewer got events: $(cat "$WH_DIR/gone.out")"
kill "$(cat "$WH_DIR/early.ws.pid")" 2>/dev/null || :
orch_stop main
echo "ok"
