// console-ai.mjs URL LINK SEARCH_JSON ASK_JSON QUERY QUESTION DONE SHOTS:
// search, ask and the vectorization history in the web console (headless
// Debian Chromium through playwright-core); see console-ai.sh. Prints
// "ok" last; exits non-zero on the first failed check.
import { readFileSync } from 'node:fs';
import { guardedContext, launch } from './console-lib.mjs';

const [url, link, searchPath, askPath, query, question, doneRows, shots] = process.argv.slice(2);
const cliSearch = JSON.parse(readFileSync(searchPath, 'utf8'));
const cliAsk = JSON.parse(readFileSync(askPath, 'utf8'));
const T = 30000;
const problems = [];
const check = (cond, msg) => { if (!cond) throw new Error(msg); };
// the console's number format (dom.mjs fmt): integers as they are
const fmt = (v, d) => (Number.isInteger(v) ? String(v) : v.toFixed(d));

const browser = await launch();
let rc = 0;
try {
  const ctx = await guardedContext(browser, { viewport: { width: 1200, height: 900 }, colorScheme: 'light' }, problems);
  const page = await ctx.newPage();
  await page.goto(link);
  await page.locator('body[data-ready="1"]').waitFor({ timeout: T });

  // ---- search: type the paraphrase, the cards equal `search --json`
  await page.locator('#tab-search').click();
  await page.locator('#search-form input[name=q]').pressSequentially(query);
  await page.keyboard.press('Enter');
  await page.locator('#search-out .hit').first().waitFor({ timeout: T });
  const cards = await page.locator('#search-out .hit').evaluateAll((els) => els.map((e) => ({
    title: e.querySelector('.title').textContent,
    href: e.querySelector('.title a') ? e.querySelector('.title a').getAttribute('href') : null,
    meta: e.querySelector('.meta').textContent,
  })));
  const hits = cliSearch.hits;
  check(cards.length === hits.length, `${cards.length} cards, search --json has ${hits.length} hits`);
  hits.forEach((x, i) => {
    const c = cards[i];
    check(c.title === x.title, `card ${i}: title '${c.title}' != '${x.title}'`);
    check(c.href === (x.url || null), `card ${i}: link ${c.href} != ${x.url}`);
    const meta = `${x.table} · ${x.external_id} · score ${fmt(x.score, 3)}`;
    check(c.meta === meta, `card ${i}: '${c.meta}' != '${meta}'`);
  });
  check(await page.locator('#search-out > p').first().textContent() === `${hits.length} results`, 'the result count');
  console.log(`search: ${cards.length} cards equal search --json, first '${cards[0].title}'`);
  for (const mode of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: mode });
    await page.screenshot({ path: `${shots}/search-results-${mode}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // ---- ask: the answer, the rows and the SQL equal `ask --json` and the API's reply
  await page.fill('#ask-form input[name=question]', question);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/ai/query'), { timeout: T }),
    page.locator('#ask-form button[type=submit]').click(),
  ]);
  const apiAsk = await resp.json();
  await page.locator('#ask-out .answer').waitFor({ timeout: T });
  for (const [name, want] of [['ask --json', cliAsk], ['the API', apiAsk]]) {
    check(await page.locator('#ask-out .answer').textContent() === want.summary,
      `answer '${await page.locator('#ask-out .answer').textContent()}' != ${name}'s '${want.summary}'`);
    check(await page.locator('#ask-out details.sql pre').textContent() === want.sql, `the SQL differs from ${name}'s`);
  }
  check(JSON.stringify(apiAsk.rows) === JSON.stringify(cliAsk.rows), `API rows ${JSON.stringify(apiAsk.rows)} != CLI rows`);
  const head = await page.locator('#ask-out thead th').allTextContents();
  const cols = cliAsk.columns.map((c) => c.name || c);
  check(JSON.stringify(head) === JSON.stringify(cols), `columns ${head} != ${cols}`);
  const cells = await page.locator('#ask-out tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const want = cliAsk.rows.map((r) => cols.map((c, i) => String(Array.isArray(r) ? r[i] : r[c])));
  check(JSON.stringify(cells) === JSON.stringify(want), `rows ${JSON.stringify(cells)} != ${JSON.stringify(want)}`);
  const loose = await page.locator('#ask-out').evaluate((e) =>
    [...e.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent));
  check(loose.length === 0, `stray text in the answer: ${JSON.stringify(loose)}`);
  // the SQL is collapsed until opened
  check(!(await page.locator('#ask-out details.sql').evaluate((d) => d.open)), 'the SQL is not collapsed');
  await page.locator('#ask-out details.sql summary').click();
  check(await page.locator('#ask-out details.sql pre').isVisible(), 'the SQL does not open');
  console.log(`ask: '${apiAsk.summary}', ${cells.length} rows, SQL equal to ask --json`);
  for (const mode of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: mode });
    await page.screenshot({ path: `${shots}/ask-answer-${mode}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // ---- the vectorization history: the chart draws the API's buckets
  const fetchHist = (w) => page.evaluate(async (win) => {
    const r = await fetch('/api/v1/vectorization/history?window=' + win,
      { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('pulse-token') } });
    return r.json();
  }, w);
  await page.locator('#tab-vectors').click();
  for (const w of ['1h', '24h']) {
    if (w === '24h') await page.selectOption('#vector-window', '24h');
    await page.locator(`#vector-history[data-window="${w}"]`).waitFor({ timeout: T });
    const hist = await fetchHist(w);
    check(String(hist.done) === doneRows, `${w}: the API says ${hist.done} done, the queue ${doneRows}`);
    check(await page.getAttribute('#vector-history', 'data-done') === doneRows, `${w}: the figure's total`);
    const drawn = await page.locator('#vector-history rect.bar-col title').allTextContents();
    const want = hist.buckets.filter((b) => b.per_second > 0)
      .map((b) => `${b.start}: ${b.done} done, ${b.failed} failed, ${b.per_second}/s`);
    check(drawn.length > 0 && JSON.stringify(drawn) === JSON.stringify(want),
      `${w}: bars ${JSON.stringify(drawn)} != buckets ${JSON.stringify(want)}`);
    // heights follow the values: the tallest bar is the busiest bucket
    const tallest = await page.locator('#vector-history rect.bar-col').evaluateAll((rs) => {
      let best = null;
      for (const r of rs) if (!best || +r.getAttribute('height') > +best.getAttribute('height')) best = r;
      return best.querySelector('title').textContent;
    });
    const busiest = hist.buckets.reduce((a, b) => (b.per_second > a.per_second ? b : a));
    check(tallest.startsWith(busiest.start), `${w}: the tallest bar is ${tallest}, the busiest bucket ${busiest.start}`);
    const cap = await page.locator('#vector-history figcaption').textContent();
    check(cap.startsWith(`last ${w}: ${hist.done} vectorized, ${hist.failed} failed, ${hist.per_second}/s`), `${w}: caption '${cap}'`);
    console.log(`vectorization ${w}: ${drawn.length} bars, ${hist.done} done, ${hist.per_second}/s`);
  }
  for (const mode of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: mode });
    await page.screenshot({ path: `${shots}/vectors-history-${mode}.png`, fullPage: true });
  }
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
