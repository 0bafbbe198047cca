// orch-viewer.mjs URL TOKEN JOB_ID SCREENSHOT: open the console's Jobs panel in
// headless Chromium (Debian's, driven by playwright-core), start job
// JOB_ID with its button, and wait until its bar shows 100% and its state
// FINISHED. Prints the percentages the bar showed, one per line, then
// "ok"; exits non-zero on failure.
import { chromium } from 'playwright-core';

const [url, token, jobId, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.PULSE_TEST_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let rc = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 500 } });
  page.on('console', (m) => console.error('page:', m.text()));
  await page.goto(`${url}/#token=${encodeURIComponent(token)}`);
  // The console opens on DORA: the jobs are one tab away.
  await page.locator('#tab-jobs').click({ timeout: 15000 });
  const row = page.locator(`#job-${jobId}`);
  await row.waitFor({ timeout: 15000 });
  await page.locator('#live.on').waitFor({ timeout: 15000 });
  await row.locator('button.act-resume').click();
  const seen = new Set();
  const deadline = Date.now() + 60000;
  for (;;) {
    const p = await row.locator('.bar').getAttribute('data-percent');
    const st = await row.locator('.state').textContent();
    if (!seen.has(p)) { seen.add(p); console.log(`percent ${p} state ${st}`); }
    if (st === 'FINISHED' && p === '100.0') break;
    if (st === 'ERROR') throw new Error('job failed: ' + await row.locator('.err').textContent());
    if (Date.now() > deadline) throw new Error(`timeout: state ${st}, bar ${p}%`);
    await page.waitForTimeout(50);
  }
  // No request of the page failed (e.g. the control POST's answer).
  if (await page.locator('#error').isVisible())
    throw new Error('page shows an error: ' + await page.locator('#error').textContent());
  // The controls follow the state: a finished job can be started again.
  await row.locator('button.act-start').waitFor({ timeout: 5000 });
  await page.screenshot({ path: shot, fullPage: true });
  console.log('ok');
} catch (e) {
  console.error(String(e));
  rc = 1;
} finally {
  await browser.close();
}
process.exit(rc);
