#!/usr/bin/env node
'use strict';
// GitHub-shaped sandbox HTTP server for pulse-host tests, benchmarks and the
// demo. See README.md in this folder for the flags, the admin API and the
// data model.
//
//   node server.js --port 0 --port-file /tmp/gh.port [--seed 1] [--repos 3]
//                  [--prs 40] [--org acme] [--token sandbox-token ...]

// graphql-js skips its development-only instanceof checks in production mode.
if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';

const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const { Sandbox, MutationError, iso, USERS } = require('./lib/model');
const { GraphQLApi } = require('./lib/graphql-api');
const { RestApi, notFound } = require('./lib/rest-api');
const { FaultQueue, FaultError, KINDS } = require('./lib/faults');

const USAGE = `usage: node server.js --port P [options]
  --port P            port to listen on; 0 picks a free one
  --host H            loopback address to bind (default 127.0.0.1)
  --port-file F       write the actual port to F once listening
  --seed S            data seed, number or text (default 1)
  --repos N           repositories in the org (default 3)
  --prs M             pull requests per repository (default 40)
  --org NAME          organization login (default acme)
  --token T           accepted token; repeatable (default sandbox-token)
  --rest-limit N      REST requests per hour per token (default 5000)
  --graphql-limit N   GraphQL points per hour per token (default 5000)
  --graphql-limit-type RATE_LIMITED|RATE_LIMIT
                      error type when GraphQL points run out (default RATE_LIMITED)
  --epoch ISO         sandbox epoch; data lies in the 90 days before it
                      (default 2026-06-01T00:00:00Z)
  --frozen-clock      sandbox time moves only by POST /_sandbox/clock
  --eager             generate every repository before listening (default:
                      each repository is generated on first use)
  --verbose           one line per request on stderr
  --help`;

// ------------------------------------------------------------------ options

function parseArgs(argv) {
  const o = {
    port: null, host: '127.0.0.1', portFile: null, seed: '1', repos: 3, prs: 40, org: 'acme', tokens: [],
    restLimit: 5000, graphqlLimit: 5000, graphqlLimitType: 'RATE_LIMITED', epochS: null, frozenClock: false, eager: false, verbose: false,
  };
  const need = (i, flag) => {
    if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
    return argv[i + 1];
  };
  const int = (v, flag, lo, hi) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${flag} must be an integer in ${lo}..${hi}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline = null;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
      argv = argv.slice(0, i + 1).concat([inline], argv.slice(i + 1));
    }
    switch (a) {
      case '--port': o.port = int(need(i, a), a, 0, 65535); i++; break;
      case '--host': o.host = need(i, a); i++; break;
      case '--port-file': o.portFile = need(i, a); i++; break;
      case '--seed': o.seed = need(i, a); i++; break;
      case '--repos': o.repos = int(need(i, a), a, 1, 10000); i++; break;
      case '--prs': o.prs = int(need(i, a), a, 0, 100000); i++; break;
      case '--org': o.org = need(i, a); i++; break;
      case '--token': o.tokens.push(need(i, a)); i++; break;
      case '--rest-limit': o.restLimit = int(need(i, a), a, 1, 1e9); i++; break;
      case '--graphql-limit': o.graphqlLimit = int(need(i, a), a, 1, 1e9); i++; break;
      case '--graphql-limit-type':
        o.graphqlLimitType = need(i, a);
        if (!['RATE_LIMITED', 'RATE_LIMIT'].includes(o.graphqlLimitType)) throw new Error(`${a} must be RATE_LIMITED or RATE_LIMIT`);
        i++;
        break;
      case '--epoch': {
        const t = Date.parse(need(i, a));
        if (!Number.isFinite(t)) throw new Error('--epoch must be an ISO-8601 time');
        o.epochS = Math.floor(t / 1000);
        i++;
        break;
      }
      case '--frozen-clock': o.frozenClock = true; break;
      case '--eager': o.eager = true; break;
      case '--verbose': case '-v': o.verbose = true; break;
      case '--help': case '-h': o.help = true; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!o.help && o.port === null) throw new Error('--port is required (0 picks a free port)');
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(o.org)) throw new Error('--org must be a GitHub-style login');
  if (!isLoopback(o.host)) throw new Error(`--host ${o.host} is not a loopback address; the sandbox binds loopback only`);
  if (!o.tokens.length) o.tokens.push('sandbox-token');
  return o;
}

