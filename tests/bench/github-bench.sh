#!/bin/bash
# tests/bench/github-bench.sh: sync a GitHub sandbox organization with the
# github plugin (`pulse-host job run --in-process`) and report
#   - records loaded per second (extract + transform + load, wall clock),
#   - API calls used vs. the minimum the data needs (ratio),
#   - peak RSS of the pulse-host process,
#   - the cost of a second sync with nothing new.
#
#   tests/bench/github-bench.sh [REPOS [PRS [SEED]]]     default 50 2000 1
#
# Run from a build directory after `make`, or with abs_top_builddir set. It
# uses PULSE_TEST_PG_ADMIN_URL when set (as under `make check`), else it
# starts a private PostgreSQL of its own (tests/harness/lib.sh).
#
# "Minimum" counts, from the sandbox's truth, the calls an ideal client
# needs at GitHub's page sizes: the org's repository list (100 per page);
# per repository ceil(PRs/50) GraphQL pages, the nested-connection pages
# past the first (commits 100, reviews 50, comments 50 on the PR page; 100
# per follow-up) packed 10 per follow-up query, the deployment list (100
# per page), one statuses call per deployment, and one compare per range
# of commits between consecutive successful production deployments.
set -euo pipefail

BENCH_NAME=github-bench
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
REPOS=${1:-50}
PRS=${2:-2000}
SEED=${3:-1}
. "$abs_top_srcdir/tests/connectors/github-lib.sh"
GH_ON_EXIT=bench_pg_cleanup
trap bench_pg_cleanup EXIT

# Limits far above GitHub's (5,000 REST calls and 5,000 GraphQL points per
# hour and token), so the benchmark measures pulse-host, not the hourly
# windows; the report says how many token-hours GitHub's limits would take.
gh_setup github-bench --seed "$SEED" --repos "$REPOS" --prs "$PRS" \
	--rest-limit 100000000 --graphql-limit 100000000
id=$(gh_integration '{"org":"acme"}')

# Generate the sandbox data before timing (it is generated lazily).
gh_truth summary=1 > "$GH_DIR/summary.json"

gh_stats_reset
t0=$(harness_now)
GH_LOG="$GH_DIR/bench.run1.log"
/usr/bin/time -f '%M %e' -o "$GH_DIR/time1" "$B" -c "$GH_CONF" job run --in-process \
	"$id" >"$GH_LOG" 2>&1 || { tail -30 "$GH_LOG" >&2; gh_fail "job run failed"; }
secs=$(harness_elapsed "$t0")
gh_stats > "$GH_DIR/stats1.json"
gh_truth main=1 > "$GH_DIR/truth.json"

records=$(gh_sql "SELECT (SELECT count(*) FROM repositories) + (SELECT count(*) FROM prs)
	+ (SELECT count(*) FROM prs_commits) + (SELECT count(*) FROM prs_reviews)
	+ (SELECT count(*) FROM prs_comments) + (SELECT count(*) FROM deployments)
	+ (SELECT count(*) FROM deployment_commits)")
rss_kb=$(cut -d' ' -f1 "$GH_DIR/time1")

# A second sync with nothing new.
gh_stats_reset
t1=$(harness_now)
/usr/bin/time -f '%M %e' -o "$GH_DIR/time2" "$B" -c "$GH_CONF" job run --in-process \
	"$id" >"$GH_DIR/bench.run2.log" 2>&1 || { tail -30 "$GH_DIR/bench.run2.log" >&2; gh_fail "second run failed"; }
secs2=$(harness_elapsed "$t1")
gh_stats > "$GH_DIR/stats2.json"

node - "$GH_DIR" "$records" "$secs" "$rss_kb" "$secs2" "$REPOS" "$PRS" <<'EOF'
const fs = require('fs');
const [dir, records, secs, rssKb, secs2, repos, prs] = process.argv.slice(2);
const j = (f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
const truth = j('truth.json');
const s1 = j('stats1.json');
const s2 = j('stats2.json');
const env = /prod|production/i;
let gql = 0, follow = 0, rest = Math.ceil(truth.repos.length / 100), nPrs = 0;
for (const r of truth.repos) {
  nPrs += r.prs.length;
  gql += Math.max(1, Math.ceil(r.prs.length / 50));
  let extra = 0;
  for (const p of r.prs) {
    if (p.commits > 100) extra += Math.ceil((p.commits - 100) / 100);
    if (p.reviews > 50) extra += Math.ceil((p.reviews - 50) / 100);
    if (p.comments > 50) extra += Math.ceil((p.comments - 50) / 100);
  }
  follow += Math.ceil(extra / 10);
  rest += Math.max(1, Math.ceil(r.deployments.length / 100)) + r.deployments.length;
  const prod = r.deployments.filter((d) => env.test(d.environment) && d.latest_status === 'success')
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id));
  for (let i = 1; i < prod.length; i++) if (prod[i].sha !== prod[i - 1].sha) rest++;
}
const min = gql + follow + rest;
const used = s1.requests;
const out = [
  `github-bench: ${repos} repos x ${prs} PRs (${nPrs} PRs in the sandbox)`,
  `  first sync:       ${records} records in ${secs} s = ${Math.round(records / secs)} records/s`,
  `  API calls:        ${used} used (GraphQL ${s1.graphql}, ${s1.graphql_points} points; REST ${s1.rest + s1.rest_304})`,
  `  minimum:          ${min} (GraphQL ${gql} PR pages + ${follow} follow-ups; REST ${rest})`,
  `  ratio:            ${(used / min).toFixed(2)}`,
  `  peak RSS:         ${(rssKb / 1024).toFixed(1)} MiB (pulse-host, /usr/bin/time %M)`,
  `  GitHub quota:     ${Math.max(Math.ceil((s1.rest + s1.rest_304) / 5000), Math.ceil(s1.graphql_points / 5000))} token-hour(s) at 5,000 REST calls / 5,000 GraphQL points per hour`,
  `  no-change sync:   ${secs2} s, ${s2.requests} calls (GraphQL ${s2.graphql} / ${s2.graphql_points} points, REST ${s2.rest} + ${s2.rest_304} x 304)`,
];
console.log(out.join('\n'));
EOF
