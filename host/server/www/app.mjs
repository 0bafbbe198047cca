// app.mjs: the pulse-host console (docs/console.md): sign-in, panels,
// theme and branding. No build step, no dependencies: every file is
// embedded in the daemon.
import { api, token, setToken, setCsrf, takeLinkToken } from './api.mjs';
import { showError, scrollable } from './dom.mjs';
import { mountDora } from './dora.mjs';
import { mountJobs, stopLive } from './jobs.mjs';
import { mountIntegrations } from './integrations.mjs';
import { mountVectors, mountSearch, mountUsage, showVectorLive } from './insight.mjs';

const $ = (s) => document.querySelector(s);
const loaders = {};
scrollable($('#panel-jobs .scroll'));

// ---- theme: the OS setting unless the person chose one for this tab
function applyTheme(t) {
  if (t) document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
}
applyTheme(sessionStorage.getItem('pulse-theme'));
$('#theme').onclick = () => {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === 'dark'
    : matchMedia('(prefers-color-scheme: dark)').matches;
  const t = dark ? 'light' : 'dark';
  sessionStorage.setItem('pulse-theme', t);
  applyTheme(t);
};

// ---- panels
function show(name) {
  for (const b of document.querySelectorAll('#tabs button')) {
    const on = b.dataset.panel === name;
    b.setAttribute('aria-current', on ? 'page' : 'false');
  }
  for (const p of document.querySelectorAll('.panel')) p.hidden = p.id !== 'panel-' + name;
  sessionStorage.setItem('pulse-panel', name);
  if (loaders[name]) loaders[name]().catch((e) => showError(`${name}: ${e.message}`));
}
$('#tabs').onclick = (e) => { const b = e.target.closest('button'); if (b) show(b.dataset.panel); };

async function branding(me) {
  try {
    const b = await api('GET', 'console/branding');
    $('#brand').textContent = b.display_name || `pulse-host · ${b.name}`;
    document.title = `${b.display_name || b.name} – pulse-host`;
    if (b.brand_color) document.documentElement.style.setProperty('--brand', b.brand_color);
  } catch { $('#brand').textContent = `pulse-host · tenant ${me.tenant}`; }
}

async function enter(me) {
  $('#login').hidden = true;
  $('#tabs').hidden = false;
  $('#logout').hidden = false;
  $('#who').textContent = `${me.email || me.sub} (${me.role})`;
  me.can_ask = me.role !== 'view';
  $('#tab-usage').hidden = me.role === 'view'; // costs: user and admin only
  await branding(me);
  loaders.dora = mountDora($('#panel-dora'));
  loaders.integrations = mountIntegrations($('#panel-integrations'), me);
  loaders.vectors = mountVectors($('#panel-vectors'));
  loaders.search = mountSearch($('#panel-search'), me);
  loaders.usage = mountUsage($('#panel-usage'));
  await mountJobs(me, showVectorLive);
  show(sessionStorage.getItem('pulse-panel') || 'dora');
  document.body.dataset.ready = '1';
}

async function showLogin(tenant) {
  $('#login').hidden = false;
  $('#tabs').hidden = true;
  document.body.dataset.ready = 'login';
  try {
    const m = await api('GET', 'auth/methods' + (tenant ? '?tenant=' + encodeURIComponent(tenant) : ''));
    $('#password-form').hidden = !m.password;
    $('#sso').hidden = !m.oidc;
  } catch { /* the forms stay as they are */ }
}

$('#sso-button').onclick = () => {
  const t = $('#login-tenant').value.trim();
  location.assign('/api/v1/auth/oidc/login' + (t ? '?tenant=' + encodeURIComponent(t) : ''));
};
$('#login-tenant').onchange = () => showLogin($('#login-tenant').value.trim());

$('#password-form').onsubmit = async (e) => {
  e.preventDefault();
  const body = { email: $('#email').value.trim(), password: $('#password').value };
  const t = $('#login-tenant').value.trim();
  if (t) body.tenant = /^\d+$/.test(t) ? Number(t) : t;
  try {
    setToken(null);
    const r = await api('POST', 'auth/login', body);
    $('#password').value = '';
    setCsrf(r.csrf_token);
    showError('');
    await start();
  } catch (err) { showError('sign-in failed: ' + err.message); }
};

$('#token-form').onsubmit = (e) => {
  e.preventDefault();
  setToken($('#token').value.trim());
  $('#token').value = '';
  showError('');
  start().catch((err) => showError(err.message));
};

$('#logout').onclick = async () => {
  if (!token()) await api('POST', 'auth/logout').catch(() => {});
  setToken(null);
  setCsrf(null);
  stopLive();
  location.reload();
};

async function start() {
  takeLinkToken();
  if (!token()) {
    // A password session lives in the HttpOnly cookie: ask who we are.
    try {
      const s = await api('GET', 'auth/session');
      setCsrf(s.csrf_token);
    } catch { return showLogin(); }
  }
  let me;
  try {
    me = await api('GET', 'me');
  } catch (e) {
    setToken(null);
    showError('sign-in failed: ' + e.message);
    return showLogin();
  }
  await enter(me);
}

start().catch((e) => showError(e.message));
