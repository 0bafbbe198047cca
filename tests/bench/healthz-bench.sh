#!/bin/bash
# healthz-bench.sh [N]: /healthz latency (p50, p99, max over N requests,
# default 300, one kept-alive connection) on a `pulse-host run` daemon:
# first quiet (the baseline), then while a table is locked in another
# session and API calls keep the API thread waiting on that lock (issue
# 11 item 12: the target is < 50 ms). A benchmark: it prints figures, it
# does not pass or fail on them.
# PostgreSQL: PULSE_TEST_PG_ADMIN_URL when set, else a private server.
set -euo pipefail
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${abs_top_builddir:=$PWD}"
export abs_top_srcdir abs_top_builddir
N=${1:-300}
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
orch_setup
sed -i 's/^worker_roles = .*/worker_roles = ["server"];/' "$WH_CONF"
echo 'database = { statement_timeout_ms = 30000; lock_timeout_ms = 5000; };' >> "$WH_CONF"
ph tenant add bench >/dev/null
orch_add bench s1 sandbox '{"repos":1,"prs_per_repo":3,"page_size":5}' >/dev/null
orch_daemon main "$WH_CONF"
PORT=$(orch_port "$WH_CONF")
T=$(orch_token bench view)

# measure LABEL: N sequential GET /healthz on one connection.
measure() {
	/usr/bin/python3 - "$PORT" "$N" "$1" <<'PY'
import http.client, sys, time
port, n, label = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
ms = []
for _ in range(n):
    t0 = time.monotonic()
    c.request("GET", "/healthz")
    r = c.getresponse()
    r.read()
    ms.append((time.monotonic() - t0) * 1000)
    assert r.status == 200, r.status
ms.sort()
print("%-26s p50 %.2f ms  p99 %.2f ms  max %.2f ms  (n=%d)" %
      (label, ms[len(ms) // 2], ms[int(len(ms) * 0.99) - 1], ms[-1], n))
PY
}

measure "healthz quiet (baseline)"
harness_hold "$WH_DIR" "$WH_ADMIN" "LOCK TABLE integrations IN ACCESS EXCLUSIVE MODE"
# Keep the API thread busy on the lock the whole time.
( while :; do curl -s -o /dev/null -H "Authorization: Bearer $T" \
	"http://127.0.0.1:$PORT/api/v1/integrations"; done ) &
LOOP=$!
sleep 0.5
measure "healthz, table locked"
kill "$LOOP"; wait "$LOOP" 2>/dev/null || :
harness_release
orch_stop main
