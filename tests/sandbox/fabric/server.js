#!/usr/bin/env node
'use strict';
// Microsoft-Fabric-shaped sandbox for the fabric source (pulse-host tests):
// the identity platform's client-credentials token endpoint, the Fabric
// REST v1 paths the plugin reads, and an "API for GraphQL" endpoint with
// Data API builder semantics. Node >= 18, no npm dependencies. Shapes follow
// Microsoft's published docs; code and data are our own. See README.md.

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

// ------------------------------------------------------------------ CLI
function usage(msg) {
  if (msg) process.stderr.write('fabric-sandbox: ' + msg + '\n');
  process.stderr.write(`usage: node server.js --port P [--port-file F] [--seed S]
       [--tenant ID] [--client-id ID] [--client-secret S]
       [--workspaces N] [--items N] [--runs N] [--deploys N] [--rows N]
       [--page-size N] [--gql-max N] [--token-ttl S] [--cold-start-ms MS]
       [--short-tokens N] [--token-skew S]
`);
  process.exit(2);
}
const o = {
  port: null, portFile: null, seed: 'pulse', tenant: '72f988bf-0000-4000-8000-00000000fab1',
  clientId: 'c1a2b3c4-0000-4000-8000-00000000fab2', clientSecret: 'sandbox~secret',
  workspaces: 3, items: 5, runs: 4, deploys: 6, rows: 25, pageSize: 4, gqlMax: 100,
  tokenTtl: 3599, coldStartMs: 0, epoch: '2026-03-02T08:00:00Z', shortTokens: -1, tokenSkew: 0,
};
const flags = {
  '--port': 'port', '--port-file': 'portFile', '--seed': 'seed', '--tenant': 'tenant',
  '--client-id': 'clientId', '--client-secret': 'clientSecret', '--workspaces': 'workspaces',
  '--items': 'items', '--runs': 'runs', '--deploys': 'deploys', '--rows': 'rows',
  '--page-size': 'pageSize', '--gql-max': 'gqlMax', '--token-ttl': 'tokenTtl',
  '--cold-start-ms': 'coldStartMs', '--epoch': 'epoch', '--short-tokens': 'shortTokens',
  '--token-skew': 'tokenSkew',
};
const ints = new Set(['port', 'workspaces', 'items', 'runs', 'deploys', 'rows', 'pageSize',
  'gqlMax', 'tokenTtl', 'coldStartMs', 'shortTokens', 'tokenSkew']);
for (let i = 2; i < process.argv.length; i++) {
  const k = flags[process.argv[i]];
  if (!k) usage('unknown option ' + process.argv[i]);
  const v = process.argv[++i];
  if (v === undefined) usage('missing value for ' + process.argv[i - 1]);
  o[k] = ints.has(k) ? parseInt(v, 10) : v;
}
if (o.port === null) usage('--port is required (0 = a free port)');
// From the environment, to keep it off ps.
if (process.env.FABRIC_SANDBOX_CLIENT_SECRET) o.clientSecret = process.env.FABRIC_SANDBOX_CLIENT_SECRET;

