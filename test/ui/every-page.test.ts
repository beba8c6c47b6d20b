/*
 * Every page of ui.md, in light and in dark: no serious or critical axe-core finding, no script error, and a
 * screenshot of each into docs/screenshots/ (README "Web interface"; TIDEWATCH_SCREENSHOTS_DIR moves them). Also the
 * theme toggle, and the keyboard alone through signing in and the repository tabs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { assertAccessible, browserSkipReason, launchBrowser, newPage, screenshot, signIn } from './support/browser.js';
import { startUiServer, type UiServer } from './support/ui-server.js';
import { digests, seedTrendHistory, seedWorkspace, web, type Seeded } from './support/seed.js';
import { startReceiver, type Receiver } from '../support/receivers.js';

const skip = browserSkipReason();

interface Visit { name: string; path: string; ready: (page: Page) => Promise<unknown>; then?: (page: Page) => Promise<unknown> }

describe('every page, light and dark', { skip: skip ?? false }, () => {
  let server: UiServer;
  let browser: Browser;
  let receiver: Receiver;
  let seeded: Seeded;
  let visits: Visit[];
  before(async () => {
    server = await startUiServer();
    seeded = await seedWorkspace(server.t);
    await seedTrendHistory(server.storage.db, server.t.workspaceId);
    receiver = await startReceiver();
    const t = server.t;
    // Something on every page: a notification with a delivery, a policy, a cluster, a hook endpoint, a triage decision.
    const created = await t.call('POST', `/api/v1/repositories/${web}/notifications`, {
      body: { event: 'vulnerability_found', method: 'webhook', title: 'Security team', config: { url: `${receiver.url}/hook` }, eventConfig: { level: 1, environments: ['production'] } },
    });
    assert.equal(created.statusCode, 201, created.body);
    await t.call('POST', `/api/v1/repositories/${web}/notifications/${created.json().uuid}/test`);
    await receiver.waitFor(1);
    await t.call('POST', `/api/v1/repositories/${web}/notifications`, { body: { event: 'repo_push', method: 'slack', config: { url: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX' }, eventConfig: { tags: ['v*'] } } });
    assert.equal((await t.call('POST', '/api/v1/policies', { body: { name: 'prod-gate', environments: ['production', 'prod-eu/*'], mode: 'enforce', rules: { deny_severity: 'Critical', fixable_only: true, require_scan: true } } })).statusCode, 201);
    assert.equal((await t.call('POST', '/api/v1/clusters', { body: { name: 'prod-eu' } })).statusCode, 201);
    assert.equal((await t.call('POST', '/api/v1/hooks', { body: { kind: 'quay', registry_host: 'quay.io' } })).statusCode, 201);
    assert.equal((await t.call('POST', '/api/v1/triage', { token: t.tokens.write, body: { vulnerability: 'CVE-2024-0005', state: 'not_affected', justification: 'code_not_present', repository: web } })).statusCode, 201);
    browser = await launchBrowser();
    const table = (selector: string) => (page: Page) => page.locator(`${selector} tbody tr`).first().waitFor();
    visits = [
      { name: 'overview', path: '/', ready: (p) => p.locator('[data-environment="production"] svg.sparkline').waitFor() },
      { name: 'environment', path: '/environments/production', ready: (p) => Promise.all([p.locator('.chart canvas').waitFor(), table('table.instances')(p)]) },
      { name: 'repository-tags', path: `/repositories/${web}`, ready: (p) => p.getByRole('cell', { name: 'latest' }).waitFor() },
      { name: 'repository-builds', path: `/repositories/${web}?tab=builds`, ready: (p) => p.getByRole('link', { name: 'web #42' }).waitFor() },
      { name: 'repository-deployments', path: `/repositories/${web}?tab=deployments`, ready: (p) => p.getByRole('heading', { name: 'Built and pushed' }).waitFor() },
      {
        name: 'repository-settings', path: `/repositories/${web}?tab=settings`, ready: table('table.notifications'),
        then: async (p) => {
          await p.locator('table.notifications tbody tr', { hasText: 'Security team' }).getByRole('button', { name: 'Deliveries' }).click();
          await p.locator('section.delivery-log tbody tr[data-status="succeeded"]').waitFor({ timeout: 15_000 });
          await p.locator('section.delivery-log').getByText(/^1 attempt$/).click();
        },
      },
      {
        name: 'create-notification', path: `/repositories/${web}?tab=settings`, ready: table('table.notifications'),
        then: async (p) => {
          await p.getByRole('button', { name: 'Create Notification' }).click();
          const d = p.getByRole('dialog', { name: 'Create Notification' });
          await d.getByLabel('When this event occurs').selectOption('vulnerability_found');
          await d.getByLabel('Then issue a notification').selectOption('webhook');
        },
      },
      { name: 'build', path: `/repositories/${web}/build/${seeded.buildId}`, ready: (p) => p.getByRole('heading', { name: 'Digests' }).waitFor() },
      { name: 'image', path: `/images/${web}@${digests.web10}`, ready: table('table.findings') },
      { name: 'compare', path: '/compare?base=env:production&head=env:staging', ready: (p) => p.getByTestId('compare-result').waitFor() },
      { name: 'vulnerability', path: '/vulnerabilities/CVE-2024-0001', ready: (p) => p.getByTestId('vulnerability-summary').waitFor() },
      { name: 'policies', path: '/policies', ready: table('table.policies') },
      { name: 'clusters', path: '/clusters', ready: table('table.clusters') },
      { name: 'integrations', path: '/integrations', ready: (p) => p.locator('#deploy-curl').waitFor(), then: (p) => p.locator('details[data-hook="distribution"] summary').click() },
      { name: 'tokens', path: '/settings/tokens', ready: table('table.tokens') },
      { name: 'not-found', path: '/settings/no-such-page', ready: (p) => p.getByRole('heading', { name: 'No such page' }).waitFor() },
    ];
  });
  after(async () => {
    await browser?.close();
    await receiver?.close();
    await server?.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`every page in ${scheme}: loads from its address, passes axe-core, is photographed`, async () => {
      const { page, context, errors } = await newPage(browser, { colorScheme: scheme });
      await page.goto(`${server.url}/signin`);
      await page.getByLabel('API token').waitFor();
      await assertAccessible(page, `the sign-in page (${scheme})`);
      await screenshot(page, 'signin');
      await signIn(page, server.url, server.t.tokens.admin);
      for (const v of visits) {
        await page.goto(`${server.url}${v.path}`);
        await v.ready(page);
        await v.then?.(page);
        await page.evaluate(() => document.fonts.ready);
        await assertAccessible(page, `${v.name} (${scheme})`);
        await screenshot(page, v.name);
      }
      assert.deepEqual(errors, []);
      await context.close();
    });
  }

  it('switches theme with the toggle and keeps the choice on reload', async () => {
    const { page, context } = await newPage(browser, { colorScheme: 'light' });
    await signIn(page, server.url, server.t.tokens.read);
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(await background(), 'rgb(255, 255, 255)');
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    assert.equal(await background(), 'rgb(15, 20, 25)');
    await page.reload();
    await page.getByRole('button', { name: 'Switch to light theme' }).waitFor();
    assert.equal(await background(), 'rgb(15, 20, 25)');
    await context.close();
  });

  it('works from the keyboard: sign in, skip link, tabs with arrow keys', async () => {
    const { page, context } = await newPage(browser);
    await page.goto(`${server.url}/signin?next=${encodeURIComponent(`/repositories/${web}`)}`);
    await page.getByLabel('API token').focus();
    await page.keyboard.type(server.t.tokens.admin);
    await page.keyboard.press('Enter');
    await page.getByRole('tab', { name: 'Tags', selected: true }).waitFor();
    // A page loaded from its address: the first Tab reaches the skip link, which moves on to the page itself.
    await page.reload();
    await page.getByRole('tab', { name: 'Tags', selected: true }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    await page.getByRole('tab', { name: 'Tags' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'Builds', selected: true }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Builds');
    await page.keyboard.press('End');
    await page.getByRole('tab', { name: 'Settings', selected: true }).waitFor();
    assert.match(page.url(), /\?tab=settings$/);
    await page.getByRole('button', { name: 'Create Notification' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create Notification' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await context.close();
  });
});
