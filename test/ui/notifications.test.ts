/*
 * The seed's flow in a real browser, above all (issue 7, point 2): repository Settings → Create Notification →
 * "When this event occurs" → the event's filter fields → "Then issue a notification" → the method's fields → the
 * secret shown once → Test → the delivery in the log with its attempts → Redeliver; then Reset and Delete. Deliveries
 * go to real HTTP receivers on 127.0.0.1 through the real delivery worker.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { assertAccessible, browserSkipReason, launchBrowser, newPage, signIn } from './support/browser.js';
import { startUiServer, type UiServer } from './support/ui-server.js';
import { seedWorkspace, web } from './support/seed.js';
import { startReceiver, type Receiver } from '../support/receivers.js';

const skip = browserSkipReason();

async function openSettings(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/repositories/${web}`);
  await page.getByRole('tab', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Notifications' }).waitFor();
}

describe('repository notifications, the seed\'s flow', { skip: skip ?? false }, () => {
  let server: UiServer;
  let browser: Browser;
  let receiver: Receiver;
  let gone: Receiver;
  before(async () => {
    server = await startUiServer();
    await seedWorkspace(server.t);
    // The first attempt fails with a 500, the retry succeeds: the log must show both attempts.
    receiver = await startReceiver((_r, i) => (i === 0 ? { status: 500, body: 'try again' } : { status: 200, body: 'thanks' }));
    // Answers 410 Gone, which disables a notification at once (notifications.md "Retries and failures").
    gone = await startReceiver(() => ({ status: 410, body: 'gone' }));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await receiver?.close();
    await gone?.close();
    await server?.close();
  });

  it('creates a webhook notification, shows its secret once, tests it, logs the attempts, redelivers', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.admin);
    await openSettings(page, server.url);
    await page.getByText(/No notification yet/).waitFor();

    await page.getByRole('button', { name: 'Create Notification' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Notification' });
    await dialog.getByLabel('When this event occurs').selectOption({ label: 'Package vulnerability found' });
    await dialog.getByLabel('Only when the severity is at least').selectOption({ label: 'High or more severe' });
    await dialog.getByLabel('Only in environments').fill('production');
    await dialog.getByLabel('Then issue a notification').selectOption({ label: 'Webhook POST' });
    await dialog.getByLabel('Title (optional)').fill('Security team');
    await assertAccessible(page, 'the Create Notification dialog');

    // A URL the API refuses: its words, beside the field they concern.
    await dialog.getByLabel('Webhook URL').fill('ftp://hooks.example.com/x');
    await dialog.getByRole('button', { name: 'Create Notification' }).click();
    await dialog.getByRole('alert').waitFor();
    assert.match(await dialog.getByRole('alert').innerText(), /Not created: config\.url must be an http or https URL \(got ftp:\)\s*\(field config\.url\)/);
    assert.equal(await dialog.getByLabel('Webhook URL').getAttribute('aria-invalid'), 'true');

    await dialog.getByLabel('Webhook URL').fill(`${receiver.url}/tidewatch`);
    await dialog.getByRole('button', { name: 'Create Notification' }).click();
    const created = page.getByRole('dialog', { name: 'Notification created' });
    const secret = (await created.locator('#secret-value').innerText()).trim();
    assert.match(secret, /^whsec_/);
    await created.getByRole('button', { name: 'Done' }).click();

    const row = page.locator('table.notifications tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    const text = await row.innerText();
    assert.match(text, /Security team\s+Package vulnerability found\s+Critical, High; in production/);
    assert.match(text, /Webhook POST/);
    assert.match(text, /enabled\s+0\s+never/);
    // Shown once: the list never carries it.
    assert.ok(!(await page.content()).includes(secret));

    await row.getByRole('button', { name: 'Test' }).click();
    await page.getByText(/Test delivery of "Security team" queued/).waitFor();
    const delivery = page.locator('section.delivery-log tbody tr[data-status="succeeded"]');
    await delivery.waitFor({ timeout: 15_000 });
    await delivery.getByText('2 attempts').click();
    const attempts = delivery.locator('li[data-attempt]');
    assert.match(await attempts.nth(0).innerText(), /HTTP 500 in \d+ ms/);
    assert.match(await attempts.nth(0).innerText(), /try again/);
    assert.match(await attempts.nth(1).innerText(), /HTTP 200 in \d+ ms/);
    assert.match(await delivery.innerText(), /vulnerability_found\s+test/);

    // What arrived is signed with the secret the page showed once.
    const [first, second] = await receiver.waitFor(2);
    const headers = Object.fromEntries(Object.entries(second!.headers).map(([k, v]) => [k, String(v)]));
    const payload = new Webhook(secret).verify(second!.body, headers) as { homepage: string; vulnerability: { id: string } };
    assert.equal(payload.homepage, `http://tidewatch.test/repositories/${web}`);
    assert.equal(first!.headers['webhook-id'], second!.headers['webhook-id']);
    await assertAccessible(page, 'the Settings tab with a delivery log');

    await delivery.getByRole('button', { name: 'Redeliver' }).click();
    await page.getByText(/sent again \(same webhook-id\)/).waitFor();
    const third = (await receiver.waitFor(3))[2]!;
    assert.equal(third.headers['webhook-id'], first!.headers['webhook-id']);
    await page.locator('section.delivery-log').getByText('3 attempts').waitFor({ timeout: 15_000 });
    await page.locator('table.notifications').getByText('succeeded').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('shows a notification disabled by a 410, resets it, and deletes it', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.admin);
    await openSettings(page, server.url);
    await page.getByRole('button', { name: 'Create Notification' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Notification' });
    await dialog.getByLabel('When this event occurs').selectOption({ label: 'Push to repository' });
    await dialog.getByLabel('Only for tags').fill('v*, latest');
    await dialog.getByLabel('Then issue a notification').selectOption({ label: 'Webhook POST' });
    await dialog.getByLabel('Webhook URL').fill(`${gone.url}/gone`);
    await dialog.getByLabel('Title (optional)').fill('Old receiver');
    await dialog.getByRole('button', { name: 'Create Notification' }).click();
    await page.getByRole('dialog', { name: 'Notification created' }).getByRole('button', { name: 'Done' }).click();

    const row = page.locator('table.notifications tbody tr', { hasText: 'Old receiver' });
    assert.match(await row.innerText(), /tags v\*, latest/);
    await row.getByRole('button', { name: 'Test' }).click();
    await page.locator('section.delivery-log tbody tr[data-status="failed"]').waitFor({ timeout: 15_000 });
    await row.getByText('disabled').waitFor();
    assert.equal(await row.getByRole('button', { name: 'Test' }).isDisabled(), true);

    await row.getByRole('button', { name: 'Reset' }).click();
    await page.getByText(/Reset: failures back to 0/).waitFor();
    await row.getByText('enabled').waitFor();
    assert.match(await row.innerText(), /enabled\s+0/);

    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText(/Notification deleted/).waitFor();
    // The notice shows as soon as the DELETE answers; the list reloads after it.
    await page.locator('table.notifications tbody tr', { hasText: 'Old receiver' }).waitFor({ state: 'detached' });
    assert.equal(await page.locator('table.notifications tbody tr', { hasText: 'Security team' }).count(), 1);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('does not offer Settings to a token that is not admin', async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.write);
    await page.goto(`${server.url}/repositories/${web}?tab=settings`);
    await page.getByRole('tab', { name: 'Tags' }).waitFor();
    assert.equal(await page.getByRole('tab', { name: 'Settings' }).count(), 0);
    await page.getByText(/Settings \(notifications\) need an admin token; this one is write/).waitFor();
    await context.close();
  });
});