// ------------------------------------------------------------------ data
const rnd = (...p) => crypto.createHash('sha256').update([o.seed, ...p].join('/')).digest();
function guid(...p) {
  const h = rnd(...p).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
// The first run starts here; later ones follow minutes apart.
const T0 = Date.parse(o.epoch);
if (Number.isNaN(T0)) usage('--epoch must be an ISO-8601 time');
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
const TYPES = ['DataPipeline', 'Notebook', 'SparkJobDefinition', 'Lakehouse', 'SemanticModel'];
const JOB = { DataPipeline: 'Pipeline', Notebook: 'RunNotebook', SparkJobDefinition: 'sparkjob' };
const STATUSES = ['Completed', 'Completed', 'Failed', 'Completed', 'Cancelled'];

const workspaces = [];   // {id, displayName, description, type, capacityId, git}
const items = [];        // {id, workspaceId, type, displayName, description}
const runs = [];         // {id, itemId, jobType, invokeType, status, ...}
const pipelines = [];    // {id, displayName, description, stages[], ops[], admin}
let clock = T0;
const tick = (min) => (clock += min * 60000);

function addRun(it) {
  const n = runs.filter((r) => r.itemId === it.id).length;
  const start = tick(37);
  const st = STATUSES[(n + it.displayName.length) % STATUSES.length];
  runs.push({ id: guid('run', it.id, n), itemId: it.id, jobType: JOB[it.type],
    invokeType: n % 3 === 0 ? 'Manual' : 'Scheduled', status: st,
    rootActivityId: guid('act', it.id, n), startTimeUtc: iso(start),
    endTimeUtc: iso(start + (5 + n) * 60000),
    failureReason: st === 'Failed' ? { requestId: guid('req', it.id, n), errorCode: 'JobExecutionFailed',
      message: `Activity 'Copy ${n}' failed.` } : null });
}
for (let w = 0; w < o.workspaces; w++) {
  const ws = { id: guid('ws', w), displayName: `Sales Analytics ${w}`, description: `Sandbox workspace ${w}`,
    type: 'Workspace', capacityId: guid('cap', w % 2),
    git: w === 0 ? { gitProviderType: 'GitHub', ownerName: 'contoso', repositoryName: 'fabric-sales',
      branchName: 'main', directoryName: '/fabric' } : null };
  workspaces.push(ws);
  for (let i = 0; i < o.items; i++) {
    const type = TYPES[i % TYPES.length];
    const it = { id: guid('item', w, i), workspaceId: ws.id, type, displayName: `${type} ${w}.${i}`,
      description: '' };
    items.push(it);
    if (JOB[type]) for (let r = 0; r < o.runs; r++) addRun(it);
  }
}
// One deployment pipeline over the first three workspaces (Dev -> Test ->
// Prod); a second one whose operations our principal may not read.
function addPipeline(k, admin) {
  const names = ['Development', 'Test', 'Production'];
  const p = { id: guid('pipe', k), displayName: `Sales release ${k}`, description: 'Sandbox pipeline',
    admin, ops: [], stages: names.map((n, i) => ({ id: guid('stage', k, i), order: i, displayName: n,
      description: '', workspaceId: workspaces[i % workspaces.length].id,
      workspaceName: workspaces[i % workspaces.length].displayName, isPublic: i === 2 })) };
  pipelines.push(p);
  return p;
}
function addOp(p, failed) {
  const n = p.ops.length;
  const from = n % 2;   // Dev->Test, Test->Prod alternate
  const start = tick(25 * 60 + 1);   // about one deploy a day
  p.ops.push({ id: guid('op', p.id, n), type: 'Deploy', status: failed ? 'Failed' : 'Succeeded',
    lastUpdatedTime: iso(start + 180000), executionStartTime: iso(start), executionEndTime: iso(start + 180000),
    sourceStageId: p.stages[from].id, targetStageId: p.stages[from + 1].id,
    note: { content: `Release ${n}`, isTruncated: false },
    performedBy: { id: guid('user', n % 3), type: 'User' },
    preDeploymentDiffInformation: { newItemsCount: n % 2, differentItemsCount: 1, noDifferenceItemsCount: 3 } });
}
const p0 = addPipeline(0, true);
for (let i = 0; i < o.deploys; i++) addOp(p0, i % 4 === 3);
const p1 = addPipeline(1, false);
addOp(p1, false);

// GraphQL: one Lakehouse-backed table, "orders" (no primary key, unique id).
const rows = [];
function addRow() {
  const i = rows.length;
  rows.push({ id: i + 1, customer: `Customer ${i % 7}`, amount: (i * 13) % 100 + 0.5,
    region: ['EU', 'US', 'APAC'][i % 3], updatedAt: iso(tick(3)) });
}
for (let i = 0; i < o.rows; i++) addRow();
const gqlApi = { ws: workspaces[0].id, id: guid('gql', 0) };

// ------------------------------------------------------------------ state
const tokens = new Map();
let faults = [];
let stats;
let coldDone = false;
const lros = new Map();  // operation id -> polls left
// token_serials: for each authenticated call, the serial (1, 2, ...) of
// the token it carried; rejected_tokens: calls refused for a missing,
// revoked or expired token.
function resetStats() { stats = { requests: 0, token_requests: 0, rest_calls: 0, graphql_calls: 0, cold_starts: 0,
  rejected_tokens: 0, token_serials: [], by_path: {} }; }
let tokenSerial = 0;
resetStats();

const b64 = (x) => Buffer.from(JSON.stringify(x)).toString('base64');
const unb64 = (s) => { try { return JSON.parse(Buffer.from(String(s), 'base64').toString()); } catch (e) { return null; } };

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, Object.assign({ 'Content-Type': 'application/json; charset=utf-8',
    requestId: crypto.randomUUID() }, headers));
  res.end(text);
}
function fabricError(res, status, errorCode, message, extra = {}, headers = {}) {
  send(res, status, Object.assign({ requestId: crypto.randomUUID(), errorCode, message }, extra), headers);
}
function aadError(res, status, error, code, text) {
  send(res, status, { error, error_description: `AADSTS${code}: ${text} Trace ID: ${crypto.randomUUID()}`,
    error_codes: [code], timestamp: new Date().toISOString(), trace_id: crypto.randomUUID(),
    correlation_id: crypto.randomUUID() });
}
// A fault of one of kinds matching path, used up by one; `skip` lets that
// many matching requests pass first.
function takeFault(path, kinds) {
  for (const f of faults) {
    if (f.count <= 0) continue;
    if (!kinds.includes(f.kind)) continue;
    if (f.path_prefix && !path.startsWith(f.path_prefix)) continue;
    if (f.path_contains && !path.includes(f.path_contains)) continue;
    if (f.skip > 0) { f.skip--; continue; }
    f.count--;
    return f;
  }
  return null;
}

