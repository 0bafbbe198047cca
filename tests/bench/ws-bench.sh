#!/bin/bash
# ws-bench.sh [VIEWERS]: VIEWERS (default 1000) concurrent WebSocket
# viewers on a `pulse-host run` daemon while a sandbox sync runs; prints
# the p50 and p99 delay from a job process emitting an event to a viewer
# receiving it, and the daemon's RSS. A benchmark: it prints figures, it
# does not pass or fail on them.
# PostgreSQL: PULSE_TEST_PG_ADMIN_URL when set, else a private server.
set -euo pipefail
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${abs_top_builddir:=$PWD}"
export abs_top_srcdir abs_top_builddir
N=${1:-1000}
. "$abs_top_srcdir/tests/harness/lib.sh"
if [ -z "${PULSE_TEST_PG_ADMIN_URL:-}" ]; then
	BENCH_PG=$(harness_mktemp)
	pg_start "$BENCH_PG/pg"
	PULSE_TEST_PG_ADMIN_URL=$(pg_admin_url "$BENCH_PG/pg")
	export PULSE_TEST_PG_ADMIN_URL
	trap 'harness_destroy "$BENCH_PG"' EXIT
fi
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
[ -z "${BENCH_PG:-}" ] || trap 'orch_cleanup; harness_destroy "$BENCH_PG"' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || :
orch_setup
ph tenant add bench >/dev/null
# Two identical syncs: the baseline with one viewer, then N viewers.
sync='{"repos":4,"prs_per_repo":100,"page_size":5,"page_delay_ms":50}'
j1=$(orch_job "$(orch_add bench base sandbox "$sync")")
j2=$(orch_job "$(orch_add bench load sandbox "$sync")")
wh_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE id IN ($j1, $j2)" >/dev/null
orch_daemon main "$WH_CONF"
pid=$(cat "$WH_DIR/main.pid")
rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
url="ws://${ORCH_URL#http://}/ws/progress?token=$(orch_token bench view)"

# daemon_ticks: the daemon's user + system CPU time, in clock ticks.
daemon_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

# watch JOB VIEWERS: resume JOB with VIEWERS connected, print the figures.
watch() {
	local j=$1 n=$2 bpid t0 secs rss1 hwm rss2 cpu0 cpu1
	: > "$WH_DIR/bench.$j.out"
	orch_node "$abs_top_srcdir/tests/bench/ws-bench.mjs" "$url" "$n" "$j" "$WH_DIR/bench.$j.json" \
		> "$WH_DIR/bench.$j.out" 2>&1 &
	bpid=$!
	for _ in $(seq 600); do grep -q '^open' "$WH_DIR/bench.$j.out" && break; sleep 0.1; done
	grep -q '^open' "$WH_DIR/bench.$j.out" || { cat "$WH_DIR/bench.$j.out"; wh_fail "viewers did not connect"; }
	rss1=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
	t0=$(harness_now)
	cpu0=$(daemon_ticks)
	curl -fsS -X POST -H "Authorization: Bearer $(orch_token bench user)" "$ORCH_URL/api/v1/jobs/$j/resume" >/dev/null
	wait "$bpid" || :
	secs=$(harness_elapsed "$t0")
	cpu1=$(daemon_ticks)
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
	rss2=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
	echo "ws-bench: $n viewer(s): $(cat "$WH_DIR/bench.$j.json")"
	echo "ws-bench: $n viewer(s): job $(orch_state "$j") in $secs s; daemon RSS idle ${rss0} kB, with the viewers ${rss1} kB, after the run ${rss2} kB, peak ${hwm} kB"
	echo "ws-bench: $n viewer(s): daemon CPU $(awk -v a="$cpu0" -v b="$cpu1" -v s="$secs" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.1f s (%.0f %% of one core)", (b - a) / hz, 100 * (b - a) / hz / s }') over the run; load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
watch "$j1" 1
watch "$j2" "$N"
orch_stop main
