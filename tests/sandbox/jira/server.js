#!/usr/bin/env node
'use strict';
// Jira-Cloud-shaped sandbox HTTP server for pulse-host tests, benchmarks and
// demos. Node >= 18, no npm dependencies. See README.md in this folder.

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

const D = require('./lib/data');
const R = require('./lib/render');
const J = require('./lib/jql');
const tz = require('./lib/tz');

// ------------------------------------------------------------------ CLI
function usage(msg) {
  if (msg) process.stderr.write('jira-sandbox: ' + msg + '\n');
  process.stderr.write(`usage: node server.js --port P [--host 127.0.0.1] [--seed S] [--projects N]
       [--issues M] [--email E] [--token T] [--user-tz Area/City] [--port-file F]
       [--gh-org ORG] [--gh-repos N] [--gh-repo-names a,b,..] [--gh-prs N]
       [--rate-limit N] [--max-page N]
       [--utc-timestamps] [--no-dev-field] [--base-url URL] [--verbose]
`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    port: null, host: '127.0.0.1', seed: 'pulse', projects: 3, issues: 60,
    email: 'sandbox@example.com', token: 'sandbox-token', userTz: 'America/Los_Angeles',
    portFile: null, ghOrg: 'acme', ghRepos: 3, ghRepoNames: null, ghPrs: 40, rateLimit: 0, maxPage: 100,
    utcTimestamps: false, noDevField: false, baseUrl: null, verbose: false,
  };
  const flags = {
    '--port': ['port', 'int'], '--host': ['host', 'str'], '--seed': ['seed', 'str'],
    '--projects': ['projects', 'int'], '--issues': ['issues', 'int'], '--email': ['email', 'str'],
    '--token': ['token', 'str'], '--user-tz': ['userTz', 'str'], '--port-file': ['portFile', 'str'],
    '--gh-org': ['ghOrg', 'str'], '--gh-repos': ['ghRepos', 'int'], '--gh-prs': ['ghPrs', 'int'],
    '--gh-repo-names': ['ghRepoNames', 'str'], '--rate-limit': ['rateLimit', 'int'],
    '--max-page': ['maxPage', 'int'], '--base-url': ['baseUrl', 'str'],
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i], v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    if (a === '--verbose' || a === '-v') { o.verbose = true; continue; }
    if (a === '--utc-timestamps') { o.utcTimestamps = true; continue; }
    if (a === '--no-dev-field') { o.noDevField = true; continue; }
    if (a === '--help' || a === '-h') usage();
    const f = flags[a];
    if (!f) usage('unknown option ' + a);
    if (v === undefined) { v = argv[++i]; if (v === undefined) usage('missing value for ' + a); }
    if (f[1] === 'int') {
      if (!/^-?\d+$/.test(v)) usage(a + ' needs an integer');
      o[f[0]] = parseInt(v, 10);
    } else o[f[0]] = v;
  }
  if (o.port === null) usage('--port is required (0 = pick a free port)');
  if (!tz.isValidTimeZone(o.userTz)) usage('unknown time zone ' + o.userTz);
  if (o.projects < 1 || o.issues < 0 || o.ghRepos < 1 || o.ghPrs < 1 || o.maxPage < 1) usage('bad sizes');
  if (o.ghRepoNames !== null) {
    o.ghRepoNames = o.ghRepoNames.split(',').map(x => x.trim()).filter(Boolean);
    if (!o.ghRepoNames.length) usage('--gh-repo-names needs at least one name');
  }
  if (!/^(127\.|::1$|localhost$)/.test(o.host)) usage('--host must be a loopback address');
  return o;
}

const opts = parseArgs(process.argv.slice(2));
if (opts.noDevField) R.dropField('customfield_10000');
const log = (...a) => { if (opts.verbose) process.stderr.write('[jira-sandbox] ' + a.join(' ') + '\n'); };

// ---------------------------------------------------------------- state
let store;
function buildStore(over) {
  const s = new D.Store({
    seed: over && over.seed !== undefined ? over.seed : opts.seed,
    projects: over && over.projects !== undefined ? over.projects : opts.projects,
    issues: over && over.issues !== undefined ? over.issues : opts.issues,
    ghOrg: opts.ghOrg, ghRepos: opts.ghRepos, ghPrs: opts.ghPrs, ghRepoNames: opts.ghRepoNames,
  });
  s.users[D.U_ME].emailAddress = opts.email;
  s.users[D.U_ME].timeZone = opts.userTz;
  return s;
}
store = buildStore();
process.stderr.write(`[jira-sandbox] generated ${store.projects.length} projects, ${store.issues.length} issues, ` +
  `${store.totalHistories()} changelog entries in ${store.genMs} ms\n`);

let faults = [];
let stats = newStats();
function newStats() { return { since: new Date().toISOString(), requests: 0, unauthorized: 0, rate_limited: 0, not_found: 0, by_path: {}, by_status: {}, faults: {} }; }
const queryCache = new Map(); // key -> {version, list}

// token bucket (only when --rate-limit N > 0)
const bucket = { tokens: opts.rateLimit, last: Date.now() };
const NOMINAL_LIMIT = 1000;

