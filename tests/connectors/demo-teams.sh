#!/bin/bash
# demo-teams: scripts/demo.sh (small: 2 repositories, 20 PRs each, 20
# issues per project) with its Entra ID directory ends with one DORA line
# per team, and each line equals the figures this test computes itself:
# the teams' GitHub logins come from the directory the demo seeded (not
# from the people tables), the figures from the warehouse by plain SQL
# (dora_changes / dora_incidents of 010 say which change shipped when and
# which deployment an incident belongs to; the team rule of docs/people.md
# and the medians are spelt out here).
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"

for t in jq node psql; do
	command -v "$t" >/dev/null || { echo "demo-teams: $t is not installed" >&2; exit 1; }
done
OUT=$(harness_mktemp)
work= pids=
cleanup() {
	local p
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	[ -n "$work" ] && harness_destroy "$work" >/dev/null 2>&1 || true
	harness_destroy "$OUT" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "demo-teams: FAIL: $*" >&2; exit 1; }

rc=0
DEMO_BUILD_DIR=$abs_top_builddir bash "$abs_top_srcdir/scripts/demo.sh" --keep \
	--repos 2 --prs 20 --issues 20 >"$OUT/demo.out" 2>&1 || rc=$?
# what --keep left running, from its last lines (cleaned up even on failure)
work=$(sed -n 's/.*; and remove \(.*\)$/\1/p' "$OUT/demo.out" | tail -n 1)
pids=$(sed -n 's/.*stop all with: kill \([0-9 ]*\);.*/\1/p' "$OUT/demo.out" | tail -n 1)
[ "$rc" -eq 0 ] || { cat "$OUT/demo.out" >&2; fail "demo.sh exited $rc"; }
[ -d "$work" ] || { cat "$OUT/demo.out" >&2; fail "no work directory in the demo's output"; }
admin=$(sed -n "s/^psql '\(.*\)' .*# superuser.*/\1/p" "$OUT/demo.out" | tail -n 1)
admin=${admin%/postgres}/pulse
grep '^team ' "$OUT/demo.out" >"$OUT/got" || true
grep -q '^people: [0-9]*, with a GitHub login: [1-9]' "$OUT/demo.out" ||
	{ cat "$OUT/demo.out" >&2; fail "the demo linked no directory person to a GitHub login"; }

F=2026-06-01T00:00:00Z T=2026-08-30T00:00:00Z
attr=$(jq -r '.users[0] | keys[] | select(startswith("extension_"))' "$work/directory.json")
[ -n "$attr" ] || fail "the demo's directory has no extension attribute"
: >"$OUT/want"
nteams=$(jq '.groups | length' "$work/directory.json")
[ "$nteams" -ge 2 ] || fail "the demo's directory has $nteams teams"
for k in $(seq 0 $((nteams - 1))); do
	team=$(jq -r ".groups[$k].displayName" "$work/directory.json")
	people=$(jq ".groups[$k].members | length" "$work/directory.json")
	logins=$(jq -r --arg a "$attr" "[.groups[$k].members[] as \$i | .users[\$i][\$a]
		| select(. != null) | ascii_downcase | \"'\" + . + \"'\"] | join(\",\")" "$work/directory.json")
	nlogins=$(jq --arg a "$attr" "[.groups[$k].members[] as \$i | .users[\$i][\$a] | select(. != null)] | length" \
		"$work/directory.json")
	[ -n "$logins" ] || fail "team $team has no GitHub login in the directory"
	psql -X -q -At -v ON_ERROR_STOP=1 "$admin" >"$OUT/fig" <<SQL || fail "computing team $team's figures failed"
SET app.tenant_id = '1';
SET TimeZone = 'UTC';
WITH L AS (SELECT ARRAY[$logins]::text[] AS a),
-- a change ships with its first deployment (010's dora_changes)
c AS (SELECT * FROM dora_changes('$F', '$T') WHERE deployed_at IS NOT NULL),
prod AS (SELECT * FROM deployments
          WHERE is_production AND status = 'success' AND deleted_at IS NULL),
-- the team's deployments in the window: one of its changes shipped there
dep AS (SELECT d.* FROM prod d, L
         WHERE d.finished_at >= '$F' AND d.finished_at < '$T'
           AND EXISTS (SELECT 1 FROM c WHERE c.repository = d.repository_external_id
                          AND c.deployed_at = d.finished_at AND lower(c.author) = ANY (L.a))),
fc AS (SELECT pr_external_id, min(authored_at) AS at FROM prs_commits GROUP BY 1),
lead AS (SELECT greatest(0, extract(epoch FROM c.deployed_at - coalesce(c.first_commit_at, fc.at,
                   c.created_at, c.merged_at))) AS s
           FROM c LEFT JOIN fc ON fc.pr_external_id = c.pr_external_id, L
          WHERE lower(c.author) = ANY (L.a)),
inc AS (SELECT * FROM dora_incidents('$F', NULL) WHERE created_at < '$T'),
-- recovery: incidents of a team deployment, which may precede the window
c2 AS (SELECT x.* FROM (SELECT min(deployed_at) AS lo FROM inc) m,
            LATERAL dora_changes(m.lo, '$T') x WHERE x.deployed_at IS NOT NULL),
dep2 AS (SELECT d.id FROM prod d, L
          WHERE EXISTS (SELECT 1 FROM c2 WHERE c2.repository = d.repository_external_id
                           AND c2.deployed_at = d.finished_at AND lower(c2.author) = ANY (L.a))),
rec AS (SELECT greatest(0, extract(epoch FROM resolved_at - created_at)) AS s
          FROM inc WHERE deployment_id IN (SELECT id FROM dep2) AND resolved_at IS NOT NULL)
SELECT (SELECT count(*) FROM dep) || '|' ||
       (SELECT count(DISTINCT (finished_at AT TIME ZONE 'UTC')::date) FROM dep) || '|' ||
       coalesce((SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s)::numeric / 360) FROM lead)::text, '') || '|' ||
       (SELECT count(*) FROM lead) || '|' ||
       (SELECT count(DISTINCT deployment_id) FROM inc WHERE deployment_id IN (SELECT id FROM dep)) || '|' ||
       coalesce((SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s)::numeric / 360) FROM rec)::text, '') || '|' ||
       (SELECT count(*) FROM rec)
SQL
	IFS='|' read -r ndep ndays lt nlt nfail rt nrt <"$OUT/fig"
	h() { if [ -z "$1" ]; then echo n/a; else echo "$(($1 / 10)).$(($1 % 10)) h"; fi; }
	echo "team $team: $people people, $nlogins GitHub logins; $ndep deployments on $ndays days;" \
		"lead time $(h "$lt") over $nlt changes; change failure rate $nfail of $ndep deployments;" \
		"recovery time $(h "$rt") over $nrt incidents" >>"$OUT/want"
done
if ! diff -u "$OUT/want" "$OUT/got"; then
	fail "the demo's team lines (+) differ from the figures computed here (-)"
fi
# The cut must cut: some team's deployments are fewer than the whole's.
whole=$(sed -n 's/^deployment frequency .* \([0-9]*\) deployments on .*/\1/p' "$OUT/demo.out")
awk -v w="$whole" '{ for (i = 1; i <= NF; i++) if ($i == "deployments" && $(i+1) == "on") d = $(i-1);
	if (d + 0 < w + 0) cut = 1 } END { exit cut ? 0 : 1 }' "$OUT/got" ||
	fail "no team has fewer deployments than the whole ($whole): the cut does not cut"
cat "$OUT/got"
echo "demo-teams: PASS ($nteams teams)"
