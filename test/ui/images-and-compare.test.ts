/*
 * In a real browser: an image page with its findings, filtered and triaged (the counts change, on the image and in
 * the environments), compare, where a vulnerability runs, a build, and an API error shown in words.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { assertAccessible, browserSkipReason, launchBrowser, newPage, signIn } from './support/browser.js';
import { startUiServer, type UiServer } from './support/ui-server.js';
import { digests, seedWorkspace, web, type Seeded } from './support/seed.js';

const skip = browserSkipReason();

describe('images, triage, compare, vulnerabilities and builds', { skip: skip ?? false }, () => {
  let server: UiServer;
  let browser: Browser;
  let seeded: Seeded;
  before(async () => {
    server = await startUiServer();
    seeded = await seedWorkspace(server.t);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('opens an image from its environment, filters its findings, triages one and the counts change', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.write, '/environments/production');
    await page.locator('table.instances tbody tr', { hasText: 'acme/web' }).getByRole('link', { name: 'a10fa10fa10f' }).click();
    await page.waitForURL(`${server.url}/images/${web}@${digests.web10}`);
    const counts = page.getByTestId('open-counts');
    await counts.waitFor();
    assert.equal(await counts.getByRole('img', { name: 'Critical: 1 open, 1 fixable' }).count(), 1);
    assert.match(await counts.innerText(), /6 open \(2 fixable\), 0 suppressed by triage/);
    assert.match(await page.getByRole('region', { name: 'Where it runs' }).innerText(), /production · web \(1\.0\)/);
    const rows = page.locator('table.findings tbody tr');
    assert.equal(await rows.count(), 6);

    await page.getByRole('checkbox', { name: 'Critical' }).check();
    await page.waitForFunction(() => document.querySelectorAll('table.findings tbody tr').length === 1);
    await page.getByLabel('Fix state').selectOption('not_fixed');
    await page.getByText('No finding matches.').waitFor();
    await page.getByLabel('Fix state').selectOption('');
    await rows.first().waitFor();
    await assertAccessible(page, 'an image page');

    await rows.first().getByRole('button', { name: 'Triage CVE-2024-0001 in openssl' }).click();
    const dialog = page.getByRole('dialog', { name: 'Triage CVE-2024-0001' });
    await dialog.getByLabel('State').selectOption('not_affected');
    await dialog.getByLabel('Justification').selectOption('code_not_reachable');
    await dialog.getByLabel('Detail').fill('TLS is terminated by the proxy; the vulnerable path is never called.');
    await assertAccessible(page, 'the triage dialog');
    await dialog.getByRole('button', { name: 'Save decision' }).click();
    await page.getByText('CVE-2024-0001 in openssl: not affected.').waitFor();
    await page.waitForFunction(() => /5 open \(1 fixable\), 1 suppressed/.test(document.querySelector('[data-testid="open-counts"]')!.textContent!));
    assert.equal(await counts.getByRole('img', { name: 'Critical: 0 open, 0 fixable' }).count(), 1);
    assert.match(await rows.first().innerText(), /not affected: code not reachable/);

    // The environment's counts follow: production runs this image and api@2.0, which still has it.
    await page.getByRole('link', { name: 'production' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'production' }).waitFor();
    assert.match(await page.locator('.facts').innerText(), /C 1 \(1\)/);

    // Withdrawn, it counts again.
    await page.goBack();
    await rows.first().getByRole('button', { name: 'Withdraw the decision about CVE-2024-0001' }).click();
    await page.getByText('Decision about CVE-2024-0001 withdrawn.').waitFor();
    await page.waitForFunction(() => /6 open \(2 fixable\), 0 suppressed/.test(document.querySelector('[data-testid="open-counts"]')!.textContent!));
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('does not offer triage to a read token', async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.read, `/images/${web}@${digests.web10}`);
    await page.locator('table.findings tbody tr').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /^Triage / }).count(), 0);
    await context.close();
  });

  it('compares two environments and follows a vulnerability to where it runs', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.read, '/compare');
    await page.getByLabel('Base').fill('env:production');
    await page.getByLabel('Head').fill('env:staging');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL(/\/compare\?base=env%3Aproduction&head=env%3Astaging/);
    const result = page.getByTestId('compare-result');
    await result.waitFor();
    const changed = result.locator('tbody tr', { hasText: 'web' }).first();
    assert.match(await changed.innerText(), /web\s+changed\s+registry\.example\.com\/acme\/web\s+a10fa10fa10f \(1\.0\)\s+a11ea11ea11e \(1\.1\)/);
    const added = page.getByRole('region', { name: 'Added by head' });
    assert.match(await added.innerText(), /Added by head \(1\)[\s\S]*CVE-2024-0007\s+High\s+glibc\s+2\.36-9\+deb12u4/);
    await assertAccessible(page, 'the compare page');

    await added.getByRole('link', { name: 'CVE-2024-0007' }).click();
    await page.getByRole('heading', { level: 1, name: 'CVE-2024-0007' }).waitFor();
    assert.match(await page.getByTestId('vulnerability-summary').innerText(), /^1 environment, 1 instance \(1 open\), 1 digest/);
    assert.match(await page.getByRole('region', { name: 'In staging' }).innerText(), /web\s+registry\.example\.com\/acme\/web:1\.1\s+a11ea11ea11e\s+glibc 2\.36-9 → 2\.36-9\+deb12u4/);
    await assertAccessible(page, 'a vulnerability page');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('shows a build from the repository\'s Builds tab, and its other tabs', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.read, `/repositories/${web}`);
    const tags = page.getByRole('tabpanel');
    await tags.getByRole('cell', { name: 'latest' }).waitFor();
    assert.match(await tags.innerText(), /1\.1\s+a11ea11ea11e/);
    await page.getByRole('tab', { name: 'Deployments' }).click();
    await page.getByRole('heading', { name: 'Built and pushed' }).waitFor();
    assert.match(await page.getByRole('region', { name: 'Running' }).innerText(), /production[\s\S]*web\s+1\.0\s+a10fa10fa10f[\s\S]*staging[\s\S]*web\s+1\.1\s+a11ea11ea11e \(9fceb02\)/);
    await assertAccessible(page, 'the Deployments tab');
    await page.getByRole('tab', { name: 'Builds' }).click();
    await page.getByRole('link', { name: 'web #42' }).click();
    await page.waitForURL(`${server.url}/repositories/${web}/build/${seeded.buildId}`);
    await page.getByRole('heading', { level: 1, name: /web #42\s+success/ }).waitFor();
    assert.match(await page.getByRole('region', { name: 'Trigger' }).innerText(), /9fceb02d0ae598e95dc970b74767f19372d61af8[\s\S]*refs\/heads\/main[\s\S]*1\.1, latest/);
    assert.match(await page.locator('main').innerText(), /registry\.example\.com\/acme\/web@a11ea11ea11e/);
    await assertAccessible(page, 'a build page');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('says in words when the API refuses: an image that does not exist, a malformed compare', async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.read, `/images/${web}@sha256:${'0'.repeat(64)}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Could not load the image: image registry\.example\.com\/acme\/web@sha256:0{64} not found/);
    await page.goto(`${server.url}/compare?base=nonsense&head=env:staging`);
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /Could not load the comparison: .*base.*\(field query\.base\)/);
    await context.close();
  });
});
