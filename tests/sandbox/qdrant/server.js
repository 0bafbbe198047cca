#!/usr/bin/env node
'use strict';
// Qdrant REST sandbox for pulse-host tests and benchmarks: the paths the
// qdrant plugin uses (collections, payload index, points upsert / delete /
// query / count), with Qdrant's wire shapes, exact cosine scores, filters,
// is_tenant, Qdrant's error codes and bodies, faults on demand and a
// record of every call. Node >= 18, no npm dependencies. It is not Qdrant:
// search is brute force (no HNSW), nothing is persisted. See README.md.

const http = require('http');
const fs = require('fs');

function usage(msg) {
  if (msg) process.stderr.write('qdrant-sandbox: ' + msg + '\n');
  process.stderr.write(`usage: node server.js --port P [--host 127.0.0.1] [--port-file F]
       [--key K | --key-file F] [--verbose]
  --key K   require the api-key header (or Authorization: Bearer) to be K;
            --key-file reads K from F, off the process list
`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { port: null, host: '127.0.0.1', portFile: null, key: null, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { const v = argv[++i]; if (v === undefined) usage('missing value for ' + a); return v; };
    if (a === '--port') o.port = parseInt(next(), 10);
    else if (a === '--host') o.host = next();
    else if (a === '--port-file') o.portFile = next();
    else if (a === '--key') o.key = next();
    else if (a === '--key-file') o.key = fs.readFileSync(next(), 'utf8').trim();
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--help' || a === '-h') usage();
    else usage('unknown option ' + a);
  }
  if (o.port === null || !(o.port >= 0)) usage('--port is required (0 = pick a free port)');
  return o;
}

const opts = parseArgs(process.argv.slice(2));

// ------------------------------------------------------------ state
// name -> {size, distance, hnsw, schema: {field: params}, points: Map(id -> point),
//          created_seq, tenant_index_seq, first_upsert_seq}
let collections = new Map();
let faults = [];
let stats;
let seq = 0;
let opId = 0;
const MAX_LOG = 5000;

function resetStats() {
  stats = { calls: {}, points_upserted: 0, faults_served: {}, requests: [], requests_dropped: 0,
    last_headers: null };
}
resetStats();

const FAULT_KINDS = ['rate_limit', 'unavailable', 'server_error', 'timeout', 'unauthorized',
  'forbidden', 'validation', 'leak', 'slow'];
const OPS = ['create_collection', 'get_collection', 'delete_collection', 'list_collections',
  'create_index', 'upsert', 'delete', 'query', 'count', 'scroll', 'any'];
const DISTANCES = ['Cosine', 'Euclid', 'Dot', 'Manhattan'];

// ------------------------------------------------------------ replies
function sendJson(res, status, obj, headers) {
  res.writeHead(status, Object.assign({ 'content-type': 'application/json' }, headers || {}));
  res.end(JSON.stringify(obj));
}

function ok(res, result, t0) {
  sendJson(res, 200, { result, status: 'ok', time: (Date.now() - t0) / 1000 });
}

// Qdrant's error envelope: status.error, no result.
function fail(res, status, message, headers) {
  sendJson(res, status, { status: { error: message }, time: 0.0001 }, headers);
  return status;
}

// 401 and 403 are plain text in Qdrant.
function failText(res, status, message) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message);
  return status;
}

