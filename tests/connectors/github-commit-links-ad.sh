#!/bin/bash
# github-commit-links-ad: the commit e-mail links of
# github-commit-links.sh, with the directory in Active Directory (slapd
# with the AD-like schema of tests/harness/ldap.sh) instead of Entra. The
# GitHub sandbox's commits name noreply, corporate, unverified and shared
# addresses; the directory gets one user per commit author name holding
# that name's addresses as `mail` or as `proxyAddresses` values (`smtp:`
# secondaries, some upper-cased; the `SMTP:` primary is the user's own
# mailbox), plus a mailbox holding a noreply address. The links `people
# resolve` makes and the conflicts it counts (text and --json) must equal
# what this test works out itself from /_sandbox/truth/commit-authors and
# the directory it wrote.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"
. "$abs_top_srcdir/tests/connectors/github-lib.sh"
. "$abs_top_srcdir/tests/harness/ldap.sh"

gh_setup github-commit-links-ad
# slapd stops before the temp dir holding its database goes.
trap 'ldap_stop; gh_cleanup' EXIT
T=$GH_DIR
command -v slapd >/dev/null || [ -x /usr/sbin/slapd ] ||
	gh_fail "slapd is not installed (apt-get install slapd ldap-utils)"

sed -i "s#^plugin_dirs = .*#plugin_dirs = [\"$abs_top_builddir/plugins/source-github/.libs\", \"$abs_top_builddir/plugins/source-ad/.libs\"];#" "$GH_CONF"

gh_api GET /_sandbox/truth/commit-authors > "$T/authors.json" ||
	gh_fail "GET /_sandbox/truth/commit-authors failed"

# The directory, as JSON (for the expectation) and as LDIF (for slapd).
# One user per author name; its last address (sorted) is `mail` for every
# other user, else an `smtp:` proxy address; the rest are `smtp:` values.
node - "$T/authors.json" "$T/directory.json" > "$T/seed.ldif" <<'JS'
const fs = require('fs');
const crypto = require('crypto');
const gl = require(process.env.abs_top_srcdir + '/tests/connectors/github-links.js');
const { byName, firstNoreply } = gl.authorsByName(gl.readAuthors(process.argv[2]));
const base = 'dc=corp,dc=example', ou = `ou=People,${base}`;
const users = [];
[...byName.keys()].sort().forEach((name, k) => {
  const nick = name.toLowerCase().replace(/[^a-z0-9]+/g, '.');
  const u = { cn: `${name} ${k}`, sam: nick.slice(0, 20), upn: `${nick}@corp.example`,
    mail: `${nick}@mail.corp.example`, proxy: [] };
  const a = [...byName.get(name)].sort();
  a.forEach((e, i) => {
    const v = (k + i) % 2 ? e.toUpperCase() : e;
    if (i === a.length - 1 && k % 2 === 0) u.mail = v;
    else u.proxy.push(`smtp:${v}`);
  });
  u.proxy.push(`SMTP:${u.mail}`, `X500:/o=corp/cn=${nick}`);
  users.push(u);
});
if (firstNoreply)
  users.push({ cn: 'Build Mailbox', sam: 'build', upn: 'build@corp.example',
    mail: firstNoreply, proxy: [] });
let ldif = `dn: ${ou}\nobjectClass: organizationalUnit\nobjectClass: adObject\nou: People\n` +
  `objectGUID:: ${crypto.randomBytes(16).toString('base64')}\nuSNChanged: 101\n\n`;
users.forEach((u, i) => {
  ldif += `dn: cn=${u.cn},${ou}\nobjectClass: user\ncn: ${u.cn}\nsn: ${u.cn}\n` +
    `objectCategory: person\nobjectGUID:: ${crypto.randomBytes(16).toString('base64')}\n` +
    `sAMAccountName: ${u.sam}\nuserPrincipalName: ${u.upn}\ndisplayName: ${u.cn}\n` +
    `mail: ${u.mail}\nuserAccountControl: 512\nuSNChanged: ${200 + i}\n` +
    u.proxy.map((p) => `proxyAddresses: ${p}\n`).join('') + '\n';
});
fs.writeFileSync(process.argv[3], JSON.stringify({ users }) + '\n');
process.stdout.write(ldif);
JS