// -------------------------------------------------------------- helpers
class HttpError extends Error {
  constructor(status, msg, extra) { super(msg); this.status = status; this.extra = extra; }
}
const jiraErr = (msgs) => ({ errorMessages: Array.isArray(msgs) ? msgs : [msgs], errors: {} });
const sha = (s) => crypto.createHash('sha1').update(s).digest('hex').slice(0, 16);
const b64u = (s) => Buffer.from(s).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unb64u = (s) => Buffer.from(String(s).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');

function encodeToken(kind, offset, qhash) { return b64u(JSON.stringify({ k: kind, o: offset, q: qhash })); }
function decodeToken(kind, tok, qhash, what) {
  let t;
  try { t = JSON.parse(unb64u(tok)); } catch (_) { t = null; }
  if (!t || t.k !== kind || !Number.isInteger(t.o) || t.o < 0) throw new HttpError(400, `The ${what} is invalid.`);
  if (t.q !== qhash) throw new HttpError(400, `The ${what} does not belong to this query. Restart paging without a ${what} when the query changes.`);
  return t.o;
}

function intParam(v, dflt, name, min, max) {
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : (/^-?\d+$/.test(String(v)) ? parseInt(v, 10) : NaN);
  if (!Number.isInteger(n)) throw new HttpError(400, `The '${name}' parameter must be an integer.`);
  if (min !== undefined && n < min) return min;
  if (max !== undefined && n > max) return max;
  return n;
}

function ctxFor(req) {
  const base = opts.baseUrl || ('http://' + (req.headers.host || (opts.host + ':' + actualPort)));
  return { base, tz: opts.userTz, store, utcTimestamps: opts.utcTimestamps };
}

function splitList(v) {
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  const out = [];
  for (const x of arr) for (const p of String(x).split(',')) if (p.trim()) out.push(p.trim());
  return out;
}

function pageBean(ctx, pathname, q, startAt, maxResults, all, extraQuery) {
  const total = all.length;
  const values = all.slice(startAt, startAt + maxResults);
  const isLast = startAt + values.length >= total;
  const mk = (s) => {
    const u = new URLSearchParams(extraQuery || {});
    u.set('maxResults', String(maxResults)); u.set('startAt', String(s));
    return ctx.base + pathname + '?' + u.toString();
  };
  const o = { self: mk(startAt) };
  if (!isLast) o.nextPage = mk(startAt + maxResults);
  o.maxResults = maxResults; o.startAt = startAt; o.total = total; o.isLast = isLast; o.values = values;
  return o;
}

function runQuery(jql) {
  const ctx = { tz: opts.userTz, now: store.now, myselfIdx: D.U_ME };
  const compiled = J.compile(jql, store, ctx);
  if (!compiled.bounded) throw new HttpError(400, 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.');
  const norm = String(jql).trim().replace(/\s+/g, ' ');
  const key = norm + '\u0000' + store.now;
  const hit = queryCache.get(key);
  if (hit && hit.version === store.version) return { list: hit.list, qhash: sha(norm) };
  const list = [];
  for (const i of store.issues) if (!i.deleted && compiled.pred(i)) list.push(i);
  list.sort(compiled.sort);
  queryCache.set(key, { version: store.version, list });
  if (queryCache.size > 64) queryCache.delete(queryCache.keys().next().value);
  return { list, qhash: sha(norm) };
}

// ------------------------------------------------------------- handlers
function hMyself(ctx) {
  const u = Object.assign({}, R.user(ctx, D.U_ME));
  u.emailAddress = opts.email;
  u.timeZone = opts.userTz;
  u.locale = 'en_US';
  u.groups = { size: 2, items: [] };
  u.applicationRoles = { size: 1, items: [] };
  u.expand = 'groups,applicationRoles';
  return u;
}

function hServerInfo(ctx) {
  return {
    baseUrl: ctx.base, displayUrl: ctx.base, version: '1001.0.0-SNAPSHOT', versionNumbers: [1001, 0, 0],
    deploymentType: 'Cloud', buildNumber: 100289, buildDate: R.ts(ctx, D.BASE_MS),
    serverTime: R.ts(ctx, store.now), scmInfo: 'sandbox-' + sha(String(opts.seed)).slice(0, 12),
    serverTitle: 'Jira (sandbox)', defaultLocale: { locale: 'en_US' }, serverTimeZone: 'Etc/UTC',
  };
}

function hProjectSearch(ctx, q) {
  const startAt = intParam(q.get('startAt'), 0, 'startAt', 0);
  const maxResults = intParam(q.get('maxResults'), 50, 'maxResults', 1, 50);
  const expandRaw = splitList(q.getAll('expand'));
  const expand = new Set(expandRaw.map(s => s.toLowerCase()));
  let list = store.projects.slice();
  const query = q.get('query');
  if (query) list = list.filter(p => p.key.toLowerCase().includes(query.toLowerCase()) || p.name.toLowerCase().includes(query.toLowerCase()));
  const keys = splitList(q.getAll('keys'));
  if (keys.length) list = list.filter(p => keys.includes(p.key) || keys.includes(String(p.id)));
  const ids = splitList(q.getAll('id'));
  if (ids.length) list = list.filter(p => ids.includes(String(p.id)));
  let orderBy = q.get('orderBy') || 'key';
  let dir = 1;
  if (orderBy.startsWith('-')) { dir = -1; orderBy = orderBy.slice(1); } else if (orderBy.startsWith('+')) orderBy = orderBy.slice(1);
  const cmp = { key: (a, b) => a.key.localeCompare(b.key), name: (a, b) => a.name.localeCompare(b.name), id: (a, b) => a.id - b.id, category: () => 0, owner: () => 0, issueCount: () => 0, lastIssueUpdatedDate: () => 0, archivedDate: () => 0, deletedDate: () => 0 }[orderBy];
  if (!cmp) throw new HttpError(400, `Invalid 'orderBy' value: ${orderBy}`);
  list.sort((a, b) => dir * cmp(a, b));
  const extra = {};
  if (expandRaw.length) extra.expand = expandRaw.join(',');
  return pageBean(ctx, '/rest/api/3/project/search', q, startAt, maxResults, list.map(p => R.project(ctx, p, expand)), extra);
}

function hProjectGet(ctx, q, m) {
  const id = decodeURIComponent(m[1]);
  const p = store.projects.find(x => x.key === id.toUpperCase() || String(x.id) === id);
  if (!p) throw new HttpError(404, `No project could be found with key '${id}'.`);
  const expand = new Set(splitList(q.getAll('expand')).map(s => s.toLowerCase()));
  expand.add('issuetypes'); expand.add('description'); expand.add('lead');
  return R.project(ctx, p, expand);
}

function hStatusAll(ctx) {
  return D.STATUSES.map((s, i) => R.status(ctx, i));
}
function hStatusCategories(ctx) { return Object.keys(D.STATUS_CATEGORIES).map(k => R.statusCategory(ctx, k)); }

// Every project uses the same (copied) workflow, so every status.
function projectUsesStatus() { return true; }

function hStatusesSearch(ctx, q) {
  const startAt = intParam(q.get('startAt'), 0, 'startAt', 0);
  const maxResults = intParam(q.get('maxResults'), 200, 'maxResults', 1, 200);
  let list = D.STATUSES.map((s, i) => i);
  const pid = q.get('projectId');
  let proj = null;
  if (pid) {
    proj = store.projects.find(p => String(p.id) === pid);
    if (!proj) throw new HttpError(400, `The project with ID '${pid}' was not found or you don't have permission to view it.`);
    list = list.filter(i => projectUsesStatus(proj, i));
  }
  const ss = q.get('searchString');
  if (ss) list = list.filter(i => D.STATUSES[i].name.toLowerCase().includes(ss.toLowerCase()));
  const cat = q.get('statusCategory');
  if (cat) list = list.filter(i => D.STATUS_CATEGORIES[D.STATUSES[i].category].search === cat.toUpperCase());
  const expandUsages = splitList(q.getAll('expand')).includes('usages');
  const values = list.map(i => {
    const s = D.STATUSES[i];
    const o = { id: s.id, name: s.name, statusCategory: D.STATUS_CATEGORIES[s.category].search, scope: { type: 'GLOBAL' }, description: s.description };
    if (expandUsages) o.usages = store.projects.map(p => ({ project: { id: String(p.id) }, issueTypes: D.ISSUE_TYPES.filter((t, ti) => ti !== D.T_SPIKE || p.hasSpike).map(t => t.id) }));
    return o;
  });
  const extra = {};
  if (pid) extra.projectId = pid;
  return pageBean(ctx, '/rest/api/3/statuses/search', q, startAt, maxResults, values, extra);
}

function hIssueTypes(ctx) { return D.ISSUE_TYPES.map((t, i) => R.issueType(ctx, i)); }
function hIssueTypesForProject(ctx, q) {
  const pid = q.get('projectId');
  const p = store.projects.find(x => String(x.id) === pid);
  if (!p) throw new HttpError(404, `No project could be found with id '${pid}'.`);
  return D.ISSUE_TYPES.map((t, i) => i).filter(i => i !== D.T_SPIKE || p.hasSpike).map(i => R.issueType(ctx, i));
}
function hPriorities(ctx) { return D.PRIORITIES.map((p, i) => Object.assign({}, R.priority(ctx, i), { statusColor: ['#d04437', '#f15C75', '#f79232', '#707070', '#999999'][i], description: p.name })); }
function hResolutions(ctx) { return D.RESOLUTIONS.map((r, i) => R.resolution(ctx, i)); }
function hFields() { return R.fieldList(); }

// Workflow shared by all projects (a per-project copy, as company-managed
// projects usually get one each).
const WF_TRANSITIONS = [
  // id, name, type, to, from[]
  ['1', 'Create', 'INITIAL', D.S_TODO, []],
  ['11', 'Start progress', 'DIRECTIONAL', D.S_PROG, [D.S_TODO]],
  ['21', 'Request review', 'DIRECTIONAL', D.S_REVIEW, [D.S_PROG]],
  ['31', 'Approve', 'DIRECTIONAL', D.S_DONE, [D.S_REVIEW]],
  ['41', 'Request changes', 'DIRECTIONAL', D.S_PROG, [D.S_REVIEW]],
  ['51', 'Block', 'DIRECTIONAL', D.S_BLOCKED, [D.S_PROG]],
  ['61', 'Unblock', 'DIRECTIONAL', D.S_PROG, [D.S_BLOCKED]],
  ['71', 'Done', 'DIRECTIONAL', D.S_DONE, [D.S_PROG]],
  ['81', 'Reopen', 'DIRECTIONAL', D.S_TODO, [D.S_DONE, D.S_WONT, D.S_PROG]],
  ['91', 'Reopen and start', 'DIRECTIONAL', D.S_PROG, [D.S_DONE, D.S_WONT]],
  ['101', "Won't do", 'GLOBAL', D.S_WONT, []],
];
function hWorkflowsSearch(ctx, q) {
  const startAt = intParam(q.get('startAt'), 0, 'startAt', 0);
  const maxResults = intParam(q.get('maxResults'), 50, 'maxResults', 1, 200);
  const expand = new Set(splitList(q.getAll('expand')));
  const withTransitions = expand.has('values.transitions');
  const qs = (q.get('queryString') || '').toLowerCase();
  let list = store.projects.map(p => {
    const w = {
      id: crypto.createHash('md5').update('wf/' + opts.seed + '/' + p.key).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
      name: p.key + ': Software Development Workflow',
      description: 'Workflow used by project ' + p.key + '.',
      version: { id: sha('wfv/' + p.key), versionNumber: 1 },
      scope: { type: 'GLOBAL' },
      isEditable: true,
      created: R.ts(ctx, D.BASE_MS - 30 * D.DAY),
      updated: R.ts(ctx, D.BASE_MS - 30 * D.DAY),
      startPointLayout: { x: -100, y: -20 },
      statuses: D.STATUSES.map((s, i) => ({ statusReference: s.id, layout: { x: 120 * i, y: 0 }, deprecated: false, properties: {} })),
    };
    if (withTransitions) {
      w.transitions = WF_TRANSITIONS.map(([id, name, type, to, from]) => ({
        id, type, toStatusReference: D.STATUSES[to].id,
        links: from.map(f => ({ fromStatusReference: D.STATUSES[f].id, fromPort: 0, toPort: 1 })),
        name, description: '', actions: [], validators: [], triggers: [], properties: {},
      }));
    }
    if (expand.has('values.usages')) w.usages = [{ project: { id: String(p.id) }, issueTypes: D.ISSUE_TYPES.map((t, i) => i).filter(i => i !== D.T_SPIKE || p.hasSpike).map(i => D.ISSUE_TYPES[i].id) }];
    return w;
  });
  if (qs) list = list.filter(w => w.name.toLowerCase().includes(qs));
  const extra = {};
  if (expand.size) extra.expand = [...expand].join(',');
  const bean = pageBean(ctx, '/rest/api/3/workflows/search', q, startAt, maxResults, list, extra);
  bean.statuses = D.STATUSES.map(s => ({ id: s.id, name: s.name, statusCategory: D.STATUS_CATEGORIES[s.category].search, statusReference: s.id, scope: { type: 'GLOBAL' }, description: s.description }));
  return bean;
}

// -------- agile
function boardObj(ctx, p) {
  return {
    id: p.boardId, self: ctx.base + '/rest/agile/1.0/board/' + p.boardId, name: p.key + (p.boardType === 'scrum' ? ' board' : ' Kanban'), type: p.boardType,
    location: { projectId: p.id, displayName: p.name + ' (' + p.key + ')', projectName: p.name, projectKey: p.key, projectTypeKey: 'software', avatarURI: ctx.base + '/rest/api/2/universal_avatar/view/type/project/avatar/10400?size=small', name: p.name + ' (' + p.key + ')' },
  };
}
function agilePage(startAt, maxResults, all, withTotal) {
  const values = all.slice(startAt, startAt + maxResults);
  const o = { maxResults, startAt };
  if (withTotal) o.total = all.length;
  o.isLast = startAt + values.length >= all.length;
  o.values = values;
  return o;
}
function hBoards(ctx, q) {
  const startAt = intParam(q.get('startAt'), 0, 'startAt', 0);
  const maxResults = intParam(q.get('maxResults'), 50, 'maxResults', 1, 50);
  let list = store.projects.slice();
  const pk = q.get('projectKeyOrId');
  if (pk) {
    const p = store.projects.find(x => x.key === pk.toUpperCase() || String(x.id) === pk);
    if (!p) throw new HttpError(400, `No project could be found with key or id '${pk}'.`);
    list = [p];
  }
  const type = q.get('type');
  if (type) { const ts_ = splitList(type); list = list.filter(p => ts_.includes(p.boardType)); }
  return agilePage(startAt, maxResults, list.map(p => boardObj(ctx, p)), true);
}
function findBoard(id) {
  const p = store.projects.find(x => String(x.boardId) === id);
  if (!p) throw new HttpError(404, 'Board does not exist or you do not have permission to see it.');
  return p;
}
function hBoardGet(ctx, q, m) { return boardObj(ctx, findBoard(m[1])); }
function hBoardSprints(ctx, q, m) {
  const p = findBoard(m[1]);
  if (p.boardType !== 'scrum') throw new HttpError(400, 'The board does not support sprints');
  const startAt = intParam(q.get('startAt'), 0, 'startAt', 0);
  const maxResults = intParam(q.get('maxResults'), 50, 'maxResults', 1, 50);
  const states = splitList(q.getAll('state')).map(s => s.toLowerCase());
  for (const s of states) if (!['active', 'closed', 'future'].includes(s)) throw new HttpError(400, `The sprint state '${s}' is not valid. Valid states are: future, active, closed.`);
  let list = p.sprints.slice();
  if (states.length) list = list.filter(sp => states.includes(store.sprintState(sp)));
  return agilePage(startAt, maxResults, list.map(sp => R.sprintObj(ctx, sp, false)), false);
}
function hSprintGet(ctx, q, m) {
  const sp = store.sprintById.get(+m[1]);
  if (!sp) throw new HttpError(404, 'Sprint does not exist or you do not have permission to see it.');
  return R.sprintObj(ctx, sp, false);
}

// -------- search
const SEARCH_BODY_KEYS = new Set(['jql', 'nextPageToken', 'maxResults', 'fields', 'expand', 'properties', 'fieldsByKeys', 'failFast', 'reconcileIssues']);
const BAD_PAYLOAD = 'Invalid request payload. Refer to the REST API documentation and try again.';

function hSearchJql(ctx, q, m, req, body) {
  let p;
  if (req.method === 'GET') {
    p = {
      jql: q.get('jql'), nextPageToken: q.get('nextPageToken'), maxResults: q.get('maxResults'),
      fields: splitList(q.getAll('fields')), expand: q.getAll('expand').join(','),
    };
  } else {
    const b = parseJsonBody(body);
    if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, BAD_PAYLOAD);
    for (const k of Object.keys(b)) if (!SEARCH_BODY_KEYS.has(k)) throw new HttpError(400, BAD_PAYLOAD);
    if (b.jql !== undefined && b.jql !== null && typeof b.jql !== 'string') throw new HttpError(400, BAD_PAYLOAD);
    if (b.nextPageToken !== undefined && b.nextPageToken !== null && typeof b.nextPageToken !== 'string') throw new HttpError(400, BAD_PAYLOAD);
    if (b.fields !== undefined && b.fields !== null && (!Array.isArray(b.fields) || b.fields.some(x => typeof x !== 'string'))) throw new HttpError(400, BAD_PAYLOAD);
    if (b.expand !== undefined && b.expand !== null && typeof b.expand !== 'string') throw new HttpError(400, BAD_PAYLOAD);
    if (b.maxResults !== undefined && b.maxResults !== null && !(Number.isInteger(b.maxResults) || (typeof b.maxResults === 'string' && /^-?\d+$/.test(b.maxResults)))) throw new HttpError(400, BAD_PAYLOAD);
    p = { jql: b.jql, nextPageToken: b.nextPageToken, maxResults: b.maxResults, fields: b.fields || [], expand: b.expand || '' };
  }
  let maxResults = 50;
  if (p.maxResults !== undefined && p.maxResults !== null && p.maxResults !== '') {
    maxResults = typeof p.maxResults === 'number' ? p.maxResults : parseInt(p.maxResults, 10);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 5000) throw new HttpError(400, 'The max results parameter has to be between 1 and 5,000.');
  }
  const expand = new Set(splitList(p.expand).map(s => s.trim()));
  const fieldIds = R.resolveFields(p.fields);
  const { list, qhash } = runQuery(p.jql === undefined || p.jql === null ? '' : p.jql);
  const offset = p.nextPageToken ? decodeToken('s', p.nextPageToken, qhash, 'nextPageToken') : 0;
  const heavy = (fieldIds && fieldIds.length) || expand.has('changelog');
  const cap = heavy ? opts.maxPage : 5000;
  const n = Math.min(maxResults, cap);
  const page = list.slice(offset, offset + n);
  const out = { issues: page.map(i => R.issue(ctx, i, fieldIds, expand)) };
  if (expand.has('names')) out.names = R.fieldNames(fieldIds);
  if (expand.has('schema')) out.schema = R.fieldSchemas(fieldIds);
  if (offset + page.length < list.length) out.nextPageToken = encodeToken('s', offset + page.length, qhash);
  out.isLast = !out.nextPageToken;
  return out;
}

