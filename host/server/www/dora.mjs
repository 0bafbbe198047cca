// dora.mjs: the DORA panel: the four keys exactly as GET /metrics/dora
// (= `pulse-host dora --json`) gives them, the weekly trend, and the
// lead-time breakdown.
import { api, qs } from './api.mjs';
import { h, showError } from './dom.mjs';
import { lineChart, stackedBar } from './charts.mjs';

const KEYS = [
  ['deployment_frequency', 'Deployment frequency'],
  ['lead_time', 'Lead time for changes'],
  ['change_failure_rate', 'Change failure rate'],
  ['recovery_time', 'Failed deployment recovery time'],
];
const PARTS = ['coding', 'pickup', 'review', 'deploy'];

function card(key, title, f) {
  const empty = f.value == null;
  return h('article', { class: 'card key', id: 'dora-' + key, dataset: { key } },
    h('h3', {}, title),
    h('p', { class: 'value' + (empty ? ' empty' : '') }, empty ? 'no value' : f.display),
    f.band ? h('span', { class: 'band band-' + f.band }, f.band) : null,
    empty ? h('p', { class: 'reason' }, f.reason) : null,
    h('p', { class: 'sample' }, f.sample_text || `sample ${f.sample}`),
    h('p', { class: 'method' }, f.method),
    h('div', { class: 'trend', id: 'trend-' + key }));
}

function breakdown(lt) {
  const b = lt.breakdown || {};
  const parts = PARTS.map((n) => ({ name: n, value: b[n] ? b[n].value : null,
    display: b[n] ? (b[n].display || 'no sample') : 'no sample' }));
  return h('article', { class: 'card wide', id: 'dora-breakdown' },
    h('h3', {}, 'Lead time breakdown (medians)'),
    parts.some((p) => p.value) ? stackedBar(parts, { label: 'lead time breakdown' })
      : h('p', { class: 'reason' }, 'no phase has a sample in this window'),
    h('ul', { class: 'legend' }, parts.map((p, i) =>
      h('li', { dataset: { part: p.name } }, h('span', { class: `swatch seg${i}` }), `${p.name} ${p.display}`))));
}

function trends(t, weeks) {
  for (const [key, title] of KEYS) {
    const el = document.getElementById('trend-' + key);
    if (!el) continue;
    const pts = t.weeks.map((w) => ({ label: w.from, value: w[key] ? w[key].value : null,
      title: `week of ${w.from}: ${w[key] && w[key].value != null ? w[key].display : (w[key] && w[key].reason) || 'no value'}` }));
    el.replaceChildren(lineChart(pts, { label: `${title}, weekly, ${weeks} weeks` }));
  }
}

export function mountDora(root) {
  const f = h('form', { class: 'filters', id: 'dora-filters' },
    h('label', {}, 'Repository ', h('input', { name: 'repo', placeholder: 'owner/name' })),
    h('label', {}, 'Project ', h('input', { name: 'project', placeholder: 'KEY' })),
    h('label', {}, 'Team ', h('input', { name: 'team', placeholder: 'directory group' })),
    h('label', {}, 'From ', h('input', { name: 'from', type: 'date' })),
    h('label', {}, 'To ', h('input', { name: 'to', type: 'date' })),
    h('label', {}, 'Trend ', h('select', { name: 'weeks' },
      h('option', { value: '8' }, '8 weeks'), h('option', { value: '13', selected: true }, '13 weeks'),
      h('option', { value: '26' }, '26 weeks'))),
    h('button', { type: 'submit' }, 'Apply'));
  const out = h('div', { id: 'dora-out', 'aria-live': 'polite' });
  root.replaceChildren(h('h2', {}, 'DORA'), f, out);
  let gen = 0; // a newer load wins over one still under way
  const load = async () => {
    const my = ++gen;
    const d = Object.fromEntries(new FormData(f));
    const weeks = d.weeks; delete d.weeks;
    out.dataset.loaded = ''; out.dataset.trend = '';
    try {
      const r = await api('GET', 'metrics/dora' + qs(d));
      if (my !== gen) return;
      const w = r.window || {};
      out.replaceChildren(
        h('p', { class: 'window' }, `Window ${w.from || ''} – ${w.to || ''} (${w.days ?? '?'} days)`),
        h('div', { class: 'grid' }, KEYS.map(([k, t]) => card(k, t, r[k] || {}))),
        breakdown(r.lead_time || {}));
      out.dataset.loaded = '1';
      const t = await api('GET', 'metrics/dora/weekly' + qs({ ...d, from: null, weeks }));
      if (my !== gen) return;
      trends(t, weeks);
      out.dataset.trend = '1';
    } catch (e) { showError('DORA: ' + e.message); }
  };
  f.onsubmit = (e) => { e.preventDefault(); load(); };
  return load;
}
