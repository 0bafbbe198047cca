#!/usr/bin/env node
'use strict';
// Compare the directory rows of one Entra integration (db.json) with the
// Graph sandbox's truth (truth.json); print every difference, exit 1 if any.
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8'));
const db = JSON.parse(fs.readFileSync(path.join(dir, 'db.json'), 'utf8'));
const errs = [];
const byId = (a, k = 'id') => new Map(a.map((x) => [x[k], x]));

function same(what, want, got) {
  const w = byId(want), g = byId(got);
  if (w.size !== want.length) errs.push(`${what}: duplicate ids in the truth`);
  if (g.size !== got.length) errs.push(`${what}: duplicate ids in the warehouse`);
  for (const [id, x] of w) {
    const y = g.get(id);
    if (!y) { errs.push(`${what} ${id} (${x.displayName || ''}) is missing`); continue; }
    for (const k of Object.keys(x)) {
      if (k === 'id') continue;
      if (JSON.stringify(x[k]) !== JSON.stringify(y[k]))
        errs.push(`${what} ${id} ${k}: want ${JSON.stringify(x[k])}, got ${JSON.stringify(y[k])}`);
    }
  }
  for (const id of g.keys()) if (!w.has(id)) errs.push(`${what} ${id} should not be there`);
}
same('user', truth.users, db.users);
same('group', truth.groups, db.groups);
for (const u of db.users) {
  if (u.source !== 'entra') errs.push(`user ${u.id}: source ${u.source}`);
  if (!u.changed) errs.push(`user ${u.id}: changed_at is null`);
}
for (const g of db.groups) if (g.source !== 'entra') errs.push(`group ${g.id}: source ${g.source}`);
const wantM = truth.memberships.map((m) => ({ id: `${m.group}|${m.member}`, group: m.group, member: m.member, kind: m.kind }));
const gotM = db.memberships.map((m) => ({ id: m.external_id, group: m.group, member: m.member, kind: m.kind }));
same('membership', wantM, gotM);
const del = (want, got, what) => { for (const id of want) if (!got.includes(id)) errs.push(`${what} ${id} is not marked deleted`); };
del(truth.deleted_users, db.deleted_users, 'user');
del(truth.deleted_groups, db.deleted_groups, 'group');
if (errs.length) {
  for (const e of errs.slice(0, 40)) process.stderr.write('  ' + e + '\n');
  if (errs.length > 40) process.stderr.write(`  ... and ${errs.length - 40} more\n`);
  process.exit(1);
}
process.stderr.write(`entra-check: ${truth.users.length} users, ${truth.groups.length} groups, ` +
  `${truth.memberships.length} memberships match\n`);