function hApproxCount(ctx, q, m, req, body) {
  const b = parseJsonBody(body);
  if (!b || typeof b !== 'object' || Array.isArray(b) || (b.jql !== undefined && typeof b.jql !== 'string')) throw new HttpError(400, BAD_PAYLOAD);
  for (const k of Object.keys(b)) if (k !== 'jql') throw new HttpError(400, BAD_PAYLOAD);
  const { list } = runQuery(b.jql || '');
  return { count: list.length };
}

function hOldSearch() {
  throw new HttpError(410, 'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046');
}

function notFoundIssue() { return new HttpError(404, 'Issue does not exist or you do not have permission to see it.'); }

function hIssueGet(ctx, q, m) {
  const iss = store.findIssue(decodeURIComponent(m[1]));
  if (!iss) throw notFoundIssue();
  const fieldsParam = q.getAll('fields');
  const fieldIds = fieldsParam.length ? R.resolveFields(splitList(fieldsParam)) : R.ALL_FIELD_IDS.slice();
  const expand = new Set(splitList(q.getAll('expand')));
  const o = R.issue(ctx, iss, fieldIds || [], new Set());
  if (expand.has('changelog')) {
    const hs = iss.histories;
    const recent = [];
    for (let k = hs.length - 1; k >= 0 && recent.length < 100; k--) recent.push(R.changelogHistory(ctx, hs[k]));
    o.changelog = { startAt: 0, maxResults: recent.length, total: hs.length, histories: recent };
  }
  if (expand.has('names')) o.names = R.fieldNames(fieldIds);
  return o;
}

