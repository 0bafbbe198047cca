#!/bin/bash
# github-commit-links: directory people get their GitHub logins from the
# e-mail addresses of commits (migration 104, docs/people.md). The GitHub
# sandbox's commits name noreply, corporate, unverified (user null) and
# shared (one address, two logins) addresses; an Entra directory (Graph
# sandbox) is seeded with one user per commit author name holding that
# name's addresses as mail, userPrincipalName or SMTP proxy address (some
# upper-cased), plus a mailbox holding a noreply address. The links
# `people resolve` makes, and the conflicts `people unmatched` reports,
# must equal what this test works out itself from the sandbox's
# /_sandbox/truth/commit-authors and the directory it wrote.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"
. "$abs_top_srcdir/tests/connectors/github-lib.sh"

GRAPH_PID=
stop_graph() { [ -z "$GRAPH_PID" ] || kill "$GRAPH_PID" 2>/dev/null || true; }
GH_ON_EXIT=stop_graph
gh_setup github-commit-links
T=$GH_DIR

# The plugins of both sources.
sed -i "s#^plugin_dirs = .*#plugin_dirs = [\"$abs_top_builddir/plugins/source-github/.libs\", \"$abs_top_builddir/plugins/source-entra/.libs\"];#" "$GH_CONF"

gh_api GET /_sandbox/truth/commit-authors > "$T/authors.json" ||
	gh_fail "GET /_sandbox/truth/commit-authors failed"

# The directory: one user per author name, its addresses (noreply ones
# left out) spread over mail / userPrincipalName / proxyAddresses.
node - "$T/authors.json" > "$T/directory.json" <<'JS'
const gl = require(process.env.abs_top_srcdir + '/tests/connectors/github-links.js');
const { byName, firstNoreply } = gl.authorsByName(gl.readAuthors(process.argv[2]));
const users = [];
[...byName.keys()].sort().forEach((name, k) => {
  const a = [...byName.get(name)].sort();
  const nick = name.toLowerCase().replace(/ /g, '.');
  const u = { displayName: name, mailNickname: nick, mail: `${nick}@mail.acme.example`,
    userPrincipalName: `${nick}@acme.onmicrosoft.example`, proxyAddresses: [] };
  const slot = k % 3;
  a.forEach((e, i) => {
    const v = (k + i) % 2 ? e.toUpperCase() : e;
    if (i === 0 && slot === 0) u.mail = v;
    else if (i === 0 && slot === 1) u.userPrincipalName = v;
    else u.proxyAddresses.push(`smtp:${v}`);
  });
  u.proxyAddresses.push(`SMTP:${u.mail}`, 'X500:/o=acme/cn=' + nick);
  users.push(u);
});
// A noreply address in the directory must link nobody.
if (firstNoreply)
  users.push({ displayName: 'Build Mailbox', mailNickname: 'build', mail: firstNoreply,
    userPrincipalName: 'build@acme.onmicrosoft.example', proxyAddresses: [] });
users.forEach((u) => Object.assign(u, { accountEnabled: true, onPremisesImmutableId: null,
  onPremisesSamAccountName: null, onPremisesSyncEnabled: null, manager: null }));
process.stdout.write(JSON.stringify({ users, groups: [] }) + '\n');
JS

# The expected links and conflicts, from the truth and the directory only.
# Bot logins stay in the address -> logins map here (the AD copy,
# github-commit-links-ad.sh, leaves them out).
node - "$T/authors.json" "$T/directory.json" > "$T/want.json" <<'JS'
const gl = require(process.env.abs_top_srcdir + '/tests/connectors/github-links.js');
const dir = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8')).users;
const addrs = (u) => [u.mail, u.userPrincipalName,
  ...u.proxyAddresses.filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5))]
  .filter(Boolean).map((a) => a.toLowerCase());
const { links, conflicts } = gl.expectLinks(gl.readAuthors(process.argv[2]), dir,
  { addrs, upn: (u) => u.userPrincipalName, skipBotLogins: false });
