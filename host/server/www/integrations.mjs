// integrations.mjs: the Integrations panel: list, details, settings as a
// form (secrets write-only: shown as set/not set, never read back), and
// an add form; editing controls only for roles that may write.
import { api } from './api.mjs';
import { h, table, showError } from './dom.mjs';
import { plugins, fieldRows, collect } from './plugform.mjs';

let me = null;
let root = null;

// The edit form: the plugin's declared fields (plugform.mjs) holding the
// current values; a secret input starts empty and stays as it is unless
// typed. Settings the plugin does not declare go in a JSON box, so a
// save (settings are replaced whole) keeps them.
function editForm(id, i, p) {
  const settings = { ...(i.settings || {}) };
  const secrets = i.secrets || {};
  const msg = h('p', { class: 'inline-error', role: 'alert', hidden: true });
  const rows = fieldRows(p, 'pe');
  for (const el of rows.querySelectorAll('input')) {
    if (el.dataset.secret) {
      el.required = false;
      el.placeholder = secrets[el.name] === '<set>' ? 'set – leave empty to keep' : 'not set';
      el.dataset.state = secrets[el.name] === '<set>' ? 'set' : 'unset';
    } else if (el.name in settings) {
      const v = settings[el.name];
      if (el.type === 'checkbox') el.checked = v === true;
      else el.value = typeof v === 'string' ? v : JSON.stringify(v);
    }
    delete settings[el.name];
  }
  const extra = h('textarea', { name: 'extra', rows: 2 }, JSON.stringify(settings));
  const f = h('form', { class: 'card', id: 'integration-form' }, rows,
    h('label', {}, 'More settings (JSON) ', extra), h('button', { type: 'submit' }, 'Save'), msg);
  f.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const { settings: s, secrets: sec } = collect(f);
      const body = { settings: Object.assign(JSON.parse(extra.value || '{}'), s) };
      if (Object.keys(sec).length) body.secrets = sec;
      await api('PATCH', `integrations/${id}`, body);
      msg.hidden = true; details(id);
    } catch (err) { msg.textContent = err.message; msg.hidden = false; }
  };
  return f;
}

async function details(id) {
  const out = root.querySelector('#integration-detail');
  try {
    const i = await api('GET', `integrations/${id}`);
    const settings = i.settings || {};
    const secrets = i.secrets || {};
    const kids = [h('h3', {}, `${i.name} (${i.plugin}, ${i.type})`),
      h('p', {}, `enabled: ${i.enabled} · credentials: ${i.has_credentials ? 'set' : 'none'}`)];
    const p = me.can_write ? (await plugins()).find((x) => x.name === i.plugin) : null;
    if (p) kids.push(editForm(id, i, p));
    else {
      if (me.can_write) kids.push(h('p', { class: 'meta' }, `plugin ${i.plugin} is not loaded: its settings cannot be edited here`));
      kids.push(table([['Setting', (r) => r[0]], ['Value', (r) => JSON.stringify(r[1])]], Object.entries(settings)),
        table([['Secret', (r) => r[0]], ['', (r) => r[1]]], Object.entries(secrets)));
    }
    out.replaceChildren(...kids);
  } catch (e) { showError(`integration ${id}: ${e.message}`); }
}

// The add form: the plugin's declared fields (plugform.mjs) as inputs.
function addForm() {
  const msg = h('p', { class: 'inline-error', role: 'alert', hidden: true });
  const sel = h('select', { name: 'plugin', required: true }, h('option', { value: '' }, 'choose…'));
  const rows = h('div', { id: 'plugin-fields' });
  const f = h('form', { class: 'card', id: 'integration-add' }, h('h3', {}, 'Add integration'),
    h('label', {}, 'Name ', h('input', { name: 'name', required: true })),
    h('label', {}, 'Plugin ', sel), rows,
    h('label', {}, 'More settings (JSON) ', h('textarea', { name: 'extra', rows: 2 }, '{}')),
    h('button', { type: 'submit' }, 'Add'), msg);
  let list = [];
  plugins().then((ps) => {
    list = ps;
    sel.append(...ps.map((p) => h('option', { value: p.name }, `${p.name} (${p.kind})`)));
  }).catch((e) => { msg.textContent = `plugins: ${e.message}`; msg.hidden = false; });
  sel.onchange = () => {
    const p = list.find((x) => x.name === sel.value);
    rows.replaceChildren(p ? fieldRows(p) : '');
  };
  f.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const { settings, secrets } = collect(f);
      Object.assign(settings, JSON.parse(f.elements.extra.value || '{}'));
      await api('POST', 'integrations', { name: f.elements.name.value, plugin: sel.value, settings, secrets });
      msg.hidden = true; f.reset(); rows.replaceChildren(); load();
    } catch (err) { msg.textContent = err.message; msg.hidden = false; }
  };
  return f;
}

async function load() {
  const r = await api('GET', 'integrations');
  const list = r.integrations || r;
  root.querySelector('#integration-list').replaceChildren(table([
    ['Name', (i) => h('button', { type: 'button', class: 'link', onclick: () => details(i.id) }, i.name)],
    ['Plugin', (i) => i.plugin], ['Type', (i) => i.type], ['Enabled', (i) => String(i.enabled)],
    ['Credentials', (i) => (i.has_credentials ? 'set' : 'none')]], list));
}

export function mountIntegrations(el, who) {
  root = el; me = who;
  root.replaceChildren(h('h2', {}, 'Integrations'), h('div', { id: 'integration-list' }),
    h('div', { id: 'integration-detail' }), me.can_write ? addForm() : null);
  return load;
}