function hChangelog(ctx, q, m) {
  const iss = store.findIssue(decodeURIComponent(m[1]));
  if (!iss) throw notFoundIssue();
  const startAt = intParam(q.get('startAt'), 0, 'startAt', 0);
  const maxResults = intParam(q.get('maxResults'), 100, 'maxResults', 1, 100);
  const hs = iss.histories;
  const slice = hs.slice(startAt, startAt + maxResults).map(h => R.changelogHistory(ctx, h));
  const total = hs.length;
  const isLast = startAt + slice.length >= total;
  const mk = (s) => ctx.base + '/rest/api/3/issue/' + encodeURIComponent(m[1]) + '/changelog?maxResults=' + maxResults + '&startAt=' + s;
  const o = { self: mk(startAt) };
  if (!isLast) o.nextPage = mk(startAt + maxResults);
  o.maxResults = maxResults; o.startAt = startAt; o.total = total; o.isLast = isLast; o.values = slice;
  return o;
}

const BULK_KEYS = new Set(['issueIdsOrKeys', 'fieldIds', 'maxResults', 'nextPageToken']);
function hBulkChangelog(ctx, q, m, req, body) {
  const b = parseJsonBody(body);
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, BAD_PAYLOAD);
  for (const k of Object.keys(b)) if (!BULK_KEYS.has(k)) throw new HttpError(400, BAD_PAYLOAD);
  const ids = b.issueIdsOrKeys;
  if (!Array.isArray(ids) || ids.length === 0) throw new HttpError(400, 'issueIdsOrKeys must contain between 1 and 1000 issue IDs or keys.');
  if (ids.length > 1000) throw new HttpError(400, 'issueIdsOrKeys must contain between 1 and 1000 issue IDs or keys.');
  const fieldIds = b.fieldIds === undefined || b.fieldIds === null ? [] : b.fieldIds;
  if (!Array.isArray(fieldIds) || fieldIds.length > 10) throw new HttpError(400, 'fieldIds must contain at most 10 field IDs.');
  let maxResults = 1000;
  if (b.maxResults !== undefined && b.maxResults !== null) {
    if (!Number.isInteger(b.maxResults)) throw new HttpError(400, BAD_PAYLOAD);
    maxResults = Math.max(1, Math.min(10000, b.maxResults));
  }
  const fset = new Set(fieldIds.map(String));
  const qhash = sha(JSON.stringify([ids.map(String), [...fset].sort()]));
  const offset = b.nextPageToken ? decodeToken('b', b.nextPageToken, qhash, 'nextPageToken') : 0;
  // flat, ordered sequence of (issue, history) pairs
  const seen = new Set();
  const groups = [];
  let flatTotal = 0;
  for (const x of ids) {
    const iss = store.findIssue(x);
    if (!iss || seen.has(iss.id)) continue;
    seen.add(iss.id);
    let hs = iss.histories;
    if (fset.size) hs = hs.filter(h => h.items.some(it => fset.has(it.fieldId)));
    groups.push([iss, hs]);
    flatTotal += hs.length;
  }
  const out = [];
  let pos = 0, taken = 0;
  for (const [iss, hs] of groups) {
    if (taken >= maxResults) break;
    const end = pos + hs.length;
    if (end <= offset) { pos = end; continue; }
    const from = Math.max(0, offset - pos);
    const to = Math.min(hs.length, from + (maxResults - taken));
    const sel = hs.slice(from, to).map(h => {
      const o = R.changelogHistory(ctx, h);
      if (fset.size) o.items = h.items.filter(it => fset.has(it.fieldId));
      return o;
    });
    taken += sel.length;
    if (sel.length) out.push({ issueId: String(iss.id), changeHistories: sel });
    pos = end;
  }
  const res = { issueChangeLogs: out };
  if (offset + taken < flatTotal) res.nextPageToken = encodeToken('b', offset + taken, qhash);
  return res;
}

