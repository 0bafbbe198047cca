#!/bin/bash
# GET /metrics (host/server/metrics*.c, 096_metrics.sql): after a sync of
# a sandbox and a GitHub sandbox integration by the daemon, with retries
# and a rate-limit wait forced, the scrape parses line by line against
# the exposition grammar (metrics-check.py) and every figure equals what
# SQL computes here from the tables (jobs, raw rows, dead letters, queue
# depth, vectorization backlog, pages and records per plugin, AI calls,
# tokens, failures and latency buckets, HTTP attempts, retries and wait
# seconds against the runs' own stats); a WebSocket viewer is counted;
# access: loopback only by default (403 from another address), a bearer
# token when metrics.token_file is set (401 without or with a wrong one).
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
export PULSE_HOST_BROKER_URL=
CHECK="$abs_top_srcdir/tests/daemon/metrics-check.py"
[ -x /usr/bin/python3 ] || wh_fail "/usr/bin/python3 is needed to parse the scrape"

# ---- the GitHub sandbox (faults: one 502 retried, one Retry-After wait)
NODE_PATH=$(bash "$abs_top_srcdir/tests/sandbox/github/ensure-deps.sh" 2>/dev/null) ||
	wh_fail "the GitHub sandbox's dependencies could not be installed (run tests/sandbox/github/ensure-deps.sh)"
export NODE_PATH
node "$abs_top_srcdir/tests/sandbox/github/server.js" --port 0 --port-file "$WH_DIR/gh.port" \
	--seed 7 --repos 2 --prs 6 > "$WH_DIR/gh.log" 2>&1 &
echo $! > "$WH_DIR/ghsandbox.pid"
for _ in $(seq 300); do [ -s "$WH_DIR/gh.port" ] && break; sleep 0.1; done
[ -s "$WH_DIR/gh.port" ] || { cat "$WH_DIR/gh.log" >&2; wh_fail "GitHub sandbox did not start"; }
GH_URL="http://127.0.0.1:$(cat "$WH_DIR/gh.port")"
curl -fsS -X POST -H 'Content-Type: application/json' --data-binary '[
	{"kind":"status","status":502,"api":"graphql","skip":1},
	{"kind":"status","status":500,"api":"rest","path_prefix":"/repos","skip":2},
	{"kind":"secondary_limit","api":"rest","path_prefix":"/repos","skip":3,"retry_after":1}
]' "$GH_URL/_sandbox/faults" >/dev/null || wh_fail "cannot set the sandbox's faults"

sed -i "s|^plugin_dirs = \[|plugin_dirs = [\"$abs_top_builddir/plugins/source-github/.libs\", |" "$WH_CONF"
ph tenant add acme >/dev/null
ph tenant add other >/dev/null
orch_add acme s1 sandbox '{"repos":1,"prs_per_repo":4,"page_size":3}' >/dev/null
orch_add other o1 sandbox '{"repos":2,"prs_per_repo":3,"page_size":2}' >/dev/null
orch_add acme gh1 github "{\"base_url\":\"$GH_URL\",\"tokens\":[\"sandbox-token\"],\"org\":\"acme\"}" >/dev/null
orch_daemon main "$WH_CONF"
orch_wait_sql "SELECT count(*) FILTER (WHERE state = 'FINISHED') || '/' || count(*) FROM etl_jobs" "3/3" 180
orch_wait_sql "SELECT count(*) FROM raw_extraction_data WHERE status IN ('pending', 'processing')" 0 60

# AI usage of two providers: outcomes, tokens, latencies across buckets.
t=$(wh_sql "SELECT id FROM tenants WHERE name = 'acme'")
o=$(wh_sql "SELECT id FROM tenants WHERE name = 'other'")
wh_sql "INSERT INTO ai_usage (tenant_id, plugin, model, context, operation, input_tokens,
	output_tokens, latency_ms, outcome) VALUES
	($t, 'gateway', 'm', 'query', 'chat', 100, 20, 40, 'ok'),
	($t, 'gateway', 'm', 'query', 'chat', 7, 0, 1200, 'failed'),
	($o, 'gateway', 'm', 'query', 'chat', 30, 5, 100, 'retried'),
	($o, 'gateway', 'm', 'query', 'chat', 1, 1, 45000, 'failed'),
	($t, 'embed-local', 'e', 'etl', 'embed', 500, 0, 250, 'ok'),
	($o, 'embed-local', 'e', 'etl', 'embed', 9, 0, 3, 'fell_back')"