function readBody(req) {
  return new Promise((resolve) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

function maskedHeaders(h) {
  const o = {};
  for (const [k, v] of Object.entries(h)) {
    o[k] = k === 'api-key' || k === 'authorization' ? '***' : v;
  }
  return o;
}

// ------------------------------------------------------------ ids
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

// A point id as Qdrant keeps it: an unsigned integer or a hyphenated,
// lower-case UUID; null when it is neither.
function normId(v) {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : null;
  if (typeof v !== 'string') return null;
  let s = v.trim();
  if (/^urn:uuid:/i.test(s)) s = s.slice(9);
  if (!UUID_RE.test(s)) return null;
  s = s.replace(/-/g, '').toLowerCase();
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

function idKey(id) { return typeof id === 'number' ? 'n:' + id : 'u:' + id; }

// ------------------------------------------------------------ vectors
function norm(v) {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  return Math.sqrt(n);
}

// Stored as float32 like Qdrant; Cosine collections keep the unit vector.
function storeVector(c, v) {
  const f = Float32Array.from(v);
  if (c.distance === 'Cosine') {
    const n = norm(f);
    if (n > 0) for (let i = 0; i < f.length; i++) f[i] /= n;
  }
  return f;
}

function score(c, q, v) {
  let s = 0;
  switch (c.distance) {
    case 'Cosine':
    case 'Dot':
      for (let i = 0; i < v.length; i++) s += q[i] * v[i];
      return s;
    case 'Euclid':
      for (let i = 0; i < v.length; i++) { const d = q[i] - v[i]; s += d * d; }
      return Math.sqrt(s);
    default:
      for (let i = 0; i < v.length; i++) s += Math.abs(q[i] - v[i]);
      return s;
  }
}

function higherIsBetter(c) { return c.distance === 'Cosine' || c.distance === 'Dot'; }

// ------------------------------------------------------------ filters
class BadRequest extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

const FILTER_KEYS = ['should', 'min_should', 'must', 'must_not'];
const FIELD_PARTS = ['match', 'range', 'geo_bounding_box', 'geo_radius', 'geo_polygon', 'values_count',
  'datetime_range', 'is_empty', 'is_null'];

function asList(x) { return x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]; }

function validateFilter(f, where) {
  if (f === null || f === undefined) return;
  if (typeof f !== 'object' || Array.isArray(f)) throw new BadRequest(400, `Format error in JSON body: ${where}: invalid type, expected struct Filter`);
  for (const k of Object.keys(f)) {
    if (!FILTER_KEYS.includes(k)) {
      throw new BadRequest(400, `Format error in JSON body: ${where}: unknown field \`${k}\`, expected one of \`should\`, \`min_should\`, \`must\`, \`must_not\``);
    }
  }
  for (const k of ['must', 'should', 'must_not']) {
    asList(f[k]).forEach((c, i) => validateCondition(c, `${where}.${k}[${i}]`));
  }
}

function validateCondition(c, where) {
  if (typeof c !== 'object' || c === null) throw new BadRequest(400, `Format error in JSON body: ${where}: data did not match any variant of untagged enum Condition`);
  if ('has_id' in c) {
    if (!Array.isArray(c.has_id) || c.has_id.some((x) => normId(x) === null)) {
      throw new BadRequest(400, `Format error in JSON body: ${where}.has_id: value is not a valid point ID, valid values are either an unsigned integer or a UUID`);
    }
    return;
  }
  if ('is_empty' in c || 'is_null' in c) return;
  if ('key' in c) {
    if (!FIELD_PARTS.some((p) => p in c)) {
      throw new BadRequest(422, `Validation error in JSON body: [${where}: At least one field condition must be specified]`);
    }
    if (c.match !== undefined) {
      const m = c.match;
      if (typeof m !== 'object' || m === null || !['value', 'any', 'except', 'text'].some((p) => p in m)) {
        throw new BadRequest(400, `Format error in JSON body: ${where}.match: data did not match any variant of untagged enum Match`);
      }
    }
    return;
  }
  if (FILTER_KEYS.some((k) => k in c)) return validateFilter(c, where);
  if ('nested' in c) return;
  throw new BadRequest(400, `Format error in JSON body: ${where}: data did not match any variant of untagged enum Condition`);
}

function fieldValues(payload, key) {
  let cur = [payload];
  for (const part of key.split('.')) {
    const next = [];
    for (const o of cur) {
      if (o && typeof o === 'object' && part in o) {
        const v = o[part];
        if (Array.isArray(v)) next.push(...v); else next.push(v);
      }
    }
    cur = next;
  }
  return cur.filter((v) => v !== undefined);
}

function cmpRange(v, r) {
  let x = v;
  const asDate = (y) => (typeof y === 'string' ? Date.parse(y) : y);
  if (['gt', 'gte', 'lt', 'lte'].some((k) => typeof r[k] === 'string')) x = asDate(v);
  if (typeof x !== 'number' || Number.isNaN(x)) return false;
  const b = (k) => asDate(r[k]);
  if (r.gt !== undefined && r.gt !== null && !(x > b('gt'))) return false;
  if (r.gte !== undefined && r.gte !== null && !(x >= b('gte'))) return false;
  if (r.lt !== undefined && r.lt !== null && !(x < b('lt'))) return false;
  if (r.lte !== undefined && r.lte !== null && !(x <= b('lte'))) return false;
  return true;
}

function condHolds(c, p) {
  if ('has_id' in c) return c.has_id.some((x) => idKey(normId(x)) === idKey(p.id));
  if ('is_empty' in c) return fieldValues(p.payload, c.is_empty.key).length === 0;
  if ('is_null' in c) return fieldValues(p.payload, c.is_null.key).some((v) => v === null);
  if ('key' in c) {
    const vals = fieldValues(p.payload, c.key).filter((v) => v !== null);
    if (c.match) {
      const m = c.match;
      if ('value' in m) return vals.some((v) => v === m.value);
      if ('any' in m) return vals.some((v) => m.any.includes(v));
      if ('except' in m) return vals.length > 0 && vals.every((v) => !m.except.includes(v));
      if ('text' in m) return vals.some((v) => typeof v === 'string' && v.includes(m.text));
    }
    if (c.range) return vals.some((v) => cmpRange(v, c.range));
    if (c.datetime_range) return vals.some((v) => cmpRange(v, c.datetime_range));
    if (c.values_count) return cmpRange(vals.length, c.values_count);
    return false;
  }
  if (FILTER_KEYS.some((k) => k in c)) return filterHolds(c, p);
  return false;
}

function filterHolds(f, p) {
  if (!f) return true;
  for (const c of asList(f.must)) if (!condHolds(c, p)) return false;
  for (const c of asList(f.must_not)) if (condHolds(c, p)) return false;
  const should = asList(f.should);
  if (should.length && !should.some((c) => condHolds(c, p))) return false;
  if (f.min_should) {
    const n = asList(f.min_should.conditions).filter((c) => condHolds(c, p)).length;
    if (n < (f.min_should.min_count || 0)) return false;
  }
  return true;
}

// The value a filter pins a tenant field to (must, match value), if any:
// with is_tenant Qdrant reads only that tenant's points, and so does this.
function tenantOf(c, f) {
  for (const [field, schema] of Object.entries(c.schema)) {
    if (!schema.is_tenant) continue;
    for (const cond of asList(f && f.must)) {
      if (cond && cond.key === field && cond.match && 'value' in cond.match) return [field, cond.match.value];
    }
  }
  return null;
}

// ------------------------------------------------------------ faults
function takeFault(op) {
  for (const f of faults) {
    if (f.count !== 0 && (f.op === 'any' || f.op === op)) {
      if (f.count > 0) f.count--;
      stats.faults_served[f.kind] = (stats.faults_served[f.kind] || 0) + 1;
      return f;
    }
  }
  return null;
}

// Serve a fault; false to go on normally (slow, leak).
async function serveFault(f, res) {
  switch (f.kind) {
    case 'rate_limit':
      fail(res, 429, 'Too many requests: rate limit exceeded, retry later',
        { 'retry-after': String(f.retry_after === undefined ? 1 : f.retry_after) });
      return true;
    case 'unavailable':
      fail(res, 503, 'Service unavailable: No active replica for shard 0');
      return true;
    case 'server_error':
      fail(res, 500, 'Service internal error: sandbox fault');
      return true;
    case 'timeout':
      fail(res, 408, 'Timeout error: operation timed out');
      return true;
    case 'unauthorized':
      failText(res, 401, 'Invalid API key or JWT');
      return true;
    case 'forbidden':
      failText(res, 403, 'Forbidden: global access is required');
      return true;
    case 'validation':
      fail(res, 422, 'Validation error in JSON body: [limit: value 0 invalid, must be 1 or more]');
      return true;
    case 'slow':
      await new Promise((r) => setTimeout(r, f.delay_ms || 1000));
      return false;
    default:
      return false;
  }
}

// ------------------------------------------------------------ endpoints
function need(name) {
  const c = collections.get(name);
  if (!c) throw new BadRequest(404, `Not found: Collection \`${name}\` doesn't exist!`);
  return c;
}

function createCollection(name, b) {
  if (!/^[A-Za-z0-9_.-]{1,255}$/.test(name)) {
    throw new BadRequest(422, `Validation error in path parameters: [name: collection name must not contain special characters]`);
  }
  const v = b && b.vectors;
  if (!v || typeof v !== 'object') throw new BadRequest(400, 'Format error in JSON body: missing field `vectors`');
  if (!('size' in v)) throw new BadRequest(400, 'Format error in JSON body: vectors: missing field `size`');
  if (!Number.isInteger(v.size) || v.size < 1 || v.size > 65536) {
    throw new BadRequest(422, `Validation error in JSON body: [vectors.size: value ${v.size} invalid, must be from 1 to 65536]`);
  }
  if (!DISTANCES.includes(v.distance)) {
    throw new BadRequest(400, `Format error in JSON body: vectors.distance: unknown variant \`${v.distance}\`, expected one of \`Cosine\`, \`Euclid\`, \`Dot\`, \`Manhattan\``);
  }
  if (collections.has(name)) throw new BadRequest(409, `Collection \`${name}\` already exists!`);
  const h = Object.assign({ m: 16, ef_construct: 100, full_scan_threshold: 10000, payload_m: null },
    b.hnsw_config || {});
  collections.set(name, { size: v.size, distance: v.distance, hnsw: h, schema: {}, points: new Map(),
    created_seq: seq, tenant_index_seq: null, first_upsert_seq: null, points_before_tenant_index: 0 });
  return true;
}

function collectionInfo(name) {
  const c = need(name);
  const schema = {};
  for (const [k, s] of Object.entries(c.schema)) {
    const n = [...c.points.values()].filter((p) => fieldValues(p.payload, k).length).length;
    schema[k] = { data_type: s.type, params: s, points: n };
  }
  return {
    status: 'green', optimizer_status: 'ok', indexed_vectors_count: 0, points_count: c.points.size,
    segments_count: 1,
    config: {
      params: { vectors: { size: c.size, distance: c.distance }, shard_number: 1, replication_factor: 1,
        write_consistency_factor: 1, on_disk_payload: true },
      hnsw_config: c.hnsw,
      optimizer_config: { default_segment_number: 0, indexing_threshold: 10000, flush_interval_sec: 5 },
      wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
    },
    payload_schema: schema,
  };
}

function createIndex(name, b) {
  const c = need(name);
  if (!b || typeof b.field_name !== 'string') throw new BadRequest(400, 'Format error in JSON body: missing field `field_name`');
  let s = b.field_schema;
  if (typeof s === 'string') s = { type: s };
  const types = ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'];
  if (!s || !types.includes(s.type)) {
    throw new BadRequest(400, 'Format error in JSON body: field_schema: data did not match any variant of untagged enum PayloadFieldSchema');
  }
  if (s.is_tenant !== undefined && !['keyword', 'uuid', 'integer'].includes(s.type)) {
    throw new BadRequest(400, `Format error in JSON body: field_schema: unknown field \`is_tenant\` for ${s.type}`);
  }
  c.schema[b.field_name] = Object.assign({}, s);
  if (s.is_tenant && c.tenant_index_seq === null) {
    c.tenant_index_seq = seq;
    c.points_before_tenant_index = c.points.size;
  }
  return { operation_id: ++opId, status: 'completed' };
}

function upsert(name, b) {
  const c = need(name);
  let pts;
  if (b && Array.isArray(b.points)) {
    pts = b.points;
  } else if (b && b.batch && Array.isArray(b.batch.ids)) {
    const bt = b.batch;
    pts = bt.ids.map((id, i) => ({ id, vector: bt.vectors && bt.vectors[i], payload: bt.payloads && bt.payloads[i] }));
  } else {
    throw new BadRequest(400, 'Format error in JSON body: data did not match any variant of untagged enum PointInsertOperations');
  }
  const staged = [];
  for (const p of pts) {
    const id = normId(p.id);
    if (id === null) {
      throw new BadRequest(400, `Format error in JSON body: value ${JSON.stringify(p.id)} is not a valid point ID, valid values are either an unsigned integer or a UUID`);
    }
    if (!Array.isArray(p.vector) || p.vector.some((x) => typeof x !== 'number')) {
      throw new BadRequest(400, 'Format error in JSON body: points: vector: data did not match any variant of untagged enum VectorStruct');
    }
    if (p.vector.length !== c.size) {
      throw new BadRequest(400, `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${p.vector.length}`);
    }
    if (p.payload !== undefined && p.payload !== null && (typeof p.payload !== 'object' || Array.isArray(p.payload))) {
      throw new BadRequest(400, 'Format error in JSON body: payload: invalid type, expected a map');
    }
    staged.push({ id, vector: storeVector(c, p.vector), payload: p.payload || {} });
  }
  if (c.first_upsert_seq === null && staged.length) c.first_upsert_seq = seq;
  const op = ++opId;
  for (const p of staged) { p.version = op; c.points.set(idKey(p.id), p); }
  stats.points_upserted += staged.length;
  return { operation_id: op, status: 'completed' };
}

function selected(c, b) {
  if (b && Array.isArray(b.points)) {
    const keys = new Set(b.points.map((x) => {
      const id = normId(x);
      if (id === null) throw new BadRequest(400, `Format error in JSON body: value ${JSON.stringify(x)} is not a valid point ID, valid values are either an unsigned integer or a UUID`);
      return idKey(id);
    }));
    return [...c.points.values()].filter((p) => keys.has(idKey(p.id)));
  }
  if (b && b.filter) {
    validateFilter(b.filter, 'filter');
    return [...c.points.values()].filter((p) => filterHolds(b.filter, p));
  }
  throw new BadRequest(400, 'Format error in JSON body: data did not match any variant of untagged enum PointsSelector');
}

function del(name, b) {
  const c = need(name);
  const gone = selected(c, b);
  for (const p of gone) c.points.delete(idKey(p.id));
  return { operation_id: ++opId, status: 'completed', _deleted: gone.length };
}

function query(name, b, leak) {
  const c = need(name);
  b = b || {};
  for (const k of Object.keys(b)) {
    if (!['query', 'filter', 'limit', 'offset', 'with_payload', 'with_vector', 'score_threshold', 'params',
      'using', 'prefetch', 'lookup_from', 'shard_key'].includes(k)) {
      throw new BadRequest(400, `Format error in JSON body: unknown field \`${k}\``);
    }
  }
  const limit = b.limit === undefined ? 10 : b.limit;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new BadRequest(422, `Validation error in JSON body: [limit: value ${limit} invalid, must be 1 or more]`);
  }
  validateFilter(b.filter, 'filter');
  const q = b.query;
  if (!Array.isArray(q) || q.some((x) => typeof x !== 'number')) {
    throw new BadRequest(400, 'Format error in JSON body: query: data did not match any variant of untagged enum QueryInterface');
  }
  if (q.length !== c.size) {
    throw new BadRequest(400, `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${q.length}`);
  }
  const qv = storeVector(c, q);
  const f = leak ? null : b.filter;
  // is_tenant: only that tenant's points are read (co-located in Qdrant)
  const t = f ? tenantOf(c, f) : null;
  const hits = [];
  for (const p of c.points.values()) {
    if (t && !fieldValues(p.payload, t[0]).includes(t[1])) continue;
    if (f && !filterHolds(f, p)) continue;
    const s = score(c, qv, p.vector);
    if (b.score_threshold !== undefined && b.score_threshold !== null &&
        (higherIsBetter(c) ? s < b.score_threshold : s > b.score_threshold)) continue;
    hits.push({ p, s });
  }
  hits.sort((x, y) => (higherIsBetter(c) ? y.s - x.s : x.s - y.s));
  const off = b.offset || 0;
  const points = hits.slice(off, off + limit).map(({ p, s }) => {
    const o = { id: p.id, version: p.version, score: Math.fround(s) };
    if (b.with_payload === true) o.payload = p.payload;
    else if (Array.isArray(b.with_payload)) {
      o.payload = {};
      for (const k of b.with_payload) if (k in p.payload) o.payload[k] = p.payload[k];
    }
    if (b.with_vector === true) o.vector = Array.from(p.vector);
    return o;
  });
  return { points };
}

// Qdrant's id order: integers (by value) before UUIDs (by their bytes,
// which the lower-case hyphenated text sorts the same as).
function cmpId(a, b) {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

// points/scroll: by id from offset (inclusive), limit per page; the next
// page's first id as next_page_offset, null after the last.
function scroll(name, b, leak) {
  const c = need(name);
  b = b || {};
  for (const k of Object.keys(b)) {
    if (!['offset', 'limit', 'filter', 'with_payload', 'with_vector', 'with_vectors', 'order_by',
      'shard_key'].includes(k)) {
      throw new BadRequest(400, `Format error in JSON body: unknown field \`${k}\``);
    }
  }
  const limit = b.limit === undefined ? 10 : b.limit;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new BadRequest(422, `Validation error in JSON body: [limit: value ${limit} invalid, must be 1 or more]`);
  }
  let off = null;
  if (b.offset !== undefined && b.offset !== null) {
    off = normId(b.offset);
    if (off === null) {
      throw new BadRequest(400, `Format error in JSON body: value ${JSON.stringify(b.offset)} is not a valid point ID, valid values are either an unsigned integer or a UUID`);
    }
  }
  validateFilter(b.filter, 'filter');
  const f = leak ? null : b.filter;
  const t = f ? tenantOf(c, f) : null;
  const all = [];
  for (const p of c.points.values()) {
    if (t && !fieldValues(p.payload, t[0]).includes(t[1])) continue;
    if (f && !filterHolds(f, p)) continue;
    if (off !== null && cmpId(p.id, off) < 0) continue;
    all.push(p);
  }
  all.sort((x, y) => cmpId(x.id, y.id));
  const wp = b.with_payload === undefined ? true : b.with_payload;
  const wv = b.with_vector !== undefined ? b.with_vector : b.with_vectors;
  const points = all.slice(0, limit).map((p) => {
    const o = { id: p.id, version: p.version };
    if (wp === true) o.payload = p.payload;
    else if (Array.isArray(wp)) {
      o.payload = {};
      for (const k of wp) if (k in p.payload) o.payload[k] = p.payload[k];
    }
    if (wv === true) o.vector = Array.from(p.vector);
    return o;
  });
  return { points, next_page_offset: all.length > limit ? all[limit].id : null };
}

function count(name, b) {
  const c = need(name);
  b = b || {};
  validateFilter(b.filter, 'filter');
  return { count: [...c.points.values()].filter((p) => filterHolds(b.filter, p)).length };
}

// ------------------------------------------------------------ routing
function route(method, path) {
  let m;
  if (path === '/collections' && method === 'GET') return ['list_collections', null];
  if ((m = path.match(/^\/collections\/([^/]+)$/))) {
    const n = decodeURIComponent(m[1]);
    if (method === 'PUT') return ['create_collection', n];
    if (method === 'GET') return ['get_collection', n];
    if (method === 'DELETE') return ['delete_collection', n];
  }
  if ((m = path.match(/^\/collections\/([^/]+)\/index$/)) && method === 'PUT') return ['create_index', decodeURIComponent(m[1])];
  if ((m = path.match(/^\/collections\/([^/]+)\/points$/)) && method === 'PUT') return ['upsert', decodeURIComponent(m[1])];
  if ((m = path.match(/^\/collections\/([^/]+)\/points\/delete$/)) && method === 'POST') return ['delete', decodeURIComponent(m[1])];
  if ((m = path.match(/^\/collections\/([^/]+)\/points\/query$/)) && method === 'POST') return ['query', decodeURIComponent(m[1])];
  if ((m = path.match(/^\/collections\/([^/]+)\/points\/count$/)) && method === 'POST') return ['count', decodeURIComponent(m[1])];
  if ((m = path.match(/^\/collections\/([^/]+)\/points\/scroll$/)) && method === 'POST') return ['scroll', decodeURIComponent(m[1])];
  return [null, null];
}

// What the log keeps of a body: no vectors, the rest as sent.
function logBody(op, b) {
  if (!b || typeof b !== 'object') return b;
  if (op === 'upsert') {
    const pts = Array.isArray(b.points) ? b.points : [];
    return { n_points: pts.length, ids: pts.slice(0, 50).map((p) => p.id),
      tenants: [...new Set(pts.map((p) => p.payload && p.payload.tenant_id))] };
  }
  if (op === 'query') {
    const o = Object.assign({}, b);
    o.query = Array.isArray(b.query) ? `[${b.query.length} floats]` : b.query;
    return o;
  }
  return b;
}

function record(entry) {
  stats.requests.push(entry);
  if (stats.requests.length > MAX_LOG) { stats.requests.shift(); stats.requests_dropped++; }
}

async function api(req, res, method, path, text, search) {
  const t0 = Date.now();
  const [op, name] = route(method, path);
  if (!op) return fail(res, 404, `Not found: ${method} ${path}`);
  seq++;
  stats.calls[op] = (stats.calls[op] || 0) + 1;
  stats.last_headers = maskedHeaders(req.headers);
  let body = null;
  if (text) {
    try { body = JSON.parse(text); } catch (e) {
      return fail(res, 400, `Format error in JSON body: ${e.message}`);
    }
  }
  const entry = { seq, op, method, path: path + (search || ''), collection: name, body: logBody(op, body), status: 0 };
  record(entry);
  if (opts.key) {
    const given = req.headers['api-key'] ||
      (String(req.headers.authorization || '').match(/^Bearer (.*)$/) || [])[1];
    if (!given) return (entry.status = failText(res, 401, 'Must provide an API key or an Authorization bearer token'));
    if (given !== opts.key) return (entry.status = failText(res, 401, 'Invalid API key or JWT'));
  }
  const f = takeFault(op);
  if (f) {
    entry.fault = f.kind;
    if (await serveFault(f, res)) { entry.status = res.statusCode; return; }
  }
  try {
    let result;
    switch (op) {
      case 'list_collections': result = { collections: [...collections.keys()].map((n) => ({ name: n })) }; break;
      case 'create_collection': result = createCollection(name, body); break;
      case 'get_collection': result = collectionInfo(name); break;
      case 'delete_collection': result = collections.delete(name); break;
      case 'create_index': result = createIndex(name, body); break;
      case 'upsert': result = upsert(name, body); break;
      case 'delete': result = del(name, body); entry.deleted = result._deleted; delete result._deleted; break;
      case 'query': result = query(name, body, f && f.kind === 'leak'); entry.hits = result.points.length; break;
      case 'count': result = count(name, body); break;
      case 'scroll': result = scroll(name, body, f && f.kind === 'leak'); entry.hits = result.points.length; break;
      default: break;
    }
    entry.status = 200;
    ok(res, result, t0);
  } catch (e) {
    if (!(e instanceof BadRequest)) throw e;
    entry.status = fail(res, e.status, e.message);
  }
}

// ------------------------------------------------------------ control API
function control(req, res, path, text, url) {
  let b = {};
  if (text) {
    try { b = JSON.parse(text); } catch (e) { return sendJson(res, 400, { error: 'body is not JSON' }); }
  }
  if (path === '/_sandbox/fault' && req.method === 'POST') {
    if (!FAULT_KINDS.includes(b.kind)) return sendJson(res, 400, { error: 'kind must be one of ' + FAULT_KINDS.join(', ') });
    const op = b.op || 'any';
    if (!OPS.includes(op)) return sendJson(res, 400, { error: 'op must be one of ' + OPS.join(', ') });
    faults.push({ kind: b.kind, count: b.count === undefined ? 1 : b.count | 0, op,
      retry_after: b.retry_after, delay_ms: b.delay_ms });
    return sendJson(res, 200, { faults: faults.length });
  }
  if (path === '/_sandbox/fault' && req.method === 'DELETE') { faults = []; return sendJson(res, 200, { faults: 0 }); }
  if (path === '/_sandbox/stats' && req.method === 'GET') {
    const cols = {};
    for (const [n, c] of collections) {
      cols[n] = { points: c.points.size, size: c.size, distance: c.distance, hnsw_config: c.hnsw,
        payload_schema: c.schema, created_seq: c.created_seq, tenant_index_seq: c.tenant_index_seq,
        first_upsert_seq: c.first_upsert_seq, points_before_tenant_index: c.points_before_tenant_index,
        tenant_index_before_first_upsert: c.tenant_index_seq !== null &&
          (c.first_upsert_seq === null || c.tenant_index_seq < c.first_upsert_seq) };
    }
    return sendJson(res, 200, Object.assign({ collections: cols, seq }, stats));
  }
  if (path === '/_sandbox/points' && req.method === 'GET') {
    const c = collections.get(url.searchParams.get('collection') || '');
    if (!c) return sendJson(res, 404, { error: 'no such collection' });
    return sendJson(res, 200, { points: [...c.points.values()].map((p) => ({ id: p.id, payload: p.payload })) });
  }
  if (path === '/_sandbox/stats/reset' && req.method === 'POST') { resetStats(); return sendJson(res, 200, {}); }
  if (path === '/_sandbox/reset' && req.method === 'POST') {
    collections = new Map(); faults = []; resetStats();
    return sendJson(res, 200, {});
  }
  return sendJson(res, 404, { error: 'no such control endpoint' });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://sandbox');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const text = await readBody(req);
  if (opts.verbose) process.stderr.write(`[qdrant-sandbox] ${req.method} ${url.pathname}\n`);
  try {
    if (path.startsWith('/_sandbox/')) return control(req, res, path, text, url);
    return await api(req, res, req.method, path, text, url.search);
  } catch (e) {
    process.stderr.write('[qdrant-sandbox] ' + (e.stack || e) + '\n');
    if (!res.headersSent) fail(res, 500, 'Service internal error: sandbox bug: ' + e.message);
  }
});

server.listen(opts.port, opts.host, () => {
  const actualPort = server.address().port;
  if (opts.portFile) {
    const tmp = opts.portFile + '.tmp' + process.pid;
    fs.writeFileSync(tmp, String(actualPort) + '\n');
    fs.renameSync(tmp, opts.portFile);
  }
  process.stderr.write(`[qdrant-sandbox] listening on http://${opts.host}:${actualPort}\n`);
});

function shutdown() { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 500).unref(); }
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