// -------- dev-status
function ghUrl(repoIdx) { return 'https://github.com/' + opts.ghOrg + '/' + store.repoNames[repoIdx]; }
function devIssue(q) {
  const raw = q.get('issueId');
  if (raw === null || raw === '') throw new HttpError(400, 'issueId is required.', { devStatus: true });
  if (!/^\d+$/.test(raw)) throw new HttpError(400, `Invalid issueId '${raw}': the dev-status API expects the numeric issue id, not the issue key.`, { devStatus: true });
  return store.findIssue(raw); // may be null => empty answer
}
function hDevSummary(ctx, q) {
  const iss = devIssue(q);
  const prs = iss ? iss.prs : [];
  const byState = { OPEN: 0, MERGED: 0, DECLINED: 0 };
  let last = null;
  for (const pr of prs) { byState[pr.status]++; if (last === null || pr.lastUpdate > last) last = pr.lastUpdate; }
  const state = byState.OPEN ? 'OPEN' : byState.MERGED ? 'MERGED' : byState.DECLINED ? 'DECLINED' : null;
  const repos = new Set(prs.map(p => p.repo));
  const inst = (n) => (n ? { GitHub: { count: n, name: 'GitHub' } } : {});
  const zero = { overall: { count: 0, lastUpdated: null, lastUpdatedTimestamp: null }, byInstanceType: {} };
  return {
    errors: [], configErrors: [],
    summary: {
      pullrequest: {
        overall: {
          count: prs.length, lastUpdated: last === null ? null : R.ts(ctx, last), stateCount: state ? byState[state] : 0,
          state, dataType: 'pullrequest', open: byState.OPEN > 0,
          details: { openCount: byState.OPEN, mergedCount: byState.MERGED, declinedCount: byState.DECLINED, total: prs.length },
        },
        byInstanceType: inst(prs.length),
      },
      branch: { overall: { count: prs.length, lastUpdated: last === null ? null : R.ts(ctx, last), lastUpdatedTimestamp: null }, byInstanceType: inst(prs.length) },
      repository: { overall: { count: repos.size, lastUpdated: last === null ? null : R.ts(ctx, last), lastUpdatedTimestamp: null }, byInstanceType: inst(repos.size) },
      build: zero, review: zero, 'deployment-environment': zero,
    },
  };
}
function hDevDetail(ctx, q) {
  const iss = devIssue(q);
  const app = q.get('applicationType');
  const dt = q.get('dataType');
  if (!app || !dt) throw new HttpError(400, 'applicationType and dataType are required.', { devStatus: true });
  if (!['pullrequest', 'branch', 'repository'].includes(dt)) throw new HttpError(400, `Unsupported dataType '${dt}'.`, { devStatus: true });
  if (!iss || app.toLowerCase() !== 'github') return { errors: [], detail: [] };
  const person = (idx) => ({ name: store.users[idx].displayName, avatar: 'https://avatars.githubusercontent.com/u/' + (1000 + idx) + '?v=4' });
  const instance = { singleInstance: true, baseUrl: 'https://github.com', name: 'GitHub', typeName: 'GitHub', id: 'github-sandbox', type: 'github' };
  const d = { branches: [], pullRequests: [], repositories: [], _instance: instance };
  const full = (r) => opts.ghOrg + '/' + store.repoNames[r];
  if (dt === 'pullrequest') {
    d.pullRequests = iss.prs.map(pr => ({
      author: person(pr.author), id: '#' + pr.number, name: pr.title, commentCount: pr.commentCount,
      source: { branch: pr.branch, url: ghUrl(pr.repo) + '/tree/' + pr.branch },
      destination: { branch: 'main', url: ghUrl(pr.repo) + '/tree/main' },
      reviewers: pr.reviewers.map(r => Object.assign(person(r), { approved: pr.status === 'MERGED' })),
      status: pr.status, url: ghUrl(pr.repo) + '/pull/' + pr.number, lastUpdate: R.ts(ctx, pr.lastUpdate),
      repositoryId: 'gh-' + opts.ghOrg + '-' + pr.repo, repositoryName: full(pr.repo), repositoryUrl: ghUrl(pr.repo),
      repositoryAvatarUrl: 'https://avatars.githubusercontent.com/u/9919?v=4',
    }));
  } else if (dt === 'branch') {
    d.branches = iss.prs.map(pr => ({
      name: pr.branch, url: ghUrl(pr.repo) + '/tree/' + pr.branch,
      createPullRequestUrl: ghUrl(pr.repo) + '/compare/' + pr.branch + '?expand=1',
      repository: { id: 'gh-' + opts.ghOrg + '-' + pr.repo, name: full(pr.repo), url: ghUrl(pr.repo), avatar: '' },
    }));
    d.pullRequests = [];
  } else {
    const seen = new Set();
    for (const pr of iss.prs) {
      if (seen.has(pr.repo)) continue;
      seen.add(pr.repo);
      d.repositories.push({ id: 'gh-' + opts.ghOrg + '-' + pr.repo, name: full(pr.repo), url: ghUrl(pr.repo), avatar: '', commits: [] });
    }
  }
  return { errors: [], detail: [d] };
}

