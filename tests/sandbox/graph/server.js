#!/usr/bin/env node
'use strict';
// Microsoft-Graph-shaped sandbox for the Entra source (pulse-host tests):
// the identity platform's client-credentials token endpoint and the
// users/groups delta queries. Node >= 18, no npm dependencies. Shapes follow
// Microsoft's published docs (written from scratch here). See README.md.

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

// ------------------------------------------------------------------ CLI
function usage(msg) {
  if (msg) process.stderr.write('graph-sandbox: ' + msg + '\n');
  process.stderr.write(`usage: node server.js --port P [--port-file F] [--seed S]
       [--tenant ID] [--client-id ID] [--client-secret S] [--secret-id ID]
       [--users N] [--groups N] [--big-group N] [--page-size N]
       [--member-slice N] [--token-ttl S] [--directory FILE] [--max-members N]
`);
  process.exit(2);
}
const o = {
  port: null, portFile: null, seed: 'pulse', tenant: '72f988bf-0000-4000-8000-000000000001',
  clientId: 'c1a2b3c4-0000-4000-8000-00000000c11e', clientSecret: 'sandbox~secret',
  secretId: 'aaaaaaaa-0000-4000-8000-0000000000ee', users: 40, groups: 6, bigGroup: 30,
  pageSize: 10, memberSlice: 8, tokenTtl: 3599, directory: null, maxMembers: 0,
};
const flags = {
  '--port': 'port', '--port-file': 'portFile', '--seed': 'seed', '--tenant': 'tenant',
  '--client-id': 'clientId', '--client-secret': 'clientSecret', '--secret-id': 'secretId',
  '--users': 'users', '--groups': 'groups', '--big-group': 'bigGroup', '--page-size': 'pageSize',
  '--member-slice': 'memberSlice', '--token-ttl': 'tokenTtl', '--directory': 'directory',
  '--max-members': 'maxMembers',
};
const ints = new Set(['port', 'users', 'groups', 'bigGroup', 'pageSize', 'memberSlice', 'tokenTtl',
  'maxMembers']);
for (let i = 2; i < process.argv.length; i++) {
  const k = flags[process.argv[i]];
  if (!k) usage('unknown option ' + process.argv[i]);
  const v = process.argv[++i];
  if (v === undefined) usage('missing value for ' + process.argv[i - 1]);
  o[k] = ints.has(k) ? parseInt(v, 10) : v;
}
if (o.port === null) usage('--port is required (0 = a free port)');
// The secret may come from the environment, to keep it off ps (tests
// assert that no command line shows it).
if (process.env.GRAPH_SANDBOX_CLIENT_SECRET) o.clientSecret = process.env.GRAPH_SANDBOX_CLIENT_SECRET;

