#!/bin/bash
# The vectorize worker role (`pulse-host worker --roles vectorize`), in
# process and with RabbitMQ (the pulse.vectorize queue): insert/update/
# delete reach the store with counts equal to the queue's; a poison item
# fails alone with its reason after 5 attempts while its batch-mates are
# stored; kill -9 of the worker mid-batch, then a restart: the same final
# state, nothing duplicated.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
vx_setup
read -r ta ia < <(vx_tenant acme)
VHOST=

vw_cleanup() {
	[ -z "$VHOST" ] || rmq_ctl "$PULSE_TEST_RMQ_DIR" delete_vhost "$VHOST" > /dev/null 2>&1 || :
	wh_cleanup
}
trap vw_cleanup EXIT

# worker LOG ARGS...: `pulse-host worker` in the foreground, must exit 0
worker() {
	local log=$1; shift
	"$WH_BIN" -c "$WH_CONF" worker "$@" > "$WH_DIR/$log.log" 2>&1 ||
		{ cat "$WH_DIR/$log.log" >&2; wh_fail "worker $* failed"; }
}
vectors() { wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta"; }
queued() { wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND operation = '$1' AND status = '${2:-completed}'"; }
open_rows() { wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND status IN ('pending', 'processing')"; }
dups() { wh_sql "SELECT count(*) FROM (SELECT point_id FROM pgvectors WHERE tenant_id = $ta GROUP BY 1 HAVING count(*) > 1) d"; }

# exact counts: n inserts, 2 updates, 1 delete (prefix P, repo R)
crud_round() {
	local mode=$1 p=$2 k
	shift 2
	for k in $(seq 1 8); do vx_pr "$ta" "$ia" "${p}_$k" "acme/$p" "$k" "Change $k of the $p ledger import"; done
	worker "$mode-1" --roles vectorize --once "$@"
	[ "$(open_rows)" = 0 ] || wh_fail "$mode: rows left after the first drain"
	[ "$(queued insert)" = "$want_ins" ] || wh_fail "$mode: $(queued insert) inserts completed, want $want_ins"
	wh_sql "UPDATE prs SET title = 'Rewrite of the $p payroll exporter ' || number WHERE tenant_id = $ta AND external_id IN ('${p}_1', '${p}_2');
		UPDATE prs SET deleted_at = now() WHERE tenant_id = $ta AND external_id = '${p}_3';
		INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation)
		VALUES ($ta, $ia, 'prs', '${p}_1', 'update'), ($ta, $ia, 'prs', '${p}_2', 'update'),
		       ($ta, $ia, 'prs', '${p}_3', 'delete')" > /dev/null
	worker "$mode-2" --roles vectorize --once "$@"
	[ "$(open_rows)" = 0 ] || wh_fail "$mode: rows left after the second drain"
	want_upd=$((want_upd + 2)); want_del=$((want_del + 1)); want_vec=$((want_vec + 7))
	[ "$(queued update)" = "$want_upd" ] || wh_fail "$mode: $(queued update) updates completed, want $want_upd"
	[ "$(queued delete)" = "$want_del" ] || wh_fail "$mode: $(queued delete) deletes completed, want $want_del"
	[ "$(vectors)" = "$want_vec" ] || wh_fail "$mode: $(vectors) vectors, want $want_vec"
	n=$(wh_sql "SELECT count(*) FROM vector_references WHERE tenant_id = $ta AND status = 'stored'")
	[ "$n" = "$want_vec" ] || wh_fail "$mode: $n stored references, want $want_vec"
	n=$(wh_sql "SELECT status FROM vector_references WHERE tenant_id = $ta AND external_id = '${p}_3'")
	[ "$n" = deleted ] || wh_fail "$mode: the deleted PR's reference is '$n'"
	ph search --tenant acme --json "$p payroll exporter rewrite" > "$WH_DIR/$mode-s.json"
	jq -e --arg r "acme/$p" '.hits[0].external_id | startswith($r + "#")' "$WH_DIR/$mode-s.json" > /dev/null ||
		wh_fail "$mode: the updated title is not found: $(cat "$WH_DIR/$mode-s.json")"
	[ "$(dups)" = 0 ] || wh_fail "$mode: duplicated points"
}

want_ins=8 want_upd=0 want_del=0 want_vec=0

# ---- in-process (no broker)
crud_round inproc ledger
grep -q 'mode=in-process' "$WH_DIR/inproc-1.log" || wh_fail "the worker did not run in-process"
# the transform role still needs a broker, and says so
wh_expect_fail "$WH_DIR/roles.err" ph worker --roles transform,load,vectorize --once
grep -q "no broker_url configured" "$WH_DIR/roles.err" || wh_fail "$(cat "$WH_DIR/roles.err")"

# ---- a poison item: fails alone after 5 attempts, with its reason
for k in $(seq 1 9); do vx_pr "$ta" "$ia" "POI_$k" acme/poi "$k" "Tidy logging in worker pool $k"; done
vx_pr "$ta" "$ia" POI_10 acme/poi 10 "Break everything POISONPILL"
curl -fsS -X POST "$VX_OAI/_sandbox/fault" -H 'content-type: application/json' \
	-d '{"kind":"context_length","count":1000,"path":"embeddings","match":"POISONPILL"}' > /dev/null ||
	wh_fail "could not arm the sandbox's poison fault"
for round in 1 2 3 4 5 6; do
	worker "poison-$round" --roles vectorize --once
	wh_sql "UPDATE vectorization_queue SET next_attempt_at = now() WHERE tenant_id = $ta AND status = 'pending'" > /dev/null
done
n=$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND external_id ~ '^POI_' AND status = 'completed'")
[ "$n" = 9 ] || wh_fail "poison: $n of the 9 good rows completed"
r=$(wh_sql "SELECT status || ' ' || attempts || ' ' || coalesce(error, '') FROM vectorization_queue WHERE tenant_id = $ta AND external_id = 'POI_10'")
case $r in
"failed 5 "*context*) ;;
*) wh_fail "poison: the poison row is '$r', want failed after 5 attempts with the reason" ;;
esac
want_vec=$((want_vec + 9))
[ "$(vectors)" = "$want_vec" ] || wh_fail "poison: $(vectors) vectors, want $want_vec"
curl -fsS -X DELETE "$VX_OAI/_sandbox/fault" > /dev/null