process.stdout.write(JSON.stringify({ links, conflicts }) + '\n');
JS
nlinks=$(jqv 'd.links.length' "$T/want.json")
nconf=$(jqv 'd.conflicts.length' "$T/want.json")
# The data must hold both cases, or the test proves nothing.
[ "$nlinks" -ge 5 ] || gh_fail "the sandbox's commits give only $nlinks expected links"
[ "$nconf" -ge 1 ] || gh_fail "the sandbox's commits hold no shared address"
gh_log "expected: $nlinks links, $nconf shared addresses"

# The Graph sandbox with that directory.
SECRET='Qx8~p+q/r=s.T_z=='
GRAPH_SANDBOX_CLIENT_SECRET=$SECRET node "$abs_top_srcdir/tests/sandbox/graph/server.js" \
	--port 0 --port-file "$T/graph.port" --directory "$T/directory.json" \
	>"$T/graph.log" 2>&1 &
GRAPH_PID=$!
harness_wait_for 60 "the Graph sandbox's port file" test -s "$T/graph.port" ||
	{ cat "$T/graph.log" >&2; gh_fail "the Graph sandbox did not start"; }
GRAPH_URL="http://127.0.0.1:$(cat "$T/graph.port")"

gh=$(gh_integration '{"base_url":"'"$GH_URL"'/api/v3","org":"acme"}')
TEST_CLIENT_SECRET=$SECRET node -e '
	process.stdout.write(JSON.stringify({ tenant: "72f988bf-0000-4000-8000-000000000001",
		client_id: "c1a2b3c4-0000-4000-8000-00000000c11e",
		client_secret: process.env.TEST_CLIENT_SECRET, authority: process.argv[1],
		graph_url: process.argv[1], select_extra: ["proxyAddresses"] }));
' "$GRAPH_URL" > "$T/entra.json"
en=$("$B" -c "$GH_CONF" integration add --tenant t1 --plugin entra --config "$T/entra.json" \
	--name entra --json 2>"$T/add.err" | harness_json_get id) ||
	{ cat "$T/add.err" >&2; gh_fail "adding the entra integration failed"; }
rm -f "$T/entra.json"
for id in "$en" "$gh"; do
	gh_run "$id"
	[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "job run $id exited $GH_RC"; }
done
"$B" -c "$GH_CONF" people resolve --tenant t1 --json > "$T/resolve.json" ||
	gh_fail "people resolve failed"
gh_eq "email_conflicts of people resolve --json" "$(jqv 'd.email_conflicts' "$T/resolve.json")" "$nconf"

# The commit e-mails reached the warehouse with their logins.
n=$(gh_sql "SELECT count(*) FROM prs_commits WHERE author_email IS NOT NULL")
nt=$(jqv 'd.commitAuthors.length' "$T/authors.json")
[ "$n" = "$nt" ] || gh_fail "prs_commits with an author e-mail: $n, want $nt"

gh_check_commit_links "$T/want.json"
"$B" -c "$GH_CONF" people unmatched --tenant t1 | grep -c '^commit e-mails used by more than one' >/dev/null ||
	gh_fail "the text report does not list the shared addresses"

# A manual link wins over a commit e-mail and survives a resolve.
read -r login upn < "$T/want.links"
other=$(jqv 'd.users.find(u => u.displayName === "Build Mailbox") ? "build@acme.onmicrosoft.example" : ""' \
	"$T/directory.json")
[ -n "$other" ] || gh_fail "the directory has no mailbox user to link by hand"
"$B" -c "$GH_CONF" people link --tenant t1 --user "$other" --github "$login" >/dev/null ||
	gh_fail "people link failed"
"$B" -c "$GH_CONF" people resolve --tenant t1 >/dev/null || gh_fail "people resolve failed"
got=$(gh_sql "SELECT method || ' ' || (SELECT lower(d.principal_name) FROM people_links dl
                JOIN directory_users d ON d.integration_id = dl.integration_id
                 AND d.external_id = dl.account
               WHERE dl.person_id = l.person_id AND dl.kind = 'directory' LIMIT 1)
               FROM people_links l WHERE kind = 'github' AND account = '$login'")
gh_eq "link of $login after a manual link and a resolve" "$got" "manual $other"
gh_log "PASS"