# The expected links and conflicts, from the truth and the directory only.
# Unlike github-commit-links.sh, bot logins are left out of the
# address -> logins map here.
node - "$T/authors.json" "$T/directory.json" > "$T/want.json" <<'JS'
const gl = require(process.env.abs_top_srcdir + '/tests/connectors/github-links.js');
const dir = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8')).users;
const addrs = (u) => [...new Set([u.mail, u.upn,
  ...u.proxy.filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5))]
  .map((a) => a.toLowerCase()))];
const { links, conflicts, logins } = gl.expectLinks(gl.readAuthors(process.argv[2]), dir,
  { addrs, upn: (u) => u.upn, skipBotLogins: true });
// How many links come through `mail`, how many only through a secondary
// (`smtp:`) proxy address: both paths must be exercised.
const via = (pred) => links.filter((x) => {
  const [l, upn] = x.split(' ');
  return pred(l, dir.find((d) => d.upn.toLowerCase() === upn));
}).length;
const has = (a, l) => !!logins.get(a.toLowerCase())?.has(l);
const viaMail = via((l, u) => has(u.mail, l));
const viaProxy = via((l, u) => !has(u.mail, l) &&
  u.proxy.some((p) => p.startsWith('smtp:') && has(p.slice(5), l)));
process.stdout.write(JSON.stringify({ links, conflicts, viaMail, viaProxy }) + '\n');
JS
nlinks=$(jqv 'd.links.length' "$T/want.json")
nconf=$(jqv 'd.conflicts.length' "$T/want.json")
nproxy=$(jqv 'd.viaProxy' "$T/want.json")
nmail=$(jqv 'd.viaMail' "$T/want.json")
# The data must hold every case, or the test proves nothing.
[ "$nlinks" -ge 5 ] || gh_fail "the sandbox's commits give only $nlinks expected links"
[ "$nproxy" -ge 1 ] || gh_fail "no expected link goes through a proxy address alone"
[ "$nmail" -ge 1 ] || gh_fail "no expected link goes through mail"
[ "$nconf" -ge 1 ] || gh_fail "the sandbox's commits hold no shared address"
gh_log "expected: $nlinks links ($nmail through mail, $nproxy through smtp: proxy addresses alone), $nconf shared addresses"

ldap_start "$T/ldap" "$T/seed.ldif" "$T" || gh_fail "slapd did not start"
TEST_BIND_PASSWORD=$LDAP_SVC_PW node -e '
	process.stdout.write(JSON.stringify({ url: process.argv[1], bind_dn: process.argv[2],
		bind_password: process.env.TEST_BIND_PASSWORD, ca_file: process.argv[3],
		base_dn: process.argv[4] }));
' "$LDAP_URL" "$LDAP_SVC_DN" "$LDAP_CA" "$LDAP_BASE" > "$T/ad.json"
chmod 600 "$T/ad.json"
ad=$("$B" -c "$GH_CONF" integration add --tenant t1 --plugin ad --config "$T/ad.json" \
	--name ad --json 2>"$T/add.err" | harness_json_get id) ||
	{ cat "$T/add.err" >&2; gh_fail "adding the ad integration failed"; }
rm -f "$T/ad.json"
gh=$(gh_integration '{"base_url":"'"$GH_URL"'/api/v3","org":"acme"}')
for id in "$ad" "$gh"; do
	gh_run "$id"
	[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "job run $id exited $GH_RC"; }
done

# The directory's proxy addresses reached the warehouse.
n=$(gh_sql "SELECT count(*) FROM directory_users
             WHERE integration_id = $ad AND jsonb_typeof(attributes -> 'proxyAddresses') = 'array'")
gh_eq "AD users with proxyAddresses" "$n" "$(jqv 'd.users.filter(u => u.proxy.length).length' "$T/directory.json")"

"$B" -c "$GH_CONF" people resolve --tenant t1 --json > "$T/resolve.json" ||
	gh_fail "people resolve --json failed"
gh_eq "email_conflicts of people resolve --json" "$(jqv 'd.email_conflicts' "$T/resolve.json")" "$nconf"
"$B" -c "$GH_CONF" people resolve --tenant t1 > "$T/resolve.txt" || gh_fail "people resolve failed"
grep -c "^conflicts: $nconf commit e-mail" "$T/resolve.txt" >/dev/null ||
	{ cat "$T/resolve.txt" >&2; gh_fail "the text of people resolve does not report $nconf conflicts"; }

gh_check_commit_links "$T/want.json"
gh_log "PASS"
