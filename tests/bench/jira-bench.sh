#!/bin/bash
# tests/bench/jira-bench.sh: sync a Jira sandbox site with the jira plugin
# (`pulse-host job run --in-process`) and report
#   - records loaded per second (extract + transform + load, wall clock),
#   - API calls used per issue,
#   - peak RSS of the pulse-host process,
#   - the cost of a second, incremental sync with nothing new.
#
#   tests/bench/jira-bench.sh [PROJECTS [ISSUES [SEED]]]   default 20 1000 1 (20,000 issues)
#
# ISSUES is per project. Run from a build directory after `make`, or with
# abs_top_builddir set. It uses PULSE_TEST_PG_ADMIN_URL when set (as under
# `make check`), else it starts a private PostgreSQL of its own.
set -euo pipefail

BENCH_NAME=jira-bench
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
PROJECTS=${1:-20}
ISSUES=${2:-1000}
SEED=${3:-1}
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"
JR_ON_EXIT=bench_pg_cleanup
trap bench_pg_cleanup EXIT

jr_setup jira-bench --seed "bench$SEED" --projects "$PROJECTS" --issues "$ISSUES"
id=$(jr_integration '{}')

# Let the sandbox generate its data before timing.
jr_truth transitions=0 > "$JR_DIR/truth.json"

jr_stats_reset
t0=$(harness_now)
JR_LOG="$JR_DIR/bench.run1.log"
/usr/bin/time -f '%M %e' -o "$JR_DIR/time1" "$B" -c "$JR_CONF" job run --in-process \
	"$id" >"$JR_LOG" 2>&1 || { tail -30 "$JR_LOG" >&2; jr_fail "job run failed"; }
secs=$(harness_elapsed "$t0")
jr_stats > "$JR_DIR/stats1.json"
records=$(jr_sql "SELECT (SELECT count(*) FROM work_items WHERE integration_id = $id)
	+ (SELECT count(*) FROM changelogs WHERE integration_id = $id)")
rss_kb=$(cut -d' ' -f1 "$JR_DIR/time1")

jr_stats_reset
t1=$(harness_now)
/usr/bin/time -f '%M %e' -o "$JR_DIR/time2" "$B" -c "$JR_CONF" job run --in-process \
	"$id" >"$JR_DIR/bench.run2.log" 2>&1 || { tail -30 "$JR_DIR/bench.run2.log" >&2; jr_fail "second run failed"; }
secs2=$(harness_elapsed "$t1")
jr_stats > "$JR_DIR/stats2.json"

node - "$JR_DIR" "$records" "$secs" "$rss_kb" "$secs2" "$PROJECTS" "$ISSUES" <<'EOF'
// Minimum calls the data needs: issue search pages at Jira's 100 per page,
// bulk changelog pages (1,000 histories each) for the issues whose history
// exceeds the 20 embedded in a search result, one dev-status call per
// issue with linked pull requests. Metadata calls (projects, statuses,
// boards, sprints, ...) are listed apart: they do not grow with the data.
const fs = require('fs');
const [dir, records, secs, rssKb, secs2, projects, issues] = process.argv.slice(2);
const j = (f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
const truth = j('truth.json');
const s1 = j('stats1.json');
const s2 = j('stats2.json');
const n = truth.issues.length;
const long = truth.issues.filter((i) => i.changelogCount > 20);
const histories = truth.issues.reduce((a, i) => a + i.changelogCount, 0);
const minSearch = Math.ceil(n / 100);
const minBulk = Math.ceil(long.reduce((a, i) => a + i.changelogCount, 0) / 1000);
const minDev = truth.issues.filter((i) => i.pullRequests.length > 0).length;
const dataPaths = /search|changelog|dev-status/;
let dataCalls = 0, metaCalls = 0;
for (const [p, c] of Object.entries(s1.by_path)) (dataPaths.test(p) ? dataCalls += c : metaCalls += c);
const min = minSearch + minBulk + minDev;
const used = (re) => Object.entries(s1.by_path).filter(([p]) => re.test(p)).reduce((a, [, c]) => a + c, 0);
const lines = [
  `jira-bench: ${projects} projects x ${issues} issues (${n} issues, ${histories} changelog entries in the sandbox)`,
  `  first sync:       ${records} records (work items + changelog rows) in ${secs} s = ${Math.round(records / secs)} records/s`,
  `  API calls:        ${s1.requests} (${dataCalls} for issues/changelogs/dev-status, ${metaCalls} metadata; 429s: ${s1.rate_limited})`,
  `  minimum:          ${min} (search ${minSearch} + bulk changelog ${minBulk} + dev-status ${minDev}); ratio ${(dataCalls / min).toFixed(2)}`,
  `  by kind:          search ${used(/search\/jql/)}/${minSearch}, changelog ${used(/changelog/)}/${minBulk}, dev-status ${used(/dev-status/)}/${minDev} (used/minimum; dev-status is asked only for the issues whose Development field shows pull requests)`,
  `  peak RSS:         ${(rssKb / 1024).toFixed(1)} MiB (pulse-host, /usr/bin/time %M)`,
  `  no-change sync:   ${secs2} s, ${s2.requests} calls (the first sync: ${secs} s, ${s1.requests} calls)`,
  `  calls by path:`,
];
for (const [p, c] of Object.entries(s1.by_path).sort((a, b) => b[1] - a[1])) lines.push(`    ${String(c).padStart(7)}  ${p}`);
console.log(lines.join('\n'));
EOF
