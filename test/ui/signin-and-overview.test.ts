/*
 * In a real browser (ui.md): signing in by pasting a token, who is signed in, signing out, what a role may not do not
 * being offered, the environments overview, and a page opened from its address (reload).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { assertAccessible, browserSkipReason, launchBrowser, newPage, signIn } from './support/browser.js';
import { startUiServer, type UiServer } from './support/ui-server.js';
import { seedWorkspace } from './support/seed.js';

const skip = browserSkipReason();

describe('signing in and the environments overview', { skip: skip ?? false }, () => {
  let server: UiServer;
  let browser: Browser;
  before(async () => {
    server = await startUiServer();
    await seedWorkspace(server.t);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('refuses a wrong token in words and keeps the user on the sign-in page', async () => {
    const { page, context } = await newPage(browser);
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/signin/);
    await page.getByLabel('API token').fill(`tw_${'x'.repeat(43)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Could not sign in: a valid token is required/);
    await page.getByLabel('API token').fill('not a token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/A Tidewatch token starts with tw_/).waitFor();
    await assertAccessible(page, 'the sign-in page');
    await context.close();
  });

  it('signs in with an admin token, shows who is signed in, the environments, and signs out', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.admin);
    const who = await page.getByTestId('signed-in-as').innerText();
    assert.match(who, /Signed in as admin token\s+admin/);
    const production = page.locator('[data-environment="production"]');
    await production.waitFor();
    assert.match(await production.innerText(), /2\s+instances/);
    assert.match(await production.innerText(), /2\s+distinct images/);
    assert.equal(await production.getByRole('img', { name: 'Critical: 2 open, 2 fixable' }).count(), 1);
    assert.equal(await page.locator('[data-environment="staging"]').count(), 1);
    assert.equal(await page.getByRole('link', { name: 'Tokens' }).count(), 1, 'an admin is offered Tokens');
    assert.match(await page.getByTestId('workspace-trend').innerText(), /All environments, 30 days:\s+↑ increasing/);
    await assertAccessible(page, 'the environments overview');
    // The token is kept for this tab's session only.
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('tidewatch.token'), local: Object.keys(localStorage) }));
    assert.equal(stored.session, server.t.tokens.admin);
    assert.ok(!stored.local.some((k) => k.includes('token')));

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tidewatch.token')), null);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('does not offer a read token what it may not do', async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.read);
    assert.match(await page.getByTestId('signed-in-as').innerText(), /read/);
    await page.locator('[data-environment="production"]').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Tokens' }).count(), 0);
    await context.close();
  });

  it('shows an environment: its instances, the trend chart drawn with data, a chosen window, the history', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.read);
    await page.getByRole('link', { name: 'production', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'production' }).waitFor();
    const rows = page.locator('table.instances tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    const webRow = await rows.filter({ hasText: 'registry.example.com/acme/web' }).innerText();
    assert.match(webRow, /^web\s+registry\.example\.com\/acme\/web\s+1\.0\s+a10fa10fa10f\s+linux\/amd64/);
    // The chart: a canvas with the series drawn on it (pixels that are not blank).
    const chart = page.locator('.chart[data-points]');
    await chart.locator('canvas').waitFor();
    assert.ok(Number(await chart.getAttribute('data-points')) >= 1);
    const inked = await chart.locator('canvas').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    assert.ok(inked > 500, `the chart canvas has ink (${inked} pixels)`);
    assert.match(await page.locator('.verdict').first().innerText(), /increasing/);
    // Another window: the address keeps it, the chart is drawn again.
    await page.getByLabel('Time window').selectOption('7d');
    await page.waitForURL(/window=7d/);
    await chart.locator('canvas').waitFor();
    // Filter and sort over the instances.
    await page.getByLabel('Filter').fill('api');
    await page.waitForFunction(() => document.querySelectorAll('table.instances tbody tr').length === 1);
    await page.getByLabel('Filter').fill('');
    assert.match(await rows.first().innerText(), /^api/);
    await page.getByRole('button', { name: 'Name' }).click();
    assert.equal(await page.getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort'), 'descending');
    assert.match(await rows.first().innerText(), /^web/);
    const history = page.getByRole('region', { name: 'History' });
    assert.equal(await history.locator('tbody tr').count(), 2);
    await assertAccessible(page, 'an environment page');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('says so when the token stops working while the page is open, and signs out', async () => {
    const made = await server.t.call('POST', '/api/v1/tokens', { body: { role: 'read', name: 'short-lived' } });
    const { id, token } = made.json() as { id: string; token: string };
    const { page, context } = await newPage(browser);
    await signIn(page, server.url, token, '/environments/staging');
    await page.getByRole('heading', { level: 1, name: 'staging' }).waitFor();
    // The page's own requests answered first (the heading shows before its data): one still in flight at the revoke
    // would be the 401 that signs out before the reload, and the reload would then open the sign-in page without the
    // reason this test looks for (seen once in a CI run).
    await page.waitForLoadState('networkidle');
    assert.equal((await server.t.call('DELETE', `/api/v1/tokens/${id}`)).statusCode, 204);
    await page.reload();
    await page.getByText(/Signed out: a valid token is required/).waitFor();
    assert.match(page.url(), /\/signin\?next=%2Fenvironments%2Fstaging$/);
    await context.close();
  });

  it('opens a page from its address, and after a reload', async () => {
    const { page, context, errors } = await newPage(browser);
    await page.goto(`${server.url}/environments/production`);
    await page.waitForURL(/\/signin\?next=%2Fenvironments%2Fproduction/);
    await page.getByLabel('API token').fill(server.t.tokens.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/environments/production`);
    await page.getByRole('heading', { level: 1, name: /production/ }).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: /production/ }).waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });
});