// ------------------------------------------------------------------ data
const rnd = (...p) => crypto.createHash('sha256').update([o.seed, ...p].join('/')).digest();
function guid(...p) {
  const h = rnd(...p).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
const DEPTS = ['Engineering', 'Platform', 'Data', 'Sales', 'Finance'];
const TITLES = ['Engineer', 'Senior Engineer', 'Manager', 'Analyst'];

let version = 1;          // bumped by every change
const users = [];         // {id, props, manager (index|null), ver, deleted}
const groups = [];        // {id, props, ver, deleted}
const links = new Map();  // "g|m" -> {g, m, kind, ver, removed}

function newUser(i) {
  const nick = `user${i}`;
  const u = {
    id: guid('user', i), ver: version, deleted: false, manager: i > 0 ? Math.floor((i - 1) / 5) : null,
    props: {
      displayName: `User ${i}`, userPrincipalName: `${nick}@contoso.example`,
      mail: `${nick}@contoso.example`, mailNickname: nick, accountEnabled: i % 7 !== 3,
      department: DEPTS[i % DEPTS.length], jobTitle: TITLES[i % TITLES.length],
      employeeId: String(10000 + i), userType: 'Member', givenName: 'User', surname: String(i),
      // synced from AD for every other user: the base64 objectGUID
      onPremisesImmutableId: i % 2 === 0 ? rnd('guid', i).subarray(0, 16).toString('base64') : null,
      onPremisesSamAccountName: i % 2 === 0 ? nick : null, onPremisesSyncEnabled: i % 2 === 0 ? true : null,
      onPremisesDistinguishedName: null, onPremisesDomainName: null, officeLocation: `B${i % 3}`,
    },
  };
  users.push(u);
  return u;
}
function link(g, m, kind) {
  links.set(`${groups[g].id}|${m.id}`, { g: groups[g].id, m: m.id, kind, ver: version, removed: false });
}
for (let i = 0; i < o.users; i++) newUser(i);
for (let j = 0; j < o.groups; j++) {
  groups.push({ id: guid('group', j), ver: version, deleted: false, props: {
    displayName: `Group ${j}`, description: `Sandbox group ${j}`, mail: j % 2 ? `group${j}@contoso.example` : null,
    mailNickname: `group${j}`, securityEnabled: true, mailEnabled: j % 2 === 1,
    groupTypes: [], onPremisesSyncEnabled: null, onPremisesSamAccountName: null,
  } });
}
// group 0 is the big one; the others take every (j+1)th user (at most
// --max-members of them when given, for the benchmark's 5,000 groups);
// group 1 has group 2 as a member and a device.
for (let i = 0; i < Math.min(o.bigGroup, users.length); i++) link(0, users[i], 'user');
for (let j = 1; j < groups.length; j++)
  for (let i = j, n = 0; i < users.length && (!o.maxMembers || n < o.maxMembers); i += j + 1, n++)
    link(j, users[i], 'user');
if (groups.length > 2) {
  link(1, groups[2], 'group');
  links.set(`${groups[1].id}|${guid('device', 1)}`, { g: groups[1].id, m: guid('device', 1), kind: 'device', ver: version, removed: false });
}

// --directory FILE: a given directory instead of the generated one (the
// demo seeds people who match the other sandboxes' accounts). FILE is
// {"users": [{property: value, ..., "manager": index}], "groups":
// [{"displayName": ..., "members": [user index, ...]}]}; unnamed user
// properties keep the generated values, extra ones (directory extensions,
// extension_<app>_<name>) can be $selected.
if (o.directory) {
  const spec = JSON.parse(fs.readFileSync(o.directory, 'utf8'));
  users.length = 0;
  groups.length = 0;
  links.clear();
  (spec.users || []).forEach((x, i) => {
    const u = newUser(i);
    u.manager = Number.isInteger(x.manager) ? x.manager : null;
    for (const [k, v] of Object.entries(x)) if (k !== 'manager') u.props[k] = v;
  });
  (spec.groups || []).forEach((x, j) => {
    groups.push({ id: guid('group', j), ver: version, deleted: false, props: {
      displayName: x.displayName, description: x.description || null, mail: x.mail || null,
      mailNickname: x.mailNickname || `group${j}`, securityEnabled: true, mailEnabled: !!x.mail,
      groupTypes: [], onPremisesSyncEnabled: null, onPremisesSamAccountName: null,
    } });
    for (const m of x.members || []) {
      if (!users[m]) throw new Error(`--directory: group ${j} names user ${m}, which does not exist`);
      link(j, users[m], 'user');
    }
  });
}

const USER_PROPS = new Set(['id', 'manager', ...users.flatMap((u) => Object.keys(u.props)),
  'businessPhones', 'mobilePhone', 'preferredLanguage', 'createdDateTime']);
const GROUP_PROPS = new Set(['id', 'members', 'displayName', 'description', 'mail', 'mailNickname',
  'securityEnabled', 'mailEnabled', 'groupTypes', 'onPremisesSyncEnabled', 'onPremisesSamAccountName',
  'visibility', 'createdDateTime']);
const TYPE = { user: '#microsoft.graph.user', group: '#microsoft.graph.group', device: '#microsoft.graph.device' };

// ------------------------------------------------------------------ state
const tokens = new Map();       // access token -> expiry ms
let faults = [];
let stats;
function resetStats() { stats = { requests: 0, token_requests: 0, graph_calls: 0, by_path: {}, paced_headers: 0 }; }
resetStats();

const b64u = (x) => Buffer.from(JSON.stringify(x)).toString('base64url');
const unb64u = (s) => { try { return JSON.parse(Buffer.from(s, 'base64url').toString()); } catch (e) { return null; } };

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, Object.assign({ 'Content-Type': 'application/json' }, headers));
  res.end(text);
}
function graphError(res, status, code, message, headers) {
  send(res, status, { error: { code, message, innerError: { date: new Date().toISOString(),
    'request-id': crypto.randomUUID(), 'client-request-id': crypto.randomUUID() } } }, headers);
}
function aadError(res, status, error, code, text) {
  send(res, status, { error, error_description: `AADSTS${code}: ${text} Trace ID: ${crypto.randomUUID()}`,
    error_codes: [code], timestamp: new Date().toISOString(), trace_id: crypto.randomUUID(),
    correlation_id: crypto.randomUUID() });
}

