// api.mjs: calls to /api/v1 as the signed-in person (session cookie +
// X-CSRF-Token on state changes) or with a pasted/linked token (kept in
// sessionStorage, never in localStorage or a cookie).
const KEY = 'pulse-token';
let csrf = null;

export function token() { return sessionStorage.getItem(KEY); }
export function setToken(t) { if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY); }
export function setCsrf(c) { csrf = c; }

// A one-time link (`pulse-host token issue --link`) carries the token in
// the fragment: move it to sessionStorage and clear the address bar.
export function takeLinkToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (!m) return;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname);
}

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export async function api(method, path, body) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  else if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch('/api/v1/' + path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) {
    const e = data && data.error ? data.error : {};
    throw new ApiError(r.status, e.code || 'http', e.message || r.statusText);
  }
  return data;
}

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}
