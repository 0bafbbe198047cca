// console-a11y.mjs URL LINK AXE_JS JOB_ID SHOTS: the console's WCAG AA
// contrast, keyboard use and axe-core's verdict in light and dark (see
// console-a11y.sh). Prints "ok" last; exits non-zero with every failure.
import { guardedContext, launch } from './console-lib.mjs';

const [url, link, axePath, jobId, shots] = process.argv.slice(2);
const T = 20000;
const PANELS = ['dora', 'jobs', 'integrations', 'vectors', 'search', 'usage'];
const READY = {
  dora: '#dora-out[data-trend="1"]', jobs: `#job-${jobId} .state`, integrations: '#integration-list table',
  vectors: '#vector-history', search: '#search-form', usage: '#panel-usage h2',
};
const failures = [];
const problems = [];
const fail = (m) => failures.push(m);

// ---- contrast, in the page. WCAG 2.x: relative luminance of sRGB, ratio
// (L1 + 0.05) / (L2 + 0.05). The background is the first opaque one up
// the tree, with the translucent ones above it composited over it.
function contrastReport() {
  const parse = (s) => {
    const m = s.match(/^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/);
    if (!m) throw new Error('unparsed colour ' + s);
    return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
  };
  const over = (top, under) => { // top (with alpha) composited over an opaque colour
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1);
  };
  const lum = (c) => {
    const ch = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let base = [255, 255, 255, 1]; // the canvas, should nothing be opaque
    if (layers.length && layers[layers.length - 1][3] >= 1) base = layers.pop();
    for (const l of layers.reverse()) base = over(l, base);
    return base;
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= +getComputedStyle(e).opacity;
    return o;
  };
  const visible = (el) => {
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0;
  };
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    else if (el.className && typeof el.className === 'string') s += '.' + el.className.trim().split(/\s+/).join('.');
    const p = el.parentElement && el.parentElement.closest('[id]');
    return (p ? p.id + ' > ' : '') + s;
  };
  const out = [];
  const seen = new Set();
  const checkOne = (el, text, colour, extraUnder) => {
    const cs = getComputedStyle(el);
    const size = parseFloat(cs.fontSize), bold = +cs.fontWeight >= 700;
    const large = size >= 24 || (size >= 18.66 && bold);
    const need = large ? 3 : 4.5;
    const bgs = [background(el)];
    if (extraUnder) bgs.push(over(extraUnder, bgs[0]));
    for (const bg of bgs) {
      let fg = parse(colour);
      fg = over([fg[0], fg[1], fg[2], fg[3] * opacity(el)], bg);
      const r = ratio(fg, bg);
      out.push({ el: name(el), text: text.slice(0, 40), fg: fg.slice(0, 3).map(Math.round).join(','),
        bg: bg.slice(0, 3).map(Math.round).join(','), ratio: Math.round(r * 100) / 100, need, ok: r >= need });
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || seen.has(el) || !visible(el)) continue;
    if (el.closest('option, title, script, style, [disabled]')) continue;
    seen.add(el);
    const svgText = el instanceof SVGElement;
    const colour = svgText ? getComputedStyle(el).fill : getComputedStyle(el).color;
    // a progress label sits over the bar's translucent fill as well
    let under = null;
    const bar = el.closest('.bar');
    if (bar && bar.querySelector('.fill')) {
      const f = bar.querySelector('.fill');
      const c = parse(getComputedStyle(f).backgroundColor);
      under = [c[0], c[1], c[2], c[3] * +getComputedStyle(f).opacity];
    }
    checkOne(el, n.textContent.trim(), colour, under);
  }
  // what a control shows: its value, or the placeholder when empty
  for (const el of document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea')) {
    if (!visible(el) || el.disabled) continue;
    if (el.value) checkOne(el, el.value, getComputedStyle(el).color);
    else if (el.placeholder) checkOne(el, 'placeholder ' + el.placeholder, getComputedStyle(el, '::placeholder').color);
  }
  return out;
}