// ------------------------------------------------------------ routing
const ROUTES = [
  ['GET', /^\/rest\/api\/3\/myself$/, 'GET /rest/api/3/myself', hMyself],
  ['GET', /^\/rest\/api\/3\/serverInfo$/, 'GET /rest/api/3/serverInfo', hServerInfo],
  ['GET', /^\/rest\/api\/3\/project\/search$/, 'GET /rest/api/3/project/search', hProjectSearch],
  ['GET', /^\/rest\/api\/3\/project\/([^/]+)$/, 'GET /rest/api/3/project/{projectIdOrKey}', hProjectGet],
  ['GET', /^\/rest\/api\/3\/status$/, 'GET /rest/api/3/status', hStatusAll],
  ['GET', /^\/rest\/api\/3\/statuscategory$/, 'GET /rest/api/3/statuscategory', hStatusCategories],
  ['GET', /^\/rest\/api\/3\/statuses\/search$/, 'GET /rest/api/3/statuses/search', hStatusesSearch],
  ['GET', /^\/rest\/api\/3\/issuetype$/, 'GET /rest/api/3/issuetype', hIssueTypes],
  ['GET', /^\/rest\/api\/3\/issuetype\/project$/, 'GET /rest/api/3/issuetype/project', hIssueTypesForProject],
  ['GET', /^\/rest\/api\/3\/priority$/, 'GET /rest/api/3/priority', hPriorities],
  ['GET', /^\/rest\/api\/3\/resolution$/, 'GET /rest/api/3/resolution', hResolutions],
  ['GET', /^\/rest\/api\/3\/field$/, 'GET /rest/api/3/field', hFields],
  ['GET', /^\/rest\/api\/3\/workflows\/search$/, 'GET /rest/api/3/workflows/search', hWorkflowsSearch],
  ['GET', /^\/rest\/agile\/1\.0\/board$/, 'GET /rest/agile/1.0/board', hBoards],
  ['GET', /^\/rest\/agile\/1\.0\/board\/(\d+)$/, 'GET /rest/agile/1.0/board/{boardId}', hBoardGet],
  ['GET', /^\/rest\/agile\/1\.0\/board\/(\d+)\/sprint$/, 'GET /rest/agile/1.0/board/{boardId}/sprint', hBoardSprints],
  ['GET', /^\/rest\/agile\/1\.0\/sprint\/(\d+)$/, 'GET /rest/agile/1.0/sprint/{sprintId}', hSprintGet],
  ['GET,POST', /^\/rest\/api\/3\/search\/jql$/, '{M} /rest/api/3/search/jql', hSearchJql],
  ['POST', /^\/rest\/api\/3\/search\/approximate-count$/, 'POST /rest/api/3/search/approximate-count', hApproxCount],
  ['GET,POST', /^\/rest\/api\/[23]\/search$/, '{M} /rest/api/{2,3}/search (removed)', hOldSearch],
  ['GET', /^\/rest\/api\/3\/issue\/([^/]+)\/changelog$/, 'GET /rest/api/3/issue/{issueIdOrKey}/changelog', hChangelog],
  ['GET', /^\/rest\/api\/3\/issue\/([^/]+)$/, 'GET /rest/api/3/issue/{issueIdOrKey}', hIssueGet],
  ['POST', /^\/rest\/api\/3\/changelog\/bulkfetch$/, 'POST /rest/api/3/changelog/bulkfetch', hBulkChangelog],
  ['GET', /^\/rest\/dev-status\/1\.0\/issue\/summary$/, 'GET /rest/dev-status/1.0/issue/summary', hDevSummary],
  ['GET', /^\/rest\/dev-status\/1\.0\/issue\/detail$/, 'GET /rest/dev-status/1.0/issue/detail', hDevDetail],
];

function matchRoute(method, pathname) {
  let pathOnly = null;
  for (const r of ROUTES) {
    const m = r[1].exec(pathname);
    if (!m) continue;
    if (!r[0].split(',').includes(method)) { pathOnly = pathOnly || r; continue; }
    return { route: r, m, template: r[2].replace('{M}', method) };
  }
  if (pathOnly) return { route: null, methodNotAllowed: true, template: method + ' ' + pathOnly[2].replace(/^\S+ /, '') };
  return { route: null, template: method + ' (unmatched)' };
}

function parseJsonBody(body) {
  if (!body || !body.length) return null;
  try { return JSON.parse(body.toString('utf8')); } catch (_) { throw new HttpError(400, BAD_PAYLOAD); }
}

// -------------------------------------------------------------- faults
function takeFault(method, pathname) {
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i];
    if (f.path_prefix && !pathname.startsWith(f.path_prefix)) continue;
    if (f.method && f.method.toUpperCase() !== method) continue;
    f.remaining--;
    if (f.remaining <= 0) faults.splice(i, 1);
    stats.faults[f.kind] = (stats.faults[f.kind] || 0) + 1;
    return f;
  }
  return null;
}
const FAULT_KINDS = new Set(['rate_limit', 'status', 'truncate', 'invalid_json', 'reset', 'delay']);
function normalizeFault(f) {
  if (!f || typeof f !== 'object' || !FAULT_KINDS.has(f.kind)) throw new HttpError(400, 'fault needs kind in ' + [...FAULT_KINDS].join('|'));
  const g = Object.assign({}, f);
  g.count = f.count === undefined ? 1 : f.count | 0;
  if (g.count < 1) throw new HttpError(400, 'fault count must be >= 1');
  g.remaining = g.count;
  if (g.kind === 'status') {
    g.status = f.status === undefined ? 503 : f.status | 0;
    if (g.status < 400 || g.status > 599) throw new HttpError(400, 'status fault needs a 4xx/5xx status');
  }
  if (g.delay_ms !== undefined) g.delay_ms = Math.max(0, Math.min(120000, g.delay_ms | 0));
  return g;
}

// ------------------------------------------------------------ response
let reqSeq = 0;
function baseHeaders(extra) {
  const h = {
    'Content-Type': 'application/json;charset=UTF-8',
    'X-AREQUESTID': 'sbx-' + (++reqSeq).toString(36),
    'Cache-Control': 'no-cache, no-store, no-transform',
  };
  return Object.assign(h, extra || {});
}
function rateHeaders(remaining, limit) {
  return {
    'X-RateLimit-Limit': String(limit), 'X-RateLimit-Remaining': String(Math.max(0, Math.floor(remaining))),
    'X-RateLimit-NearLimit': remaining < limit * 0.2 ? 'true' : 'false',
  };
}

function send(res, rq, status, obj, extraHeaders) {
  const bodyStr = obj === undefined ? '' : (typeof obj === 'string' ? obj : JSON.stringify(obj));
  const headers = baseHeaders(Object.assign({}, rq.rate || {}, extraHeaders || {}));
  const f = rq.fault;
  rq.status = status;
  if (!rq.admin) {
    stats.by_status[status] = (stats.by_status[status] || 0) + 1;
    if (status === 401) stats.unauthorized++;
    else if (status === 429) stats.rate_limited++;
    else if (status === 404) stats.not_found++;
  }
  if (!f) {
    headers['Content-Length'] = String(Buffer.byteLength(bodyStr));
    res.writeHead(status, headers);
    res.end(rq.method === 'HEAD' ? undefined : bodyStr);
    return;
  }
  let buf = Buffer.from(bodyStr, 'utf8');
  if (f.kind === 'invalid_json') {
    const cut = Math.max(1, Math.floor(buf.length / 2));
    buf = Buffer.concat([buf.subarray(0, cut), Buffer.from('\u0000<!-- upstream error -->{"')]);
    headers['Content-Length'] = String(buf.length);
    res.writeHead(status, headers);
    res.end(buf);
    return;
  }
  headers['Content-Length'] = String(buf.length);
  if (f.kind === 'truncate') {
    res.writeHead(status, headers);
    const half = Math.floor(buf.length / 2);
    res.write(buf.subarray(0, half), () => { if (res.socket) res.socket.destroy(); });
    return;
  }
  res.writeHead(status, headers);
  res.end(buf);
}