# A dead letter and some vectorization backlog.
wh_sql "UPDATE raw_extraction_data SET dead_lettered = true, status = 'failed'
	WHERE id = (SELECT min(id) FROM raw_extraction_data)"
wh_sql "INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation, status)
	SELECT tenant_id, integration_id, 'prs', 'x' || id, 'insert',
	       (ARRAY['pending', 'processing', 'failed'])[1 + id % 3]
	  FROM raw_extraction_data LIMIT 7"

scrape() { # scrape OUT [CURL ARGS...]: the HTTP status
	local out=$1
	shift
	curl -s -o "$out" -w '%{http_code}' "$@"
}
st=$(scrape "$WH_DIR/scrape.txt" "$ORCH_URL/metrics")
[ "$st" = 200 ] || { cat "$WH_DIR/scrape.txt" >&2; wh_fail "GET /metrics: HTTP $st"; }
/usr/bin/python3 "$CHECK" "$WH_DIR/scrape.txt" "$WH_DIR/samples.json" ||
	{ cat "$WH_DIR/scrape.txt" >&2; wh_fail "the scrape does not parse (above)"; }

val() { # val KEY: the sample's value ("missing" if absent)
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d.get(sys.argv[2]); print("missing" if v is None else ("%.6g" % v))' \
		"$WH_DIR/samples.json" "$1"
}
num() { /usr/bin/python3 -c 'import sys; print("%.6g" % float(sys.argv[1]))' "$1"; }
eq() { # eq KEY SQL: the sample equals what SQL computes
	local got want
	got=$(val "$1")
	want=$(num "$(wh_sql "$2")")
	[ "$got" = "$want" ] || wh_fail "$1: scrape says $got, the database $want ($2)"
	n_checked=$((n_checked + 1))
}
n_checked=0

version=$("$WH_BIN" --version | awk '{print $2; exit}')
[ "$(val "pulse_build_info{version=$version}")" = 1 ] || wh_fail "no pulse_build_info for $version"
[ "$(val 'pulse_database_up{}')" = 1 ] || wh_fail "pulse_database_up is not 1"
for s in NOT_STARTED PENDING RUNNING FINISHED ERROR PAUSED; do
	eq "pulse_jobs{state=$s}" "SELECT count(*) FROM etl_jobs WHERE state = '$s'"
done
for s in pending processing completed failed; do
	eq "pulse_raw_rows{status=$s}" "SELECT count(*) FROM raw_extraction_data WHERE status = '$s'"
done
eq "pulse_raw_dead_letters{}" "SELECT count(*) FROM raw_extraction_data WHERE dead_lettered"
eq "pulse_queue_depth{queue=raw}" "SELECT count(*) FROM raw_extraction_data
	WHERE status IN ('pending', 'processing') AND NOT dead_lettered"
eq "pulse_queue_depth{queue=vectorize}" "SELECT count(*) FROM vectorization_queue
	WHERE status IN ('pending', 'processing')"
for s in pending processing failed; do
	eq "pulse_vectorization_backlog{status=$s}" "SELECT count(*) FROM vectorization_queue WHERE status = '$s'"
done
for p in sandbox github; do
	eq "pulse_pages{plugin=$p}" "SELECT sum((r.stats->>'pages')::bigint) FROM job_runs r
		JOIN integrations i ON i.id = r.integration_id WHERE i.plugin = '$p'"
	eq "pulse_records{plugin=$p}" "SELECT sum((e.value->>'records')::bigint) FROM job_runs r
		JOIN integrations i ON i.id = r.integration_id,
		LATERAL jsonb_each(r.stats->'records') e WHERE i.plugin = '$p'"
