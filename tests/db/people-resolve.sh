#!/bin/bash
# Identity resolution (docs/people.md): directory rows, GitHub and Jira
# data written with SQL as the app role (row-level security in force),
# then `pulse-host people ...`. Checks exact matches by e-mail (Jira's
# from the raw ledger, case-insensitive), the AD/Entra merge by
# immutable_id, the attribute match, manual links winning and surviving
# resolves, the unmatched lists, idempotent re-runs, a deleted user, the
# resolve after a job run, and that two tenants never mix.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"
. "$abs_top_srcdir/tests/db/people-lib.sh"

people_setup people
ph() { "$B" -c "$CONF" people "$@"; }

check() {   # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}
# py FILE EXPR: evaluate a Python expression over the JSON in FILE (as d).
py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
is() {      # is DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then echo "ok - $1"; else
		echo "not ok - $1"; echo "  got:  $2"; echo "  want: $3"; fails=$((fails + 1)); fi
}
# The accounts of the person who has directory account (principal) P.
links_of() {
	sql -c "SET app.tenant_id = '$1'" -c "
	SELECT string_agg(l2.kind || ':' || l2.account || ':' || l2.method, ' '
	                  ORDER BY l2.kind, l2.account)
	  FROM people_links l2
	 WHERE l2.kind <> 'directory' AND l2.person_id IN (
	       SELECT l.person_id FROM directory_users d
	         JOIN people_links l ON l.kind = 'directory' AND l.account = d.external_id
	                            AND l.integration_id = d.integration_id
	        WHERE d.principal_name = '$2')" | tail -1
}

sql <<'SQL'
INSERT INTO tenants (id, name) VALUES (501, 'pa'), (502, 'pb');
SET app.tenant_id = '501';
INSERT INTO integrations (id, tenant_id, name, type, plugin, settings) VALUES
    (51, 501, 'ad-a', 'Data', 'ad', '{}'), (52, 501, 'entra-a', 'Data', 'entra', '{}'),
    (53, 501, 'gh-a', 'Data', 'github', '{}'), (54, 501, 'jira-a', 'Data', 'jira', '{}');
INSERT INTO directory_users (tenant_id, integration_id, external_id, source, principal_name,
                             mail, display_name, account_name, immutable_id, attributes, deleted_at) VALUES
    -- Ada: one person in AD and in Entra (same immutable id)
    (501, 51, 'g-ada', 'ad', 'ada@acme.example', 'Ada@Acme.example', 'Ada L', 'ada', 'IMM-ADA', NULL, NULL),
    (501, 52, 'e-ada', 'entra', 'ada@acme.example', 'ada@acme.example', 'Ada Lovelace', 'ada', 'IMM-ADA', NULL, NULL),
    -- Bob: his GitHub login in a directory attribute
    (501, 51, 'g-bob', 'ad', 'bob@acme.example', 'bob@acme.example', 'Bob', 'bob', 'IMM-BOB',
     '{"githubLogin": "Bobby-GH"}', NULL),
    (501, 51, 'g-carol', 'ad', 'carol@acme.example', 'carol@acme.example', 'Carol', 'carol', 'IMM-CAROL', NULL, NULL),
    (501, 51, 'g-erin', 'ad', 'erin@acme.example', 'erin@acme.example', 'Erin', 'erin', 'IMM-ERIN', NULL, NULL),
    -- left the company: never a person
    (501, 51, 'g-dave', 'ad', 'dave@acme.example', 'dave@acme.example', 'Dave', 'dave', 'IMM-DAVE', NULL, now());
INSERT INTO repositories (tenant_id, integration_id, external_id, full_name) VALUES
    (501, 53, 'acme/api', 'acme/api');
INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number, author) VALUES
    (501, 53, 'P1', 'acme/api', 1, 'ada-gh'), (501, 53, 'P2', 'acme/api', 2, 'Bobby-GH'),
    (501, 53, 'P3', 'acme/api', 3, 'carol-gh'), (501, 53, 'P4', 'acme/api', 4, 'stranger'),
    (501, 53, 'P5', 'acme/api', 5, 'dependabot[bot]');
