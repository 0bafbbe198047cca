// console-bench.mjs URL LINK N OUT.json: load the web console N times in
// headless Chromium (Debian's, through playwright-core), each time in a
// fresh context (empty cache: a first visit), and print the p50/p95 of
//   load:  navigation start to the load event, signed out (the sign-in
//          page: index.html, the stylesheet and every module)
//   ready: navigation start to body[data-ready="1"], signed in by a
//          `token issue --link` (the modules plus the first API calls)
//   floor: the same for a one-line page from a node server on loopback,
//          what Chromium costs for any first visit (the baseline)
// and the waterfall of one more signed-out visit (when each file was
// asked for and arrived), to show what a slow load waits on.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';

const [url, link, nArg, out] = process.argv.slice(2);
const N = Number(nArg);
const browser = await chromium.launch({
  executablePath: process.env.PULSE_TEST_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]; };
const load = [], ready = [], floor = [];
const tiny = createServer((q, r) => { r.writeHead(200, { 'content-type': 'text/html' }); r.end('<!doctype html><title>x</title><p>x'); });
await new Promise((ok) => tiny.listen(0, '127.0.0.1', ok));
const tinyUrl = `http://127.0.0.1:${tiny.address().port}/`;
const loadTime = () => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; };
let waterfall = [];
try {
  for (let i = 0; i < N + 1; i++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(url + '/', { waitUntil: 'load' });
    const l = await page.evaluate(loadTime);
    await ctx.close();
    const ctx0 = await browser.newContext();
    const p0 = await ctx0.newPage();
    await p0.goto(tinyUrl, { waitUntil: 'load' });
    const f = await p0.evaluate(loadTime);
    await ctx0.close();
    const ctx2 = await browser.newContext();
    const p2 = await ctx2.newPage();
    await p2.goto(link);
    await p2.locator('body[data-ready="1"]').waitFor({ timeout: 30000 });
    const r = await p2.evaluate(() => performance.now());
    await ctx2.close();
    if (i > 0) { load.push(l); ready.push(r); floor.push(f); } // the first warms the browser up
  }
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(url + '/', { waitUntil: 'load' });
  waterfall = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return [n, ...performance.getEntriesByType('resource')].map((e) => ({
      name: e.name.replace(location.origin, '') || '/', start: e.startTime, response: e.responseStart, end: e.responseEnd,
      dom: e.domContentLoadedEventEnd, load: e.loadEventEnd }));
  });
  await ctx.close();
} finally {
  await browser.close();
  tiny.close();
}
const res = { n: N, load_p50_ms: pct(load, 0.5), load_p95_ms: pct(load, 0.95),
  ready_p50_ms: pct(ready, 0.5), ready_p95_ms: pct(ready, 0.95),
  floor_p50_ms: pct(floor, 0.5), floor_p95_ms: pct(floor, 0.95), waterfall };
writeFileSync(out, JSON.stringify(res));
console.log(JSON.stringify(res));