done
[ "$(val 'pulse_pages{plugin=github}')" != 0 ] || wh_fail "the GitHub sync stored no pages"
for p in gateway embed-local; do
	for oc in ok retried fell_back failed; do
		n=$(wh_sql "SELECT count(*) FROM ai_usage WHERE plugin = '$p' AND outcome = '$oc'")
		if [ "$n" != 0 ]; then
			eq "pulse_ai_calls{outcome=$oc,provider=$p}" "SELECT $n"
		else
			[ "$(val "pulse_ai_calls{outcome=$oc,provider=$p}")" = missing ] ||
				wh_fail "pulse_ai_calls for $p/$oc with no such call"
		fi
	done
	eq "pulse_ai_tokens{direction=input,provider=$p}" "SELECT sum(input_tokens) FROM ai_usage WHERE plugin = '$p'"
	eq "pulse_ai_tokens{direction=output,provider=$p}" "SELECT sum(output_tokens) FROM ai_usage WHERE plugin = '$p'"
	eq "pulse_ai_failures{provider=$p}" "SELECT count(*) FILTER (WHERE outcome = 'failed') FROM ai_usage WHERE plugin = '$p'"
	for le in 0.05 0.1 0.25 0.5 1 2.5 5 10 30; do
		eq "pulse_ai_latency_seconds_bucket{le=$le,provider=$p}" \
			"SELECT count(*) FROM ai_usage WHERE plugin = '$p' AND latency_ms <= $le * 1000"
	done
	eq "pulse_ai_latency_seconds_bucket{le=+Inf,provider=$p}" "SELECT count(*) FROM ai_usage WHERE plugin = '$p'"
	eq "pulse_ai_latency_seconds_count{provider=$p}" "SELECT count(*) FROM ai_usage WHERE plugin = '$p'"
	eq "pulse_ai_latency_seconds_sum{provider=$p}" "SELECT sum(latency_ms) / 1000.0 FROM ai_usage WHERE plugin = '$p'"
done

# In-process counters against what each run recorded in its stats.
http_sum=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.6g" % sum(v for k, v in d.items() if k.startswith("pulse_http_requests_total{")))' "$WH_DIR/samples.json")
want=$(num "$(wh_sql "SELECT coalesce(sum((stats->'http'->>'requests')::bigint), 0) FROM job_runs")")
[ "$http_sum" = "$want" ] || wh_fail "HTTP attempts: scrape $http_sum, the runs' stats $want"
[ "$want" != 0 ] || wh_fail "the GitHub sync made no HTTP request"
n_ok=$(val "pulse_http_requests_total{host=127.0.0.1,status=200}")
n_502=$(val "pulse_http_requests_total{host=127.0.0.1,status=502}")
n_500=$(val "pulse_http_requests_total{host=127.0.0.1,status=500}")
[ "$n_ok" != missing ] && [ "$n_ok" != 0 ] || wh_fail "no 200 counted for 127.0.0.1"
[ "$n_502" = 1 ] || wh_fail "the sandbox served one 502; scrape says $n_502"
[ "$n_500" = 1 ] || wh_fail "the sandbox served one 500; scrape says $n_500"
eq "pulse_http_retries_total{}" "SELECT sum((stats->'http'->>'retries')::bigint) FROM job_runs"
[ "$(val 'pulse_http_retries_total{}')" != 0 ] || wh_fail "the 502 and 500 were not retried"
eq "pulse_http_rate_limit_waits_total{}" "SELECT sum((stats->'http'->>'waits')::bigint) FROM job_runs"
w_ms=$(wh_sql "SELECT sum((stats->'http'->>'wait_ms')::bigint) FROM job_runs")
w_n=$(val 'pulse_http_rate_limit_waits_total{}')
w_s=$(val 'pulse_http_rate_limit_wait_seconds_total{}')
# Both sides time each wait themselves: within 2 ms per wait.
/usr/bin/python3 -c 'import sys; s, ms, n = map(float, sys.argv[1:]); sys.exit(not (n >= 1 and s >= 0.9 and abs(s * 1000 - ms) <= 2 * n))' \
	"$w_s" "$w_ms" "$w_n" || wh_fail "rate-limit wait: scrape $w_s s over $w_n waits, runs' stats $w_ms ms"
echo "metrics: $n_checked database figures equal; HTTP $http_sum attempts, waits $w_s s"

# ---- a WebSocket viewer is counted, and uncounted when it leaves
[ "$(val 'pulse_websocket_viewers{}')" = 0 ] || wh_fail "viewers before any: $(val 'pulse_websocket_viewers{}')"
viewers_are() {
	scrape "$WH_DIR/v.txt" "$ORCH_URL/metrics" >/dev/null
	grep -qx "pulse_websocket_viewers $1" "$WH_DIR/v.txt"
}
# The client leaves by itself after 6 s (closing its socket).
orch_ws v1 "$(orch_token acme view)" 6
wh_wait_for 5 "pulse_websocket_viewers 1" viewers_are 1
wh_wait_for 20 "pulse_websocket_viewers 0" viewers_are 0
orch_ws_stop v1

# ---- access: loopback only by default; a token when configured
orch_stop main
# A peer that is not loopback, without listening beyond this machine: a
# documentation address (TEST-NET-2) put on lo for the test, or where that
# is not allowed, this machine's own address. The daemon listens on that
# address alone, and a client on this machine connects from it.
ext=198.51.100.77
if ip addr add "$ext/32" dev lo 2>/dev/null; then
	drop_ext() { ip addr del "$ext/32" dev lo 2>/dev/null || :; }
	trap 'drop_ext; orch_cleanup' EXIT
else
	drop_ext() { :; }
	ext=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | sed -n 1,1p || :)
	[ -n "$ext" ] || wh_fail "no non-loopback IPv4 address to scrape from: 'ip addr add $ext/32 dev lo' was refused (run as root) and hostname -I has none"
