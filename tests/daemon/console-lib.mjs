// console-lib.mjs: what the console's browser tests share (console-ui,
// console-a11y, console-ai): Debian's Chromium, headless, and contexts
// whose pages refuse (and record) any request off loopback and record page
// errors and console errors. The tests copy it beside themselves, where
// their node_modules are.
import { chromium } from 'playwright-core';

export function launch() {
  return chromium.launch({
    executablePath: process.env.PULSE_TEST_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// A new context (opts as browser.newContext's) whose pages push what went
// wrong onto problems; console errors matching ignore (a RegExp, optional)
// are expected ones.
export async function guardedContext(browser, opts, problems, ignore) {
  const ctx = await browser.newContext(opts);
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1' || u.hostname === 'localhost') return route.continue();
    problems.push('request off loopback: ' + u.href);
    return route.abort();
  });
  ctx.on('page', (page) => {
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      if (ignore && ignore.test(m.text())) return;
      problems.push('console error: ' + m.text());
    });
  });
  return ctx;
}