// ------------------------------------------------------------------ token
function tokenEndpoint(req, res, tenant, body) {
  stats.token_requests++;
  const f = new URLSearchParams(body);
  const fault = takeFault(req.url, ['aadsts']);
  if (fault) {
    const t = { 7000215: ['invalid_client', 401, 'Invalid client secret provided.'],
      7000222: ['invalid_client', 401, 'The provided client secret keys are expired.'],
      700016: ['unauthorized_client', 400, 'Application was not found in the directory.'],
      90002: ['invalid_request', 400, 'Tenant not found.'],
      70011: ['invalid_scope', 400, 'The provided value for the input parameter scope is not valid.'] }[fault.code];
    if (t) return aadError(res, t[1], t[0], fault.code, t[2]);
  }
  if (f.get('grant_type') !== 'client_credentials')
    return aadError(res, 400, 'unsupported_grant_type', 70003, 'The grant type is not supported.');
  if (tenant !== o.tenant) return aadError(res, 400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
  if (f.get('client_id') !== o.clientId)
    return aadError(res, 400, 'unauthorized_client', 700016, 'Application was not found in the directory.');
  if (f.get('scope') !== 'https://api.fabric.microsoft.com/.default')
    return aadError(res, 400, 'invalid_scope', 70011, 'The provided value for the input parameter scope is not valid.');
  if (f.get('client_secret') !== o.clientSecret)
    return aadError(res, 401, 'invalid_client', 7000215, 'Invalid client secret provided.');
  const tok = 'eyJ0eXAiOiJKV1Qi.' + crypto.randomBytes(24).toString('base64url');
  // --short-tokens N: only the first N tokens live --token-ttl, later ones
  // the usual hour, so a test sees exactly the renewals it provoked.
  tokenSerial++;
  const ttl = o.shortTokens < 0 || tokenSerial <= o.shortTokens ? o.tokenTtl : 3599;
  tokens.set(tok, { exp: Date.now() + ttl * 1000, serial: tokenSerial });
  send(res, 200, { token_type: 'Bearer', expires_in: ttl, ext_expires_in: ttl, access_token: tok });
}

// ------------------------------------------------------------------ REST
// One page of list; the continuation token is base64 of the offset,
// URL-encoded as Fabric's are.
function page(res, base, path, query, list) {
  const off = query.has('continuationToken') ? (unb64(decodeURIComponent(query.get('continuationToken'))) || {}).off : 0;
  if (typeof off !== 'number' || off < 0) return fabricError(res, 400, 'InvalidContinuationToken', 'The continuation token is not valid.');
  const body = { value: list.slice(off, off + o.pageSize) };
  if (off + o.pageSize < list.length) {
    const tok = encodeURIComponent(b64({ off: off + o.pageSize }));
    body.continuationToken = tok;
    body.continuationUri = `${base}${path}?continuationToken=${tok}`;
  }
  send(res, 200, body);
}
const pub = (x, drop) => { const c = Object.assign({}, x); for (const k of drop) delete c[k]; return c; };

function rest(req, res, base, path, query) {
  let m;
  if (path === '/v1/workspaces') return page(res, base, path, query, workspaces.map((w) => pub(w, ['git'])));
  if ((m = path.match(/^\/v1\/workspaces\/([^/]+)\/items$/))) {
    if (!workspaces.some((w) => w.id === m[1])) return fabricError(res, 404, 'WorkspaceNotFound', 'The workspace was not found.');
    return page(res, base, path, query, items.filter((i) => i.workspaceId === m[1]));
  }
  if ((m = path.match(/^\/v1\/workspaces\/([^/]+)\/items\/([^/]+)\/jobs\/instances$/))) {
    const it = items.find((i) => i.workspaceId === m[1] && i.id === m[2]);
    if (!it) return fabricError(res, 404, 'ItemNotFound', 'The requested item was not found.');
    // newest first, the last 100 kept
    const list = runs.filter((r) => r.itemId === it.id).reverse().slice(0, 100);
    return page(res, base, path, query, list);
  }
  if ((m = path.match(/^\/v1\/workspaces\/([^/]+)\/git\/connection$/))) {
    const ws = workspaces.find((w) => w.id === m[1]);
    if (!ws) return fabricError(res, 404, 'WorkspaceNotFound', 'The workspace was not found.');
    if (!ws.git) return send(res, 200, { gitConnectionState: 'NotConnected' });
    return send(res, 200, { gitProviderDetails: ws.git, gitConnectionState: 'ConnectedAndInitialized',
      gitSyncDetails: { head: rnd('head', ws.id).toString('hex').slice(0, 40), lastSyncTime: iso(T0) } });
  }
  if (path === '/v1/deploymentPipelines')
    return page(res, base, path, query, pipelines.map((p) => ({ id: p.id, displayName: p.displayName, description: p.description })));
  if ((m = path.match(/^\/v1\/deploymentPipelines\/([^/]+)\/(stages|operations)$/))) {
    const p = pipelines.find((x) => x.id === m[1]);
    if (!p) return fabricError(res, 404, 'DeploymentPipelineNotFound', 'The deployment pipeline was not found.');
    if (m[2] === 'stages') return page(res, base, path, query, p.stages.map((s) => pub(s, [])));
    if (!p.admin) return fabricError(res, 403, 'InsufficientPrivileges',
      'The caller does not have sufficient permissions to perform this operation: requires the deployment pipeline Admin role.');
    return send(res, 200, { value: p.ops.slice(-20).reverse() });
  }
  if ((m = path.match(/^\/v1\/operations\/([^/]+)(\/result)?$/))) {
    if (!lros.has(m[1])) return fabricError(res, 404, 'OperationNotFound', 'The operation was not found.');
    const left = lros.get(m[1]);
    if (m[2]) return send(res, 200, { status: 'Succeeded' });
    if (left > 0) {
      lros.set(m[1], left - 1);
      return send(res, 200, { status: 'Running', createdTimeUtc: iso(T0), lastUpdatedTimeUtc: iso(T0),
        percentComplete: 50 }, { 'Retry-After': '1', 'x-ms-operation-id': m[1] });
    }
    return send(res, 200, { status: 'Succeeded', createdTimeUtc: iso(T0), lastUpdatedTimeUtc: iso(T0),
      percentComplete: 100 }, { Location: `${base}/v1/operations/${m[1]}/result` });
  }
  return fabricError(res, 404, 'EntityNotFound', `No such path ${req.method} ${path}.`);
}

// ------------------------------------------------------------------ GraphQL
// A tiny reader for the one query shape the plugin sends:
//   query($first:Int,$after:String,$since:DateTime){ ENTITY(first:..,
//   after:.., filter:{..}, orderBy:{f:ASC,..}) { items { f g } hasNextPage
//   endCursor } }
// Arguments may be literals or variables. Not a GraphQL parser.
function gqlTokens(s) {
  const out = [];
  const re = /\s*([{}()\[\]:,!$]|"(?:[^"\\]|\\.)*"|-?[0-9.]+|[A-Za-z_][A-Za-z0-9_]*)/y;
  let m;
  while (re.lastIndex < s.length && (m = re.exec(s))) out.push(m[1]);
  return out;
}
function gqlValue(t, i, vars) {
  const x = t[i];
  if (x === '$') return [vars[t[i + 1]] === undefined ? null : vars[t[i + 1]], i + 2];
  if (x === '{') {
    const obj = {};
    i++;
    while (t[i] !== '}') {
      const k = t[i];
      const [v, j] = gqlValue(t, i + 2, vars);
      obj[k] = v;
      i = t[j] === ',' ? j + 1 : j;
    }
    return [obj, i + 1];
  }
  if (x === '[') {
    const arr = [];
    i++;
    while (t[i] !== ']') {
      const [v, j] = gqlValue(t, i, vars);
      arr.push(v);
      i = t[j] === ',' ? j + 1 : j;
    }
    return [arr, i + 1];
  }
  if (x[0] === '"') return [JSON.parse(x), i + 1];
  if (/^-?[0-9]/.test(x)) return [Number(x), i + 1];
  if (x === 'null') return [null, i + 1];
  if (x === 'true' || x === 'false') return [x === 'true', i + 1];
  return [x, i + 1];   // enum (ASC/DESC)
}
function gqlParse(q, vars) {
  const t = gqlTokens(q);
  let i = t.indexOf('{');
  if (i < 0) throw new Error('Syntax Error: Expected {');
  const entity = t[i + 1];
  i += 2;
  const args = {};
  if (t[i] === '(') {
    i++;
    while (t[i] !== ')') {
      const k = t[i];
      const [v, j] = gqlValue(t, i + 2, vars);
      args[k] = v;
      i = t[j] === ',' ? j + 1 : j;
    }
    i++;
  }
  // selection: items { fields } hasNextPage endCursor
  const sel = { fields: [], hasNextPage: false, endCursor: false };
  if (t[i] !== '{') throw new Error('Syntax Error: Expected a selection set');
  i++;
  while (t[i] && t[i] !== '}') {
    if (t[i] === 'items' && t[i + 1] === '{') {
      i += 2;
      while (t[i] !== '}') sel.fields.push(t[i++]);
      i++;
    } else {
      sel[t[i]] = true;
      i++;
    }
  }
  return { entity, args, sel };
}
function match(row, f) {
  if (!f) return true;
  for (const [k, v] of Object.entries(f)) {
    if (k === 'and') { if (!v.every((x) => match(row, x))) return false; continue; }
    if (k === 'or') { if (!v.some((x) => match(row, x))) return false; continue; }
    const val = row[k];
    for (const [op, arg] of Object.entries(v)) {
      if (op === 'eq' && !(val === arg)) return false;
      if (op === 'neq' && !(val !== arg)) return false;
      if (op === 'gte' && !(val >= arg)) return false;
      if (op === 'gt' && !(val > arg)) return false;
      if (op === 'lte' && !(val <= arg)) return false;
      if (op === 'lt' && !(val < arg)) return false;
    }
  }
  return true;
}
function graphql(res, body) {
  let req;
  try { req = JSON.parse(body); } catch (e) { return send(res, 400, { errors: [{ message: 'Invalid JSON body.' }] }); }
  const f = takeFault('/graphql', ['gql_error']);
  let q;
  try { q = gqlParse(String(req.query || ''), req.variables || {}); } catch (e) {
    return send(res, 200, { errors: [{ message: e.message, extensions: { code: 'SYNTAX_ERROR' } }] });
  }
  if (q.entity !== 'orders')
    return send(res, 200, { errors: [{ message: `The field \`${q.entity}\` does not exist on the type \`Query\`.`,
      extensions: { code: 'HC0016' } }] });
  const bad = q.sel.fields.find((x) => !(x in rows[0] || x === 'id'));
  if (bad)
    return send(res, 200, { errors: [{ message: `The field \`${bad}\` does not exist on the type \`orders\`.`,
      extensions: { code: 'HC0016' } }] });
  let first = q.args.first === undefined || q.args.first === null ? 100 : q.args.first;
  if (first === -1) first = o.gqlMax;
  if (!Number.isInteger(first) || first === 0 || first < -1 || first > o.gqlMax)
    return send(res, 200, { errors: [{ message: `Invalid number of items requested, first argument must be either -1 or a positive number within the max page size limit of ${o.gqlMax}. Actual value: ${first}`,
      extensions: { code: 'BadRequest' } }], data: { [q.entity]: null } });
  let list = rows.filter((r) => match(r, q.args.filter));
  const ob = Object.entries(q.args.orderBy || { id: 'ASC' });
  if (!ob.some(([k]) => k === 'id')) ob.push(['id', 'ASC']);
  list.sort((a, b) => {
    for (const [k, d] of ob) {
      if (a[k] < b[k]) return d === 'DESC' ? 1 : -1;
      if (a[k] > b[k]) return d === 'DESC' ? -1 : 1;
    }
    return 0;
  });
  let start = 0;
  if (q.args.after) {
    const c = unb64(q.args.after);
    if (!c) return send(res, 200, { errors: [{ message: 'Invalid cursor.', extensions: { code: 'BadRequest' } }] });
    const k = list.findIndex((r) => r.id === c.id);
    start = k < 0 ? list.length : k + 1;
  }
  const pageRows = list.slice(start, start + first);
  const out = { items: pageRows.map((r) => Object.fromEntries(q.sel.fields.map((x) => [x, r[x]]))) };
  if (q.sel.hasNextPage) out.hasNextPage = start + first < list.length;
  if (q.sel.endCursor) out.endCursor = pageRows.length ? b64({ id: pageRows[pageRows.length - 1].id }) : null;
  if (f && f.kind === 'gql_error')
    // partial data beside an error: the whole page must be refused
    return send(res, 200, { data: { [q.entity]: out }, errors: [{ message: 'Execution timeout for the data source.',
      path: [q.entity], extensions: { code: 'DATABASE_OPERATION_FAILED' } }] });
  send(res, 200, { data: { [q.entity]: out } });
}

