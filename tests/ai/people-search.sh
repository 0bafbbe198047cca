#!/bin/bash
# `pulse-host search --team GROUP / --org-unit OU` (docs/people.md): on
# the embedded store with the OpenAI sandbox's lexical embeddings, hits
# are kept only when their author is one of the team's people; the same
# search without the cut finds both teams' PRs.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
vx_setup
read -r ta ia < <(vx_tenant acme)

vx_pr "$ta" "$ia" PR_1 acme/api 17 "Fix cache eviction race in session store"
vx_pr "$ta" "$ia" PR_2 acme/web 5 "Fix cache eviction leak in session store"
vx_pr "$ta" "$ia" PR_3 acme/api 18 "Session store cache eviction metrics"
# Directory rows and authors as the app role, inside the tenant (RLS).
wh_app_sql "SET app.tenant_id = '$ta';
	UPDATE prs SET author = CASE number WHEN 5 THEN 'erin-gh' ELSE 'Alice-GH' END;
	INSERT INTO integrations (id, tenant_id, name, type, plugin) VALUES (9701, $ta, 'ad', 'Data', 'ad');
	INSERT INTO directory_users (tenant_id, integration_id, external_id, source, principal_name,
	                             mail, account_name, org_unit) VALUES
	    ($ta, 9701, 'u-alice', 'ad', 'alice@acme.example', 'alice@acme.example', 'alice-gh', 'OU=Core,DC=acme,DC=example'),
	    ($ta, 9701, 'u-erin', 'ad', 'erin@acme.example', 'erin@acme.example', 'erin-gh', 'OU=Web,DC=acme,DC=example');
	INSERT INTO directory_groups (tenant_id, integration_id, external_id, name) VALUES
	    ($ta, 9701, 'g-core', 'Core Team');
	INSERT INTO directory_memberships (tenant_id, integration_id, external_id, group_external_id,
	                                   member_external_id) VALUES
	    ($ta, 9701, 'g-core|u-alice', 'g-core', 'u-alice')" > /dev/null
ph people config --tenant acme --github-attribute account_name > /dev/null
ph people resolve --tenant acme > /dev/null
ph vectorize run --tenant acme --json > "$WH_DIR/run.json"
jq -e '.embedded == 3' "$WH_DIR/run.json" > /dev/null || wh_fail "vectorize: $(cat "$WH_DIR/run.json")"

ph search --tenant acme --json "session store cache eviction" > "$WH_DIR/all.json"
jq -e '[.hits[].external_id] | sort == ["acme/api#17", "acme/api#18", "acme/web#5"]' "$WH_DIR/all.json" > /dev/null ||
	wh_fail "without a cut all three PRs are found: $(cat "$WH_DIR/all.json")"
ph search --tenant acme --json --team "core team" "session store cache eviction" > "$WH_DIR/team.json"
jq -e '[.hits[].external_id] | sort == ["acme/api#17", "acme/api#18"]' "$WH_DIR/team.json" > /dev/null ||
	wh_fail "--team keeps only the team's PRs: $(cat "$WH_DIR/team.json")"
ph search --tenant acme --json --org-unit "OU=Web,DC=acme,DC=example" "session store cache eviction" > "$WH_DIR/ou.json"
jq -e '[.hits[].external_id] == ["acme/web#5"]' "$WH_DIR/ou.json" > /dev/null ||
	wh_fail "--org-unit keeps only the OU's PRs: $(cat "$WH_DIR/ou.json")"
ph search --tenant acme --json --limit 1 --team "Core Team" "session store cache eviction" > "$WH_DIR/one.json"
jq -e '(.hits | length) == 1 and .hits[0].external_id != "acme/web#5"' "$WH_DIR/one.json" > /dev/null ||
	wh_fail "--limit applies after the cut: $(cat "$WH_DIR/one.json")"
wh_expect_fail "$WH_DIR/bad.err" ph search --tenant acme --team Nobody "cache"
wh_contains "$WH_DIR/bad.err" "no group 'Nobody'"
echo "people search: ok"
