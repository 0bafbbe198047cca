'use strict';
// Builds Jira REST v3 / Agile JSON from the compact store on each request.
// `ctx` = { base: 'http://127.0.0.1:PORT', tz: user time zone, store, utcTimestamps }

const D = require('./data');
const tz = require('./tz');

function ts(ctx, ms) { return ctx.utcTimestamps ? tz.formatJira(ms, 'UTC') : tz.formatJira(ms, ctx.tz); }

function avatarUrls(seed) {
  const u = 'https://avatar-management.sandbox.invalid/initials/' + encodeURIComponent(seed) + '.png';
  return { '48x48': u + '?s=48', '24x24': u + '?s=24', '16x16': u + '?s=16', '32x32': u + '?s=32' };
}

// Rendered catalogue objects never change for a given (store, base URL), so
// they are built once and shared between responses (JSON.stringify does not
// care). Callers that want to add properties must copy first.
const cacheByStore = new WeakMap();
function cacheFor(ctx) {
  let m = cacheByStore.get(ctx.store);
  if (!m) { m = new Map(); cacheByStore.set(ctx.store, m); }
  const k = ctx.base + '|' + ctx.tz + '|' + (ctx.utcTimestamps ? 1 : 0);
  let c = m.get(k);
  if (!c) { c = { user: [], status: [], issueType: [], priority: [], resolution: [], projectRef: [], cat: {} }; m.set(k, c); }
  return c;
}
function cached(kind, build) {
  return function (ctx, idx) {
    if (idx === undefined || idx === null || idx < 0) return null;
    const c = cacheFor(ctx)[kind];
    let o = c[idx];
    if (!o) { o = build(ctx, idx); c[idx] = o; }
    return o;
  };
}

const user = cached('user', function (ctx, idx) {
  const u = ctx.store.users[idx];
  const o = {
    self: ctx.base + '/rest/api/3/user?accountId=' + encodeURIComponent(u.accountId),
    accountId: u.accountId,
  };
  if (u.emailAddress) o.emailAddress = u.emailAddress;
  o.avatarUrls = avatarUrls(u.displayName);
  o.displayName = u.displayName;
  o.active = u.active;
  o.timeZone = u.timeZone;
  o.accountType = u.accountType;
  return o;
});

function statusCategory(ctx, key) {
  const cc = cacheFor(ctx).cat;
  if (cc[key]) return cc[key];
  const c = D.STATUS_CATEGORIES[key];
  return cc[key] = { self: ctx.base + '/rest/api/3/statuscategory/' + c.id, id: c.id, key: c.key, colorName: c.colorName, name: c.name };
}

const status = cached('status', function (ctx, idx) {
  const s = D.STATUSES[idx];
  return {
    self: ctx.base + '/rest/api/3/status/' + s.id, description: s.description,
    iconUrl: ctx.base + '/images/icons/statuses/generic.png', name: s.name, untranslatedName: s.name,
    id: s.id, statusCategory: statusCategory(ctx, s.category),
  };
});

const issueType = cached('issueType', function (ctx, idx) {
  const t = D.ISSUE_TYPES[idx];
  return {
    self: ctx.base + '/rest/api/3/issuetype/' + t.id, id: t.id, description: t.description,
    iconUrl: ctx.base + '/rest/api/2/universal_avatar/view/type/issuetype/avatar/' + t.avatarId + '?size=medium',
    name: t.name, untranslatedName: t.name, subtask: t.subtask, avatarId: t.avatarId, hierarchyLevel: t.hierarchyLevel,
  };
});

const priority = cached('priority', function (ctx, idx) {
  const p = D.PRIORITIES[idx];
  return { self: ctx.base + '/rest/api/3/priority/' + p.id, iconUrl: ctx.base + '/images/icons/priorities/' + p.name.toLowerCase() + '.svg', name: p.name, id: p.id };
});

const resolution = cached('resolution', function (ctx, idx) {
  const r = D.RESOLUTIONS[idx];
  return { self: ctx.base + '/rest/api/3/resolution/' + r.id, id: r.id, description: r.description, name: r.name };
});

function projectTypeIssueTypes(ctx, p) {
  const out = [];
  D.ISSUE_TYPES.forEach((t, i) => { if (i !== D.T_SPIKE || p.hasSpike) out.push(issueType(ctx, i)); });
  return out;
}

function projectRef(ctx, p) { return projectRefCached(ctx, p.idx); }
const projectRefCached = cached('projectRef', function (ctx, idx) {
  const p = ctx.store.projects[idx];
  return {
    self: ctx.base + '/rest/api/3/project/' + p.id, id: String(p.id), key: p.key, name: p.name,
    projectTypeKey: 'software', simplified: false, avatarUrls: avatarUrls(p.key),
  };
});

