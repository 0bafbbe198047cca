#!/bin/bash
# DORA metrics against a hand-built dataset (tests/fixtures/dora/golden.sql)
# whose expected values were worked out by hand; the arithmetic is in the
# comments next to each expectation. Runs `pulse-host dora --json` as the
# app role (row-level security in force) in a database of its own.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"

B=$PULSE_HOST_BIN
FIX="$abs_top_srcdir/tests/fixtures/dora/golden.sql"
W=(--from 2024-01-01 --to 2024-02-05)    # 35 days = 5 weeks, 2 months
DIR=$(harness_mktemp)
DB="dora_golden_$$_$(harness_random_hex 6)"
fails=0

cleanup() {
	harness_app_db_drop "$DB"
	harness_destroy "$DIR"
}
trap cleanup EXIT

for v in PULSE_TEST_PG_ADMIN_URL PULSE_HOST_BIN; do
	[ -n "${!v:-}" ] || { echo "$v is not set: run this test through make check" >&2; exit 99; }
done
command -v python3 >/dev/null || { echo "python3 is needed to read the JSON" >&2; exit 99; }

harness_app_db "$DB" "$DIR" || exit 99
ADMIN=$HARNESS_DB_ADMIN_URL
export PULSE_HOST_DATABASE_URL=$HARNESS_DB_APP_URL
CONF="$DIR/pulse-host.conf"
: > "$CONF"
# The fixture goes in as the app role: it must satisfy the RLS policies.
psql -X -q -v ON_ERROR_STOP=1 "$PULSE_HOST_DATABASE_URL" -f "$FIX" >/dev/null

dora() { "$B" -c "$CONF" dora "$@"; }

# assert_json NAME FILE: each stdin line "PATH OP VALUE" (OP: = exact, numbers
# within 0.01; ~ substring; != not equal) is checked against the JSON in FILE.
assert_json() {
	local name=$1 file=$2 out
	if out=$(python3 - "$file" 3<&0 <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
bad = 0
for line in open(3):
    line = line.split('#', 1)[0].strip()
    if not line:
        continue
    path, op, want = line.split(None, 2)
    v = doc
    for k in path.split('.'):
        v = v[int(k)] if isinstance(v, list) else v[k]
    want = json.loads(want)
    if op == '=':
        ok = (abs(v - want) <= 0.01 if isinstance(want, (int, float)) and
              not isinstance(want, bool) and isinstance(v, (int, float)) else v == want)
    elif op == '!=':
        ok = v != want
    elif op == '~':
        ok = isinstance(v, str) and want in v
    else:
        raise SystemExit('bad operator ' + op)
    if not ok:
        print('  %s: got %r, want %s %r' % (path, v, op, want))
        bad += 1
sys.exit(1 if bad else 0)
PY
	); then
		echo "ok - $name"
	else
		echo "not ok - $name"
		printf '%s\n' "$out"
		fails=$((fails + 1))
	fi
}

