// plugform.mjs: an integration's settings form drawn from the fields its
// plugin declares (GET /api/v1/plugins): type, required, default, help.
// Secret fields are password inputs that start empty (write-only).
import { api } from './api.mjs';
import { h } from './dom.mjs';

let cache = null;
export async function plugins() {
  if (!cache) cache = api('GET', 'plugins').then((r) => r.plugins || []).catch((e) => { cache = null; throw e; });
  return cache;
}

// Defaults show as placeholders and an empty input is left out, so the
// stored settings keep only what the admin gave (docs/plugins.md: a
// changed plugin default then applies at the next run).
function input(f, prefix) {
  const id = `${prefix}-${f.name}`;
  const shown = f.default == null ? '' : typeof f.default === 'string' ? f.default : JSON.stringify(f.default);
  const common = { id, name: f.name, dataset: { type: f.type, secret: f.secret ? '1' : '', default: shown } };
  let el;
  if (f.type === 'bool') el = h('input', { ...common, type: 'checkbox', checked: f.default === true });
  else if (f.secret) el = h('input', { ...common, type: 'password', autocomplete: 'new-password', required: f.required || null, placeholder: 'write-only' });
  else {
    el = h('input', { ...common, type: f.type === 'int' ? 'number' : 'text', min: f.min, max: f.max,
      required: f.required && f.default == null ? true : null,
      placeholder: shown || (f.type === 'string-list' ? '["a", "b"]' : f.type === 'json' ? 'JSON' : '') });
  }
  return h('div', { class: 'pfield' }, h('label', { for: id }, f.name, f.required ? ' *' : '', ` (${f.type})`), el,
    f.help ? h('small', { class: 'meta' }, f.help) : null);
}

// The fields of plugin p as form rows; their ids start with prefix (the
// add and the edit form can both be on the page).
export function fieldRows(p, prefix = 'pf') {
  return h('fieldset', { class: 'plugin-fields', dataset: { plugin: p.name } },
    h('legend', {}, `${p.name} ${p.version || ''} (${p.kind})`), (p.fields || []).map((f) => input(f, prefix)));
}

// {settings, secrets} from the rows: empty optional values are left out,
// so the plugin's defaults apply.
export function collect(form) {
  const settings = {}, secrets = {};
  for (const el of form.querySelectorAll('.plugin-fields input')) {
    const t = el.dataset.type;
    if (t === 'bool') { if (String(el.checked) !== el.dataset.default) settings[el.name] = el.checked; continue; }
    if (el.value === '') continue;
    if (el.dataset.secret) secrets[el.name] = t === 'secret-list' ? JSON.parse(el.value) : el.value;
    else if (t === 'int') settings[el.name] = Number(el.value);
    else if (t === 'string-list' || t === 'json') settings[el.name] = JSON.parse(el.value);
    else settings[el.name] = el.value;
  }
  return { settings, secrets };
}