function project(ctx, p, expand) {
  const o = {
    expand: 'description,lead,issueTypes,url,projectKeys,permissions,insight',
    self: ctx.base + '/rest/api/3/project/' + p.id, id: String(p.id), key: p.key, name: p.name,
    avatarUrls: avatarUrls(p.key), projectTypeKey: 'software', simplified: false, style: 'classic',
    isPrivate: false, properties: {},
  };
  if (expand.has('description')) o.description = p.name + ' team project (sandbox).';
  if (expand.has('lead')) o.lead = user(ctx, p.lead);
  if (expand.has('issuetypes')) o.issueTypes = projectTypeIssueTypes(ctx, p);
  if (expand.has('url')) o.url = '';
  if (expand.has('projectkeys')) o.projectKeys = [p.key];
  if (expand.has('insight')) {
    let total = 0, last = 0;
    for (const i of ctx.store.issues) if (!i.deleted && i.proj === p.idx) { total++; if (i.updated > last) last = i.updated; }
    o.insight = { totalIssueCount: total, lastIssueUpdateTime: last ? ts(ctx, last) : null };
  }
  return o;
}

function sprintObj(ctx, sp, forField) {
  const state = ctx.store.sprintState(sp);
  const o = forField
    ? { id: sp.id, name: sp.name, state, boardId: sp.boardId, goal: sp.goal }
    : { id: sp.id, self: ctx.base + '/rest/agile/1.0/sprint/' + sp.id, state, name: sp.name };
  if (state !== 'future') {
    o.startDate = tz.formatIsoZ(sp.start);
    o.endDate = tz.formatIsoZ(sp.end);
  }
  if (state === 'closed') o.completeDate = tz.formatIsoZ(sp.end + sp.completeOffset);
  if (!forField) {
    o.createdDate = tz.formatIsoZ(sp.created);
    o.originBoardId = sp.boardId;
    o.goal = sp.goal;
  }
  return o;
}

function parentRef(ctx, p) {
  return {
    id: String(p.id), key: p.key, self: ctx.base + '/rest/api/3/issue/' + p.id,
    fields: { summary: p.summary, status: status(ctx, p.status), priority: priority(ctx, p.priority), issuetype: issueType(ctx, p.type) },
  };
}

function adf(text) {
  return { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] };
}

// Field catalogue: id -> { name, get(ctx, issue), schema }
const FIELDS = [
  ['summary', 'Summary', (c, i) => i.summary, { type: 'string', system: 'summary' }],
  ['issuetype', 'Issue Type', (c, i) => issueType(c, i.type), { type: 'issuetype', system: 'issuetype' }],
  ['project', 'Project', (c, i) => projectRef(c, c.store.projects[i.proj]), { type: 'project', system: 'project' }],
  ['status', 'Status', (c, i) => status(c, i.status), { type: 'status', system: 'status' }],
  ['statuscategorychangedate', 'Status Category Changed', (c, i) => ts(c, i.statusCategoryChanged), { type: 'datetime', system: 'statuscategorychangedate' }],
  ['priority', 'Priority', (c, i) => priority(c, i.priority), { type: 'priority', system: 'priority' }],
  ['assignee', 'Assignee', (c, i) => user(c, i.assignee), { type: 'user', system: 'assignee' }],
  ['reporter', 'Reporter', (c, i) => user(c, i.reporter), { type: 'user', system: 'reporter' }],
  ['creator', 'Creator', (c, i) => user(c, i.creator), { type: 'user', system: 'creator' }],
  ['created', 'Created', (c, i) => ts(c, i.created), { type: 'datetime', system: 'created' }],
  ['updated', 'Updated', (c, i) => ts(c, i.updated), { type: 'datetime', system: 'updated' }],
  ['resolution', 'Resolution', (c, i) => resolution(c, i.resolution), { type: 'resolution', system: 'resolution' }],
  ['resolutiondate', 'Resolved', (c, i) => (i.resolutiondate === null ? null : ts(c, i.resolutiondate)), { type: 'datetime', system: 'resolutiondate' }],
  ['labels', 'Labels', (c, i) => i.labels.slice(), { type: 'array', items: 'string', system: 'labels' }],
  ['parent', 'Parent', (c, i) => (i.parent ? parentRef(c, i.parent) : undefined), { type: 'issuelink', system: 'parent' }],
  ['subtasks', 'Sub-tasks', (c, i) => i.children.filter(x => !x.deleted && x.type === D.T_SUB).map(x => parentRef(c, x)), { type: 'array', items: 'issuelinks', system: 'subtasks' }],
  ['issuelinks', 'Linked Issues', () => [], { type: 'array', items: 'issuelinks', system: 'issuelinks' }],
  ['components', 'Components', () => [], { type: 'array', items: 'component', system: 'components' }],
  ['fixVersions', 'Fix versions', () => [], { type: 'array', items: 'version', system: 'fixVersions' }],
  ['description', 'Description', (c, i) => adf('Sandbox issue ' + i.key + ': ' + i.summary + '.'), { type: 'string', system: 'description' }],
  ['duedate', 'Due date', () => null, { type: 'date', system: 'duedate' }],
  ['environment', 'Environment', () => null, { type: 'string', system: 'environment' }],
  ['customfield_10020', 'Sprint', (c, i) => (i.sprints.length ? i.sprints.map(id => sprintObj(c, c.store.sprintById.get(id), true)) : null),
    { type: 'array', items: 'json', custom: 'com.pyxis.greenhopper.jira:gh-sprint', customId: 10020 }],
  ['customfield_10016', 'Story point estimate', (c, i) => i.points, { type: 'number', custom: 'com.pyxis.greenhopper.jira:jsw-story-points', customId: 10016 }],
  ['customfield_10000', 'Development', (c, i) => devSummaryField(c, i),
    { type: 'any', custom: 'com.atlassian.jira.plugins.jira-development-integration-plugin:devsummarycf', customId: 10000 }],
];
const FIELD_MAP = new Map(FIELDS.map(f => [f[0], f]));
const ALL_FIELD_IDS = FIELDS.map(f => f[0]);

