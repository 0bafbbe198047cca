#!/usr/bin/env node
'use strict';
// OpenAI-compatible sandbox for pulse-host tests, benchmarks and demos:
// chat completions (scripted or echo) and embeddings (lexical feature
// hashing), with faults on demand. Node >= 18, no npm dependencies.
// See README.md in this folder.

const http = require('http');
const fs = require('fs');

function usage(msg) {
  if (msg) process.stderr.write('openai-sandbox: ' + msg + '\n');
  process.stderr.write(`usage: node server.js --port P [--host 127.0.0.1] [--port-file F]
       [--key K | --key-file F] [--dim N] [--model M] [--verbose]
  --key K   require "Authorization: Bearer K" (default: any or none);
            --key-file reads K from F, off the process list
  --dim N   embedding dimension when a request gives none (default 384)
`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { port: null, host: '127.0.0.1', portFile: null, key: null, dim: 384,
    model: 'sandbox-chat', verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { const v = argv[++i]; if (v === undefined) usage('missing value for ' + a); return v; };
    if (a === '--port') o.port = parseInt(next(), 10);
    else if (a === '--host') o.host = next();
    else if (a === '--port-file') o.portFile = next();
    else if (a === '--key') o.key = next();
    else if (a === '--key-file') o.key = fs.readFileSync(next(), 'utf8').trim();
    else if (a === '--dim') o.dim = parseInt(next(), 10);
    else if (a === '--model') o.model = next();
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--help' || a === '-h') usage();
    else usage('unknown option ' + a);
  }
  if (o.port === null || !(o.port >= 0)) usage('--port is required (0 = pick a free port)');
  if (!(o.dim >= 1 && o.dim <= 16384)) usage('--dim must be 1..16384');
  return o;
}

const opts = parseArgs(process.argv.slice(2));

// ------------------------------------------------------------ state
let scripts = [];   // newest first: {re, reply, times}
let faults = [];    // in order: {kind, count, path, retry_after, delay_ms, ...}
let stats;
function resetStats() {
  stats = { calls: { chat: 0, embeddings: 0 }, inputs: 0, faults_served: {},
    last_headers: null, requests: [], last_chat_body: null };
}
resetStats();

const FAULT_KINDS = ['rate_limit', 'insufficient_quota', 'tpm_too_large', 'context_length',
  'unauthorized', 'server_error', 'unavailable', 'slow', 'truncated', 'invalid_json', 'shuffle',
  'wrong_dim', 'forbidden', 'model_not_found', 'bad_request', 'request_timeout'];

// ------------------------------------------------------------ lexical embeddings
function words(text) {
  return (String(text).toLowerCase().match(/[\p{L}\p{N}]+/gu)) || [];
}

// FNV-1a, 32 bits.
function fnv(s) {
  let h = 0x811c9dc5;
  const b = Buffer.from(s, 'utf8');
  for (const c of b) { h ^= c; h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}

// Word unigrams and bigrams hashed into dim buckets with a hashed sign,
// L2-normalised: texts sharing words are close. Lexical, not semantic.
function embed(text, dim) {
  const v = new Float64Array(dim);
  const w = words(text);
  const feats = w.slice();
  for (let i = 0; i + 1 < w.length; i++) feats.push(w[i] + ' ' + w[i + 1]);
  for (const f of feats) {
    const h = fnv(f);
    v[h % dim] += (h & 0x80000000) ? -1 : 1;
  }
  let n = 0;
  for (let i = 0; i < dim; i++) n += v[i] * v[i];
  if (n === 0) { v[0] = 1; n = 1; }
  n = Math.sqrt(n);
  return Array.from(v, (x) => Math.round((x / n) * 1e6) / 1e6);
}

function tokens(text) { return Math.max(1, words(text).length); }

// ------------------------------------------------------------ helpers
function send(res, status, obj, headers) {
  const body = typeof obj === 'string' ? obj : JSON.stringify(obj);
  res.writeHead(status, Object.assign({ 'content-type': 'application/json' }, headers || {}));
  res.end(body);
}

function oaiError(res, status, code, type, message, headers) {
  send(res, status, { error: { message, type, param: null, code } }, headers);
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
    o[k] = k === 'authorization' ? String(v).replace(/^(\S+\s+)?.*$/, (m, p) => (p || '') + '***') : v;
  }
  return o;
}

function takeFault(path, texts) {
  for (const f of faults) {
    // match: only requests with an input containing it (a poison item)
    if (f.match !== undefined && !(texts || []).some((t) => String(t).includes(f.match))) continue;
    if (f.count > 0 && (f.path === 'any' || f.path === path)) {
      f.count--;
      stats.faults_served[f.kind] = (stats.faults_served[f.kind] || 0) + 1;
      return f;
    }
  }
  return null;
}

function shuffle(a) {
  // deterministic: reversed, then odd/even interleave, so order differs for n >= 2
  const r = a.slice().reverse();
  return r.filter((_, i) => i % 2 === 0).concat(r.filter((_, i) => i % 2 === 1));
}

// Serve a fault, or return false to go on normally (slow, shuffle).
async function serveFault(f, res, model) {
  const h = {};
  if (f.retry_after !== undefined) h['retry-after'] = String(f.retry_after);
  if (f.reset_requests) h['x-ratelimit-reset-requests'] = f.reset_requests;
  if (f.reset_tokens) h['x-ratelimit-reset-tokens'] = f.reset_tokens;
  switch (f.kind) {
    case 'rate_limit':
      if (!f.reset_requests && f.retry_after === undefined) h['x-ratelimit-reset-requests'] = '1s';
      h['x-ratelimit-remaining-requests'] = '0';
      oaiError(res, 429, 'rate_limit_exceeded', 'requests',
        `Rate limit reached for ${model} in organization org-sandbox on requests per min (RPM): Limit 3, Used 3, Requested 1.`, h);
      return true;
    case 'insufficient_quota':
      oaiError(res, 429, 'insufficient_quota', 'insufficient_quota',
        'You exceeded your current quota, please check your plan and billing details.', h);
      return true;
    case 'tpm_too_large':
      oaiError(res, 429, 'rate_limit_exceeded', 'tokens',
        `Request too large for ${model} in organization org-sandbox on tokens per min (TPM): Limit 30000, Requested 31538.`, h);
      return true;
    case 'context_length':
      oaiError(res, 400, 'context_length_exceeded', 'invalid_request_error',
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", h);
      return true;
    case 'unauthorized':
      oaiError(res, 401, 'invalid_api_key', 'invalid_request_error', 'Incorrect API key provided.', h);
      return true;
    case 'server_error':
      oaiError(res, 500, null, 'server_error', 'The server had an error while processing your request.', h);
      return true;
    case 'unavailable':
      oaiError(res, 503, null, 'server_error', 'The server is overloaded or not ready yet.', h);
      return true;
    case 'truncated':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object":"list","data":[{"object":"embedding","index":0,"embed');
      return true;
    case 'invalid_json':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html><body>502 Bad Gateway</body></html>');
      return true;
    case 'forbidden':
      oaiError(res, 403, 'unsupported_country_region_territory', 'request_forbidden', 'Country, region, or territory not supported.', h);
      return true;
    case 'model_not_found':
      oaiError(res, 404, 'model_not_found', 'invalid_request_error', `The model \`${model}\` does not exist or you do not have access to it.`, h);
      return true;
    case 'bad_request':
      oaiError(res, 400, null, 'invalid_request_error', "Invalid value for 'temperature': must be between 0 and 2.", h);
      return true;
    case 'request_timeout':
      oaiError(res, 408, null, 'timeout', 'Request timed out.', h);
      return true;
    case 'slow':
      await new Promise((r) => setTimeout(r, f.delay_ms || 1000));
      return false;
    default:
      return false;
  }
}

function checkAuth(req, res) {
  if (!opts.key) return true;
  if (req.headers.authorization === 'Bearer ' + opts.key) return true;
  oaiError(res, 401, 'invalid_api_key', 'invalid_request_error',
    'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.');
  return false;
}

// ------------------------------------------------------------ endpoints
async function chat(req, res, body) {
  if (!Array.isArray(body.messages) || body.messages.length < 1 || !body.model) {
    return oaiError(res, 400, null, 'invalid_request_error', "'model' and 'messages' (at least one) are required");
  }
  stats.calls.chat++;
  stats.inputs += body.messages.length;
  stats.requests.push({ path: 'chat', model: body.model, n: body.messages.length,
    response_format: body.response_format ? body.response_format.type : null });
  stats.last_chat_body = body;
  const f = takeFault('chat');
  if (f && await serveFault(f, res, body.model)) return;
  const users = body.messages.filter((m) => m.role === 'user');
  const last = users.length ? String(users[users.length - 1].content) : '';
  let reply = last;
  for (const s of scripts) {
    if (s.times === 0) continue;
    if (s.re.test(last)) {
      if (s.times > 0) s.times--;
      reply = s.reply;
      break;
    }
  }
  let prompt = 0;
  for (const m of body.messages) prompt += tokens(m.content);
  const completion = tokens(reply);
  send(res, 200, {
    id: 'chatcmpl-sandbox' + stats.calls.chat, object: 'chat.completion',
    created: Math.floor(Date.now() / 1000), model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: reply, refusal: null, annotations: [] },
      logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  });
}

async function embeddings(req, res, body) {
  let input = body.input;
  if (typeof input === 'string') input = [input];
  if (!body.model || !Array.isArray(input) || input.length < 1) {
    return oaiError(res, 400, null, 'invalid_request_error', "'model' and 'input' are required");
  }
  if (input.length > 2048) {
    return oaiError(res, 400, null, 'invalid_request_error',
      `'input' : maximum 2048 items per request, got ${input.length}`);
  }
  if (input.some((t) => typeof t !== 'string' || t === '')) {
    return oaiError(res, 400, null, 'invalid_request_error', "'input' items must be non-empty strings");
  }
  const dim = body.dimensions || opts.dim;
  stats.calls.embeddings++;
  stats.inputs += input.length;
  stats.requests.push({ path: 'embeddings', model: body.model, n: input.length, dimensions: dim });
  const f = takeFault('embeddings', input);
  if (f && await serveFault(f, res, body.model)) return;
  // wrong_dim: vectors one float short, as a misconfigured gateway sends
  const d = f && f.kind === 'wrong_dim' ? Math.max(1, dim - 1) : dim;
  let data = input.map((t, i) => ({ object: 'embedding', index: i, embedding: embed(t, d) }));
  if (f && f.kind === 'shuffle') data = shuffle(data);
  let n = 0;
  for (const t of input) n += tokens(t);
  send(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: n, total_tokens: n } });
}

