#!/usr/bin/env node
'use strict';
// The demo's directory, for the Graph sandbox's --directory: one user per
// human PR author of the GitHub sandbox and per Jira sandbox user with an
// e-mail, one person where the names agree, spread over three teams.
//
//   node demo-directory.js GITHUB_TRUTH JIRA_TRUTH ATTRIBUTE > directory.json
//
// GITHUB_TRUTH, JIRA_TRUTH: the sandboxes' GET /_sandbox/truth replies.
// ATTRIBUTE: the directory extension holding the GitHub login (what
// `pulse-host people config --github-attribute` names). Jira accounts are
// found by e-mail: a directory user's mail is the Jira user's address.
// The Jira sandbox's API user has the integration's e-mail too, so ten
// Jira users get a directory user (docs/people.md, "In the demo").
// Deterministic: the same truths give the same directory.
const fs = require('fs');

const [ghFile, jiraFile, attr] = process.argv.slice(2);
if (!ghFile || !jiraFile || !attr) {
  process.stderr.write('usage: node demo-directory.js GITHUB_TRUTH JIRA_TRUTH ATTRIBUTE\n');
  process.exit(2);
}
const gh = JSON.parse(fs.readFileSync(ghFile, 'utf8'));
const jira = JSON.parse(fs.readFileSync(jiraFile, 'utf8'));
const TEAMS = ['Platform', 'Web', 'Data'];

const title = (login) => login.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');
const logins = new Set();
for (const r of gh.repos || [])
  for (const p of r.prs || [])
    if (p.author && p.authorType === 'User') logins.add(p.author);

const byName = new Map();
for (const u of jira.users || [])
  if (u.emailAddress && u.accountType === 'atlassian') byName.set(u.displayName.toLowerCase(), u);

const users = [];
for (const login of [...logins].sort()) {
  const name = title(login);
  const j = byName.get(name.toLowerCase());
  if (j) byName.delete(name.toLowerCase());
  const nick = login.replace(/-/g, '.');
  users.push({ displayName: name, mailNickname: nick, userPrincipalName: `${nick}@acme.example`,
    mail: j ? j.emailAddress : `${nick}@acme.example`, [attr]: login });
}
for (const j of [...byName.values()].sort((a, b) => a.displayName.localeCompare(b.displayName))) {
  const nick = j.emailAddress.split('@')[0];
  users.push({ displayName: j.displayName, mailNickname: nick, userPrincipalName: `${nick}@acme.example`,
    mail: j.emailAddress, [attr]: null });
}
users.forEach((u, i) => {
  u.department = 'Engineering';
  u.jobTitle = 'Engineer';
  u.accountEnabled = true;
  u.onPremisesImmutableId = null;
  u.onPremisesSamAccountName = null;
  u.onPremisesSyncEnabled = null;
  u.manager = i < TEAMS.length ? null : i % TEAMS.length; // the team's first member
});
const groups = TEAMS.map((t, k) => ({ displayName: t, description: `The ${t} team`,
  members: users.map((_, i) => i).filter((i) => i % TEAMS.length === k) }));
process.stdout.write(JSON.stringify({ users, groups }, null, 1) + '\n');
