// Signs in through pulse-host's single sign-on in headless Chromium
// (playwright-core): opens /api/v1/auth/oidc/login?tenant=T, fills the
// provider's sign-in form with LOGIN (any password: the development
// form), and waits to come back to pulse-host's "/". Then reads
// /api/v1/auth/session with the cookie the browser got. With BETWEEN (a
// shell command), it runs it after the first sign-in (to look at the
// database and change the account at the provider) and signs in again in
// a fresh browser context: one browser start for both. Prints per round
// N: "landedN URL", "cookieN {flags}", "sessionN {...}", then
// "between OUTPUT" and, at the end, "ok".
//
//   node login.mjs CHROMIUM BASE_URL TENANT LOGIN SHOT_PREFIX [BETWEEN]
import { execSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const [exe, base, tenant, login, shot, between] = process.argv.slice(2);

async function signIn(browser, n) {
	const context = await browser.newContext();
	const page = await context.newPage();
	page.setDefaultTimeout(60000);
	await page.goto(`${base}/api/v1/auth/oidc/login?tenant=${tenant}`);
	await page.waitForSelector('input[name=login]');
	await page.fill('input[name=login]', login);
	await page.fill('input[name=password]', 'any');
	await Promise.all([
		page.waitForURL(`${base}/`, { waitUntil: 'load' }),
		page.click('button[type=submit]'),
	]);
	console.log(`landed${n} ${page.url()}`);
	const c = (await context.cookies(base)).find((k) => k.name === 'pulse_session');
	console.log(`cookie${n} ${c ? JSON.stringify({ httpOnly: c.httpOnly, sameSite: c.sameSite }) : 'none'}`);
	const r = await page.request.get(`${base}/api/v1/auth/session`);
	console.log(`session${n} ${JSON.stringify(await r.json())}`);
	await page.screenshot({ path: `${shot}-${n}.png` });
	await context.close();
}

const browser = await chromium.launch({ executablePath: exe,
	args: ['--no-sandbox', '--disable-dev-shm-usage'] });
try {
	await signIn(browser, 1);
	if (between) {
		const out = execSync(between, { encoding: 'utf8' }).trim();
		console.log(`between ${out}`);
		await signIn(browser, 2);
	}
	console.log('ok');
} catch (e) {
	console.log(`error ${e.message}`);
} finally {
	await browser.close();
}
