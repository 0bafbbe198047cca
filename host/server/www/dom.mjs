// dom.mjs: building elements without innerHTML (API text is never HTML).
export function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k != null && k !== false) e.append(k instanceof Node ? k : String(k));
  return e;
}

export function table(cols, rows) {
  return scrollable(h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c[0])))),
    h('tbody', {}, rows.map((r) => h('tr', {}, cols.map((c) => h('td', {}, c[1](r)))))))));
}

// A box that scrolls sideways must be reachable by keyboard (WCAG 2.1.1):
// it becomes a focusable region while its content is wider than it is.
const wide = new ResizeObserver((entries) => {
  for (const { target: e } of entries) {
    if (e.scrollWidth > e.clientWidth) {
      e.tabIndex = 0;
      e.setAttribute('role', 'region');
      e.setAttribute('aria-label', 'table (scrolls sideways)');
    } else {
      e.removeAttribute('tabindex');
      e.removeAttribute('role');
      e.removeAttribute('aria-label');
    }
  }
});
export function scrollable(e) { wide.observe(e); return e; }

export function fmt(v, digits = 1) {
  if (v == null) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  return String(v);
}

let errEl;
export function showError(msg) {
  errEl = errEl || document.getElementById('error');
  errEl.textContent = msg || '';
  errEl.hidden = !msg;
}
