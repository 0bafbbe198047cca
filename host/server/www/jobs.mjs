// jobs.mjs: the Jobs panel: every job with live bars from /ws/progress,
// its controls (only when the role may use them) and its history.
import { api, token } from './api.mjs';
import { h, table, fmt, showError } from './dom.mjs';

const jobs = new Map();   // id -> job object from the API, updated live
let me = null;
let ws = null;
let onVector = () => {};

const ACTIONS = {
  NOT_STARTED: ['start'], PENDING: ['stop', 'pause'], RUNNING: ['stop', 'pause'],
  FINISHED: ['start'], ERROR: ['start', 'pause'], PAUSED: ['resume'],
};

function pct(job) {
  if (job.state === 'FINISHED') return 100;
  if (job.percent != null) return job.percent;
  if (job.total > 0) return Math.min(100, (100 * job.processed) / job.total);
  return 0;
}

function eta(s) {
  if (s == null) return '';
  if (s < 60) return `ETA ${Math.round(s)} s`;
  if (s < 3600) return `ETA ${Math.round(s / 60)} min`;
  return `ETA ${(s / 3600).toFixed(1)} h`;
}

function when(t) { return t ? new Date(t).toLocaleString() : '–'; }

function render(job) {
  let tr = document.getElementById('job-' + job.id);
  if (!tr) {
    tr = h('tr', { id: 'job-' + job.id },
      h('td', {}, h('button', { type: 'button', class: 'id link', 'aria-label': `history of job ${job.id}`,
        onclick: () => history(job.id) })),
      h('td', { class: 'integ' }), h('td', {}, h('span', { class: 'state' })),
      h('td', {}, h('div', { class: 'bar', role: 'progressbar', 'aria-label': `progress of job ${job.id}`,
        'aria-valuemin': '0', 'aria-valuemax': '100' },
        h('div', { class: 'fill' }), h('span', { class: 'label' })), h('div', { class: 'detail' })),
      h('td', { class: 'runs' }), h('td', { class: 'err' }), h('td', { class: 'actions' }));
    document.querySelector('#jobs tbody').append(tr);
  }
  const p = pct(job);
  tr.querySelector('.id').textContent = job.id;
  tr.querySelector('.integ').textContent = `${job.integration || ''} (${job.plugin || ''})`;
  const st = tr.querySelector('.state');
  st.textContent = job.state;
  st.className = 'state ' + job.state;
  const bar = tr.querySelector('.bar');
  bar.dataset.percent = p.toFixed(1);
  bar.setAttribute('aria-valuenow', p.toFixed(0));
  bar.querySelector('.fill').style.width = p + '%';
  bar.querySelector('.label').textContent = p.toFixed(0) + '%';
  const parts = [];
  if (job.step) parts.push(job.step);
  if (job.total > 0) parts.push(`${job.processed}/${job.total}`);
  else if (job.processed) parts.push(`${job.processed}`);
  if (job.state === 'RUNNING') parts.push(eta(job.eta_seconds));
  tr.querySelector('.detail').textContent = parts.filter(Boolean).join(' · ');
  tr.querySelector('.runs').textContent = `last ${when(job.last_finished_at || job.last_started_at)} · next ${when(job.next_run_at)}`;
  const err = tr.querySelector('.err');
  err.textContent = job.state === 'ERROR' ? (job.last_error || '') : '';
  if (job.state === 'ERROR' && job.last_error_class) err.prepend(h('span', { class: 'class' }, job.last_error_class + ': '));
  const acts = tr.querySelector('.actions');
  acts.textContent = '';
  if (me && me.can_control) {
    for (const a of ACTIONS[job.state] || []) {
      acts.append(h('button', { type: 'button', class: 'act-' + a, onclick: () => control(job.id, a) }, a));
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

async function history(id) {
  const out = document.getElementById('job-history');
  try {
    const j = await api('GET', `jobs/${id}`);
    const raw = await api('GET', `raw?status=failed&limit=50&integration=${j.integration_id}`);
    const rows = raw.raw || [];
    out.replaceChildren(h('h3', {}, `Job ${id} history`),
      table([['Run', (r) => r.id], ['State', (r) => r.state], ['Started', (r) => when(r.started_at)],
        ['Finished', (r) => when(r.finished_at)], ['Records', (r) => fmt(r.processed)],
        ['Pages, failures', (r) => (r.stats ? JSON.stringify(r.stats) : '–')],
        ['Error', (r) => r.error || '']], j.runs || []),
      h('h3', {}, 'Raw rows that failed'),
      rows.length ? table([['Raw', (r) => r.id], ['Request', (r) => r.request || r.endpoint || ''],
        ['Error', (r) => r.error || '']], rows) : h('p', {}, 'none'));
  } catch (e) { showError(`job ${id}: ${e.message}`); }
}

function merge(j) {
  const next = Object.assign(jobs.get(j.id) || {}, j);
  jobs.set(j.id, next);
  render(next);
}

// A system job (housekeeping: the installation's, no tenant data): its
// state and runs; operators control it from the CLI or the admin API.
function renderSystem(s) {
  let tr = document.getElementById('sysjob-' + s.name);
  if (!tr) {
    tr = h('tr', { id: 'sysjob-' + s.name, class: 'system' },
      h('td', {}, 'system'), h('td', { class: 'integ' }), h('td', {}, h('span', { class: 'state' })),
      h('td', { class: 'detail' }), h('td', { class: 'runs' }), h('td', { class: 'err' }), h('td', {}));
    document.querySelector('#jobs tbody').append(tr);
  }
  tr.querySelector('.integ').textContent = `${s.name} (system job, every ${s.interval_seconds} s)`;
  const st = tr.querySelector('.state');
  st.textContent = s.state;
  st.className = 'state ' + s.state;
  // last_summary is JSON (system_jobs.last_summary jsonb): its first 160 characters
  const sum = s.last_summary == null ? '' : typeof s.last_summary === 'string' ? s.last_summary : JSON.stringify(s.last_summary);
  tr.querySelector('.detail').textContent = sum.split('\n')[0].slice(0, 160);
  tr.querySelector('.runs').textContent = `last ${when(s.last_finished_at || s.last_started_at)} · next ${when(s.next_run_at)}`;
  tr.querySelector('.err').textContent = s.state === 'ERROR' ? (s.last_error || '') : '';
}

export async function refreshJobs() {
  const r = await api('GET', 'jobs');
  for (const j of r.jobs) merge(j);
  for (const s of r.system_jobs || []) renderSystem(s);
}

function onEvent(ev) {
  if (ev.event === 'vectorization') { onVector(ev.data || {}); return; }
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
  if (ev.event !== 'job_progress') refreshJobs().catch(() => {});
}

function connect() {
  const live = document.getElementById('live');
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const t = token();
  // Signed in with a password, the browser sends the session cookie.
  ws = new WebSocket(`${proto}//${location.host}/ws/progress` + (t ? `?token=${encodeURIComponent(t)}` : ''));
  ws.onopen = () => { live.textContent = 'live'; live.className = 'on'; refreshJobs().catch(() => {}); };
  ws.onmessage = (m) => { let ev; try { ev = JSON.parse(m.data); } catch { return; } onEvent(ev); };
  ws.onclose = () => {
    live.textContent = 'offline'; live.className = 'off';
    if (ws) setTimeout(connect, 2000);
  };
}

export function stopLive() { const w = ws; ws = null; if (w) w.close(); }

export async function mountJobs(who, vectorCb) {
  me = who;
  onVector = vectorCb;
  await refreshJobs();
  connect();
}
