// The pulse-host progress viewer: jobs from the REST API, live bars over
// the WebSocket. No build step, no dependencies.
'use strict';

const $ = (sel) => document.querySelector(sel);
let token = null;
let me = null;
const jobs = new Map();   // id -> job object from the API, updated live
let ws = null;

function readToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem('pulse-token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem('pulse-token');
}

function showError(msg) {
  const e = $('#error');
  e.textContent = msg || '';
  e.hidden = !msg;
}

async function api(method, path) {
  const r = await fetch('/api/v1/' + path, {
    method, headers: { Authorization: 'Bearer ' + token },
  });
  const body = r.status === 204 ? null : await r.json();
  if (!r.ok) {
    const err = new Error(body && body.error ? body.error.message : r.statusText);
    err.status = r.status;
    throw err;
  }
  return body;
}

function pct(job) {
  if (job.state === 'FINISHED') return 100;
  if (job.percent != null) return job.percent;
  if (job.total > 0) return Math.min(100, 100 * job.processed / job.total);
  return 0;
}

function eta(s) {
  if (s == null) return '';
  if (s < 60) return `ETA ${Math.round(s)} s`;
  if (s < 3600) return `ETA ${Math.round(s / 60)} min`;
  return `ETA ${(s / 3600).toFixed(1)} h`;
}

const ACTIONS = {
  NOT_STARTED: ['start'], PENDING: ['stop', 'pause'], RUNNING: ['stop', 'pause'],
  FINISHED: ['start'], ERROR: ['start', 'pause'], PAUSED: ['resume'],
};

function render(job) {
  let tr = document.getElementById('job-' + job.id);
  if (!tr) {
    tr = document.createElement('tr');
    tr.id = 'job-' + job.id;
    tr.innerHTML = '<td class="id"></td><td class="integ"></td><td><span class="state"></span></td>' +
      '<td><div class="bar"><div class="fill"></div><span class="label"></span></div>' +
      '<div class="detail"></div></td><td class="err"></td><td class="actions"></td>';
    $('#jobs tbody').appendChild(tr);
  }
  const p = pct(job);
  tr.querySelector('.id').textContent = job.id;
  tr.querySelector('.integ').textContent = `${job.integration || ''} (${job.plugin || ''})`;
  const st = tr.querySelector('.state');
  st.textContent = job.state;
  st.className = 'state ' + job.state;
  const bar = tr.querySelector('.bar');
  bar.dataset.percent = p.toFixed(1);
  bar.querySelector('.fill').style.width = p + '%';
  bar.querySelector('.label').textContent = p.toFixed(0) + '%';
  const parts = [];
  if (job.step) parts.push(job.step);
  if (job.total > 0) parts.push(`${job.processed}/${job.total}`);
  else if (job.processed) parts.push(`${job.processed}`);
  if (job.state === 'RUNNING') parts.push(eta(job.eta_seconds));
  tr.querySelector('.detail').textContent = parts.filter(Boolean).join(' · ');
  tr.querySelector('.err').textContent = job.state === 'ERROR' ? (job.last_error || '') : '';
  const acts = tr.querySelector('.actions');
  acts.textContent = '';
  if (me && me.can_control) {
    for (const a of ACTIONS[job.state] || []) {
      const b = document.createElement('button');
      b.textContent = a;
      b.className = 'act-' + a;
      b.onclick = () => control(job.id, a);
      acts.appendChild(b);
    }
  }
}

async function control(id, action) {
  try {
    const r = await api('POST', `jobs/${id}/${action}`);
    showError('');
    merge(r.job);
  } catch (e) {
    showError(`job ${id}: ${action} refused: ${e.message}`);
  }
}

function merge(j) {
  const cur = jobs.get(j.id) || {};
  const next = Object.assign(cur, j);
  jobs.set(j.id, next);
  render(next);
}

async function refresh() {
  const r = await api('GET', 'jobs');
  for (const j of r.jobs) merge(j);
}

function onEvent(ev) {
  if (ev.event === 'vectorization') {
    const d = ev.data || {};
    const op = d.by_operation || {};
    $('#vectorization').textContent = `Vectorization queue: ${d.waiting} waiting ` +
      `(insert ${op.insert}, update ${op.update}, delete ${op.delete})`;
    return;
  }
  const j = jobs.get(ev.job_id) || { id: ev.job_id };
  if (ev.state) j.state = ev.state;
  if (ev.step) j.step = ev.step;
  if (ev.processed != null) j.processed = ev.processed;
  if (ev.total != null) j.total = ev.total;
  j.percent = ev.percent;
  j.eta_seconds = ev.eta_seconds;
  if (ev.event === 'job_started') { j.percent = 0; j.processed = 0; j.last_error = null; }
  if (ev.event === 'job_error') j.last_error = ev.message;
  jobs.set(j.id, j);
  render(j);
  // Final events: pick up what the server knows now (next run, errors).
  if (ev.event !== 'job_progress') refresh().catch(() => {});
}

function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  ws = new WebSocket(`${proto}//${location.host}/ws/progress?token=${encodeURIComponent(token)}`);
  ws.onopen = () => { $('#live').textContent = 'live'; $('#live').className = 'on'; refresh().catch(() => {}); };
  ws.onmessage = (m) => { try { onEvent(JSON.parse(m.data)); } catch (e) { /* ignore */ } };
  ws.onclose = () => {
    $('#live').textContent = 'offline'; $('#live').className = 'off';
    setTimeout(connect, 2000);
  };
}

async function start() {
  token = readToken();
  if (!token) { $('#login').hidden = false; return; }
  try {
    me = await api('GET', 'me');
  } catch (e) {
    sessionStorage.removeItem('pulse-token');
    $('#login').hidden = false;
    showError('sign-in failed: ' + e.message);
    return;
  }
  $('#login').hidden = true;
  $('#who').textContent = `tenant ${me.tenant} · ${me.sub} (${me.role})`;
  await refresh();
  connect();
}

$('#login-form').onsubmit = (e) => {
  e.preventDefault();
  sessionStorage.setItem('pulse-token', $('#token').value.trim());
  showError('');
  start();
};
start().catch((e) => showError(e.message));
