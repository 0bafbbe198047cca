#!/bin/bash
# console-bench.sh [N]: how fast the web console loads from the daemon on
# loopback (issue 19 asks < 200 ms). N (default 30) first visits in
# headless Chromium (console-bench.mjs): navigation to the load event
# signed out, and to the console ready signed in by a link; p50 and p95.
# The baseline, measured in the same run: curl fetching the same files
# (the page, the stylesheet and every module) one after the other, N
# times, p50 and p95 of the whole set. A benchmark: it prints figures,
# it does not pass or fail on them.
# PostgreSQL: PULSE_TEST_PG_ADMIN_URL when set, else a private server.
set -euo pipefail
N=${1:-30}
BENCH_NAME=console-bench
. "$(dirname "$0")/bench-lib.sh"
. "$abs_top_srcdir/tests/harness/lib.sh"
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
. "$abs_top_srcdir/tests/harness/browser.sh"
trap 'orch_cleanup; bench_pg_cleanup' EXIT
deps=$abs_top_builddir/tests/node-deps
browser_deps "$deps" playwright-core@1
orch_setup
ph tenant add bench >/dev/null
orch_add bench sb sandbox '{"repos":1,"prs_per_repo":5}' >/dev/null
orch_daemon main "$WH_CONF"
link=$(ph token issue --tenant bench --role admin --ttl 1h --link)

# the baseline: the same files by curl, sequentially, on one connection
files=(/)
for f in $(sed -n 's|^\s*host/server/www/\([^ \\]*\).*|\1|p' "$abs_top_srcdir/host/local.mk"); do
	[ "$f" = index.html ] || files+=("/$f")
done
urls=()
for f in "${files[@]}"; do urls+=("$ORCH_URL$f"); done
: > "$WH_DIR/curl.ms"
for _ in $(seq "$N"); do
	t0=$(date +%s%N)
	curl -fsS "${urls[@]}" > /dev/null
	echo $(( ($(date +%s%N) - t0) / 1000 )) >> "$WH_DIR/curl.ms"
done
base=$(sort -n "$WH_DIR/curl.ms" | awk '{ a[NR] = $1 } END {
	p50 = a[int((NR + 1) / 2)]; i = int(NR * 0.95 + 0.999); p95 = a[i > NR ? NR : i];
	printf "p50 %.1f ms, p95 %.1f ms", p50 / 1000, p95 / 1000 }')
bytes=$(curl -fsS "${urls[@]}" | wc -c)

cp "$abs_top_srcdir/tests/bench/console-bench.mjs" "$deps/"
orch_node "$deps/console-bench.mjs" "$ORCH_URL" "$link" "$N" "$WH_DIR/console.json" > "$WH_DIR/console.out" 2>&1 ||
	{ cat "$WH_DIR/console.out"; wh_fail "the browser run failed"; }
read -r lp50 lp95 rp50 rp95 fp50 fp95 < <(python3 -c 'import json,sys; d = json.load(open(sys.argv[1]))
print("%.1f %.1f %.1f %.1f %.1f %.1f" % (d["load_p50_ms"], d["load_p95_ms"], d["ready_p50_ms"], d["ready_p95_ms"], d["floor_p50_ms"], d["floor_p95_ms"]))' "$WH_DIR/console.json")
python3 -c 'import json,sys
for e in json.load(open(sys.argv[1]))["waterfall"]:
    extra = " (DOMContentLoaded %.1f, load %.1f)" % (e["dom"], e["load"]) if e.get("load") else ""
    print("console-bench: waterfall %-22s asked %6.1f, first byte %6.1f, done %6.1f ms%s" % (e["name"], e["start"], e["response"], e["end"], extra))' "$WH_DIR/console.json"
echo "console-bench: $N first visits; load (signed out, to the load event): p50 $lp50 ms, p95 $lp95 ms"
echo "console-bench: $N first visits; ready (signed in by link, panels loaded): p50 $rp50 ms, p95 $rp95 ms"
echo "console-bench: baseline, the same browser loading a one-line page from node on loopback: p50 $fp50 ms, p95 $fp95 ms"
echo "console-bench: baseline, curl of the same ${#files[@]} files ($bytes bytes) in a row: $base"
echo "console-bench: load average $(cut -d' ' -f1-3 /proc/loadavg)"
orch_stop main
