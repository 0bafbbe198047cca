#!/usr/bin/env node
// tests/connectors/jira-check.js DIR: compare DIR/db.json (jira-dump.sql) with
// DIR/truth.json (the Jira sandbox's /_sandbox/truth). Options in
// DIR/options.json: {"links": false} skips issue-PR links, {"metrics":
// true} also checks work_started_at/work_done_at/cycle/lead time against
// the truth's status transitions with the default category mapping,
// changed by {"statusCategories": {"Blocked": "new"}}.
// Prints every difference (up to 40) and exits 1 if there is any.
'use strict';
const fs = require('fs');
const dir = process.argv[2];
const truth = JSON.parse(fs.readFileSync(dir + '/truth.json', 'utf8'));
const db = JSON.parse(fs.readFileSync(dir + '/db.json', 'utf8'));
const opts = JSON.parse(fs.readFileSync(dir + '/options.json', 'utf8'));

const problems = [];
const bad = (m) => { problems.push(m); };
const ms = (iso) => (iso === null || iso === undefined ? null : Date.parse(iso));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// ---- catalogues
const projId = new Map(truth.projects.map(p => [p.key, p.id]));
if (!same(truth.projects.map(p => p.id + ' ' + p.key).sort(), db.projects.map(p => p.id + ' ' + p.key).sort()))
  bad(`projects: truth ${truth.projects.map(p => p.key)} db ${db.projects.map(p => p.key)}`);
if (!same(truth.statuses.map(s => [s.id, s.name, s.category].join('|')).sort(),
  db.statuses.map(s => [s.id, s.name, s.category].join('|')).sort()))
  bad(`statuses differ: ${JSON.stringify(db.statuses)}`);
if (!same(truth.issueTypes.map(t => [t.id, t.name, t.subtask, t.hierarchyLevel].join('|')).sort(),
  db.wits.map(t => [t.id, t.name, t.subtask, t.level].join('|')).sort()))
  bad(`issue types differ: ${JSON.stringify(db.wits)}`);
const scrum = new Set(truth.projects.filter(p => p.boardType === 'scrum').map(p => p.key));
const wantSprints = truth.sprints.filter(s => scrum.has(s.project));
const dbSprints = new Map(db.sprints.map(s => [s.id, s]));
if (wantSprints.length !== db.sprints.length) bad(`sprints: truth ${wantSprints.length}, db ${db.sprints.length}`);
for (const s of wantSprints) {
  const d = dbSprints.get(String(s.id));
  if (!d) { bad(`sprint ${s.id} missing`); continue; }
  // Jira shows no dates for future sprints (the truth plans them anyway).
  const fut = s.state === 'future';
  const want = [String(s.boardId), s.name, s.state, fut ? null : ms(s.startDate || null),
    fut ? null : ms(s.endDate || null), ms(s.completeDate || null)];
  const got = [d.board, d.name, d.state, d.start, d.end, d.complete];
  if (!same(want, got)) bad(`sprint ${s.id}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
}
if (db.workflows !== truth.projects.length) bad(`workflows with transitions: ${db.workflows}, want ${truth.projects.length}`);

// ---- issues
const cat = new Map(truth.statuses.map(s => [s.name, s.category]));
// status mappings the test changed: name -> new | indeterminate | done
for (const [k, v] of Object.entries(opts.statusCategories || {})) cat.set(k, v);
const items = new Map(db.items.map(i => [i.id, i]));
let checked = 0, transitions = 0, links = 0, histories = 0;
for (const t of truth.issues) {
  const d = items.get(t.id);
  if (!d) { bad(`issue ${t.key} (${t.id}) missing`); continue; }
  checked++;
  const f = (name, want, got) => { if (!same(want, got)) bad(`${t.key} ${name}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`); };
  f('deleted', false, d.deleted);
  f('key', t.key, d.key);
  f('project', projId.get(t.project), d.project);
  f('type', t.type, d.type);
  f('status', t.status, d.status);
  f('priority', t.priority, d.priority);
  f('assignee', t.assignee, d.assignee);
  f('reporter', t.reporter, d.reporter);
  f('parent', t.parentId, d.parent);
  f('labels', t.labels, d.labels || []);
  f('points', t.storyPoints, d.points);
  f('sprints', t.sprints.map(String).sort(), (d.sprints || []).slice().sort());
  f('created', ms(t.created), d.created);
  f('updated', ms(t.updated), d.updated);
  f('resolved', ms(t.resolved), d.resolved);
  f('histories', t.changelogCount, d.histories);
  histories += d.histories;
  f('status transitions', t.statusTransitions.map(x => [ms(x.at), x.historyId, x.from, x.to]),
    d.transitions.map(x => [x.at, x.historyId, x.from, x.to]));
  transitions += t.statusTransitions.length;
  if (opts.links !== false) {
    const want = t.pullRequests.map(p => [p.repository, p.number, p.status, p.url]).sort();
    f('pull request links', want, d.links.map(p => [p.repository, p.number, p.status, p.url]).sort());
    links += want.length;
  }
  if (opts.metrics) {
    const tr = t.statusTransitions;
    const start = tr.find(x => cat.get(x.to) === 'indeterminate');
    const dones = tr.filter(x => cat.get(x.to) === 'done');
    const isDone = cat.get(t.status) === 'done';
    const started = start ? ms(start.at) : null;
    let done = null;
    if (isDone) done = dones.length ? ms(dones[dones.length - 1].at) : ms(t.resolved);
    f('work_started_at', started, d.started);
    f('work_done_at', done, d.done);
    f('cycle_time_seconds', started !== null && done !== null && done >= started ? Math.floor((done - started) / 1000) : null, d.cycle);
    f('lead_time_seconds', done !== null ? Math.floor((done - ms(t.created)) / 1000) : null, d.lead);
  }
}
const live = new Set(truth.issues.map(i => i.id));
const gone = new Set((truth.deleted || []).map(x => String(x.id || x)));
for (const d of db.items) {
  if (live.has(d.id)) continue;
  if (!d.deleted) bad(`issue ${d.key} (${d.id}) is not in Jira but not marked deleted`);
  else if (opts.deletedMustBeKnown !== false && !gone.has(d.id)) bad(`issue ${d.key} marked deleted but the sandbox did not delete it`);
}
if (db.orphan_changelogs !== 0) bad(`${db.orphan_changelogs} changelog rows name no work item`);

for (const p of problems.slice(0, 40)) console.log('  ' + p);
if (problems.length > 40) console.log(`  ... and ${problems.length - 40} more`);
console.log(`jira-check: ${checked} issues, ${histories} histories, ${transitions} status transitions, ` +
  `${links} links compared; ${problems.length} difference${problems.length === 1 ? '' : 's'}`);
process.exit(problems.length ? 1 : 0);
