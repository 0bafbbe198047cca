#!/bin/bash
# The orchestrator in `pulse-host run`: a sandbox sync runs to FINISHED
# with live WebSocket events in order (started < progress... < completed)
# for its own tenant only; pause/resume and stop between pages keep the
# data exact; transient errors retry with backoff up to max_retries;
# permanent errors stop at once with the plugin's message; a crashing
# plugin marks its job ERROR while the daemon keeps serving; SIGTERM
# pauses running jobs and the next daemon resumes them. Every recorded
# transition is legal.
set -euo pipefail
# Under AddressSanitizer the plugin's NULL dereference would be caught by
# ASan's SEGV handler and end the process with exit status 1; the crash
# this test is about is the signal, so leave SIGSEGV to the kernel.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
ph tenant add acme >/dev/null
ph tenant add other >/dev/null
# Held back (PAUSED) until the test starts each one.
hold() { wh_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE id = $1" >/dev/null; }

sync=$(orch_add acme sync sandbox '{"repos":2,"prs_per_repo":40,"page_size":5,"page_delay_ms":60}')
js=$(orch_job "$sync")
pr=$(orch_add acme pr orchtest '{"pages":40,"page_delay_ms":100}')
jp=$(orch_job "$pr")
st=$(orch_add acme st orchtest '{"pages":200,"page_delay_ms":50}')
jst=$(orch_job "$st")
tr=$(orch_add acme tr orchtest '{"pages":3,"mode":"transient","crash_at":2}')
jt=$(orch_job "$tr")
wh_sql "UPDATE etl_jobs SET fast_retry_seconds = 2, max_retries = 2 WHERE id = $jt" >/dev/null
pe=$(orch_add acme pe orchtest '{"mode":"permanent"}')
jpe=$(orch_job "$pe")
cr=$(orch_add acme cr orchtest '{"pages":3,"mode":"crash","crash_at":2}')
jc=$(orch_job "$cr")
ok=$(orch_add acme after orchtest '{"pages":2}')
jok=$(orch_job "$ok")
sd=$(orch_add acme sd orchtest '{"pages":60,"page_delay_ms":100}')
jsd=$(orch_job "$sd")
for j in "$js" "$jp" "$jst" "$jt" "$jpe" "$jc" "$jok" "$jsd"; do hold "$j"; done
orch_daemon main "$WH_CONF"
USER=$(orch_token acme user)
orch_ws acme "$(orch_token acme view)"
orch_ws other "$(orch_token other view)"

# ---- a sandbox sync, followed live
orch_expect 202 POST "/api/v1/jobs/$js/resume" "$USER"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $js" FINISHED 60
# The last event may still be on its way to the viewer.
completed_seen() { grep -F "\"job_id\":$js," "$WH_DIR/acme.events" 2>/dev/null | grep -q '"event":"job_completed"'; }
wh_wait_for 30 "viewer acme to receive job $js's job_completed" completed_seen
orch_ws_stop acme
orch_ws_stop other
ev=$WH_DIR/acme.events
grep "\"job_id\":$js," "$ev" > "$WH_DIR/js.events" || wh_fail "no events for job $js"
first=$(head -n1 "$WH_DIR/js.events")
last=$(tail -n1 "$WH_DIR/js.events")
case $first in *'"event":"job_started"'*) ;; *) wh_fail "first event is not job_started: $first" ;; esac
case $last in *'"event":"job_completed"'*'"percent":100'*) ;; *) wh_fail "last event is not job_completed at 100%: $last" ;; esac
np=$(grep -c '"event":"job_progress"' "$WH_DIR/js.events")
[ "$np" -ge 3 ] || wh_fail "only $np progress events"
[ "$(grep -c '"event":"job_started"' "$WH_DIR/js.events")" = 1 ] || wh_fail "job_started more than once"
grep -q '"eta_seconds":[0-9]' "$WH_DIR/js.events" || wh_fail "no ETA in progress events"
# percent never goes backwards within a step
awk -F'"step":"' '/job_progress/ { split($2, a, "\""); step = a[1];
	match($0, /"percent":[0-9.]+/); p = substr($0, RSTART + 10, RLENGTH - 10) + 0;
	if (step == last && p < prev) { print "backwards: " $0; exit 1 } last = step; prev = p }' \
	"$WH_DIR/js.events" || wh_fail "progress went backwards"
[ ! -s "$WH_DIR/other.events" ] || { cat "$WH_DIR/other.events" >&2; wh_fail "tenant other received acme's events"; }
# the data of the run is all there
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $sync AND status <> 'completed'")" = 0 ] ||
	wh_fail "raw rows left unprocessed"
[ "$(wh_sql "SELECT count(*) FROM prs WHERE integration_id = $sync")" = 80 ] || wh_fail "expected 80 prs"

# ---- pause and resume between pages: data stays exact
orch_expect 202 POST "/api/v1/jobs/$jp/resume" "$USER"
orch_wait_sql "SELECT (value::int >= 5) FROM integration_state WHERE integration_id = $pr AND key = 'page'" t 30
orch_expect 202 POST "/api/v1/jobs/$jp/pause" "$USER"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $jp" PAUSED 20
at=$(wh_sql "SELECT value FROM integration_state WHERE integration_id = $pr AND key = 'page'")
[ "$at" -gt 0 ] && [ "$at" -lt 40 ] || wh_fail "pause did not stop mid-way (checkpoint $at)"