// ---- keyboard: Tab from the skip link until focus comes back to it
async function tabWalk(page, where) {
  await page.evaluate(() => {
    for (const e of document.querySelectorAll('[data-a11y-i]')) e.removeAttribute('data-a11y-i');
  });
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement.className);
  if (first !== 'skip') { fail(`${where}: the first Tab lands on '${first}', not the skip link`); return; }
  const skipShown = await page.evaluate(() => {
    const r = document.activeElement.getBoundingClientRect();
    return r.left >= 0 && r.top >= 0 && r.width > 0;
  });
  if (!skipShown) fail(`${where}: the focused skip link is off screen`);
  const sig = () => page.evaluate(() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const cs = getComputedStyle(e);
    const i = document.querySelectorAll('[data-a11y-i]').length;
    const again = e.hasAttribute('data-a11y-i');
    // a date input's day, month and year fields are Tab stops of one element
    const same = e === window.a11yLast;
    window.a11yLast = e;
    if (!again) e.setAttribute('data-a11y-i', String(i));
    // the look on arrival: a date input's last stop (its picker button)
    // does not give the input :focus, Chrome draws that one itself
    if (!same) e.dataset.a11yFocused = [cs.outlineStyle, cs.outlineWidth, cs.outlineColor, cs.boxShadow].join('|');
    return { again: again && !same, same, skip: e.classList.contains('skip'), tag: e.tagName, id: e.id, text: (e.textContent || e.name || '').trim().slice(0, 30) };
  });
  await sig();
  let steps = 0, back = false;
  for (; steps < 400; steps++) {
    await page.keyboard.press('Tab');
    const s = await sig();
    if (s && s.skip) { back = true; break; }
    if (s && s.again) { fail(`${where}: focus came back to ${s.tag}#${s.id} '${s.text}' before the skip link: a trap`); return; }
  }
  if (!back) { fail(`${where}: ${steps} Tabs did not come back to the skip link`); return; }
  await page.evaluate(() => document.activeElement.blur());
  const r = await page.evaluate(() => {
    const res = { missing: [], ring: [], n: 0 };
    const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
    for (const e of document.querySelectorAll(sel)) {
      if (e.disabled || !e.checkVisibility({ visibilityProperty: true })) continue;
      const rc = e.getBoundingClientRect();
      if (!(rc.width > 0 && rc.height > 0) && !e.classList.contains('skip')) continue;
      res.n++;
      const label = `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} '${(e.textContent || e.name || '').trim().slice(0, 30)}'`;
      if (!e.hasAttribute('data-a11y-i')) { res.missing.push(label); continue; }
      const cs = getComputedStyle(e);
      const now = [cs.outlineStyle, cs.outlineWidth, cs.outlineColor, cs.boxShadow].join('|');
      const f = e.dataset.a11yFocused.split('|');
      const drawn = (f[0] !== 'none' && parseFloat(f[1]) > 0) || f[3] !== 'none';
      if (!drawn || now === e.dataset.a11yFocused) res.ring.push(`${label} (focused ${e.dataset.a11yFocused}, unfocused ${now})`);
    }
    return res;
  });
  for (const m of r.missing) fail(`${where}: Tab never reaches ${m}`);
  for (const m of r.ring) fail(`${where}: no visible focus on ${m}`);
  console.log(`${where}: ${steps + 1} Tabs around, ${r.n} controls reached, focus ring on each`);
}