-- What a source that gives a GitHub user's e-mail would have recorded.
INSERT INTO people_accounts (tenant_id, kind, account, email) VALUES
    (501, 'github', 'carol-gh', 'CAROL@acme.example');
INSERT INTO work_items (tenant_id, integration_id, external_id, key, assignee, reporter) VALUES
    (501, 54, '10', 'A-1', 'acc-ada', 'acc-zed');
-- Jira's issue page as the raw ledger keeps it: emailAddress given.
INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body) VALUES
    (501, 54, 'issues', '/rest/api/3/search/jql', 200,
     '{"issues": [{"id": "10", "key": "A-1", "fields": {
        "assignee": {"accountId": "acc-ada", "emailAddress": "ADA@acme.example", "displayName": "Ada"},
        "reporter": {"accountId": "acc-zed", "emailAddress": "zed@elsewhere.example"}}}]}');

-- Tenant B: the same e-mail and the same login, its own people.
SET app.tenant_id = '502';
INSERT INTO integrations (id, tenant_id, name, type, plugin, settings) VALUES
    (61, 502, 'ad-b', 'Data', 'ad', '{}'), (63, 502, 'gh-b', 'Data', 'github', '{}');
INSERT INTO directory_users (tenant_id, integration_id, external_id, source, principal_name,
                             mail, immutable_id) VALUES
    (502, 61, 'g-ada', 'ad', 'ada@acme.example', 'ada@acme.example', 'IMM-ADA');
INSERT INTO repositories (tenant_id, integration_id, external_id, full_name) VALUES
    (502, 63, 'acme/api', 'acme/api');
INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number, author) VALUES
    (502, 63, 'Q1', 'acme/api', 1, 'ada-gh'), (502, 63, 'Q2', 'acme/api', 2, 'carol-gh');
SQL

# --help teaches; bad input says what to do.
check "people --help names the methods" bash -c "'$B' -c '$CONF' people --help | grep -q 'attribute'"
set +e
ph link --tenant pa --user nobody@acme.example --github x > "$DIR/bad.out" 2>&1; rc=$?
set -e
is "link to an unknown user is a usage error" "$rc" 2
check "...saying what to do" grep -q "people list" "$DIR/bad.out"

ph config --tenant pa --github-attribute githubLogin > /dev/null
ph resolve --tenant pa --json > "$DIR/r1.json"
is "first resolve: 4 people (AD+Entra Ada is one, Dave left)" "$(py "$DIR/r1.json" 'd["people_added"]')" 4
is "Ada: AD and Entra copies merged, Jira by e-mail (case-insensitive)" \
	"$(sql -c "SET app.tenant_id = '501'" -c "
	SELECT string_agg(kind || ':' || account || ':' || method, ' ' ORDER BY kind, account)
	  FROM people_links WHERE person_id = (SELECT person_id FROM people_links
	                                        WHERE account = 'g-ada')" | tail -1)" \
	"directory:e-ada:immutable_id directory:g-ada:directory jira:acc-ada:email"
is "Bob: GitHub by attribute (login lower-cased)" "$(links_of 501 bob@acme.example)" "github:bobby-gh:attribute"
is "Carol: GitHub by e-mail" "$(links_of 501 carol@acme.example)" "github:carol-gh:email"
is "no bot account is kept" "$(sql -c "SET app.tenant_id = '501'" -c \
	"SELECT count(*) FROM people_accounts WHERE account LIKE '%[bot]'" | tail -1)" 0

ph unmatched --tenant pa --json > "$DIR/u1.json"
is "unmatched GitHub logins" "$(py "$DIR/u1.json" '[a["account"] for a in d["github"]]')" "['ada-gh', 'stranger']"
is "unmatched Jira accounts (with the e-mail Jira gave)" \
	"$(py "$DIR/u1.json" '[(a["account"], a["email"]) for a in d["jira"]]')" "[('acc-zed', 'zed@elsewhere.example')]"
is "unmatched directory users" "$(py "$DIR/u1.json" '[a["principal_name"] for a in d["directory"]]')" "['erin@acme.example']"
check "unmatched as text lists them too" bash -c "'$B' -c '$CONF' people unmatched --tenant pa | grep -q stranger"