check() {   # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

# ------------------------------------------------------------ tenant A, all
dora --tenant dora-a "${W[@]}" --json > "$DIR/a.json"
assert_json "tenant A, all repositories" "$DIR/a.json" <<'EOF'
scope.repository_count = 3
window.from = "2024-01-01T00:00:00Z"
window.to = "2024-02-05T00:00:00Z"
# Successful production deployments in the window: A1 (2 Jan), A2 (3 Jan;
# its failed first attempt A2f does not count), A3 (10 Jan), A4 (11 Jan),
# W1 (2 Jan), W2 (24 Jan) = 6 on 5 distinct days. S1 is staging, D1 a
# preview, W3 (10 Feb) after the window.
deployment_frequency.deployments = 6
deployment_frequency.deployment_days = 5
# Days per week: wk0 1-7 Jan {2,3} = 2, wk1 {10,11} = 2, wk2 = 0,
# wk3 {24} = 1, wk4 = 0 -> sorted 0 0 1 2 2 -> median 1.
deployment_frequency.weeks = 5
deployment_frequency.value = 1
deployment_frequency.band = "high"
# Months (30 days): 1-30 Jan = 5 days, 31 Jan-4 Feb = 0 -> (0+5)/2.
deployment_frequency.median_days_per_month = 2.5
deployment_frequency.display = "1.0 days/week"
deployment_frequency.reason = null
# Changes deployed in the window (hours from first commit to deployment):
#  PR1  30 Dec 10:00 -> A1  2 Jan 10:00 =  72   (range)
#  PR2   2 Jan 12:00 -> A2  3 Jan 11:00 =  23   (range; not A2f at 09:00)
#  PR3   4 Jan 10:00 -> A3 10 Jan 15:00 = 149   (first commit from prs_commits)
#  PR4   9 Jan 09:00 -> A3 10 Jan 15:00 =  30   (range)
#  PR5  11 Jan 06:00 -> A4 11 Jan 08:00 =   2   (range)
#  PR7  28 Dec 10:00 -> A1  2 Jan 10:00 = 120   (merged before the window)
#  PR8  29 Dec 12:00 -> W1  2 Jan 18:00 = 102   (no ranges: next web deployment)
#  PR9  14 Jan 09:00 -> W2 24 Jan 12:00 = 243   (no ranges)
# sorted 2 23 30 72 102 120 149 243 -> (72+102)/2 = 87 h = 313200 s
lead_time.sample = 8
lead_time.value = 313200
lead_time.display = "3.6 days"
lead_time.band = "high"
lead_time.methods.commit_range = 6
lead_time.methods.deployment_after_merge = 2
# Merged in the window: PR1-6, PR9, PR10 = 8; PR6 (m6 in no range) and
# PR10 (next web deployment W3 is after the window) were not deployed.
lead_time.merged = 8
lead_time.merged_deployed = 6
lead_time.not_deployed = 2
lead_time.sample_text ~ "8 PRs merged in it, 2 not deployed"
# coding (opened - first commit): 47 2 26 1 0.5 2 1 1 -> (1+2)/2 = 1.5 h
lead_time.breakdown.coding.value = 5400
lead_time.breakdown.coding.sample = 8
# pickup: PR1 4 h (bob), PR2 1 h (carol; alice is the author, ci[bot] a
# bot), PR4 1 h, PR5 0.25 h, PR9 2 h; PR3's only comment came after the
# merge -> 0.25 1 1 2 4 -> 1 h
lead_time.breakdown.pickup.value = 3600
lead_time.breakdown.pickup.sample = 5
# review (merge - pickup, or - opening): 19 17 72 5 0.25 22 23 21
# -> sorted 0.25 5 17 19 21 22 23 72 -> (19+21)/2 = 20 h
lead_time.breakdown.review.value = 72000
# deploy (deployment - merge): 2 3 51 23 1 96 78 219 -> (23+51)/2 = 37 h
lead_time.breakdown.deploy.value = 133200
# Incidents -> latest successful production deployment before them:
#  OPS-1 3 Jan 12:00 -> A2 (OPS mapped to acme/api)   resolved in 2 h
#  OPS-4 3 Jan 13:00 -> A2                            48 h
#  OPS-3 12 Jan 09:00 -> A4                           0.5 h
#  OPS-7 25 Jan 10:00 -> A4                           unresolved
#  WEB-2 2 Jan 19:00 -> W1 (WEB unmapped: any repo)   24 h
#  WEB-8 24 Jan 13:00 -> W2                           3 h
#  NEW-5 15 Jan: NEW is mapped to acme/docs, which never deployed to
#        production -> not attributed. OPS-6 is a Bug: not an incident.
# Failed deployments: A2, A4, W1, W2 = 4 of 6 = 66.67 %
change_failure_rate.deployments = 6
change_failure_rate.failed_deployments = 4
change_failure_rate.incidents = 6
change_failure_rate.value = 66.67
change_failure_rate.display = "66.7 %"
change_failure_rate.band = "low"
change_failure_rate.attribution.project_mapping = 4
change_failure_rate.attribution.any_repository = 2
# Recovery: resolved attributed ones 0.5 2 3 24 48 -> 3 h
recovery_time.incidents = 7
recovery_time.attributed = 6
recovery_time.resolved = 5
recovery_time.value = 10800
recovery_time.display = "3.0 h"
recovery_time.band = "high"
EOF

# ------------------------------------------------------------ one repository
dora --tenant dora-a --repo acme/web "${W[@]}" --json > "$DIR/web.json"
assert_json "tenant A, --repo acme/web (no commit ranges)" "$DIR/web.json" <<'EOF'
scope.repositories.0 = "acme/web"
# W1 (wk0) and W2 (wk3): weeks 1 0 0 1 0 -> median 0; months 2, 0 -> 1:
# below 1 day a week, at least 1 a month -> medium.
deployment_frequency.deployments = 2
deployment_frequency.value = 0
deployment_frequency.median_days_per_month = 1
deployment_frequency.band = "medium"
# PR8 102 h, PR9 243 h -> 172.5 h = 621000 s (> 7 days -> medium)
lead_time.value = 621000
lead_time.band = "medium"
lead_time.methods.commit_range = 0
lead_time.methods.deployment_after_merge = 2
lead_time.merged = 2
lead_time.not_deployed = 1
# coding 1, 1 -> 1 h; pickup PR9 only, 2 h; review 23, 21 -> 22 h;
# deploy 78, 219 -> 148.5 h
lead_time.breakdown.coding.value = 3600
lead_time.breakdown.pickup.value = 7200
lead_time.breakdown.pickup.sample = 1
lead_time.breakdown.review.value = 79200
lead_time.breakdown.deploy.value = 534600
# W1 (WEB-2) and W2 (WEB-8) both failed: 2 of 2
change_failure_rate.value = 100
change_failure_rate.failed_deployments = 2
change_failure_rate.attribution.any_repository = 2
# WEB-2 24 h, WEB-8 3 h -> 13.5 h
recovery_time.value = 48600
recovery_time.attributed = 2
EOF

# ------------------------------------------------------------ one project
dora --tenant dora-a --project OPS "${W[@]}" --json > "$DIR/ops.json"
assert_json "tenant A, --project OPS (mapped to acme/api)" "$DIR/ops.json" <<'EOF'
scope.project = "OPS"
scope.repositories.0 = "acme/api"
# A1, A2 (wk0), A3, A4 (wk1): 2 2 0 0 0 -> 0; months 4, 0 -> 2 -> medium
deployment_frequency.deployments = 4
deployment_frequency.value = 0
deployment_frequency.median_days_per_month = 2
deployment_frequency.band = "medium"
# 72 23 149 30 2 120 -> sorted 2 23 30 72 120 149 -> (30+72)/2 = 51 h
lead_time.value = 183600
lead_time.sample = 6
lead_time.merged = 6
lead_time.not_deployed = 1
lead_time.methods.commit_range = 6
# Only OPS incidents: A2 (OPS-1, OPS-4) and A4 (OPS-3, OPS-7): 2 of 4
change_failure_rate.value = 50
change_failure_rate.incidents = 4
change_failure_rate.attribution.project_mapping = 4
change_failure_rate.attribution.any_repository = 0
# OPS-1 2 h, OPS-3 0.5 h, OPS-4 48 h (OPS-7 unresolved) -> 2 h
recovery_time.incidents = 4
recovery_time.resolved = 3
recovery_time.value = 7200
EOF

# ------------------------------------------------------------ empty figures say why
dora --tenant dora-a --project NEW "${W[@]}" --json > "$DIR/new.json"
assert_json "tenant A, --project NEW: empty figures with reasons" "$DIR/new.json" <<'EOF'
deployment_frequency.value = null
deployment_frequency.band = null
deployment_frequency.reason ~ "no deployments matched environment regex 'prod|production' in 1 repository"
deployment_frequency.reason ~ "(1 went to preview)"
lead_time.value = null
lead_time.reason ~ "no merged PR in the window was deployed (0 merged, 0 deployed)"
change_failure_rate.value = null
change_failure_rate.reason ~ "no successful production deployment in the window"
# NEW-5 has no earlier deployment in acme/docs
recovery_time.value = null
recovery_time.incidents = 1
recovery_time.attributed = 0
recovery_time.reason ~ "1 incident in the window, none after a successful production deployment"
EOF

# Default window: the last 90 days; the fixture is from 2024.
dora --tenant dora-a --json > "$DIR/now.json"
assert_json "tenant A, default window (last 90 days): nothing, and why" "$DIR/now.json" <<'EOF'
window.days = 90
deployment_frequency.value = null
deployment_frequency.reason ~ "no deployment at all in the window in 3 repositories"
lead_time.reason ~ "(0 merged, 0 deployed)"
recovery_time.reason ~ "no incident was created in the window"
EOF

# ------------------------------------------------------------ tenant B
dora --tenant dora-b "${W[@]}" --json > "$DIR/b.json"
assert_json "tenant B: own numbers, none of A's rows" "$DIR/b.json" <<'EOF'
scope.repository_count = 1
# B1 16 Jan, B2 17 Jan, B3 18 Jan (B4 failed): wk2 = 3 days, others 0 -> 0;
# months 3, 0 -> 1.5 -> medium
deployment_frequency.deployments = 3
deployment_frequency.value = 0
deployment_frequency.median_days_per_month = 1.5
# PRB1: first commit 15 Jan 09:00, merged 16 Jan 09:00; B has no commit
# ranges (A's deployment_commits hold the same SHA m1 for a repository of
# the same name: they must not be seen) -> next deployment B1 16 Jan 10:00
# = 25 h
lead_time.value = 90000
lead_time.methods.commit_range = 0
lead_time.methods.deployment_after_merge = 1
lead_time.breakdown.coding.value = 3600
lead_time.breakdown.pickup.sample = 0
lead_time.breakdown.review.value = 82800
lead_time.breakdown.deploy.value = 3600
# B-1 (10 Jan) precedes every B deployment: not attributed. B-2 17 Jan
# 12:00 -> B2: 1 failed of 3 = 33.33 %; resolved in 6 h.
change_failure_rate.value = 33.33
change_failure_rate.failed_deployments = 1
recovery_time.incidents = 2
recovery_time.attributed = 1
recovery_time.value = 21600
EOF

# ------------------------------------------------------------ text output
dora --tenant dora-a "${W[@]}" > "$DIR/a.txt"
check "text: a table with value, band and sample per metric" \
	grep -q '^deployment frequency   1.0 days/week   high    6 deployments on 5 days over 5 weeks$' "$DIR/a.txt"
check "text: lead time line and breakdown" bash -c \
	"grep -q '^lead time for changes  3.6 days        high ' '$DIR/a.txt' &&
	 grep -q 'coding 1.5 h, pickup 1.0 h, review 20.0 h, deploy 37.0 h' '$DIR/a.txt'"
check "text: change failure rate and recovery time" bash -c \
	"grep -q '^change failure rate    66.7 %          low ' '$DIR/a.txt' &&
	 grep -q '^recovery time          3.0 h           high ' '$DIR/a.txt'"
dora --tenant dora-a --project NEW "${W[@]}" > "$DIR/new.txt"
check "text: an empty figure says why" \
	grep -q "^why no deployment frequency: no deployments matched environment regex 'prod|production'" "$DIR/new.txt"

# ------------------------------------------------------------ no incident mapping
psql -X -q -v ON_ERROR_STOP=1 "$ADMIN" -c "DELETE FROM wits_mappings WHERE tenant_id = 1002"
dora --tenant dora-b "${W[@]}" --json > "$DIR/b-nomap.json"
assert_json "tenant B without an Incident mapping" "$DIR/b-nomap.json" <<'EOF'
change_failure_rate.value = null
change_failure_rate.reason = "no work item type is mapped to Incident (see `pulse-host mapping`)"
recovery_time.value = null
recovery_time.reason ~ "no work item type is mapped to Incident"
deployment_frequency.deployments = 3
EOF
psql -X -q -v ON_ERROR_STOP=1 "$ADMIN" -c \
	"INSERT INTO wits_mappings (tenant_id, integration_id, source_name, canonical_type) VALUES (1002, 22, 'Incident', 'Incident')"

# ------------------------------------------------------------ isolation
# Tenant B's report must not change when every row of A is gone.
psql -X -q -v ON_ERROR_STOP=1 "$ADMIN" -c "DELETE FROM tenants WHERE id = 1001"
dora --tenant dora-b "${W[@]}" --json > "$DIR/b-alone.json"
check "tenant B's report is identical without tenant A's rows" \
	cmp -s "$DIR/b.json" "$DIR/b-alone.json"
check "tenant A is gone" bash -c "! '$B' -c '$CONF' dora --tenant dora-a ${W[*]} 2>/dev/null"

# ------------------------------------------------------------ mapping commands
dora map --tenant dora-b > "$DIR/map0.txt"
check "dora map lists nothing at first" grep -q 'no project is mapped' "$DIR/map0.txt"
dora map --tenant dora-b 20001 acme/API >/dev/null
dora map --tenant dora-b > "$DIR/map1.txt"
check "dora map adds (lower-cased) and lists" grep -q '^20001 *acme/api *yes$' "$DIR/map1.txt"
dora --tenant dora-b --project 20001 "${W[@]}" --json > "$DIR/b-proj.json"
assert_json "tenant B, --project 20001 after mapping" "$DIR/b-proj.json" <<'EOF'
scope.repositories.0 = "acme/api"
deployment_frequency.deployments = 3
change_failure_rate.attribution.project_mapping = 1
change_failure_rate.attribution.any_repository = 0
EOF
dora unmap --tenant dora-b 20001 acme/api >/dev/null
check "dora unmap removes" grep -q 'no project is mapped' <(dora map --tenant dora-b)
check "dora unmap of a missing mapping fails" bash -c \
	"! '$B' -c '$CONF' dora unmap --tenant dora-b 20001 acme/api 2>/dev/null"

# ------------------------------------------------------------ usage errors
rc=0; dora --tenant dora-b --from 2024-13-45 2>"$DIR/err1" >/dev/null || rc=$?
check "a bad date is a usage error (exit 2) that says so" bash -c \
	"[ $rc = 2 ] && grep -q -- \"--from '2024-13-45'\" '$DIR/err1'"
rc=0; dora --tenant dora-b --from 2024-02-01 --to 2024-01-01 2>"$DIR/err2" >/dev/null || rc=$?
check "an empty window is a usage error" bash -c "[ $rc = 2 ] && grep -q 'window is empty' '$DIR/err2'"
rc=0; dora --tenant dora-b --project X --repo a/b 2>/dev/null >/dev/null || rc=$?
check "--project with --repo is a usage error" test "$rc" = 2
rc=0; dora --tenant nobody 2>"$DIR/err3" >/dev/null || rc=$?
check "an unknown tenant fails and names it" bash -c "[ $rc = 1 ] && grep -q \"no tenant 'nobody'\" '$DIR/err3'"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
