#!/bin/bash
# `pulse-host dora --team GROUP / --org-unit OU` (docs/people.md) on the
# golden DORA dataset (tests/fixtures/dora/golden.sql) plus a directory
# written here: the team-cut lead time differs from the whole and equals
# the median computed in this test by plain SQL over the PRs of the
# team's logins (listed here by hand, not by the code under test).
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"
. "$abs_top_srcdir/tests/db/people-lib.sh"

FIX="$abs_top_srcdir/tests/fixtures/dora/golden.sql"
W=(--from 2024-01-01 --to 2024-02-05)
people_setup people_dora
sql -f "$FIX" > /dev/null

is() {      # is DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then echo "ok - $1"; else
		echo "not ok - $1"; echo "  got:  $2"; echo "  want: $3"; fails=$((fails + 1)); fi
}
py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# The directory of tenant A: group Platform holds dave and the nested
# group Platform-API (alice, bob); OU Eng holds Core (alice, bob, dave)
# and Web (carol, erin). Each user's account_name is their GitHub login.
sql <<'SQL' > /dev/null
SET app.tenant_id = '1001';
INSERT INTO integrations (id, tenant_id, name, type, plugin, settings) VALUES
    (13, 1001, 'ad-a', 'Data', 'ad', '{}');
INSERT INTO directory_users (tenant_id, integration_id, external_id, source, principal_name,
                             mail, account_name, org_unit) VALUES
    (1001, 13, 'u-alice', 'ad', 'alice@acme.example', 'alice@acme.example', 'alice', 'OU=Core,OU=Eng,DC=acme,DC=example'),
    (1001, 13, 'u-bob',   'ad', 'bob@acme.example',   'bob@acme.example',   'bob',   'OU=Core,OU=Eng,DC=acme,DC=example'),
    (1001, 13, 'u-dave',  'ad', 'dave@acme.example',  'dave@acme.example',  'dave',  'OU=Core,OU=Eng,DC=acme,DC=example'),
    (1001, 13, 'u-carol', 'ad', 'carol@acme.example', 'carol@acme.example', 'carol', 'OU=Web,OU=Eng,DC=acme,DC=example'),
    (1001, 13, 'u-erin',  'ad', 'erin@acme.example',  'erin@acme.example',  'erin',  'OU=Web,OU=Eng,DC=acme,DC=example');
INSERT INTO directory_groups (tenant_id, integration_id, external_id, source, name) VALUES
    (1001, 13, 'g-plat', 'ad', 'Platform'), (1001, 13, 'g-api', 'ad', 'Platform-API');
INSERT INTO directory_memberships (tenant_id, integration_id, external_id, group_external_id,
                                   member_external_id, member_kind) VALUES
    (1001, 13, 'g-plat|g-api', 'g-plat', 'g-api', 'group'),
    (1001, 13, 'g-plat|u-dave', 'g-plat', 'u-dave', 'user'),
    (1001, 13, 'g-api|u-alice', 'g-api', 'u-alice', 'user'),
    (1001, 13, 'g-api|u-bob', 'g-api', 'u-bob', 'user');
INSERT INTO directory_org_units (tenant_id, integration_id, external_id, dn, name, parent_dn) VALUES
    (1001, 13, 'o-eng', 'OU=Eng,DC=acme,DC=example', 'Eng', 'DC=acme,DC=example'),
    (1001, 13, 'o-core', 'OU=Core,OU=Eng,DC=acme,DC=example', 'Core', 'OU=Eng,DC=acme,DC=example'),
    (1001, 13, 'o-web', 'OU=Web,OU=Eng,DC=acme,DC=example', 'Web', 'OU=Eng,DC=acme,DC=example');
SQL
"$B" -c "$CONF" people config --tenant dora-a --github-attribute account_name > /dev/null
"$B" -c "$CONF" people resolve --tenant dora-a > /dev/null

# Median lead time (seconds) and sample over the deployed changes of the
# window whose author is one of the logins given: dora_changes of 010
# says which changes and when they shipped; the rest is spelt out here.
want() {
	sql -c "SET app.tenant_id = '1001'" -c "
	WITH c AS (SELECT * FROM dora_changes('2024-01-01T00:00:00Z', '2024-02-05T00:00:00Z')
	            WHERE deployed_at IS NOT NULL AND author IN ($1)),
	     fc AS (SELECT pr_external_id, min(authored_at) AS at FROM prs_commits
	             GROUP BY pr_external_id)
	SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(0, extract(epoch FROM
	           c.deployed_at - coalesce(c.first_commit_at, fc.at, c.created_at, c.merged_at))))::numeric, 1)
	       || ' ' || count(*)
	  FROM c LEFT JOIN fc ON fc.pr_external_id = c.pr_external_id" | tail -1
}
got() { py "$1" '"%.1f %d" % (d["lead_time"]["value"], d["lead_time"]["sample"])'; }

"$B" -c "$CONF" dora --tenant dora-a "${W[@]}" --json > "$DIR/all.json"
"$B" -c "$CONF" dora --tenant dora-a "${W[@]}" --team Platform --json > "$DIR/team.json"
"$B" -c "$CONF" dora --tenant dora-a "${W[@]}" --org-unit Web --json > "$DIR/web.json"
"$B" -c "$CONF" dora --tenant dora-a "${W[@]}" --org-unit 'OU=Eng,DC=acme,DC=example' --json > "$DIR/eng.json"