// A fault matching this request, used up by one.
function takeFault(req, path, query) {
  for (const f of faults) {
    if (f.count <= 0) continue;
    if (f.path_prefix && !path.startsWith(f.path_prefix)) continue;
    if (f.only_delta_token && !query.has('$deltatoken') && !query.has('$skiptoken')) continue;
    if (f.kind === 'aadsts' && !path.endsWith('/token')) continue;
    if (f.kind !== 'aadsts' && path.endsWith('/token')) continue;
    f.count--;
    return f;
  }
  return null;
}

// ------------------------------------------------------------------ token
function tokenEndpoint(req, res, tenant, body) {
  stats.token_requests++;
  const f = new URLSearchParams(body);
  const fault = takeFault(req, req.url, new URLSearchParams());
  if (fault && fault.kind === 'aadsts') {
    const t = { 7000215: ['invalid_client', 401, 'Invalid client secret provided.'],
      7000222: ['invalid_client', 401, 'The provided client secret keys are expired.'],
      700016: ['unauthorized_client', 400, 'Application was not found in the directory.'],
      90002: ['invalid_request', 400, 'Tenant not found.'],
      70011: ['invalid_scope', 400, 'The provided value for the input parameter scope is not valid.'],
      90033: ['temporarily_unavailable', 503, 'A transient error has occurred.'] }[fault.code];
    return aadError(res, t[1], t[0], fault.code, t[2]);
  }
  if (f.get('grant_type') !== 'client_credentials')
    return aadError(res, 400, 'unsupported_grant_type', 70003, 'The grant type is not supported.');
  if (tenant !== o.tenant) return aadError(res, 400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
  if (f.get('client_id') !== o.clientId)
    return aadError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${f.get('client_id')}' was not found in the directory.`);
  const scope = f.get('scope') || '';
  if (!scope.endsWith('/.default') || scope.includes(' '))
    return aadError(res, 400, 'invalid_scope', 70011, 'The provided value for the input parameter scope is not valid.');
  const secret = f.get('client_secret');
  if (secret !== o.clientSecret)
    return aadError(res, 401, 'invalid_client', 7000215, 'Invalid client secret provided.');
  const tok = 'eyJ0eXAiOiJKV1Qi.' + crypto.randomBytes(24).toString('base64url');
  tokens.set(tok, Date.now() + o.tokenTtl * 1000);
  send(res, 200, { token_type: 'Bearer', expires_in: o.tokenTtl, ext_expires_in: o.tokenTtl, access_token: tok });
}

// ------------------------------------------------------------------ delta
function userJson(u, sel, incremental) {
  if (u.deleted) return { id: u.id, '@removed': { reason: 'deleted' } };
  const x = { '@odata.type': TYPE.user, id: u.id };
  for (const k of sel) if (k !== 'id' && k !== 'manager') x[k] = u.props[k] === undefined ? null : u.props[k];
  if (sel.includes('manager')) {
    if (u.manager !== null) x['manager@delta'] = [{ '@odata.type': TYPE.user, id: users[u.manager].id }];
    else if (incremental && u.oldManager) x['manager@delta'] = [{ '@odata.type': TYPE.user, id: u.oldManager, '@removed': { reason: 'deleted' } }];
  }
  return x;
}

// The items of a round: users are one item each; a group is one item per
// slice of its member changes (the first slice carries its properties).
// A round's list is kept until the next change (every change bumps
// version), so that paging through 50,000 users or 5,000 groups does not
// rebuild it for each page.
let itemsCache = { key: null, list: null };
function items(kind, from, sel) {
  const key = [kind, from, version, sel.join(',')].join('|');
  if (itemsCache.key !== key) itemsCache = { key, list: buildItems(kind, from, sel) };
  return itemsCache.list;
}
function buildItems(kind, from, sel) {
  const out = [];
  if (kind === 'users') {
    for (const u of users) if (from === 0 ? !u.deleted : u.ver > from) out.push(userJson(u, sel, from > 0));
    return out;
  }
  const byGroup = new Map();
  for (const l of links.values()) {
    if (!byGroup.has(l.g)) byGroup.set(l.g, []);
    byGroup.get(l.g).push(l);
  }
  for (const g of groups) {
    if (g.deleted) { if (from > 0 && g.ver > from) out.push({ id: g.id, '@removed': { reason: 'deleted' } }); continue; }
    const ls = (byGroup.get(g.id) || []).filter((l) => from === 0 ? !l.removed : l.ver > from);
    const changed = from === 0 || g.ver > from;
    if (!changed && ls.length === 0) continue;
    const mem = sel.includes('members') ? ls.map((l) => Object.assign({ '@odata.type': TYPE[l.kind], id: l.m },
      l.removed ? { '@removed': { reason: 'deleted' } } : {})) : [];
    for (let i = 0; i === 0 || i < mem.length; i += o.memberSlice) {
      const x = { '@odata.type': TYPE.group, id: g.id };
      if (i === 0 && changed) for (const k of sel) if (k !== 'id' && k !== 'members') x[k] = g.props[k] === undefined ? null : g.props[k];
      if (sel.includes('members')) x['members@delta'] = mem.slice(i, i + o.memberSlice);
      out.push(x);
    }
  }
  return out;
}

function delta(req, res, kind, query, base) {
  let st;
  if (query.has('$skiptoken')) st = unb64u(query.get('$skiptoken'));
  else if (query.has('$deltatoken')) {
    const d = unb64u(query.get('$deltatoken'));
    st = d && { from: d.v, upto: version, off: 0, s: d.s };
  } else {
    const sel = (query.get('$select') || '').split(',').filter(Boolean);
    const known = kind === 'users' ? USER_PROPS : GROUP_PROPS;
    const bad = sel.find((p) => !known.has(p));
    if (bad) return graphError(res, 400, 'Request_BadRequest', `Could not find a property named '${bad}' on type 'microsoft.graph.${kind.slice(0, -1)}'.`);
    st = { from: 0, upto: version, off: 0, s: sel.length ? sel : ['id', 'displayName', 'mail'] };
  }
  if (!st || !Array.isArray(st.s) || (st.from > 0 && st.from > version))
    return graphError(res, 400, 'syncStateNotFound', 'The sync state is not found or has expired.');
  const all = items(kind, st.from, st.s);
  const page = all.slice(st.off, st.off + o.pageSize);
  const body = { '@odata.context': `${base}/v1.0/$metadata#${kind}`, value: page };
  if (st.off + o.pageSize < all.length)
    body['@odata.nextLink'] = `${base}/v1.0/${kind}/delta?$skiptoken=${b64u(Object.assign({}, st, { off: st.off + o.pageSize }))}`;
  else
    body['@odata.deltaLink'] = `${base}/v1.0/${kind}/delta?$deltatoken=${b64u({ v: st.upto, s: st.s })}`;
  send(res, 200, body, { 'x-ms-resource-unit': '1' });
}

// ------------------------------------------------------------------ admin
function mutate(m) {
  version++;
  const u = m.user !== undefined ? users[m.user] : null;
  const g = m.group !== undefined ? groups[m.group] : null;
  switch (m.op) {
  case 'update_user': Object.assign(u.props, m.set || {}); u.ver = version; break;
  case 'set_manager': u.oldManager = u.manager !== null ? users[u.manager].id : null;
    u.manager = m.manager === null ? null : m.manager; u.ver = version; break;
  case 'add_user': newUser(users.length).ver = version; break;
  case 'delete_user':
    u.deleted = true; u.ver = version;
    for (const l of links.values()) if (l.m === u.id && !l.removed) { l.removed = true; l.ver = version; }
    for (const r of users) if (r.manager === m.user && !r.deleted) { r.oldManager = u.id; r.manager = null; r.ver = version; }
    break;
  case 'delete_group':
    g.deleted = true; g.ver = version;
    for (const l of links.values()) if (l.g === g.id) { l.removed = true; l.ver = version; }
    break;
  case 'rename_group': g.props.displayName = m.name; g.ver = version; break;
  case 'add_member': link(m.group, users[m.member], 'user'); break;
  case 'remove_member': { const l = links.get(`${g.id}|${users[m.member].id}`); l.removed = true; l.ver = version; break; }
  default: throw new Error('unknown op ' + m.op);
  }
}
function truth() {
  return {
    tenant: o.tenant,
    users: users.filter((u) => !u.deleted).map((u) => ({ id: u.id, manager: u.manager === null ? null : users[u.manager].id,
      displayName: u.props.displayName, userPrincipalName: u.props.userPrincipalName, mail: u.props.mail,
      mailNickname: u.props.mailNickname, accountEnabled: u.props.accountEnabled, department: u.props.department,
      jobTitle: u.props.jobTitle, employeeId: u.props.employeeId, onPremisesImmutableId: u.props.onPremisesImmutableId })),
    groups: groups.filter((g) => !g.deleted).map((g) => ({ id: g.id, displayName: g.props.displayName,
      mail: g.props.mail, description: g.props.description })),
    memberships: [...links.values()].filter((l) => !l.removed).map((l) => ({ group: l.g, member: l.m,
      kind: l.kind === 'device' ? 'other' : l.kind })),
    deleted_users: users.filter((u) => u.deleted).map((u) => u.id),
    deleted_groups: groups.filter((g) => g.deleted).map((g) => g.id),
  };
}

// ------------------------------------------------------------------ server
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    try { route(req, res, body); } catch (e) { send(res, 500, { error: String(e.stack || e) }); }
  });
});
function route(req, res, body) {
  const base = `http://${req.headers.host}`;
  const url = new URL(req.url, base);
  const path = url.pathname;
  if (path.startsWith('/_sandbox/')) {
    if (path === '/_sandbox/truth') return send(res, 200, truth());
    if (path === '/_sandbox/stats') return send(res, 200, stats);
    if (path === '/_sandbox/stats/reset') { resetStats(); return send(res, 200, {}); }
    if (path === '/_sandbox/faults' && req.method === 'DELETE') { faults = []; return send(res, 200, {}); }
    if (path === '/_sandbox/faults') { faults.push(Object.assign({ count: 1 }, JSON.parse(body))); return send(res, 200, {}); }
    if (path === '/_sandbox/mutate') { for (const m of [].concat(JSON.parse(body))) mutate(m); return send(res, 200, { version }); }
    if (path === '/_sandbox/revoke') { tokens.clear(); return send(res, 200, {}); }
    return send(res, 404, { error: 'no such sandbox path' });
  }
  stats.requests++;
  const tm = path.match(/^\/([^/]+)\/oauth2\/v2\.0\/token$/);
  if (tm && req.method === 'POST') return tokenEndpoint(req, res, decodeURIComponent(tm[1]), body);
  const dm = path.match(/^\/v1\.0\/(users|groups)\/delta$/);
  if (!dm || req.method !== 'GET') return graphError(res, 404, 'Request_ResourceNotFound', `Resource not found for ${req.method} ${path}.`);
  stats.graph_calls++;
  const key = `GET /v1.0/${dm[1]}/delta`;
  stats.by_path[key] = (stats.by_path[key] || 0) + 1;
  const auth = req.headers.authorization || '';
  const tok = auth.startsWith('Bearer ') ? auth.slice(7) : null;
  if (!tok || !tokens.has(tok) || tokens.get(tok) < Date.now())
    return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
  const f = takeFault(req, path, url.searchParams);
  if (f && f.kind === 'status') {
    const h = {};
    if (f.retry_after !== undefined) h['Retry-After'] = String(f.retry_after);
    if (f.status === 410) {
      h.Location = `${base}/v1.0/${dm[1]}/delta?$deltatoken=`;
      return graphError(res, 410, f.code || 'resyncRequired', 'The delta token is no longer valid; resync.', h);
    }
    if (f.status === 429) h['x-ms-throttle-scope'] = `Tenant_Application/ReadOnly/${o.clientId}/${o.tenant}`;
    return graphError(res, f.status, f.code || (f.status === 429 ? 'TooManyRequests' : 'serviceNotAvailable'),
      'Sandbox fault.', h);
  }
  if (f && f.kind === 'revoke') {
    // every token issued so far is revoked: this request and the next
    // ones with it get 401 until a new token is fetched
    tokens.clear();
    return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token has been revoked.');
  }
  if (f && f.kind === 'throttle_header') {
    stats.paced_headers++;
    const orig = res.writeHead.bind(res);
    res.writeHead = (s, h) => orig(s, Object.assign({}, h, { 'x-ms-throttle-limit-percentage': String(f.value) }));
  }
  return delta(req, res, dm[1], url.searchParams, base);
}
server.listen(o.port, '127.0.0.1', () => {
  const port = server.address().port;
  if (o.portFile) fs.writeFileSync(o.portFile, String(port));
  process.stderr.write(`graph-sandbox: listening on 127.0.0.1:${port} tenant=${o.tenant}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