function sendError(res, rq, e) {
  if (e instanceof HttpError) {
    if (e.extra && e.extra.devStatus) return send(res, rq, e.status, { errors: [{ message: e.message }], detail: [], errorMessages: [e.message] });
    return send(res, rq, e.status, jiraErr(e.message));
  }
  if (e instanceof J.JqlError) return send(res, rq, 400, jiraErr(e.message));
  process.stderr.write('[jira-sandbox] internal error: ' + (e && e.stack || e) + '\n');
  return send(res, rq, 500, jiraErr('Internal server error (sandbox): ' + (e && e.message)));
}

// --------------------------------------------------------------- admin
function truth(q) {
  const pk = q.get('project');
  const withTransitions = q.get('transitions') !== '0';
  const iso = (ms) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
  const full = (r) => opts.ghOrg + '/' + store.repoNames[r];
  const issues = [];
  const links = [];
  let changelogTotal = 0;
  for (const i of store.issues) {
    if (i.deleted) continue;
    const p = store.projects[i.proj];
    if (pk && p.key !== pk.toUpperCase()) continue;
    changelogTotal += i.histories.length;
    const o = {
      id: String(i.id), key: i.key, project: p.key, type: D.ISSUE_TYPES[i.type].name,
      status: D.STATUSES[i.status].name, statusCategory: D.STATUSES[i.status].category,
      priority: D.PRIORITIES[i.priority].name,
      assignee: i.assignee >= 0 ? store.users[i.assignee].accountId : null,
      reporter: store.users[i.reporter].accountId,
      created: iso(i.created), updated: iso(i.updated), resolved: iso(i.resolutiondate),
      resolution: i.resolution >= 0 ? D.RESOLUTIONS[i.resolution].name : null,
      parent: i.parent ? i.parent.key : null, parentId: i.parent ? String(i.parent.id) : null,
      labels: i.labels, storyPoints: i.points, sprints: i.sprints.slice(),
      changelogCount: i.histories.length,
      pullRequests: i.prs.map(pr => ({ repository: full(pr.repo), number: pr.number, status: pr.status, url: ghUrl(pr.repo) + '/pull/' + pr.number })),
    };
    if (withTransitions) {
      o.statusTransitions = [];
      for (const h of i.histories) for (const it of h.items) if (it.fieldId === 'status') o.statusTransitions.push({ at: iso(h.t), historyId: String(h.id), from: it.fromString, to: it.toString });
    }
    issues.push(o);
    for (const pr of i.prs) links.push({ issueId: String(i.id), key: i.key, repository: full(pr.repo), number: pr.number, status: pr.status, url: ghUrl(pr.repo) + '/pull/' + pr.number });
  }
  return {
    generator: { seed: String(store.opts.seed), projects: store.projects.length, issuesPerProject: store.opts.issues, baseDate: iso(D.BASE_MS), ghOrg: opts.ghOrg, ghRepos: store.repoNames.map(r => opts.ghOrg + '/' + r), ghPrsPerRepo: opts.ghPrs },
    now: iso(store.now), userTimeZone: opts.userTz,
    myself: { accountId: store.users[D.U_ME].accountId, emailAddress: opts.email },
    projects: store.projects.map(p => ({ id: String(p.id), key: p.key, name: p.name, boardId: p.boardId, boardType: p.boardType, hasCustomType: p.hasSpike })),
    statuses: D.STATUSES.map(s => ({ id: s.id, name: s.name, category: s.category })),
    issueTypes: D.ISSUE_TYPES.map((t, i) => ({ id: t.id, name: t.name, subtask: t.subtask, hierarchyLevel: t.hierarchyLevel, custom: i === D.T_SPIKE, projects: i === D.T_SPIKE ? [store.spikeProject.key] : store.projects.map(p => p.key) })),
    priorities: D.PRIORITIES.map(p => ({ id: p.id, name: p.name })),
    users: store.users.map(u => ({ accountId: u.accountId, displayName: u.displayName, emailAddress: u.emailAddress, accountType: u.accountType, active: u.active })),
    sprints: store.sprints.map(sp => ({ id: sp.id, boardId: sp.boardId, project: store.projects[sp.proj].key, name: sp.name, state: store.sprintState(sp), startDate: iso(sp.start), endDate: iso(sp.end), completeDate: store.sprintState(sp) === 'closed' ? iso(sp.end + sp.completeOffset) : null })),
    counts: { issues: issues.length, changelogEntries: changelogTotal, pullRequestLinks: links.length, deleted: store.deleted.length },
    issues,
    devStatusLinks: links,
    deleted: store.deleted.map(d => ({ key: d.key, id: d.id, at: iso(d.at) })),
  };
}

function handleAdmin(req, res, rq, pathname, q, body) {
  const ok = (o) => send(res, rq, 200, o);
  const json = () => {
    if (!body || !body.length) return {};
    try { return JSON.parse(body.toString('utf8')); } catch (_) { throw new HttpError(400, 'body is not valid JSON'); }
  };
  const M = req.method;
  switch (pathname) {
    case '/_sandbox/health':
      return ok({ ok: true, service: 'jira-sandbox', port: actualPort, now: new Date(store.now).toISOString(), issues: store.issues.length - store.deleted.length, changelogEntries: store.totalHistories(), generationMs: store.genMs });
    case '/_sandbox/faults':
      if (M === 'GET') return ok({ pending: faults, kinds: [...FAULT_KINDS] });
      if (M === 'DELETE') { faults = []; return ok({ pending: [] }); }
      if (M === 'POST') {
        let b = json();
        if (b && !Array.isArray(b) && Array.isArray(b.faults)) b = b.faults;
        const list = (Array.isArray(b) ? b : [b]).map(normalizeFault);
        faults.push(...list);
        return ok({ added: list.length, pending: faults, kinds: [...FAULT_KINDS] });
      }
      break;
    case '/_sandbox/mutate':
      if (M === 'POST') {
        let b = json();
        if (b && !Array.isArray(b) && Array.isArray(b.ops)) b = b.ops;
        const list = Array.isArray(b) ? b : [b];
        const results = [];
        for (const op of list) {
          try { results.push(store.mutate(op)); } catch (e) {
            if (e instanceof D.MutateError) throw new HttpError(e.status, e.message);
            throw e;
          }
        }
        queryCache.clear();
        return ok({ results, now: new Date(store.now).toISOString() });
      }
      break;
    case '/_sandbox/clock':
      if (M === 'GET') return ok({ now: new Date(store.now).toISOString() });
      if (M === 'POST') {
        const b = json();
        if (b.set !== undefined) {
          const t = Date.parse(b.set);
          if (isNaN(t)) throw new HttpError(400, 'clock.set must be an ISO-8601 timestamp');
          store.now = t;
        } else if (b.advance !== undefined) {
          if (typeof b.advance !== 'number') throw new HttpError(400, 'clock.advance must be seconds (number)');
          store.now += Math.round(b.advance * 1000);
        } else throw new HttpError(400, 'clock needs {"set": ISO} or {"advance": seconds}');
        store.version++;
        queryCache.clear();
        return ok({ now: new Date(store.now).toISOString() });
      }
      break;
    case '/_sandbox/truth':
      if (M === 'GET') return ok(truth(q));
      break;
    case '/_sandbox/stats':
      if (M === 'GET') return ok(stats);
      break;
    case '/_sandbox/stats/reset':
      if (M === 'POST') { stats = newStats(); return ok(stats); }
      break;
    case '/_sandbox/reset':
      if (M === 'POST') {
        const b = json();
        store = buildStore(b);
        faults = []; stats = newStats(); queryCache.clear();
        return ok({ ok: true, issues: store.issues.length, changelogEntries: store.totalHistories(), generationMs: store.genMs });
      }
      break;
    default:
      throw new HttpError(404, 'unknown sandbox admin path ' + pathname);
  }
  throw new HttpError(405, 'method not allowed');
}

