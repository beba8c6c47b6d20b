/*
 * In a real browser: a token created (shown once), used, and revoked; an API error shown in words beside its field;
 * the Integrations page whose curl, copied as shown, records a deployment on this server; a secret hook URL made for
 * Quay that then takes Quay's push notification.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { assertAccessible, browserSkipReason, launchBrowser, newPage, signIn } from './support/browser.js';
import { startUiServer, type UiServer } from './support/ui-server.js';
import { seedWorkspace } from './support/seed.js';

const skip = browserSkipReason();
const run = promisify(execFile);

describe('tokens and integrations', { skip: skip ?? false }, () => {
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

  it('creates a token (shown once), which then signs in, and revokes it', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.admin, '/settings/tokens');
    await page.getByRole('heading', { name: 'Tokens of this workspace' }).waitFor();
    await page.getByLabel('Role').selectOption('write');
    await page.getByLabel('Name').fill('ci-deploy');
    await page.getByLabel('Repositories').fill('registry.example.com/acme/*');
    // The API's refusal, in its words, beside the field it names.
    await page.getByLabel('Expires in').fill('next tuesday');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /expires_in: expiry "next tuesday" must be a duration like 30d, 12h, 90m or an ISO-8601 time \(field expires_in\)/);
    assert.equal(await page.getByLabel('Expires in').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#tk-expires-error').innerText(), /must be a duration like 30d/);

    await page.getByLabel('Expires in').fill('90d');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-token');
    await shown.waitFor();
    const token = (await page.locator('#new-token-value').innerText()).trim();
    assert.match(token, /^tw_[A-Za-z0-9_-]{43}$/);
    const row = page.locator('table.tokens tbody tr', { hasText: 'ci-deploy' });
    assert.match(await row.innerText(), new RegExp(`ci-deploy\\s+write\\s+registry\\.example\\.com/acme/\\*\\s+${token.slice(0, 10).replace(/[-]/g, '\\-')}…\\s+–\\s+in 3 months`));
    await assertAccessible(page, 'the tokens page');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    assert.ok(!(await page.content()).includes(token), 'the token is not on the page any more');

    // The new token signs in, as what it is.
    const other = await newPage(browser);
    await signIn(other.page, server.url, token);
    assert.match(await other.page.getByTestId('signed-in-as').innerText(), /write/);
    await other.context.close();

    await row.getByRole('button', { name: /^Revoke ci-deploy/ }).click();
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.getByText(/Token ci-deploy \(.*\) revoked/).waitFor();
    // The notice shows as soon as the DELETE answers; the list reloads after it.
    await page.locator('table.tokens tbody tr', { hasText: 'ci-deploy' }).waitFor({ state: 'detached' });
    await page.getByLabel('Show revoked').check();
    assert.match(await page.locator('table.tokens tbody tr', { hasText: 'ci-deploy' }).innerText(), /revoked/);

    const refused = await newPage(browser);
    await refused.page.goto(`${server.url}/signin`);
    await refused.page.getByLabel('API token').fill(token);
    await refused.page.getByRole('button', { name: 'Sign in' }).click();
    await refused.page.getByRole('alert').waitFor();
    assert.match(await refused.page.getByRole('alert').innerText(), /a valid token is required/);
    await refused.context.close();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('shows the deployment endpoint with the seed\'s curl for this server, which works as copied', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.admin, '/integrations');
    assert.equal(await page.getByTestId('deployment-endpoint').innerText(), `${server.url}/api/v1/deployments`);
    const curl = await page.locator('#deploy-curl').innerText();
    assert.ok(curl.startsWith(`curl ${server.url}/api/v1/deployments \\\n  -X POST \\\n  -H "Content-Type: application/json" \\\n  -H "Authorization: Bearer $TIDEWATCH_TOKEN"`), curl);
    await page.getByRole('button', { name: 'Copy curl call to the deployment endpoint' }).click();
    await page.getByRole('button', { name: 'Copied curl call to the deployment endpoint' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), curl);

    const command = curl.replace('<image-url>@<sha256-digest>', `registry.example.com/acme/web@sha256:${'c3'.repeat(32)}`);
    const { stdout } = await run('bash', ['-c', `${command} --silent --show-error --write-out ' %{http_code}'`], { env: { ...process.env, TIDEWATCH_TOKEN: server.t.tokens.write } });
    assert.match(stdout, / 201$/);
    const recorded = await server.t.call('GET', '/api/v1/environments/production');
    assert.ok(recorded.json().instances.some((i: { digest: string }) => i.digest === `sha256:${'c3'.repeat(32)}`));

    assert.match(await page.locator('main').innerText(), new RegExp(`export TIDEWATCH_URL=${server.url.replace(/[.]/g, '\\.')}\\nexport TIDEWATCH_TOKEN=tw_…[^\\n]*\\nnpx tidewatch deploy`));
    await assertAccessible(page, 'the Integrations page');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('makes a secret hook URL for Quay, shown once, that takes Quay\'s notification; lists and deletes it', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.admin, '/integrations');
    const quay = page.locator('details[data-hook="quay"]');
    await quay.locator('summary').click();
    assert.match(await quay.innerText(), new RegExp(`${server.url.replace(/[.]/g, '\\.')}/api/v1/hooks/quay/<secret>`));
    await quay.getByLabel('Registry host (optional)').fill('quay.example.com');
    await quay.getByRole('button', { name: 'Make a secret URL for Quay' }).click();
    await quay.getByText('The secret URL, shown this once').waitFor();
    const url = /Webhook URL:\s+(\S+)/.exec(await quay.locator('pre').innerText())![1]!;
    assert.match(url, /^http:\/\/tidewatch\.test\/api\/v1\/hooks\/quay\/\S{20,}$/);
    // The server's public URL is tidewatch.test in tests; the path is what Quay calls.
    const path = new URL(url).pathname;
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repository: 'acme/web', namespace: 'acme', name: 'web', docker_url: 'quay.example.com/acme/web', homepage: 'https://quay.example.com/repository/acme/web', updated_tags: ['2.0'] }),
    });
    assert.ok(res.status >= 200 && res.status < 300, `Quay's push accepted (${res.status} ${await res.text()})`);

    const table = page.getByRole('region', { name: 'Registry hooks' }).locator('table');
    assert.match(await table.innerText(), /quay\s+quay\.example\.com\s+no/);
    await table.getByRole('button', { name: /^Delete quay hook endpoint/ }).click();
    await page.getByText(/Hook endpoint quay \(.*\) deleted/).waitFor();
    const gone = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(gone.status, 404);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