# Idempotent: nothing new, nothing changes.
ph resolve --tenant pa --json > "$DIR/r2.json"
is "second resolve changes nothing" \
	"$(py "$DIR/r2.json" '[d[k] for k in ("people_added", "people_removed", "links_added", "links_removed")]')" "[0, 0, 0, 0]"

# Manual links: one new, one over Carol's e-mail match.
ph link --tenant pa --user ada --github Ada-GH > /dev/null
ph link --tenant pa --user erin@acme.example --github carol-gh > /dev/null
ph resolve --tenant pa --json > "$DIR/r3.json"
is "manual link (user by account name)" "$(links_of 501 ada@acme.example)" "github:ada-gh:manual jira:acc-ada:email"
is "manual link wins over the e-mail match" "$(links_of 501 erin@acme.example)" "github:carol-gh:manual"
is "...and Carol has no link left" "$(links_of 501 carol@acme.example)" ""
ph resolve --tenant pa --json > "$DIR/r4.json"
is "manual links survive another resolve" "$(links_of 501 erin@acme.example)" "github:carol-gh:manual"
is "...which changes nothing" \
	"$(py "$DIR/r4.json" '[d[k] for k in ("people_added", "people_removed", "links_added", "links_removed")]')" "[0, 0, 0, 0]"
ph list --tenant pa --user erin --json > "$DIR/l.json"
is "people list --user" "$(py "$DIR/l.json" '[(p["display_name"], [l["account"] for l in p["links"]]) for p in d["people"]]')" \
	"[('Erin', ['g-erin', 'carol-gh'])]"

# Unlink the manual link: the e-mail match comes back on the next resolve.
ph unlink --tenant pa --github carol-gh > /dev/null
ph resolve --tenant pa > /dev/null
is "after unlink, the automatic match is back" "$(links_of 501 carol@acme.example)" "github:carol-gh:email"

# A user who leaves: the person and the automatic links go; after a job
# run of a source ends, the trigger resolves by itself.
sql -c "SET app.tenant_id = '501'" -c "UPDATE directory_users SET deleted_at = now() WHERE external_id = 'g-bob'" \
	-c "INSERT INTO job_runs (id, tenant_id, integration_id) VALUES (9001, 501, 51)" \
	-c "UPDATE job_runs SET state = 'FINISHED', finished_at = now() WHERE id = 9001" > /dev/null
is "a deleted user's links go when a directory run ends" \
	"$(sql -c "SET app.tenant_id = '501'" -c "SELECT count(*) FROM people_links WHERE account IN ('g-bob', 'bobby-gh')" | tail -1)" 0
is "...and the run's stats say what changed" \
	"$(sql -c "SET app.tenant_id = '501'" -c "SELECT stats->'people'->>'links_removed' FROM job_runs WHERE id = 9001" | tail -1)" 2
ph unmatched --tenant pa --json > "$DIR/u2.json"
is "bobby-gh is unmatched again" "$(py "$DIR/u2.json" '"bobby-gh" in [a["account"] for a in d["github"]]')" True

# Two tenants never mix: B resolves on its own data only.
ph resolve --tenant pb --json > "$DIR/b1.json"
is "tenant B: one person" "$(py "$DIR/b1.json" 'd["people_added"]')" 1
ph unmatched --tenant pb --json > "$DIR/bu.json"
is "tenant B: A's manual and e-mail links do not apply" \
	"$(py "$DIR/bu.json" '[a["account"] for a in d["github"]]')" "['ada-gh', 'carol-gh']"
ph list --tenant pb --json > "$DIR/bl.json"
is "tenant B lists only its person" "$(py "$DIR/bl.json" 'len(d["people"])')" 1
is "tenant A still has its people" "$(sql -c "SET app.tenant_id = '501'" -c "SELECT count(*) FROM people" | tail -1)" 3
set +e
ph link --tenant pb --user erin@acme.example --github x > /dev/null 2>&1; rc=$?
set -e
is "tenant B cannot link to A's user" "$rc" 2

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all people checks passed"