# ---- stop: the run is cancelled, the job parked (while $jp stays paused)
orch_expect 202 POST "/api/v1/jobs/$jst/start" "$USER"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $jst" RUNNING 20
# Stop it mid-extract: once it has stored a page, the plugin is running.
orch_wait_sql "SELECT (value::int >= 1) FROM integration_state WHERE integration_id = $st AND key = 'page'" t 30
orch_expect 202 POST "/api/v1/jobs/$jst/stop" "$USER"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $jst" PAUSED 20
[ "$(wh_sql "SELECT state FROM job_runs WHERE integration_id = $st ORDER BY id DESC LIMIT 1")" = CANCELLED ] ||
	wh_fail "stopped run is not CANCELLED"
# The orchestrator has scheduled (claimed $jst) since $jp was paused, and
# left $jp alone: a paused job does not run again by itself.
[ "$(orch_state "$jp")" = PAUSED ] || wh_fail "a paused job ran again by itself"
[ "$(wh_sql "SELECT value FROM integration_state WHERE integration_id = $pr AND key = 'page'")" = "$at" ] ||
	wh_fail "a paused job went on storing pages"
orch_expect 202 POST "/api/v1/jobs/$jp/resume" "$USER"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $jp" FINISHED 40
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $pr")" = 40 ] ||
	wh_fail "pause/resume stored pages twice or lost some"
[ "$(wh_sql "SELECT count(DISTINCT external_id) || '/' || count(*) FROM repositories WHERE integration_id = $pr")" = 40/40 ] ||
	wh_fail "pause/resume: records are not exactly the 40 pages"

# ---- transient errors: retried with backoff, then given up
orch_expect 202 POST "/api/v1/jobs/$jt/resume" "$USER"
orch_wait_sql "SELECT retry_count || last_error_class FROM etl_jobs WHERE id = $jt AND state = 'ERROR' AND next_run_at > now() + interval '1 hour'" 2transient 40
wh_sql "SELECT reason FROM job_transitions WHERE job_id = $jt ORDER BY id" > "$WH_DIR/tr.reasons"
wh_contains "$WH_DIR/tr.reasons" "transient error; retry 1/2 in"
wh_contains "$WH_DIR/tr.reasons" "transient error; retry 2/2 in"
wh_contains "$WH_DIR/tr.reasons" "2 retries used up"
wh_contains "$WH_DIR/tr.reasons" "answered 503 on page 2"
n=$(wh_sql "SELECT count(*) FROM job_transitions WHERE job_id = $jt AND from_state = 'ERROR' AND to_state = 'RUNNING'")
[ "$n" = 2 ] || wh_fail "expected 2 retries (ERROR->RUNNING), saw $n"
# the second retry waited longer than the first (exponential backoff)
gaps=$(wh_sql "SELECT string_agg(round(extract(epoch FROM at - lag)::numeric, 1)::text, ' ' ORDER BY id) FROM (SELECT id, at, to_state, lag(at) OVER (ORDER BY id) FROM job_transitions WHERE job_id = $jt) t WHERE to_state = 'RUNNING' AND lag IS NOT NULL")
set -- $gaps
awk -v a="$1" -v b="$2" 'BEGIN { exit !(b > a) }' || wh_fail "backoff did not grow: $gaps"

# ---- permanent errors: no retry, the message says what to fix
orch_expect 202 POST "/api/v1/jobs/$jpe/resume" "$USER"
orch_wait_sql "SELECT state || ' ' || last_error_class FROM etl_jobs WHERE id = $jpe" "ERROR permanent" 20
wh_sql "SELECT last_error FROM etl_jobs WHERE id = $jpe" | grep -q "token rejected (401); update it with" ||
	wh_fail "permanent error message lost: $(wh_sql "SELECT last_error FROM etl_jobs WHERE id = $jpe")"

# ---- a crashing plugin fails its job, not the daemon
orch_expect 202 POST "/api/v1/jobs/$jc/resume" "$USER"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $jc" ERROR 20
wh_sql "SELECT last_error FROM etl_jobs WHERE id = $jc" | grep -q "plugin crashed (signal 11" ||
	wh_fail "crash not reported: $(wh_sql "SELECT last_error FROM etl_jobs WHERE id = $jc")"
[ "$(wh_sql "SELECT state FROM job_runs WHERE integration_id = $cr ORDER BY id DESC LIMIT 1")" = ERROR ] ||
	wh_fail "the crashed run is not closed as ERROR"
orch_expect 200 GET /healthz ""
orch_expect 202 POST "/api/v1/jobs/$jok/resume" "$USER"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $jok" FINISHED 20
# The orchestrator has run two more jobs since $jpe failed permanently:
# it had every chance to retry it, and did not.
[ "$(wh_sql "SELECT count(*) FROM job_transitions WHERE job_id = $jpe AND to_state = 'RUNNING'")" = 1 ] ||
	wh_fail "a permanent error was retried"
[ "$(orch_state "$jpe")" = ERROR ] || wh_fail "the permanently failed job left ERROR: $(orch_state "$jpe")"

# ---- SIGTERM: running jobs pause at a checkpoint; the next daemon resumes
orch_expect 202 POST "/api/v1/jobs/$jsd/resume" "$USER"
orch_wait_sql "SELECT (value::int >= 3) FROM integration_state WHERE integration_id = $sd AND key = 'page'" t 30
orch_stop main
[ "$(wh_sql "SELECT state || ' ' || auto_resume FROM etl_jobs WHERE id = $jsd")" = "PAUSED true" ] ||
	wh_fail "shutdown left job $jsd $(orch_state "$jsd")"
orch_daemon main "$WH_CONF"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $jsd" FINISHED 60
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $sd")" = 60 ] ||
	wh_fail "shutdown/resume stored pages twice or lost some"
wh_sql "SELECT reason FROM job_transitions WHERE job_id = $jsd" | grep -q "daemon shutdown" ||
	wh_fail "no shutdown transition"

orch_check_transitions
orch_stop main
echo "orch-run: ok"