function isLoopback(h) {
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

// ------------------------------------------------------------------ rate limits

class Buckets {
  constructor(sb, limits) {
    this.sb = sb;
    this.limits = limits; // {core, graphql}
    this.map = new Map();
  }
  get(token, resource, limit) {
    const key = `${resource}\u0000${token}`;
    const now = this.sb.clock.nowS();
    let b = this.map.get(key);
    if (!b) {
      b = { resource, limit: limit || this.limits[resource], used: 0, reset: now + 3600, forced: null };
      this.map.set(key, b);
    }
    if (now >= b.reset) {
      b.used = 0;
      b.reset = now + 3600;
      b.forced = null;
    }
    return b;
  }
  view(b) {
    return { limit: b.limit, used: b.used, remaining: Math.max(0, b.limit - b.used), reset: b.reset };
  }
  force(b, fault) {
    b.used = b.limit;
    b.reset = this.sb.clock.nowS() + Math.max(0, Math.ceil(fault.reset_in));
    b.forced = { status: fault.status, graphql_type: fault.graphql_type };
    if (fault.reset_in === 0) b.reset = this.sb.clock.nowS();
  }
}

// ------------------------------------------------------------------ stats

function newStats() {
  return {
    since: null, requests: 0, graphql: 0, graphql_points: 0, rest: 0, rest_304: 0,
    unauthorized: 0, rate_limited: 0, not_found: 0, admin: 0, faults: {}, by_path: {}, by_status: {},
  };
}

// ------------------------------------------------------------------ server

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`github-sandbox: ${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const sb = new Sandbox({
    seed: opts.seed, repos: opts.repos, prs: opts.prs, org: opts.org,
    epochS: opts.epochS || undefined, frozenClock: opts.frozenClock, eager: opts.eager,
  });
  const gql = new GraphQLApi(sb);
  const rest = new RestApi(sb);
  const faults = new FaultQueue();
  const buckets = new Buckets(sb, { core: opts.restLimit, graphql: opts.graphqlLimit });
  const tokens = new Set(opts.tokens);
  let stats = newStats();
  stats.since = iso(sb.clock.nowS());
  let reqSeq = 0;

  const log = (line) => {
    if (opts.verbose) process.stderr.write(`github-sandbox: ${line}\n`);
  };

  const tokenUserId = (token) => USERS[Math.max(0, opts.tokens.indexOf(token)) % USERS.length].id;

  function baseHeaders(reqId) {
    return {
      date: new Date(sb.clock.nowMs()).toUTCString(),
      server: 'github-sandbox',
      'x-github-request-id': reqId,
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
    };
  }

  function rateHeaders(b) {
    return {
      'x-ratelimit-limit': String(b.limit),
      'x-ratelimit-remaining': String(Math.max(0, b.limit - b.used)),
      'x-ratelimit-used': String(Math.min(b.used, b.limit)),
      'x-ratelimit-reset': String(b.reset),
      'x-ratelimit-resource': b.resource,
    };
  }

  // Write a response. r: {status, headers, body (object|string|null), post (fault)}
  function send(req, res, r, info) {
    let body = r.body;
    if (body !== null && body !== undefined && typeof body !== 'string') body = JSON.stringify(body);
    const headers = Object.assign({}, r.headers);
    if (body !== null && body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json; charset=utf-8';
    const count = (k) => {
      stats.by_status[k] = (stats.by_status[k] || 0) + 1;
    };
    count(String(r.status));
    info.status = r.status;
    const post = r.post;
    if (post && post.kind === 'invalid_json' && r.status === 200) {
      const cut = Math.max(1, Math.floor((body || '').length / 2));
      body = `${(body || '{').slice(0, cut)}<!-- sandbox fault: invalid_json`;
    }
    const buf = body === null || body === undefined ? null : Buffer.from(body, 'utf8');
    if (buf) headers['content-length'] = String(buf.length);
    else if (r.status !== 304 && r.status !== 204) headers['content-length'] = '0';
    info.bytes = buf ? buf.length : 0;
    res.writeHead(r.status, headers);
    if (post && post.kind === 'truncate' && r.status === 200 && buf && buf.length > 1) {
      const half = buf.subarray(0, Math.floor(buf.length / 2));
      res.write(half, () => {
        res.socket && res.socket.destroy();
      });
      info.bytes = half.length;
      return;
    }
    res.end(buf || undefined);
  }

  function readBody(req, limit) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      let n = 0;
      req.on('data', (c) => {
        n += c.length;
        if (n > limit) {
          reject(new Error('request body too large'));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // ---------------------------------------------------------------- admin

  async function admin(req, res, path, url, info) {
    stats.admin++;
    const h = Object.assign(baseHeaders('ADMIN'), {});
    const reply = (status, body) => send(req, res, { status, headers: h, body }, info);
    const bodyJson = async () => {
      const text = await readBody(req, 5 * 1024 * 1024);
      if (!text.trim()) return {};
      return JSON.parse(text);
    };
    const m = req.method;
    try {
      if (path === '/_sandbox/health' && m === 'GET') {
        return reply(200, {
          ok: true, org: sb.orgLogin, repos: sb.repos.length, prs: sb.prCount(), seed: sb.seedText,
          now: iso(sb.clock.nowS()), epoch: iso(sb.epochS),
          generated_repos: sb.generatedRepos(), generation_ms: sb.generationMs,
        });
      }
      if (path === '/_sandbox/faults') {
        if (m === 'GET') return reply(200, { pending: faults.pending(), kinds: KINDS });
        if (m === 'DELETE') return reply(200, { cleared: faults.clear() });
        if (m === 'POST') {
          const added = faults.add(await bodyJson());
          return reply(200, { added, pending: faults.pending() });
        }
      }
      if (path === '/_sandbox/clock') {
        if (m === 'POST') {
          const b = await bodyJson();
          if (b.advance !== undefined) {
            const s = Number(b.advance);
            if (!Number.isFinite(s) || s < 0) return reply(400, { message: 'advance must be a number of seconds >= 0' });
            sb.clock.advance(s);
          } else if (b.set !== undefined) {
            const t = Date.parse(b.set);
            if (!Number.isFinite(t) || t < sb.clock.nowMs()) return reply(400, { message: 'set must be an ISO time not before sandbox now' });
            sb.clock.advance((t - sb.clock.nowMs()) / 1000);
          } else {
            return reply(400, { message: 'body must be {"advance": seconds} or {"set": "ISO time"}' });
          }
        } else if (m !== 'GET') {
          return reply(405, { message: 'GET or POST' });
        }
        return reply(200, { now: new Date(sb.clock.nowMs()).toISOString(), now_epoch: sb.clock.nowS(), epoch: iso(sb.epochS) });
      }
      if (path === '/_sandbox/mutate' && m === 'POST') {
        const b = await bodyJson();
        const ops = Array.isArray(b) ? b : Array.isArray(b.ops) ? b.ops : [b];
        const results = [];
        for (let i = 0; i < ops.length; i++) {
          try {
            results.push(sb.mutate(ops[i]));
          } catch (e) {
            if (!(e instanceof MutationError)) throw e;
            return reply(400, { message: `op ${i}: ${e.message}`, applied: results });
          }
        }
        return reply(200, { results, now: iso(sb.clock.nowS()) });
      }
      if (path === '/_sandbox/truth' && m === 'GET') {
        const q = url.searchParams;
        const repo = q.get('repo') || undefined;
        if (repo && !sb.findRepo(null, repo)) return reply(404, { message: `unknown repo ${repo}` });
        return reply(200, sb.truth({
          repo, summary: q.get('summary') === '1' || q.get('summary') === 'true',
          pr: q.has('pr') ? Number(q.get('pr')) : undefined, main: q.get('main') === '1' || q.get('main') === 'true',
        }));
      }
      if (path === '/_sandbox/truth/commit-authors' && m === 'GET') {
        return reply(200, sb.truthCommitAuthors());
      }
      if (path === '/_sandbox/stats' && m === 'GET') {
        return reply(200, Object.assign({}, stats, { now: iso(sb.clock.nowS()), pending_faults: faults.list.length }));
      }
      if (path === '/_sandbox/stats/reset' && m === 'POST') {
        stats = newStats();
        stats.since = iso(sb.clock.nowS());
        return reply(200, { ok: true });
      }
      if (path === '/_sandbox/ratelimit') {
        if (m === 'POST') {
          const b = await bodyJson();
          const res2 = b.resource || 'core';
          if (!['core', 'graphql'].includes(res2)) return reply(400, { message: 'resource must be core or graphql' });
          const which = b.token ? [b.token] : opts.tokens;
          for (const t of which) {
            const bk = buckets.get(t, res2);
            if (b.limit !== undefined) bk.limit = Math.max(1, Math.floor(Number(b.limit)) || 1);
            if (b.remaining !== undefined) bk.used = Math.max(0, bk.limit - Math.max(0, Math.floor(Number(b.remaining)) || 0));
            if (b.reset_in !== undefined) bk.reset = sb.clock.nowS() + Math.max(0, Math.floor(Number(b.reset_in)) || 0);
          }
        } else if (m !== 'GET') {
          return reply(405, { message: 'GET or POST' });
        }
        const out = {};
        for (const t of opts.tokens) {
          out[`${t.slice(0, 4)}…`] = { core: buckets.view(buckets.get(t, 'core')), graphql: buckets.view(buckets.get(t, 'graphql')) };
        }
        return reply(200, out);
      }
      return reply(404, { message: `no admin endpoint ${m} ${path}` });
    } catch (e) {
      if (e instanceof SyntaxError) return reply(400, { message: `body is not JSON: ${e.message}` });
      if (e instanceof FaultError) return reply(400, { message: e.message });
      throw e;
    }
  }

  // ---------------------------------------------------------------- API

  async function api(req, res, kind, prefix, path, url, info) {
    reqSeq++;
    const reqId = `5A9D:${(reqSeq >>> 16).toString(16).toUpperCase().padStart(4, '0')}:${(reqSeq & 0xffff).toString(16).toUpperCase().padStart(4, '0')}:${crypto.createHash('md5').update(String(reqSeq)).digest('hex').slice(0, 8).toUpperCase()}`;
    const headers = baseHeaders(reqId);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const origin = `http://${req.headers.host || `${opts.host}:${server.address().port}`}`;
    stats.requests++;
    const template = kind === 'graphql' ? `POST ${prefix}/graphql` : (rest.route(method, path) || {}).template || `${method} (unmatched)`;
    info.kind = kind;
    stats.by_path[template] = (stats.by_path[template] || 0) + 1;

    // auth
    const auth = String(req.headers.authorization || '');
    const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(auth);
    const token = m ? m[1] : null;
    if (!token || !tokens.has(token)) {
      stats.unauthorized++;
      let message = 'Bad credentials';
      let doc = 'https://docs.github.com/rest';
      if (!auth) {
        message = kind === 'graphql' ? 'This endpoint requires you to be authenticated.' : 'Requires authentication';
        doc = kind === 'graphql' ? 'https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql' : doc;
      }
      // GitHub answers unauthenticated callers from the anonymous budget (60/h).
      const anon = buckets.get(`anonymous:${req.socket.remoteAddress}`, 'core', 60);
      anon.used = Math.min(anon.limit, anon.used + 1);
      return send(req, res, { status: 401, headers: Object.assign(headers, rateHeaders(anon)), body: { message, documentation_url: doc, status: '401' } }, info);
    }

    const resource = kind === 'graphql' ? 'graphql' : 'core';
    let bucket = buckets.get(token, resource);
    let post = null;
    const fault = faults.take({ api: kind, method, path, rawPath: prefix + path });
    if (fault) {
      stats.faults[fault.kind] = (stats.faults[fault.kind] || 0) + 1;
      info.fault = fault.kind;
      switch (fault.kind) {
        case 'primary_limit':
          buckets.force(bucket, fault);
          bucket = buckets.get(token, resource);
          if (fault.reset_in === 0) bucket.used = bucket.limit; // reset "now": stay limited for this request only
          break;
        case 'secondary_limit': {
          const h = Object.assign(headers, rateHeaders(bucket));
          if (fault.retry_after !== null) h['retry-after'] = String(fault.retry_after);
          return send(req, res, {
            status: fault.status,
            headers: h,
            body: {
              message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${reqId}.`,
              documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
              status: String(fault.status),
            },
          }, info);
        }
        case 'status': {
          if (fault.delay_ms) await sleep(fault.delay_ms);
          const h = Object.assign(headers, rateHeaders(bucket), fault.headers || {});
          if (fault.content_type) h['content-type'] = fault.content_type;
          let body = fault.body;
          if (body === undefined) {
            body = kind === 'graphql'
              ? { data: null, errors: [{ message: `Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include \`${reqId}\` when reporting this issue.` }] }
              : { message: fault.status >= 500 ? 'Server Error' : `Sandbox fault ${fault.status}`, status: String(fault.status) };
          }
          return send(req, res, { status: fault.status, headers: h, body }, info);
        }
        case 'delay':
          await sleep(fault.delay_ms);
          break;
        case 'close':
          req.socket.destroy();
          info.status = 'closed';
          return undefined;
        default:
          post = fault; // truncate, invalid_json
      }
    }

    const limited = () => {
      stats.rate_limited++;
      const forced = bucket.forced || {};
      const h = Object.assign(headers, rateHeaders(bucket));
      const uid = tokenUserId(token);
      if (kind === 'graphql') {
        const type = forced.graphql_type || opts.graphqlLimitType;
        const body = type === 'RATE_LIMIT'
          ? { errors: [{ type: 'RATE_LIMIT', code: 'graphql_rate_limit', message: `API rate limit already exceeded for user ID ${uid}.` }] }
          : { data: null, errors: [{ type: 'RATE_LIMITED', message: `API rate limit exceeded for user ID ${uid}.` }] };
        return send(req, res, { status: 200, headers: h, body }, info);
      }
      const status = forced.status || 403;
      return send(req, res, {
        status,
        headers: h,
        body: {
          message: `API rate limit exceeded for user ID ${uid}. If you reach out to GitHub Support for help, please include the request ID ${reqId} and timestamp ${new Date(sb.clock.nowMs()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} UTC.`,
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
          status: String(status),
        },
      }, info);
    };

    // ------------------------------------------------------------ GraphQL
    if (kind === 'graphql') {
      if (method !== 'POST') {
        return send(req, res, { status: 404, headers, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/graphql', status: '404' } }, info);
      }
      if (bucket.used >= bucket.limit) return limited();
      let body;
      try {
        body = JSON.parse(await readBody(req, 5 * 1024 * 1024));
      } catch (e) {
        return send(req, res, {
          status: 400, headers: Object.assign(headers, rateHeaders(bucket)),
          body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/graphql', status: '400' },
        }, info);
      }
      stats.graphql++;
      const prep = gql.prepare(body);
      if (prep.response) {
        return send(req, res, { status: 200, headers: Object.assign(headers, rateHeaders(bucket)), body: prep.response, post }, info);
      }
      const plan = prep.plan;
      if (!plan.dryRun) {
        if (bucket.limit - bucket.used < plan.cost) return limited();
        bucket.used += plan.cost;
        stats.graphql_points += plan.cost;
      }
      const rateInfo = {
        cost: plan.cost, limit: bucket.limit, remaining: Math.max(0, bucket.limit - bucket.used),
        used: bucket.used, resetAt: iso(bucket.reset), nodeCount: plan.nodes,
      };
      info.cost = plan.cost;
      const out = gql.execute(plan, { htmlBase: origin, rateInfo });
      return send(req, res, { status: 200, headers: Object.assign(headers, rateHeaders(bucket)), body: out, post }, info);
    }

    // ------------------------------------------------------------ REST
    if (bucket.used >= bucket.limit) return limited();
    const match = rest.route(method, path);
    let r;
    if (!match) {
      r = notFound();
    } else {
      r = rest.handle(match, {
        apiBase: origin + prefix, htmlBase: origin, origin, rawPath: prefix + path, query: url.searchParams,
        rate: (resName) => buckets.view(buckets.get(token, resName)),
      });
    }
    if (r.status === 404) stats.not_found++;
    const isRateLimitEndpoint = match && match.template === 'GET /rate_limit';
    const h = Object.assign(headers, r.headers || {});
    h['cache-control'] = 'private, max-age=60, s-maxage=60';
    h.vary = 'Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding';
    h['x-oauth-scopes'] = 'repo, read:org';
    h['x-accepted-oauth-scopes'] = 'repo';
    if (r.status === 200 && method === 'GET') {
      const text = JSON.stringify(r.body);
      const etag = `W/"${crypto.createHash('sha256').update(text).digest('hex')}"`;
      h.etag = etag;
      const inm = req.headers['if-none-match'];
      if (inm && etagMatches(inm, etag)) {
        stats.rest_304++;
        info.kind = 'rest_304';
        return send(req, res, { status: 304, headers: Object.assign(h, rateHeaders(bucket)), body: null }, info);
      }
      r.body = text;
    }
    if (!isRateLimitEndpoint) bucket.used++;
    stats.rest++;
    return send(req, res, { status: r.status, headers: Object.assign(h, rateHeaders(bucket)), body: r.body, post }, info);
  }

  function etagMatches(header, etag) {
    const strip = (t) => t.trim().replace(/^W\//, '');
    const want = strip(etag);
    return String(header).split(',').some((t) => t.trim() === '*' || strip(t) === want);
  }

  // ---------------------------------------------------------------- dispatch

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const info = { kind: 'admin', status: 0, bytes: 0 };
    res.on('close', () => {
      if (!opts.verbose) return;
      const extra = [info.fault ? `fault=${info.fault}` : '', info.cost ? `cost=${info.cost}` : ''].filter(Boolean).join(' ');
      log(`${iso(sb.clock.nowS())} ${req.method} ${req.url} ${info.status} ${info.bytes}B ${Date.now() - started}ms ${info.kind}${extra ? ` ${extra}` : ''}`);
    });
    let url;
    try {
      url = new URL(req.url, 'http://sandbox.invalid');
    } catch (e) {
      res.writeHead(400);
      res.end();
      return;
    }
    let path = url.pathname;
    if (path.length > 1 && path.endsWith('/')) path = path.replace(/\/+$/, '');
    let p;
    if (path === '/_sandbox' || path.startsWith('/_sandbox/')) {
      p = admin(req, res, path, url, info);
    } else if (path === '/graphql') {
      p = api(req, res, 'graphql', '', '/graphql', url, info);
    } else if (path === '/api/graphql') {
      p = api(req, res, 'graphql', '/api', '/graphql', url, info);
    } else if (path === '/api/v3' || path.startsWith('/api/v3/')) {
      p = api(req, res, 'rest', '/api/v3', path.slice('/api/v3'.length) || '/', url, info);
    } else {
      p = api(req, res, 'rest', '', path, url, info);
    }
    Promise.resolve(p).catch((e) => {
      process.stderr.write(`github-sandbox: internal error on ${req.method} ${req.url}: ${e && e.stack ? e.stack : e}\n`);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ message: 'sandbox internal error', error: String(e && e.message) }));
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 30000;
  server.headersTimeout = 35000;

  let wrotePortFile = false;
  server.on('error', (e) => {
    process.stderr.write(`github-sandbox: cannot listen on ${opts.host}:${opts.port}: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(opts.port, opts.host, () => {
    const port = server.address().port;
    if (opts.portFile) {
      const tmp = `${opts.portFile}.tmp${process.pid}`;
      fs.writeFileSync(tmp, `${port}\n`);
      fs.renameSync(tmp, opts.portFile);
      wrotePortFile = true;
    }
    process.stdout.write(`github-sandbox listening on http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port} org=${sb.orgLogin} repos=${sb.repos.length} prs=${sb.prCount()} seed=${sb.seedText}${opts.eager ? ` generated_in=${sb.generationMs}ms` : ''}\n`);
  });

  let stopping = false;
  const stop = (sig) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: shutting down`);
    if (wrotePortFile) {
      try {
        fs.unlinkSync(opts.portFile);
      } catch (e) {
        // already gone
      }
    }
    server.close(() => process.exit(0));
    if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) main();

module.exports = { parseArgs };