# ---- with RabbitMQ: the pulse.vectorize queue
VHOST=vw_$(harness_random_hex 8)
PULSE_HOST_BROKER_URL=$(rmq_add_vhost "$PULSE_TEST_RMQ_DIR" "$VHOST") || wh_fail "no vhost"
export PULSE_HOST_BROKER_URL
want_ins=$((want_ins + 9 + 8)) # the poison row is failed, not completed
crud_round broker tax
grep -q 'mode=broker' "$WH_DIR/broker-1.log" || wh_fail "the worker did not use the broker"
grep -Eq 'published=[1-9]' "$WH_DIR/broker-1.log" || wh_fail "no id was published to pulse.vectorize"
grep -Eq 'acked=[1-9]' "$WH_DIR/broker-1.log" || wh_fail "no message was acked"
ph queue status --json > "$WH_DIR/qs.json"
jq -e '.queues[] | select(.name == "pulse.vectorize") | .ready == 0' "$WH_DIR/qs.json" > /dev/null ||
	wh_fail "pulse.vectorize not drained: $(cat "$WH_DIR/qs.json")"

# ---- kill -9 of the worker mid-batch (broker), then a restart
for k in $(seq 1 40); do vx_pr "$ta" "$ia" "BIG_$k" acme/big "$k" "Refactor module $k of the billing service"; done
curl -fsS -X POST "$VX_OAI/_sandbox/fault" -H 'content-type: application/json' \
	-d '{"kind":"slow","count":4,"delay_ms":1500,"path":"embeddings"}' > /dev/null ||
	wh_fail "could not arm the sandbox's slow fault"
"$WH_BIN" -c "$WH_CONF" worker --roles vectorize --prefetch 5 > "$WH_DIR/killed.log" 2>&1 &
wp=$!
big_done() {
	[ "$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND status = 'completed' AND external_id ~ '^BIG_'")" -ge 5 ]
}
harness_wait_for 60 "a batch done" big_done || { cat "$WH_DIR/killed.log" >&2; wh_fail "see above"; }
kill -9 "$wp"; wait "$wp" 2>/dev/null || :
n=$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND status <> 'completed' AND external_id ~ '^BIG_'")
[ "$n" -gt 0 ] || wh_fail "the kill came too late to test anything"
worker restart --roles vectorize --once
[ "$(open_rows)" = 0 ] || wh_fail "after the restart: $(open_rows) rows open"
want_vec=$((want_vec + 40))
[ "$(vectors)" = "$want_vec" ] || wh_fail "after kill -9 and restart: $(vectors) vectors, want $want_vec"
[ "$(dups)" = 0 ] || wh_fail "after kill -9 and restart: duplicated points"
n=$(wh_sql "SELECT count(*) FROM vector_references WHERE tenant_id = $ta AND status = 'stored'")
[ "$n" = "$want_vec" ] || wh_fail "after kill -9 and restart: $n references, want $want_vec"
echo PASS
