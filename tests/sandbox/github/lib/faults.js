'use strict';
// Faults on demand. POST /_sandbox/faults queues faults; each API request
// (never an admin request) is offered to the queue: the first pending fault
// whose filters match owns the request. A fault with `skip: n` lets n
// matching requests through first; `count` (default 1, -1 = until cleared)
// is how many requests it then affects.
//
// Filters: path_prefix (matched against the path with and without the
// /api/v3 or /api prefix), api ("rest" | "graphql"), method.

const KINDS = {
  primary_limit: 'primary rate limit: REST 403/429, GraphQL 200 + RATE_LIMITED, until reset passes',
  secondary_limit: 'secondary rate limit: 403 (or status) with Retry-After',
  status: 'reply with any HTTP status (optional delay_ms, body)',
  delay: 'serve normally after delay_ms',
  truncate: '200 with the full Content-Length, socket closed halfway through the body',
  invalid_json: '200 with a syntactically broken JSON body',
  close: 'close the connection without any response',
};

class FaultError extends Error {}

function num(v, name, lo, hi, dflt) {
  if (v === undefined || v === null) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new FaultError(`${name} must be a number in ${lo}..${hi}`);
  return n;
}

function normalize(f, seq) {
  if (!f || typeof f !== 'object' || Array.isArray(f)) throw new FaultError('each fault must be a JSON object');
  if (!KINDS[f.kind]) throw new FaultError(`unknown fault kind ${JSON.stringify(f.kind)}; known: ${Object.keys(KINDS).join(', ')}`);
  const out = { id: seq, kind: f.kind };
  const count = f.count === undefined ? 1 : Math.floor(Number(f.count));
  if (!(count >= 1 || count === -1)) throw new FaultError('count must be >= 1, or -1 for "until cleared"');
  out.count = count;
  out.skip = Math.floor(num(f.skip, 'skip', 0, 1e9, 0));
  if (f.path_prefix !== undefined) out.path_prefix = String(f.path_prefix);
  if (f.api !== undefined) {
    if (!['rest', 'graphql'].includes(f.api)) throw new FaultError('api must be "rest" or "graphql"');
    out.api = f.api;
  }
  if (f.method !== undefined) out.method = String(f.method).toUpperCase();
  switch (f.kind) {
    case 'primary_limit':
      out.reset_in = num(f.reset_in, 'reset_in', 0, 86400 * 7, 2);
      out.status = num(f.status, 'status', 403, 429, 403);
      if (out.status !== 403 && out.status !== 429) throw new FaultError('primary_limit status must be 403 or 429');
      out.graphql_type = f.graphql_type === undefined ? 'RATE_LIMITED' : String(f.graphql_type);
      if (!['RATE_LIMITED', 'RATE_LIMIT'].includes(out.graphql_type)) throw new FaultError('graphql_type must be RATE_LIMITED or RATE_LIMIT');
      break;
    case 'secondary_limit':
      out.status = num(f.status, 'status', 400, 599, 403);
      out.retry_after = f.retry_after === null || f.omit_retry_after ? null : num(f.retry_after, 'retry_after', 0, 86400, 1);
      break;
    case 'status':
      out.status = Math.floor(num(f.status, 'status', 100, 599, 502));
      out.delay_ms = num(f.delay_ms, 'delay_ms', 0, 600000, 0);
      if (f.body !== undefined) out.body = typeof f.body === 'string' ? f.body : JSON.stringify(f.body);
      if (f.content_type !== undefined) out.content_type = String(f.content_type);
      if (f.headers !== undefined) {
        if (typeof f.headers !== 'object' || Array.isArray(f.headers)) throw new FaultError('headers must be an object');
        out.headers = f.headers;
      }
      break;
    case 'delay':
      out.delay_ms = num(f.delay_ms, 'delay_ms', 0, 600000, 1000);
      break;
    default:
      break;
  }
  return out;
}

class FaultQueue {
  constructor() {
    this.list = [];
    this.seq = 1;
  }

  add(items) {
    const arr = Array.isArray(items) ? items : items && Array.isArray(items.faults) ? items.faults : [items];
    const norm = arr.map((f) => normalize(f, this.seq++));
    this.list.push(...norm);
    return norm;
  }

  clear() {
    const n = this.list.length;
    this.list = [];
    return n;
  }

  pending() {
    return this.list.map((f) => Object.assign({}, f));
  }

  // req: {api, method, path (without prefix), rawPath}
  take(req) {
    for (let i = 0; i < this.list.length; i++) {
      const f = this.list[i];
      if (f.api && f.api !== req.api) continue;
      if (f.method && f.method !== req.method) continue;
      if (f.path_prefix && !req.path.startsWith(f.path_prefix) && !req.rawPath.startsWith(f.path_prefix)) continue;
      if (f.skip > 0) {
        f.skip--;
        return null;
      }
      if (f.count > 0) {
        f.count--;
        if (f.count === 0) this.list.splice(i, 1);
      }
      return f;
    }
    return null;
  }
}

module.exports = { FaultQueue, FaultError, KINDS };