// ------------------------------------------------------------------ admin
function mutate(m) {
  if (m.op === 'add_runs') {
    for (const it of items.filter((i) => JOB[i.type]).slice(0, m.items || 1))
      for (let r = 0; r < (m.count || 1); r++) addRun(it);
  } else if (m.op === 'add_deploys') {
    for (let i = 0; i < (m.count || 1); i++) addOp(p0, !!m.failed);
  } else if (m.op === 'add_rows') {
    for (let i = 0; i < (m.count || 1); i++) addRow();
  } else if (m.op === 'touch_row') {
    const r = rows.find((x) => x.id === m.id);
    if (r) { r.amount += 1; r.updatedAt = iso(tick(3)); }
  } else if (m.op === 'grant_admin') {
    p1.admin = true;
  } else if (m.op === 'lro') {
    lros.set(m.id, m.polls || 2);
  } else {
    throw new Error('unknown mutation ' + m.op);
  }
}
function truth() {
  const stageOf = new Map();
  for (const p of pipelines) for (const s of p.stages) stageOf.set(s.id, { p, s });
  return {
    workspaces: workspaces.map((w) => ({ id: w.id, displayName: w.displayName, capacityId: w.capacityId,
      repository: w.git ? `${w.git.ownerName}/${w.git.repositoryName}` : null })),
    items: items.map((i) => ({ id: i.id, workspaceId: i.workspaceId, type: i.type, displayName: i.displayName })),
    runs: runs.slice(),
    deploys: pipelines.filter((p) => p.admin).flatMap((p) => p.ops.slice(-20).map((op) => ({
      id: op.id, pipeline: p.displayName, status: op.status, start: op.executionStartTime,
      end: op.executionEndTime, target: stageOf.get(op.targetStageId).s.displayName,
      production: stageOf.get(op.targetStageId).s.order === p.stages.length - 1 }))),
    hidden_pipelines: pipelines.filter((p) => !p.admin).map((p) => p.displayName),
    rows: rows.map((r) => Object.assign({}, r)),
    graphql: { workspace: gqlApi.ws, api: gqlApi.id, entity: 'orders' },
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
    if (path === '/_sandbox/mutate') { for (const m of [].concat(JSON.parse(body))) mutate(m); return send(res, 200, {}); }
    if (path === '/_sandbox/revoke') { tokens.clear(); return send(res, 200, {}); }
    return send(res, 404, { error: 'no such sandbox path' });
  }
  stats.requests++;
  const tm = path.match(/^\/([^/]+)\/oauth2\/v2\.0\/token$/);
  if (tm && req.method === 'POST') return tokenEndpoint(req, res, decodeURIComponent(tm[1]), body);
  const isGql = /^\/v1\/workspaces\/[^/]+\/graphqlapis\/[^/]+\/graphql$/i.test(path);
  const key = isGql ? 'POST graphql' : `${req.method} ${path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')}`;
  stats.by_path[key] = (stats.by_path[key] || 0) + 1;
  if (isGql) stats.graphql_calls++; else stats.rest_calls++;
  const auth = req.headers.authorization || '';
  const tok = auth.startsWith('Bearer ') ? auth.slice(7) : null;
  // Resources accept a token until its expiry plus a clock-skew allowance
  // (--token-skew; Entra-protected APIs allow minutes).
  if (!tok || !tokens.has(tok) || tokens.get(tok).exp + o.tokenSkew * 1000 < Date.now()) {
    stats.rejected_tokens++;
    return fabricError(res, 401, 'TokenExpired', 'Access token has expired, resubmit with a new access token');
  }
  stats.token_serials.push(tokens.get(tok).serial);
  const f = takeFault(path, ['status', 'revoke']);
  if (f && f.kind === 'status') {
    const h = {};
    if (f.retry_after !== undefined) h['Retry-After'] = String(f.retry_after);
    const extra = f.retriable === undefined ? {} : { isRetriable: !!f.retriable };
    return fabricError(res, f.status, f.code || (f.status === 429 ? 'RequestBlocked' : 'ServiceError'),
      f.status === 429 ? 'Request is blocked by the upstream service until the time in Retry-After.' : 'Sandbox fault.',
      extra, h);
  }
  if (f && f.kind === 'revoke') { tokens.clear(); return fabricError(res, 401, 'TokenExpired', 'Access token has expired.'); }
  if (isGql) {
    if (req.method !== 'POST') return fabricError(res, 405, 'MethodNotAllowed', 'Use POST.');
    if (!path.toLowerCase().includes(`/graphqlapis/${gqlApi.id}/`)) return fabricError(res, 404, 'ItemNotFound', 'No such GraphQL API.');
    if (o.coldStartMs > 0 && !coldDone) {
      // an idle API: the first answer is late (the client times out)
      coldDone = true;
      stats.cold_starts++;
      return setTimeout(() => graphql(res, body), o.coldStartMs);
    }
    return graphql(res, body);
  }
  if (req.method !== 'GET') return fabricError(res, 405, 'MethodNotAllowed', 'Only GET here.');
  return rest(req, res, base, path, url.searchParams);
}
server.listen(o.port, '127.0.0.1', () => {
  const port = server.address().port;
  if (o.portFile) fs.writeFileSync(o.portFile, String(port));
  process.stderr.write(`fabric-sandbox: listening on 127.0.0.1:${port} tenant=${o.tenant}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