// ------------------------------------------------------------ control API
function control(req, res, path, text) {
  let b = {};
  if (text) {
    try { b = JSON.parse(text); } catch (e) { return send(res, 400, { error: 'body is not JSON' }); }
  }
  if (path === '/_sandbox/script' && req.method === 'POST') {
    let re;
    try { re = new RegExp(b.match === undefined ? '' : b.match); } catch (e) {
      return send(res, 400, { error: 'match is not a valid regex: ' + e.message });
    }
    if (typeof b.reply !== 'string') return send(res, 400, { error: 'reply must be a string' });
    scripts.unshift({ re, reply: b.reply, times: b.times === undefined ? -1 : b.times | 0 });
    return send(res, 200, { scripts: scripts.length });
  }
  if (path === '/_sandbox/script' && req.method === 'DELETE') {
    scripts = [];
    return send(res, 200, { scripts: 0 });
  }
  if (path === '/_sandbox/fault' && req.method === 'POST') {
    if (!FAULT_KINDS.includes(b.kind)) return send(res, 400, { error: 'kind must be one of ' + FAULT_KINDS.join(', ') });
    const p = b.path || 'any';
    if (!['chat', 'embeddings', 'any'].includes(p)) return send(res, 400, { error: 'path must be chat, embeddings or any' });
    faults.push({ kind: b.kind, count: b.count === undefined ? 1 : b.count | 0, path: p,
      retry_after: b.retry_after, delay_ms: b.delay_ms,
      reset_requests: b.reset_requests, reset_tokens: b.reset_tokens,
      match: typeof b.match === 'string' ? b.match : undefined });
    return send(res, 200, { faults: faults.length });
  }
  if (path === '/_sandbox/fault' && req.method === 'DELETE') {
    faults = [];
    return send(res, 200, { faults: 0 });
  }
  if (path === '/_sandbox/stats' && req.method === 'GET') return send(res, 200, stats);
  if (path === '/_sandbox/stats/reset' && req.method === 'POST') { resetStats(); return send(res, 200, {}); }
  if (path === '/_sandbox/reset' && req.method === 'POST') {
    scripts = []; faults = []; resetStats();
    return send(res, 200, {});
  }
  if (path === '/_sandbox/embed' && req.method === 'POST') {
    // the sandbox's own vector of a text, for tests comparing results
    return send(res, 200, { embedding: embed(b.input || '', b.dimensions || opts.dim) });
  }
  return send(res, 404, { error: 'no such control endpoint' });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://sandbox');
  // base_url may end in /v1 or not: both spellings are served
  const path = url.pathname.replace(/^\/v1(?=\/)/, '');
  const text = await readBody(req);
  if (opts.verbose) process.stderr.write(`[openai-sandbox] ${req.method} ${url.pathname}\n`);
  try {
    if (path.startsWith('/_sandbox/')) return control(req, res, path, text);
    if (req.method !== 'POST' || (path !== '/chat/completions' && path !== '/embeddings')) {
      return oaiError(res, 404, 'unknown_url', 'invalid_request_error', `Unknown request URL: ${req.method} ${url.pathname}`);
    }
    stats.last_headers = maskedHeaders(req.headers);
    if (!checkAuth(req, res)) return;
    let body;
    try { body = JSON.parse(text); } catch (e) {
      return oaiError(res, 400, null, 'invalid_request_error', 'We could not parse the JSON body of your request.');
    }
    if (path === '/chat/completions') return await chat(req, res, body);
    return await embeddings(req, res, body);
  } catch (e) {
    process.stderr.write('[openai-sandbox] ' + (e.stack || e) + '\n');
    if (!res.headersSent) oaiError(res, 500, null, 'server_error', 'sandbox bug: ' + e.message);
  }
});

server.listen(opts.port, opts.host, () => {
  const actualPort = server.address().port;
  if (opts.portFile) {
    const tmp = opts.portFile + '.tmp' + process.pid;
    fs.writeFileSync(tmp, String(actualPort) + '\n');
    fs.renameSync(tmp, opts.portFile);
  }
  process.stderr.write(`[openai-sandbox] listening on http://${opts.host}:${actualPort} (dim ${opts.dim})\n`);
});

function shutdown() { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 500).unref(); }
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
