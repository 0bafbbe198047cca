// fabric-check DIR WITH_GRAPHQL: DIR/db.json (the warehouse) equals
// DIR/truth.json (the Fabric sandbox's truth), entity by entity.
'use strict';
const fs = require('fs');
const dir = process.argv[2];
const gql = process.argv[3] === '1';
const t = JSON.parse(fs.readFileSync(`${dir}/truth.json`, 'utf8'));
const d = JSON.parse(fs.readFileSync(`${dir}/db.json`, 'utf8'));
let bad = 0;
function same(what, want, got) {
  const canon = (x) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, canon(x[key])])) : x);
  const k = (x) => JSON.stringify(canon(x));
  const before = bad;
  const w = new Map(want.map((x) => [x.id, k(x)]));
  const g = new Map(got.map((x) => [x.id, k(x)]));
  for (const [id, v] of w) {
    if (!g.has(id)) { console.error(`${what}: missing ${v}`); bad++; } else if (g.get(id) !== v) {
      console.error(`${what}: differs\n  want ${v}\n  got  ${g.get(id)}`); bad++;
    }
  }
  for (const [id, v] of g) if (!w.has(id)) { console.error(`${what}: extra ${v}`); bad++; }
  if (bad === before) console.error(`fabric-check: ${what}: ${want.length} match`);
}
same('workspaces', t.workspaces, d.workspaces);
same('items', t.items, d.items);
same('runs', t.runs.map((r) => ({ id: r.id, itemId: r.itemId, jobType: r.jobType, invokeType: r.invokeType,
  status: r.status, start: r.startTimeUtc, end: r.endTimeUtc,
  failure: r.failureReason ? r.failureReason.errorCode : null })), d.runs);
same('deploys', t.deploys.map((x) => ({ id: `fabric:${x.id}`, repo: `fabric/${x.pipeline.toLowerCase()}`,
  environment: x.target, production: x.production,
  status: { Succeeded: 'success', Failed: 'failure' }[x.status] || 'in_progress', start: x.start, end: x.end })),
d.deploys);
if (gql) {
  same('rows', t.rows.map((r) => ({ id: `orders|${r.id}`, data: r, updated: r.updatedAt })),
    d.rows.map((r) => ({ id: `${r.entity}|${r.key}`, data: r.data, updated: r.updated })));
} else if (d.rows.length) {
  console.error(`rows: ${d.rows.length} loaded without a graphql entity`); bad++;
}
process.exit(bad ? 1 : 0);
