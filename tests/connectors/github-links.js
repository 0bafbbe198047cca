'use strict';
// tests/connectors/github-links.js: what github-commit-links.sh (Entra)
// and github-commit-links-ad.sh (Active Directory) share to work out their
// expectations from the GitHub sandbox's /_sandbox/truth/commit-authors:
// the authors grouped into directory people, and the links and conflicts
// `people resolve` must make. Each test keeps its own directory shape
// (which attributes hold an address) and passes it in. A module:
//
//   const gl = require(process.env.abs_top_srcdir +
//                      '/tests/connectors/github-links.js');

const fs = require('fs');

// GitHub's noreply addresses identify nobody in a directory.
const noreply = (e) => /@users\.noreply\.github\.com$/i.test(e) || /^noreply@github\.com$/i.test(e);

// The commitAuthors rows of the truth file at path f.
const readAuthors = (f) => JSON.parse(fs.readFileSync(f, 'utf8')).commitAuthors;

// One directory person per author name (ghost and bots left out): name ->
// Set of its addresses (noreply ones left out), and the first noreply
// address of a known login (a mailbox holding it must link nobody).
function authorsByName(rows) {
  const byName = new Map();
  let firstNoreply = null;
  for (const r of rows) {
    if (r.name === 'ghost' || /\[bot\]$/.test(r.name)) continue;
    if (noreply(r.email)) { if (!firstNoreply && r.login) firstNoreply = r.email; continue; }
    if (!byName.has(r.name)) byName.set(r.name, new Set());
    byName.get(r.name).add(r.email);
  }
  return { byName, firstNoreply };
}

// The links ("login upn", sorted) and conflicts ("address l1,l2", sorted)
// that users of the directory get. opts.addrs(u): u's addresses, lower
// case; opts.upn(u): its principal name; opts.skipBotLogins: leave logins
// ending in [bot] out of the address -> logins map.
function expectLinks(rows, users, opts) {
  const logins = new Map(); // address -> logins that used it
  for (const r of rows) {
    if (!r.login || (opts.skipBotLogins && /\[bot\]$/.test(r.login)) || noreply(r.email)) continue;
    const e = r.email.toLowerCase();
    if (!logins.has(e)) logins.set(e, new Set());
    logins.get(e).add(r.login.toLowerCase());
  }
  const cand = new Map(); // login -> directory users (by UPN) it matches
  const conflicts = new Map();
  for (const u of users)
    for (const a of opts.addrs(u)) {
      const l = logins.get(a);
      if (!l) continue;
      if (l.size > 1) { conflicts.set(a, [...l].sort()); continue; }
      const [login] = l;
      if (!cand.has(login)) cand.set(login, new Set());
      cand.get(login).add(opts.upn(u).toLowerCase());
    }
  const links = [...cand].filter(([, s]) => s.size === 1).map(([l, s]) => `${l} ${[...s][0]}`).sort();
  const conf = [...conflicts].sort().map(([e, l]) => `${e} ${l.join(',')}`);
  return { links, conflicts: conf, logins };
}

module.exports = { noreply, readAuthors, authorsByName, expectLinks };