fi
any=$(orch_conf any)
sed -i "s/^listen = \"127.0.0.1:/listen = \"$ext:/; s/^worker_roles = .*/worker_roles = [\"server\"];/" "$any"
port=$(sed -n 's/^listen = "[0-9.]*:\([0-9]*\)";/\1/p' "$any")
"$WH_BIN" -c "$any" run >> "$WH_DIR/any.log" 2>&1 &
echo $! > "$WH_DIR/any.pid"
up() { curl -fsS "http://$ext:$port/healthz" >/dev/null 2>&1; }
wh_wait_for 30 "daemon any on $ext:$port" up
st=$(scrape "$WH_DIR/s.txt" "http://$ext:$port/metrics")
[ "$st" = 403 ] || wh_fail "scrape from $ext without token config: HTTP $st, want 403"
grep -q "loopback only" "$WH_DIR/s.txt" || wh_fail "403 body: $(cat "$WH_DIR/s.txt")"
st=$(scrape "$WH_DIR/s.txt" --interface 127.0.0.1 "http://$ext:$port/metrics")
[ "$st" = 200 ] || wh_fail "scrape from a loopback source address: HTTP $st"
kill -TERM "$(cat "$WH_DIR/any.pid")"; wait "$(cat "$WH_DIR/any.pid")" 2>/dev/null || :; rm -f "$WH_DIR/any.pid"

tok=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$tok" > "$WH_DIR/metrics.token"
chmod 600 "$WH_DIR/metrics.token"
printf 'metrics = { token_file = "%s"; };\n' "$WH_DIR/metrics.token" >> "$any"
"$WH_BIN" -c "$any" config check >/dev/null || wh_fail "config check refuses metrics.token_file"
"$WH_BIN" -c "$any" run >> "$WH_DIR/any.log" 2>&1 &
echo $! > "$WH_DIR/any.pid"
wh_wait_for 30 "daemon any (token) on port $port" up
st=$(scrape "$WH_DIR/s.txt" "http://$ext:$port/metrics")
[ "$st" = 401 ] || wh_fail "tokenless scrape with a token configured: HTTP $st, want 401"
st=$(scrape "$WH_DIR/s.txt" -H "Authorization: Bearer ${tok}x" "http://$ext:$port/metrics")
[ "$st" = 401 ] || wh_fail "wrong-token scrape: HTTP $st, want 401"
# from a loopback source address to the same listener
st=$(scrape "$WH_DIR/s.txt" --interface 127.0.0.1 "http://$ext:$port/metrics")
[ "$st" = 401 ] || wh_fail "with a token configured, loopback needs it too: HTTP $st"
st=$(scrape "$WH_DIR/s.txt" -H "Authorization: Bearer $tok" "http://$ext:$port/metrics")
[ "$st" = 200 ] || wh_fail "scrape with the token from $ext: HTTP $st"
/usr/bin/python3 "$CHECK" "$WH_DIR/s.txt" "$WH_DIR/s.json" >/dev/null || wh_fail "token scrape does not parse"
grep -q "$tok" "$WH_DIR/any.log" && wh_fail "the metrics token is in the daemon's log"
kill -TERM "$(cat "$WH_DIR/any.pid")"; wait "$(cat "$WH_DIR/any.pid")" 2>/dev/null || :; rm -f "$WH_DIR/any.pid"
drop_ext
echo "PASS metrics"
