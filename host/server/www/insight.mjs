// insight.mjs: the Vectorization, Search & Ask and AI usage panels.
import { api, qs } from './api.mjs';
import { h, table, fmt } from './dom.mjs';
import { feedbackBar } from './askfeedback.mjs';
import { barChart } from './charts.mjs';

export function showVectorLive(d) {
  const op = d.by_operation || {};
  document.getElementById('vectorization').textContent = `Queue: ${d.waiting ?? 0} waiting ` +
    `(new ${op.insert ?? 0}, update ${op.update ?? 0}, delete ${op.delete ?? 0})`;
}

// The throughput history: entities vectorized per second in each bucket
// of the window (GET /vectorization/history), as a bar chart.
function historyFigure(hist) {
  // the day's window starts yesterday: its labels carry the date
  const at = (iso) => (hist.window === '24h' ? iso.slice(5, 16).replace('T', ' ') : iso.slice(11, 16));
  const bars = hist.buckets.map((b) => ({ label: at(b.start), value: b.per_second,
    title: `${b.start}: ${b.done} done, ${b.failed} failed, ${b.per_second}/s` }));
  return h('figure', { id: 'vector-history', class: 'card', dataset: { window: hist.window, done: String(hist.done) } },
    barChart(bars, { label: `entities vectorized per second, last ${hist.window}`, unit: '/s' }),
    h('figcaption', { class: 'meta' }, `last ${hist.window}: ${hist.done} vectorized, ${hist.failed} failed, ` +
      `${hist.per_second}/s on average (bars of ${hist.bucket_seconds / 60} min, times in UTC)`));
}

// The summary's per-operation and per-table entries are status counts.
const STATUSES = ['pending', 'processing', 'completed', 'failed'];
const counts = (what) => [[what, (r) => r[0]], ...STATUSES.map((st) => [st, (r) => fmt((r[1] || {})[st] ?? 0)])];

export function mountVectors(root) {
  let win = '1h';
  return async () => {
    const [q, hist] = await Promise.all([api('GET', 'vectorization/queue/summary'),
      api('GET', 'vectorization/history' + qs({ window: win }))]);
    const out = root.querySelector('#vector-tables');
    const obj = (o) => Object.entries(o || {});
    const pick = h('select', { id: 'vector-window', 'aria-label': 'throughput window' },
      h('option', { value: '1h', selected: win === '1h' }, 'last hour'),
      h('option', { value: '24h', selected: win === '24h' }, 'last day'));
    const reload = async () => {
      win = pick.value;
      const hh = await api('GET', 'vectorization/history' + qs({ window: win }));
      out.querySelector('#vector-history').replaceWith(historyFigure(hh));
    };
    pick.onchange = () => reload().catch((e) => out.querySelector('#vector-history').replaceWith(
      h('p', { id: 'vector-history', class: 'inline-error' }, e.message)));
    out.replaceChildren(
      h('h3', {}, 'Throughput ', pick), historyFigure(hist),
      h('h3', {}, 'By operation'), table(counts('Operation'), obj(q.by_operation)),
      h('h3', {}, 'By status'), table([['Status', (r) => r[0]], ['Rows', (r) => fmt(r[1])]],
        STATUSES.map((st) => [st, q[st] ?? 0])),
      ...(q.by_table ? [h('h3', {}, 'By table'), table(counts('Table'), obj(q.by_table))] : []),
      h('details', {}, h('summary', {}, 'Raw summary'), h('pre', {}, JSON.stringify(q, null, 2))));
  };
}

function hitCards(hits) {
  return h('ul', { class: 'hits' }, (hits || []).map((x) => h('li', { class: 'card hit' },
    h('p', { class: 'title' }, x.url ? h('a', { href: x.url, rel: 'noreferrer noopener', target: '_blank' }, x.title) : x.title),
    h('p', { class: 'meta' }, `${x.table} · ${x.external_id} · score ${fmt(x.score, 3)}`),
    x.snippet ? h('p', { class: 'snippet' }, x.snippet) : null)));
}

export function mountSearch(root, me) {
  const sf = h('form', { id: 'search-form', role: 'search' },
    h('label', {}, 'Search ', h('input', { name: 'q', type: 'search', required: true })), h('button', { type: 'submit' }, 'Search'));
  const sout = h('div', { id: 'search-out', 'aria-live': 'polite' });
  sf.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const r = await api('GET', 'ai/search' + qs({ q: sf.q.value }));
      sout.replaceChildren(h('p', {}, `${r.hits.length} results`), hitCards(r.hits));
    } catch (err) { sout.replaceChildren(h('p', { class: 'inline-error' }, err.message)); }
  };
  const kids = [h('h2', {}, 'Search'), sf, sout];
  if (me.can_ask) {
    const af = h('form', { id: 'ask-form' },
      h('label', {}, 'Ask ', h('input', { name: 'question', required: true, placeholder: 'How many PRs were merged last week?' })),
      h('button', { type: 'submit' }, 'Ask'));
    const aout = h('div', { id: 'ask-out', 'aria-live': 'polite' });
    af.onsubmit = async (e) => {
      e.preventDefault();
      aout.replaceChildren(h('p', {}, 'asking…'));
      try {
        const r = await api('POST', 'ai/query', { question: af.question.value });
        const cols = (r.columns || []).map((c, i) => [c.name || c, (row) => fmt(Array.isArray(row) ? row[i] : row[c.name || c])]);
        // replaceChildren would print a null as the text "null"
        aout.replaceChildren(...[
          r.error ? h('p', { class: 'inline-error' }, r.error) : null,
          h('p', { class: 'answer' }, r.summary || `${r.row_count} rows`),
          h('p', { class: 'meta' }, `intent ${r.intent} · ${r.rounds} round(s) · ${r.row_count} rows${r.row_limit_reached ? ' (limit reached)' : ''}`),
          cols.length ? table(cols, r.rows || []) : null,
          r.sql ? h('details', { class: 'sql' }, h('summary', {}, 'SQL that ran'), h('pre', {}, r.sql)) : null,
          (r.attempts || []).length ? h('details', {}, h('summary', {}, 'Rounds'),
            h('ol', {}, r.attempts.map((a) => h('li', {}, h('pre', {}, a.sql || ''), a.failure || a.error || '')))) : null,
          r.hits ? hitCards(r.hits) : null,
          feedbackBar(af.question.value, r)].filter(Boolean));
      } catch (err) { aout.replaceChildren(h('p', { class: 'inline-error' }, err.message)); }
    };
    kids.push(h('h2', {}, 'Ask'), af, aout);
  }
  root.replaceChildren(...kids);
  return async () => {};
}

export function mountUsage(root) {
  return async () => {
    try {
      const r = await api('GET', 'ai/usage?since=7d');
      const rows = r.rows || [];
      const cols = rows.length ? Object.keys(rows[0]).map((k) => [k, (x) => fmt(x[k], 4)]) : [];
      root.replaceChildren(h('h2', {}, 'AI usage (7 days)'),
        rows.length ? table(cols, rows) : h('p', { class: 'reason' }, 'no AI calls in the last 7 days'),
        h('h3', {}, 'Anomalies'),
        (r.anomalies || []).length ? h('ul', {}, r.anomalies.map((a) => h('li', {}, JSON.stringify(a)))) : h('p', {}, 'none open'));
    } catch (e) {
      root.replaceChildren(h('h2', {}, 'AI usage'), h('p', { class: e.status === 403 ? 'reason' : 'inline-error' },
        e.status === 403 ? 'your role may not read AI usage' : e.message));
    }
  };
}
