#!/bin/bash
# `pulse-host job run ID --follow` (host/cli/follow.c): with a daemon running,
# the job runs in the daemon and the command prints started < progress...
# < completed (progress at most one line a second when stdout is not a
# TTY) and exits 0, with the data in the warehouse; a permanent plugin
# error exits 1 with the plugin's message; a job already RUNNING is
# joined, not restarted; a TTY gets the redrawn bar with ETA; SIGTERM
# ends the watching (130), not the job; a dropped connection exits 4
# saying the job keeps running; with no daemon it says so and runs in the
# foreground.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
ph tenant add acme >/dev/null
# Jobs are held until the test hands each one to the daemon.
hold() { wh_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE id = $1" >/dev/null; }
# FINISHED, next run a day away: `start` must make it PENDING.
done_later() { wh_sql "UPDATE etl_jobs SET state = 'FINISHED', next_run_at = now() + interval '1 day' WHERE id = $1" >/dev/null; }
# follow NAME INTEGRATION: run --follow, stdout/stderr in $WH_DIR/NAME.out/.err; sets RC
follow() {
	RC=0
	ph job run "$2" --follow > "$WH_DIR/$1.out" 2> "$WH_DIR/$1.err" || RC=$?
}
show() { echo "--- $1.out:" >&2; cat "$WH_DIR/$1.out" >&2; echo "--- $1.err:" >&2; cat "$WH_DIR/$1.err" >&2; }
# line NAME REGEX: number of the first line of NAME.out matching REGEX (0 = none)
line() { grep -n -E -m1 -- "$2" "$WH_DIR/$1.out" | cut -d: -f1 || echo 0; }

sync=$(orch_add acme sync sandbox '{"repos":2,"prs_per_repo":40,"page_size":5,"page_delay_ms":150}')
js=$(orch_job "$sync")
pe=$(orch_add acme pe orchtest '{"mode":"permanent"}')
jpe=$(orch_job "$pe")
jn=$(orch_add acme join orchtest '{"pages":25,"page_delay_ms":100}')
jj=$(orch_job "$jn")
tty=$(orch_add acme tty sandbox '{"repos":1,"prs_per_repo":30,"page_size":5,"page_delay_ms":200}')
jt=$(orch_job "$tty")
lost=$(orch_add acme lost orchtest '{"pages":100,"page_delay_ms":100}')
jl=$(orch_job "$lost")
fg=$(orch_add acme fg orchtest '{"pages":3}')
jf=$(orch_job "$fg")
done_later "$js"
for j in "$jpe" "$jj" "$jt" "$jl" "$jf"; do hold "$j"; done
orch_daemon main "$WH_CONF"

# ---- a sandbox sync handed to the daemon and followed to the end
follow sync "$sync"
[ "$RC" = 0 ] || { show sync; orch_dump; wh_fail "sandbox --follow exited $RC, expected 0"; }
wh_contains "$WH_DIR/sync.out" "following job $js of integration $sync in the daemon"
! grep -q "running in the foreground" "$WH_DIR/sync.err" || { show sync; wh_fail "fell back to the foreground with a daemon running"; }
s=$(line sync "^job $js started \(run [0-9]+\)$")
p=$(line sync '^extract [^:]*: [0-9]+/[0-9]+ \([0-9]+%\)')
c=$(line sync "^job $js completed \(run [0-9]+\) in [0-9.]+ s$")
[ "$s" -gt 0 ] && [ "$p" -gt "$s" ] && [ "$c" -gt "$p" ] ||
	{ show sync; wh_fail "expected started < progress < completed lines, got lines $s, $p, $c"; }
[ "$(grep -c "started (run" "$WH_DIR/sync.out")" = 1 ] || { show sync; wh_fail "started printed more than once"; }
grep -q -E ' ETA [0-9]+:[0-9]{2}$' "$WH_DIR/sync.out" || { show sync; wh_fail "no progress line with an ETA"; }
np=$(grep -c -E '^[a-z].*: [0-9]+(/[0-9]+ \([0-9]+%\))?( ETA [0-9:]+)?$' "$WH_DIR/sync.out" || :)
[ "$np" -ge 2 ] || { show sync; wh_fail "only $np progress lines"; }
# coalesced: at most one progress line a second (plus the first)
secs=$(wh_sql "SELECT ceil(extract(epoch FROM finished_at - started_at))::int FROM job_runs WHERE integration_id = $sync")
[ "$np" -le $((secs + 2)) ] || { show sync; wh_fail "$np progress lines for a ${secs} s run: not coalesced to one a second"; }
# it ran once, in the daemon, and its data is there
[ "$(orch_state "$js")" = FINISHED ] || wh_fail "job $js is $(orch_state "$js"), expected FINISHED"
[ "$(wh_sql "SELECT count(*) FROM job_runs WHERE integration_id = $sync AND state = 'FINISHED'")" = 1 ] ||
	{ wh_sql "SELECT id, state FROM job_runs WHERE integration_id = $sync" >&2; wh_fail "expected one finished run of $sync"; }
wh_sql "SELECT reason FROM job_transitions WHERE job_id = $js" | grep -q "picked by the orchestrator" ||
	wh_fail "job $js was not run by the daemon"
[ "$(wh_sql "SELECT count(*) FROM prs WHERE integration_id = $sync")" = 80 ] || wh_fail "expected 80 prs in the warehouse"
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $sync AND status <> 'completed'")" = 0 ] ||
	wh_fail "raw rows of $sync left unprocessed"

# ---- a permanent error: exit 1 and the plugin's message on stderr
follow pe "$pe"
[ "$RC" = 1 ] || { show pe; wh_fail "permanent error: --follow exited $RC, expected 1"; }
wh_contains "$WH_DIR/pe.err" "job run: job $jpe ended in error: "
wh_contains "$WH_DIR/pe.err" "token rejected (401); update it with \`pulse-host integration set-secret\`"
wh_contains "$WH_DIR/pe.out" "job $jpe started (run"
! grep -q completed "$WH_DIR/pe.out" || { show pe; wh_fail "a failed job printed completed"; }
[ "$(orch_state "$jpe")" = ERROR ] || wh_fail "job $jpe is $(orch_state "$jpe"), expected ERROR"

# ---- a job already RUNNING in the daemon is joined, not refused or rerun
T=$(orch_token acme user)
orch_expect 202 POST "/api/v1/jobs/$jj/resume" "$T"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $jj" RUNNING 20
follow join "$jn"
[ "$RC" = 0 ] || { show join; wh_fail "joining a RUNNING job exited $RC, expected 0"; }
wh_contains "$WH_DIR/join.out" "job $jj completed (run"
[ "$(head -n1 "$WH_DIR/join.out")" = "job run: following job $jj of integration $jn in the daemon at ${ORCH_URL#http://}" ] ||
	{ show join; wh_fail "joined job: the hand-over line is not first"; }
[ "$(wh_sql "SELECT count(*) FROM job_runs WHERE integration_id = $jn")" = 1 ] || wh_fail "joining ran job $jj again"
[ "$(wh_sql "SELECT count(*) FROM repositories WHERE integration_id = $jn")" = 25 ] || wh_fail "joined job: expected 25 records"

# ---- on a TTY: one bar redrawn in place, ending full
if command -v script >/dev/null 2>&1; then
	RC=0
	script -qec "'$WH_BIN' -c '$WH_CONF' job run $tty --follow" /dev/null > "$WH_DIR/tty.out" 2>&1 || RC=$?
	[ "$RC" = 0 ] || { cat -v "$WH_DIR/tty.out" >&2; wh_fail "--follow on a TTY exited $RC"; }
	grep -q $'\r\033\\[K\\[#*\\.*\\] *[0-9]*%  extract [a-z ]*  [0-9]*/[0-9]*  ETA [0-9]*:[0-9][0-9]' "$WH_DIR/tty.out" ||
		{ cat -v "$WH_DIR/tty.out" >&2; wh_fail "no redrawn bar with ETA on the TTY"; }
	grep -q '\[####################\] 100%' "$WH_DIR/tty.out" || { cat -v "$WH_DIR/tty.out" >&2; wh_fail "the bar does not end full"; }
	grep -q "job $jt completed" "$WH_DIR/tty.out" || { cat -v "$WH_DIR/tty.out" >&2; wh_fail "no completed line on the TTY"; }
else
	echo "orch-follow: no script(1); TTY bar not checked"
fi

# ---- SIGTERM (like Ctrl-C) ends the watching, not the job: exit 130
"$WH_BIN" -c "$WH_CONF" job run "$lost" --follow > "$WH_DIR/int.out" 2> "$WH_DIR/int.err" &
fpid=$!
harness_wait_for 20 "progress lines in int.out" harness_log_has "$WH_DIR/int.out" 'pages: [0-9]' ||
	{ show int; wh_fail "no progress from job $jl"; }
kill -TERM "$fpid"
RC=0
wait "$fpid" || RC=$?
[ "$RC" = 130 ] || { show int; wh_fail "a signal while following exited $RC, expected 130"; }
wh_contains "$WH_DIR/int.err" "stopped following job $jl; it keeps running in the daemon"
# It keeps running: it stores pages after the watcher is gone.
page_of_lost() { wh_sql "SELECT coalesce(max(value::int), 0) FROM integration_state WHERE integration_id = $lost AND key = 'page'"; }
p0=$(page_of_lost)
advanced() { [ "$(page_of_lost)" -gt "$p0" ]; }
wh_wait_for 30 "job $jl to store a page after the watcher stopped (page $p0)" advanced
[ "$(orch_state "$jl")" = RUNNING ] || wh_fail "stopping the watch changed job $jl to $(orch_state "$jl")"

# ---- the connection drops mid-job (the RUNNING job joined): exit 4
ph job run "$lost" --follow > "$WH_DIR/lost.out" 2> "$WH_DIR/lost.err" &
fpid=$!
harness_wait_for 20 "progress lines in lost.out" harness_log_has "$WH_DIR/lost.out" 'pages: [0-9]' ||
	{ show lost; wh_fail "no progress from the lost job"; }
kill -9 "$(cat "$WH_DIR/main.pid")"
wait "$(cat "$WH_DIR/main.pid")" 2>/dev/null || :
rm -f "$WH_DIR/main.pid"
RC=0
wait "$fpid" || RC=$?
[ "$RC" = 4 ] || { show lost; wh_fail "a dropped connection exited $RC, expected 4"; }
wh_contains "$WH_DIR/lost.err" "lost the connection to the daemon at 127.0.0.1:"
wh_contains "$WH_DIR/lost.err" "keeps running in the daemon"
wh_contains "$WH_DIR/lost.err" "/api/v1/jobs/$jl"

# ---- no daemon: say so, then run in the foreground as without --follow
follow fg "$fg"
[ "$RC" = 0 ] || { show fg; wh_fail "foreground fallback exited $RC, expected 0"; }
[ "$(head -n1 "$WH_DIR/fg.err")" = "no daemon at $(sed -n 's/^listen = "\(.*\)";/\1/p' "$WH_CONF"); running in the foreground" ] ||
	{ show fg; wh_fail "no 'no daemon at ...; running in the foreground' line"; }
wh_contains "$WH_DIR/fg.out" "job run: integration $fg (orchtest)"
[ "$(wh_sql "SELECT count(*) FROM repositories WHERE integration_id = $fg")" = 3 ] || wh_fail "foreground run: expected 3 records"
# what the user saw, for the log
for f in sync pe join int lost fg; do show "$f" 2>&1; done
[ ! -f "$WH_DIR/tty.out" ] || { echo "--- tty.out:"; cat -v "$WH_DIR/tty.out" | tail -c 1500; echo; }
echo "orch-follow: ok"