const browser = await launch();
let rc = 0;
try {
  for (const mode of ['light', 'dark']) {
    // expected console errors: the session probe before sign-in, and the
    // search without an embedder
    const ctx = await guardedContext(browser, { viewport: { width: 1200, height: 900 }, colorScheme: mode },
      problems, /status of (401|503)/);
    const page = await ctx.newPage();
    const contrast = async (where) => {
      await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
      const rows = await page.evaluate(contrastReport);
      const bad = rows.filter((x) => !x.ok);
      for (const x of bad) fail(`${mode} ${where}: ${x.el} '${x.text}' ${x.ratio}:1 < ${x.need}:1 (text ${x.fg} on ${x.bg})`);
      const worst = rows.reduce((a, x) => (!a || x.ratio < a.ratio ? x : a), null);
      console.log(`${mode} ${where}: ${rows.length} texts, lowest ${worst ? `${worst.ratio}:1 (${worst.el})` : '-'}`);
      if (!rows.length) fail(`${mode} ${where}: no text checked`);
    };
    const axe = async (where) => {
      await page.addScriptTag({ path: axePath });
      const v = await page.evaluate(async () => {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        return r.violations.map((x) => `${x.id} (${x.impact}): ${x.help}: ` +
          x.nodes.slice(0, 3).map((n) => n.target.join(' ') + (n.failureSummary ? ' [' + n.failureSummary.replace(/\s+/g, ' ').slice(0, 160) + ']' : '')).join('; '));
      });
      for (const x of v) fail(`${mode} ${where}: axe ${x}`);
    };

    // the sign-in page
    await page.goto(url + '/');
    await page.locator('body[data-ready="login"]').waitFor({ timeout: T });
    await contrast('sign-in');
    await axe('sign-in');
    await tabWalk(page, `${mode} sign-in`);

    await page.goto('about:blank'); // the link differs in its fragment only
    await page.goto(link);
    await page.locator('body[data-ready="1"]').waitFor({ timeout: T });
    for (const p of PANELS) {
      await page.locator('#tab-' + p).click();
      await page.locator(READY[p]).first().waitFor({ timeout: T });
      if (p === 'jobs') { // every state's colour, an error, a job's history
        for (const st of ['FINISHED', 'PAUSED', 'ERROR']) await page.locator(`#jobs .state.${st}`).first().waitFor({ timeout: T });
        await page.locator('#jobs .err', { hasText: '401 Unauthorized' }).waitFor({ timeout: T });
        await page.locator(`#job-${jobId} button.id`).click();
        await page.locator('#job-history *').first().waitFor({ timeout: T });
      }
      if (p === 'integrations') { // an integration's form too
        await page.locator('#integration-list button', { hasText: /^synced$/ }).click();
        await page.locator('#integration-form').waitFor({ timeout: T });
      }
      if (p === 'search') { // an inline error (no embedder here)
        await page.fill('#search-form input[name=q]', 'flaky tests');
        await page.locator('#search-form button[type=submit]').click();
        await page.locator('#search-out > *').first().waitFor({ timeout: T });
      }
      await contrast(p);
      await axe(p);
      // a reload keeps the panel (sessionStorage); the walk starts afresh
      await page.reload();
      await page.locator('body[data-ready="1"]').waitFor({ timeout: T });
      await page.locator(READY[p]).first().waitFor({ timeout: T });
      await tabWalk(page, `${mode} ${p}`);
    }

    // the skip link takes focus to the content (the jobs panel, loaded:
    // its first control is a job's history button)
    await page.locator('#tab-jobs').click();
    await page.reload();
    await page.locator('body[data-ready="1"]').waitFor({ timeout: T });
    await page.locator(READY.jobs).waitFor({ timeout: T });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const after = await page.evaluate(() => document.activeElement.id);
    if (after !== 'main') fail(`${mode}: Enter on the skip link focuses '${after}', not main`);
    await page.keyboard.press('Tab');
    const inMain = await page.evaluate(() => [!!document.activeElement.closest('main'), document.activeElement.outerHTML.slice(0, 80)]);
    if (!inMain[0]) fail(`${mode}: the Tab after the skip link goes to ${inMain[1]}, not into the content`);

    // Enter and Space work the tabs, the theme, a job's history, details
    const key = async (sel, k) => { await page.locator(sel).first().focus(); await page.keyboard.press(k); };
    await key('#tab-jobs', 'Enter');
    await page.locator('#panel-jobs:not([hidden])').waitFor({ timeout: T });
    await key(`#job-${jobId} button.id`, 'Space');
    await page.locator('#job-history *').first().waitFor({ timeout: T });
    await page.screenshot({ path: `${shots}/a11y-focus-${mode}.png` });
    await key('#tab-integrations', 'Space');
    await page.locator('#panel-integrations:not([hidden])').waitFor({ timeout: T });
    await page.locator('#integration-list button').first().waitFor({ timeout: T });
    await key('#integration-list button', 'Enter');
    await page.locator('#integration-form').waitFor({ timeout: T });
    await key('#tab-vectors', 'Enter');
    await page.locator('#vector-history').waitFor({ timeout: T });
    const det = '#vector-tables details';
    await key(`${det} summary`, 'Enter');
    if (!(await page.locator(det).evaluate((d) => d.open))) fail(`${mode}: Enter does not open a details`);
    await page.keyboard.press('Space');
    if (await page.locator(det).evaluate((d) => d.open)) fail(`${mode}: Space does not close a details`);
    const theme = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const bg0 = await theme();
    await key('#theme', 'Space');
    const bg1 = await theme();
    await page.keyboard.press('Enter');
    if (bg0 === bg1 || (await theme()) !== bg0) fail(`${mode}: the theme button with Space/Enter: ${bg0} -> ${bg1} -> ${await theme()}`);
    // dialogs: Escape closes any that is open (the console has none today)
    const dialogs = await page.locator('dialog[open], [role=dialog]:not([hidden])').count();
    for (let i = 0; i < dialogs; i++) {
      await page.keyboard.press('Escape');
    }
    if (dialogs && await page.locator('dialog[open], [role=dialog]:not([hidden])').count()) fail(`${mode}: Escape leaves a dialog open`);
    console.log(`${mode}: keys done, ${dialogs} dialogs`);
    await ctx.close();
  }
  for (const p of problems) fail(p);
  if (failures.length) throw new Error(`${failures.length} failures`);
  console.log('ok');
} catch (e) {
  for (const f of failures) console.error('FAIL ' + f);
  console.error(String(e));
  rc = 1;
} finally {
  await browser.close();
}
process.exit(rc);