is "whole tenant: the golden figure" "$(got "$DIR/all.json")" "313200.0 8"
is "--team Platform (nested group) equals the SQL over alice, bob, dave" \
	"$(got "$DIR/team.json")" "$(want "'alice', 'bob', 'dave'")"
if [ "$(got "$DIR/team.json")" != "$(got "$DIR/all.json")" ]; then
	echo "ok - the team-cut lead time differs from the whole"
else
	echo "not ok - the team-cut lead time equals the whole"; fails=$((fails + 1))
fi
is "--team: the scope says who and what is cut" \
	"$(py "$DIR/team.json" '(d["scope"]["people"]["people"], d["scope"]["people"]["github_logins"], d["scope"]["people"]["cut"])')" \
	"(3, 3, ['deployment_frequency', 'lead_time', 'change_failure_rate', 'recovery_time'])"

# The other three keys, worked out by hand (094_dora_teams.sql: a
# deployment counts for every team that authored one of its changes).
# In the window, A1 shipped PR1 (alice) and PR7 (bob), A2 PR2 (alice),
# A3 PR3 (bob) and PR4 (carol), A4 PR5 (dave); W1 shipped PR8 (erin), W2
# PR9 (erin). Incidents: OPS-1 and OPS-4 -> A2, WEB-2 -> W1, OPS-3 and
# OPS-7 -> A4, WEB-8 -> W2.
#  Platform (alice, bob, dave): A1 A2 A3 A4 = 4 deployments on 4 days
#    (weeks 2,2,0,0,0: median 0; months 4,0: median 2); failed A2, A4 =
#    2 of 4, 4 incidents; recovery OPS-1 2 h, OPS-3 30 min, OPS-4 48 h,
#    OPS-7 unresolved: median 7200 s of 3 resolved, 4 attributed.
#  OU Web (carol, erin): A3 W1 W2 = 3 on 3 days (weeks 1,1,0,1,0: 1;
#    months 3,0: 1.5); failed W1, W2 = 2 of 3, 2 incidents; recovery
#    WEB-2 24 h, WEB-8 3 h: median 48600 s of 2.
#  Whole: 6 deployments on 5 days (weeks 2,2,0,1,0: 1); 4 of 6 failed;
#    median recovery 10800 s of 5 resolved, 6 attributed.
keys() {
	py "$1" '"%d %d %s %s | %d %d %d | %s %d %d" % (d["deployment_frequency"]["deployments"],
	    d["deployment_frequency"]["deployment_days"], d["deployment_frequency"]["value"],
	    d["deployment_frequency"]["median_days_per_month"],
	    d["change_failure_rate"]["deployments"], d["change_failure_rate"]["failed_deployments"],
	    d["change_failure_rate"]["incidents"], d["recovery_time"]["value"],
	    d["recovery_time"]["resolved"], d["recovery_time"]["attributed"])'
}
is "whole tenant: the other keys are the golden ones" "$(keys "$DIR/all.json")" "6 5 1 2.5 | 6 4 6 | 10800 5 6"
is "--team Platform: deployments, failures, recovery of its deployments" \
	"$(keys "$DIR/team.json")" "4 4 0 2 | 4 2 4 | 7200 3 4"
is "--org-unit Web: deployments, failures, recovery of its deployments" \
	"$(keys "$DIR/web.json")" "3 3 1 1.5 | 3 2 2 | 48600 2 2"
# From 12 Jan, OPS-3 (resolved in 30 min) and OPS-7 fall on A4 (11 Jan,
# before the window, dave's PR5): recovery finds the team's deployment
# before the window; no Platform deployment lies in it.
"$B" -c "$CONF" dora --tenant dora-a --from 2024-01-12 --to 2024-02-05 --team Platform --json > "$DIR/late.json"
is "--team Platform from 12 Jan: a deployment before the window counts for recovery" \
	"$(keys "$DIR/late.json")" "0 0 None 0 | 0 0 0 | 1800 1 2"
is "--org-unit Web (by name) equals the SQL over carol, erin" \
	"$(got "$DIR/web.json")" "$(want "'carol', 'erin'")"
is "--org-unit Eng (DN) takes the subtree: everyone, the whole figure" \
	"$(got "$DIR/eng.json")" "$(got "$DIR/all.json")"

"$B" -c "$CONF" dora --tenant dora-a "${W[@]}" --team Platform > "$DIR/team.txt"
if grep -q "people cut: team Platform: 3 people" "$DIR/team.txt"; then
	echo "ok - the text report says it is cut"
else
	echo "not ok - the text report says it is cut"; cat "$DIR/team.txt"; fails=$((fails + 1))
fi
set +e
"$B" -c "$CONF" dora --tenant dora-a "${W[@]}" --team Nobody > "$DIR/bad.txt" 2>&1; rc=$?
set -e
is "an unknown team is a usage error" "$rc" 2
if grep -q "no group 'Nobody'" "$DIR/bad.txt"; then echo "ok - ...naming it"; else
	echo "not ok - ...naming it"; cat "$DIR/bad.txt"; fails=$((fails + 1)); fi
# Tenant B has no directory: the team of A is unknown there.
set +e
"$B" -c "$CONF" dora --tenant dora-b "${W[@]}" --team Platform > /dev/null 2>&1; rc=$?
set -e
is "tenant B does not see tenant A's group" "$rc" 2

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all DORA team checks passed"
