// console-ui.mjs URL LINK DORA_JSON SHOTS EMAIL PASSWORD JOB_ID: drive the
// web console in headless Chromium (Debian's, through playwright-core);
// see console-ui.sh for what is checked. Prints "ok" last; exits non-zero
// on the first failed check.
import { readFileSync } from 'node:fs';
import { guardedContext, launch } from './console-lib.mjs';

const [url, link, doraPath, shots, email, password, jobId] = process.argv.slice(2);
const dora = JSON.parse(readFileSync(doraPath, 'utf8'));
const PANELS = {
  dora: '#dora-out[data-trend="1"]',
  jobs: `#job-${jobId}`,
  integrations: '#integration-list table',
  vectors: '#vector-tables h3',
  search: '#search-form',
  usage: '#panel-usage h2',
};
const T = 20000;
const problems = [];
const browser = await launch();

const t0 = Date.now();
const log = (m) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)}s ${m}`);

function check(cond, msg) { if (!cond) throw new Error(msg); }

// Expected HTTP refusals (the session probe's 401 before sign-in, the
// forged requests' 403) are the only console errors allowed, with the 400
// of the add form's inline error.
const context = (opts) => guardedContext(browser, opts, problems,
  /Failed to load resource: the server responded with a status of 40[013]/);

async function tab(page, name) {
  await page.locator('#tab-' + name).click();
  await page.locator(PANELS[name]).first().waitFor({ timeout: T });
}

async function checkDora(page) {
  await page.locator(PANELS.dora).waitFor({ timeout: T });
  for (const key of ['deployment_frequency', 'lead_time', 'change_failure_rate', 'recovery_time']) {
    const f = dora[key];
    const card = page.locator('#dora-' + key);
    const value = await card.locator('.value').textContent();
    if (f.value == null) {
      check(value === 'no value', `${key}: shows '${value}' for an empty figure`);
      const reason = await card.locator('.reason').textContent();
      check(reason === f.reason, `${key}: reason '${reason}' != '${f.reason}'`);
    } else {
      check(value === f.display, `${key}: '${value}' != '${f.display}'`);
      if (f.band) check(await card.locator('.band').textContent() === f.band, `${key}: band differs`);
    }
    const sample = await card.locator('.sample').textContent();
    check(sample === (f.sample_text || `sample ${f.sample}`), `${key}: sample '${sample}' != '${f.sample_text}'`);
    const method = await card.locator('.method').textContent();
    check(method === f.method, `${key}: method '${method}' != '${f.method}'`);
    check(await card.locator('.trend svg').count() === 1, `${key}: no trend chart`);
    log(`dora ${key}: ${value}`);
  }
  const legend = await page.locator('#dora-breakdown .legend li').count();
  check(legend === 4, `the lead-time breakdown has ${legend} parts, not 4`);
}

let rc = 0;
try {
  // ---- 1. password sign-in (cookie session; CSRF on the add form)
  const admin = await context({ viewport: { width: 1200, height: 800 }, colorScheme: 'light' });
  const page = await admin.newPage();
  await page.goto(url + '/');
  await page.locator('body[data-ready="login"]').waitFor({ timeout: T });
  check(await page.locator('#sso').isHidden(), 'the SSO button shows though no provider is configured');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.locator('#password-form button[type=submit]').click();
  await page.locator('body[data-ready="1"]').waitFor({ timeout: T });
  const who = await page.locator('#who').textContent();
  check(who.includes(email) && who.includes('admin'), `signed in as '${who}'`);
  check(await page.evaluate(() => sessionStorage.getItem('pulse-token')) === null,
    'a password sign-in left a token in sessionStorage');
  check(await page.locator('#brand').textContent() === 'Acme Engineering', 'no tenant display name');
  const accent = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--brand').trim());
  check(accent === '#0f766e', `accent colour ${accent}`);
  await tab(page, 'dora');
  await checkDora(page);
  // ---- 2. every panel, light then dark (the toggle)
  for (const mode of ['light', 'dark']) {
    if (mode === 'dark') await page.locator('#theme').click();
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(mode === 'dark' ? bg === 'rgb(13, 17, 23)' : bg === 'rgb(255, 255, 255)', `${mode} mode background ${bg}`);
    for (const name of Object.keys(PANELS)) {
      await tab(page, name);
      await page.screenshot({ path: `${shots}/${name}-${mode}.png`, fullPage: true });
      log(`screenshot ${name}-${mode}`);
    }
  }

  log('password sign-in, panels, themes: done');
  // ---- 3. the one-time link, view role, dark OS setting
  const viewer = await context({ viewport: { width: 1200, height: 800 }, colorScheme: 'dark' });
  const vp = await viewer.newPage();
  await vp.goto(link);
  await vp.locator('body[data-ready="1"]').waitFor({ timeout: T });
  check(await vp.evaluate(() => location.hash) === '', 'the token stayed in the address bar');
  const tok = await vp.evaluate(() => sessionStorage.getItem('pulse-token'));
  check(tok && link.endsWith(encodeURIComponent(tok)) || link.endsWith(tok), 'the link token is not in sessionStorage');
  check(await vp.evaluate(() => getComputedStyle(document.body).backgroundColor) === 'rgb(13, 17, 23)',
    'a dark OS setting did not give the dark theme');
  await checkDora(vp);
  await tab(vp, 'jobs');
  check(await vp.locator(`#job-${jobId} .actions button`).count() === 0, 'a view token sees job controls');
  // the housekeeping system job is listed like any job (issue 21)
  await vp.locator('#sysjob-housekeeping .state').waitFor({ timeout: T });
  check(/housekeeping \(system job/.test(await vp.locator('#sysjob-housekeeping .integ').textContent()),
    'the housekeeping system job is not shown');
  await tab(vp, 'integrations');
  check(await vp.locator('#integration-add').count() === 0, 'a view token sees the add form');
  check(await vp.locator('#panel-search #ask-form').count() === 0, 'a view token sees the ask box');
  const forged = await vp.evaluate(async ([id]) => {
    const h = { Authorization: 'Bearer ' + sessionStorage.getItem('pulse-token'), 'Content-Type': 'application/json' };
    const a = await fetch(`/api/v1/jobs/${id}/start`, { method: 'POST', headers: h });
    const b = await fetch('/api/v1/integrations', { method: 'POST', headers: h,
      body: JSON.stringify({ name: 'x', plugin: 'sandbox', settings: {} }) });
    return [a.status, b.status];
  }, [jobId]);
  check(forged[0] === 403 && forged[1] === 403, `forged requests answered ${forged}`);

  log('link sign-in, view role: done');
  // ---- 4. a phone's width: no horizontal scroll on any panel
  const phone = await context({ viewport: { width: 390, height: 844 }, colorScheme: 'light' });
  const pp = await phone.newPage();
  await pp.goto(`${url}/#token=${encodeURIComponent(tok)}`);
  await pp.locator('body[data-ready="1"]').waitFor({ timeout: T });
  check(await pp.locator('#tab-usage').isHidden(), 'a view token sees the AI usage tab');
  for (const name of Object.keys(PANELS).filter((n) => n !== 'usage')) {
    await tab(pp, name);
    const [sw, cw] = await pp.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    check(sw <= cw, `390 px: panel ${name} scrolls sideways (${sw} > ${cw})`);
  }
  await tab(pp, 'dora');
  await pp.screenshot({ path: `${shots}/dora-phone.png` }); // one screen: small for docs/
  // ---- 5. back as the admin (last: the new integration's job may load
  // data that would change the DORA figures compared above)
  // the admin adds an integration: a cookie POST with the CSRF header
  await tab(page, 'integrations');
  // the form is drawn from the plugin's declared fields (GET /plugins):
  // a secret is a write-only password input, an int a number with its range
  await page.fill('#integration-add input[name=name]', 'bad-one');
  await page.locator('#integration-add select[name=plugin] option[value=sandbox]').waitFor({ state: 'attached', timeout: T });
  await page.selectOption('#integration-add select[name=plugin]', 'sandbox');
  await page.locator('#integration-add fieldset[data-plugin=sandbox]').waitFor({ timeout: T });
  check(await page.getAttribute('#pf-token', 'type') === 'password', 'the secret field is not a password input');
  check(await page.inputValue('#pf-token') === '', 'the secret field is not empty');
  check(await page.getAttribute('#pf-repos', 'type') === 'number' && await page.getAttribute('#pf-repos', 'max') === '10000',
    'the int field lacks its declared range');
  check(await page.getAttribute('#pf-org', 'placeholder') === 'acme', 'the declared default is not shown');
  await page.fill('#pf-since', 'not-a-date');
  await page.locator('#integration-add button[type=submit]').click();
  await page.locator('#integration-add .inline-error:not([hidden])').waitFor({ timeout: T });
  const inl = await page.locator('#integration-add .inline-error').textContent();
  log('inline error: ' + inl);
  check(/since/.test(inl), `the inline error does not name the field: ${inl}`);
  await page.fill('#pf-since', '');
  await page.fill('#integration-add input[name=name]', 'added-in-console');
  await page.locator('#integration-add button[type=submit]').click();
  await page.locator('#integration-list button', { hasText: 'added-in-console' }).waitFor({ timeout: T });
  // the edit form: the same declared fields holding the current values;
  // the secret starts empty and, left empty, stays as it is
  await page.locator('#integration-list button', { hasText: /^console$/ }).click();
  await page.locator('#integration-form fieldset[data-plugin=sandbox]').waitFor({ timeout: T });
  check(await page.inputValue('#pe-repos') === '1' && await page.inputValue('#pe-page_size') === '5',
    'the edit form does not hold the current settings');
  check(await page.getAttribute('#pe-token', 'type') === 'password' && await page.inputValue('#pe-token') === '' &&
    await page.getAttribute('#pe-token', 'data-state') === 'unset', 'the edit form\'s secret is not an empty unset input');
  const saved = async () => { // a save re-draws the form from the API's reply
    const old = await page.locator('#integration-form').elementHandle();
    await page.locator('#integration-form button[type=submit]').click();
    await page.waitForFunction((o) => !o.isConnected, old, { timeout: T });
    await page.locator('#integration-form fieldset[data-plugin=sandbox]').waitFor({ timeout: T });
  };
  await page.fill('#pe-token', 'edited-in-console');
  await page.fill('#pe-repos', '2');
  await saved();
  check(await page.inputValue('#pe-repos') === '2' && await page.getAttribute('#pe-token', 'data-state') === 'set' &&
    await page.inputValue('#pe-token') === '', 'after a save with a secret: repos 2, the secret set and not shown');
  await page.fill('#pe-repos', '3');
  await saved();
  check(await page.inputValue('#pe-repos') === '3' && await page.inputValue('#pe-page_size') === '5' &&
    await page.getAttribute('#pe-token', 'data-state') === 'set', 'a save with the secret left empty lost it or a setting');
  // ask feedback: the answer is canned (the ask route is tests/ask's),
  // the click goes to the real POST /ask/feedback (checked by the .sh)
  await page.route('**/api/v1/ai/query', (r) => r.fulfill({ status: 200, contentType: 'application/json',
    body: JSON.stringify({ question: 'q', intent: 'structured', rounds: 1, row_count: 0, rows: [], columns: [],
      summary: 'no rows', sql: 'SELECT 1 FROM q_pull_requests' }) }));
  await tab(page, 'search');
  await page.fill('#ask-form input[name=question]', 'which PRs waited longest?');
  await page.locator('#ask-form button[type=submit]').click();
  await page.locator('#ask-feedback').waitFor({ timeout: T });
  await page.fill('#ask-feedback input[name=comment]', 'wrong table');
  await page.locator('#ask-feedback button', { hasText: 'Not helpful' }).click();
  await page.locator('#ask-feedback [role=status]', { hasText: 'recorded' }).waitFor({ timeout: T });
  await page.locator('#logout').click();
  await page.locator('body[data-ready="login"]').waitFor({ timeout: T });
  log('add integration, sign out: done');
  check(problems.length === 0, problems.join('\n'));
  console.log('ok');
} catch (e) {
  console.error(String(e));
  for (const p of problems) console.error(p);
  rc = 1;
} finally {
  await browser.close();
}
process.exit(rc);
