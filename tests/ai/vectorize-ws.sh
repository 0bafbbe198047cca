#!/bin/bash
# The daemon's vectorize role (worker_roles "vectorize", no broker) and the
# "vectorization" WebSocket channel: a viewer subscribed to that channel
# sees its tenant's queue counts move while the daemon vectorizes, ending
# with everything completed; a viewer of another tenant sees none of it.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
vx_setup
trap orch_cleanup EXIT
ORCH_PLUGIN_DIRS="$ORCH_PLUGIN_DIRS, \"$abs_top_builddir/plugins/provider-gateway/.libs\""
WH_CONF=$(orch_conf main)
ORCH_URL=http://127.0.0.1:$(orch_port "$WH_CONF")
sed -i 's/^worker_roles = .*/worker_roles = ["server", "vectorize"];/' "$WH_CONF"
read -r ta ia < <(vx_tenant acme)
wh_tenant other > /dev/null

orch_daemon main "$WH_CONF"
wh_wait_for 60 "the vectorize role started" grep -q 'VZWORKER.*event=started mode=in-process' "$WH_DIR/main.log"

ws_connect() { # NAME TOKEN: like orch_ws, with the vectorize client
	local i
	orch_node "$abs_top_srcdir/tests/ai/vectorize-ws-client.mjs" \
		"ws://${ORCH_URL#http://}/ws/progress?token=$2" "$WH_DIR/$1.events" 120 \
		> "$WH_DIR/$1.ws.out" 2>&1 &
	echo $! > "$WH_DIR/$1.ws.pid"
	for i in $(seq 100); do
		grep -q '^open' "$WH_DIR/$1.ws.out" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$WH_DIR/$1.ws.out" >&2
	wh_fail "WebSocket viewer $1 did not connect"
}
ws_connect acme "$(orch_token acme view)"
ws_connect other "$(orch_token other view)"
sleep 0.5 # the subscribe message is in before the first event

# 30 PRs, the embedder slowed so that progress is seen in several steps
curl -fsS -X POST "$VX_OAI/_sandbox/fault" -H 'content-type: application/json' \
	-d '{"kind":"slow","count":3,"delay_ms":2500,"path":"embeddings"}' > /dev/null ||
	wh_fail "could not arm the slow fault"
for k in $(seq 1 30); do vx_pr "$ta" "$ia" "PR_$k" acme/api "$k" "Tune retry budget $k of the importer"; done
orch_wait_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND status = 'completed'" 30 60
final() { jq -se 'map(select(.data.completed == 30 and .data.pending == 0)) | length > 0' "$WH_DIR/acme.events" > /dev/null; }
harness_wait_for 40 "the final vectorization event" final ||
	{ tail -5 "$WH_DIR/acme.events" >&2; grep -E 'VZWORKER|error' "$WH_DIR/main.log" | tail -10 >&2; wh_fail "no final event"; }
orch_ws_stop acme
orch_ws_stop other
n=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")
[ "$n" = 30 ] || wh_fail "the daemon's vectorize role stored $n vectors, want 30"

jq -se 'length >= 2 and all(.[]; .event == "vectorization" and .channel == "vectorization"
	and .tenant_id == '"$ta"' and (.data.by_operation.insert | type) == "object")' "$WH_DIR/acme.events" > /dev/null ||
	wh_fail "acme's events: $(cat "$WH_DIR/acme.events")"
# progress in between: some event saw work still open
jq -se 'map(select(.data.pending + .data.processing > 0)) | length > 0' "$WH_DIR/acme.events" > /dev/null ||
	wh_fail "no event while the queue was draining: $(cat "$WH_DIR/acme.events")"
[ ! -s "$WH_DIR/other.events" ] || wh_fail "another tenant's viewer got acme's events: $(cat "$WH_DIR/other.events")"
orch_stop main
echo PASS