// The Development summary field, as Jira Cloud renders it: "{}" without
// pull requests, else a text whose json= part holds the dev-status summary.
function devSummaryField(ctx, i) {
  const prs = i.prs || [];
  if (!prs.length) return '{}';
  const open = prs.filter(p => p.status === 'OPEN').length;
  const merged = prs.filter(p => p.status === 'MERGED').length;
  const state = open ? 'OPEN' : merged ? 'MERGED' : 'DECLINED';
  const stateCount = open || merged || prs.length;
  const last = Math.max(...prs.map(p => p.lastUpdate));
  const json = { cachedValue: { errors: [], configErrors: [], summary: { pullrequest: { overall: {
    count: prs.length, lastUpdated: ts(ctx, last), stateCount, state, dataType: 'pullrequest', open: open > 0 },
  byInstanceType: { GitHub: { count: prs.length, name: 'GitHub' } } } } }, isStale: false };
  return `{pullrequest={dataType=pullrequest, state=${state}, stateCount=${stateCount}}, json=${JSON.stringify(json)}}`;
}

// A site without the Development field (--no-dev-field).
function dropField(id) {
  const k = FIELDS.findIndex(f => f[0] === id);
  if (k < 0) return;
  FIELDS.splice(k, 1);
  FIELD_MAP.delete(id);
  ALL_FIELD_IDS.splice(ALL_FIELD_IDS.indexOf(id), 1);
}

// Parse Jira's `fields` selector (array of tokens) into an ordered id list,
// or null when no fields were requested (=> id/key/self only).
function resolveFields(tokens) {
  if (!tokens || !tokens.length) return null;
  const include = new Set();
  const exclude = new Set();
  for (let raw of tokens) {
    raw = String(raw).trim();
    if (!raw) continue;
    if (raw === '*all' || raw === '*navigable') { for (const id of ALL_FIELD_IDS) include.add(id); continue; }
    if (raw.startsWith('-')) { exclude.add(raw.slice(1)); continue; }
    if (FIELD_MAP.has(raw)) include.add(raw); // unknown field ids are ignored, like Jira
  }
  const out = ALL_FIELD_IDS.filter(id => include.has(id) && !exclude.has(id));
  return out;
}

function changelogHistory(ctx, h) {
  const o = { id: String(h.id) };
  if (h.a >= 0) o.author = user(ctx, h.a);
  o.created = ts(ctx, h.t);
  o.items = h.items;
  return o;
}

const EMBED_CHANGELOG_MAX = 20;

function issue(ctx, i, fieldIds, expand) {
  const o = {};
  if (fieldIds) o.expand = 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations';
  o.id = String(i.id);
  o.self = ctx.base + '/rest/api/3/issue/' + i.id;
  o.key = i.key;
  if (expand && expand.has('changelog')) {
    const hs = i.histories;
    const recent = [];
    for (let k = hs.length - 1; k >= 0 && recent.length < EMBED_CHANGELOG_MAX; k--) recent.push(changelogHistory(ctx, hs[k]));
    o.changelog = { startAt: 0, maxResults: recent.length, total: hs.length, histories: recent };
  }
  if (fieldIds) {
    const f = {};
    for (const id of fieldIds) {
      const v = FIELD_MAP.get(id)[2](ctx, i);
      if (v !== undefined) f[id] = v;
    }
    o.fields = f;
  }
  return o;
}

function fieldNames(fieldIds) {
  const n = {};
  for (const id of fieldIds || []) n[id] = FIELD_MAP.get(id)[1];
  return n;
}
function fieldSchemas(fieldIds) {
  const n = {};
  for (const id of fieldIds || []) n[id] = FIELD_MAP.get(id)[3];
  return n;
}

function fieldList() {
  return FIELDS.map(([id, name, , schema]) => {
    const custom = id.startsWith('customfield_');
    const o = { id, key: id, name, custom, orderable: true, navigable: true, searchable: true, clauseNames: custom ? ['cf[' + id.slice(12) + ']', name] : [id], schema };
    if (custom) o.untranslatedName = name;
    return o;
  });
}

module.exports = {
  user, status, statusCategory, issueType, priority, resolution, project, projectRef, sprintObj,
  issue, changelogHistory, resolveFields, fieldNames, fieldSchemas, fieldList, ts, avatarUrls,
  ALL_FIELD_IDS, EMBED_CHANGELOG_MAX, dropField,
};