// -------------------------------------------------------------- server
function checkAuth(req) {
  const h = req.headers.authorization;
  if (!h) return 'none';
  const m = /^Basic\s+(\S+)$/i.exec(h);
  if (!m) return 'bad';
  const dec = Buffer.from(m[1], 'base64').toString('utf8');
  const expected = opts.email + ':' + opts.token;
  const a = Buffer.from(dec), b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b) ? 'ok' : 'bad';
}

function handle(req, res, body) {
  const started = Date.now();
  const rq = { method: req.method, status: 0 };
  let url;
  try { url = new URL(req.url, 'http://sandbox.invalid'); } catch (_) { url = new URL('http://sandbox.invalid/'); }
  const pathname = url.pathname.replace(/\/+$/, '') || '/';
  const q = url.searchParams;
  res.on('finish', () => log(req.method, req.url, '->', rq.status, (Date.now() - started) + 'ms'));
  res.on('close', () => { if (!res.writableFinished) log(req.method, req.url, '-> (connection closed early)'); });

  if (pathname.startsWith('/_sandbox/')) {
    rq.admin = true;
    try { return handleAdmin(req, res, rq, pathname, q, body); } catch (e) { return sendError(res, rq, e); }
  }

  const mr = matchRoute(req.method, pathname);
  stats.requests++;
  stats.by_path[mr.template] = (stats.by_path[mr.template] || 0) + 1;

  const proceed = () => {
    // rate limiting
    let remaining = NOMINAL_LIMIT, limit = NOMINAL_LIMIT;
    if (opts.rateLimit > 0) {
      const now = Date.now();
      bucket.tokens = Math.min(opts.rateLimit, bucket.tokens + (now - bucket.last) / 1000 * opts.rateLimit);
      bucket.last = now;
      limit = opts.rateLimit;
      if (bucket.tokens < 1) {
        const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / opts.rateLimit));
        rq.rate = rateHeaders(0, limit);
        return send(res, rq, 429, jiraErr('Rate limit exceeded.'), {
          'Retry-After': String(wait), 'X-RateLimit-Reset': tz.formatResetHeader(now + wait * 1000), 'RateLimit-Reason': 'jira-burst-based',
        });
      }
      bucket.tokens -= 1;
      remaining = bucket.tokens;
    }
    rq.rate = rateHeaders(remaining, limit);

    const auth = checkAuth(req);
    if (auth !== 'ok') {
      return send(res, rq, 401, jiraErr('Client must be authenticated to access this resource.'),
        auth === 'bad' ? { 'X-Seraph-LoginReason': 'AUTHENTICATED_FAILED' } : {});
    }
    if (mr.methodNotAllowed) return send(res, rq, 405, jiraErr('Method ' + req.method + ' is not allowed for this resource.'));
    if (!mr.route) return send(res, rq, 404, jiraErr('No resource found for ' + pathname + ' in the Jira sandbox.'));
    if (req.method === 'POST' && mr.route[3] !== hOldSearch) {
      // Jira's XSRF filter refuses browser-form content types; other
      // non-JSON types are 415.
      const ct = String(req.headers['content-type'] || '').toLowerCase();
      if (/^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)/.test(ct)) {
        return send(res, rq, 403, 'XSRF check failed', { 'Content-Type': 'text/plain;charset=UTF-8' });
      }
      if (!/^application\/json\b/.test(ct)) return send(res, rq, 415, jiraErr('Unsupported Media Type: send Content-Type: application/json.'));
    }
    try {
      const ctx = ctxFor(req);
      const out = mr.route[3](ctx, q, mr.m, req, body);
      return send(res, rq, 200, out);
    } catch (e) { return sendError(res, rq, e); }
  };

  const f = takeFault(req.method, pathname);
  if (!f) return proceed();
  rq.fault = f;
  const act = () => {
    switch (f.kind) {
      case 'rate_limit': {
        const ra = f.retry_after === undefined ? 1 : f.retry_after;
        rq.rate = rateHeaders(0, opts.rateLimit > 0 ? opts.rateLimit : NOMINAL_LIMIT);
        rq.fault = null;
        return send(res, rq, 429, jiraErr('Rate limit exceeded.'), {
          'Retry-After': String(ra), 'X-RateLimit-Reset': tz.formatResetHeader(Date.now() + ra * 1000),
          'RateLimit-Reason': f.reason || 'jira-burst-based',
        });
      }
      case 'status': {
        const extra = {};
        if (f.retry_after !== undefined) extra['Retry-After'] = String(f.retry_after);
        rq.rate = rateHeaders(NOMINAL_LIMIT, NOMINAL_LIMIT);
        rq.fault = null;
        if (f.html) {
          extra['Content-Type'] = 'text/html; charset=UTF-8';
          return send(res, rq, f.status, `<html><body><h1>${f.status} Service Unavailable</h1><p>sandbox fault</p></body></html>`, extra);
        }
        return send(res, rq, f.status, jiraErr(f.message || `Injected ${f.status} from the Jira sandbox.`), extra);
      }
      case 'reset':
        rq.status = 'reset';
        return req.socket.destroy();
      default: // truncate, invalid_json, delay: run normally, send() applies the fault
        if (f.kind === 'delay') rq.fault = null;
        return proceed();
    }
  };
  if (f.delay_ms) setTimeout(act, f.delay_ms); else act();
}

const MAX_BODY = 16 * 1024 * 1024;
const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0, aborted = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY && !aborted) {
      aborted = true;
      res.writeHead(413, baseHeaders()); res.end(JSON.stringify(jiraErr('Request body too large.')));
      req.destroy();
    } else if (!aborted) chunks.push(c);
  });
  req.on('end', () => { if (!aborted) handle(req, res, Buffer.concat(chunks)); });
});
server.keepAliveTimeout = 5000;

let actualPort = 0;
const sockets = new Set();
server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
server.on('error', (e) => { process.stderr.write('[jira-sandbox] ' + e.message + '\n'); process.exit(1); });
server.listen(opts.port, opts.host, () => {
  actualPort = server.address().port;
  if (opts.portFile) {
    const tmp = opts.portFile + '.tmp' + process.pid;
    fs.writeFileSync(tmp, actualPort + '\n');
    fs.renameSync(tmp, opts.portFile);
  }
  process.stderr.write(`[jira-sandbox] listening on http://${opts.host}:${actualPort} (user tz ${opts.userTz}, now ${new Date(store.now).toISOString()})\n`);
});

let stopping = false;
function shutdown(sig) {
  if (stopping) return;
  stopping = true;
  log('received', sig, '- shutting down');
  server.close(() => process.exit(0));
  for (const s of sockets) s.destroy();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

