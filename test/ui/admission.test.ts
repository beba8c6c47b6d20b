/*
 * In a real browser: Policies (create with an API error in words, edit, the pipeline check) and Clusters (add one:
 * its secret shown once with the `tidewatch k8s manifest` command, which prints a manifest when run as copied; rotate,
 * delete), and the admission decisions a real review leaves.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { parseAllDocuments } from 'yaml';
import { assertAccessible, browserSkipReason, launchBrowser, newPage, signIn } from './support/browser.js';
import { startUiServer, type UiServer } from './support/ui-server.js';
import { digests, seedWorkspace, web } from './support/seed.js';
import { runCli } from '../support/server-process.js';
import { admissionReview, podObject, review } from '../support/admission-reviews.js';

const skip = browserSkipReason();

describe('policies and clusters', { skip: skip ?? false }, () => {
  let server: UiServer;
  let browser: Browser;
  let dir: string;
  before(async () => {
    server = await startUiServer();
    await seedWorkspace(server.t);
    browser = await launchBrowser();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-ui-k8s-'));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a policy (an API error first, in words), edits it, and checks an image against it', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.admin, '/policies');
    await page.getByText('No policy yet').waitFor();
    await page.getByRole('button', { name: 'New policy' }).click();
    const dialog = page.getByRole('dialog', { name: 'New policy' });
    await dialog.getByLabel('Name').fill('Prod Gate');
    await dialog.getByLabel('Environments').fill('prod-eu/*, production');
    await dialog.getByLabel('Mode').selectOption('enforce');
    await dialog.getByLabel('Deny vulnerabilities of severity').selectOption('Critical');
    await dialog.getByLabel('refuse images without a scan').check();
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    await dialog.getByRole('alert').waitFor();
    assert.match(await dialog.getByRole('alert').innerText(), /Not saved: name .*\(field name\)/);
    assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    await assertAccessible(page, 'the policy form');
    await dialog.getByLabel('Name').fill('prod-gate');
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    await page.getByText('Policy prod-gate saved.').waitFor();
    const row = page.locator('table.policies tbody tr', { hasText: 'prod-gate' });
    assert.match(await row.innerText(), /prod-gate\s+prod-eu\/\* production\s+enforce\s+deny Critical or worse; require a scan/);

    await row.getByRole('button', { name: 'Edit prod-gate' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit policy prod-gate' });
    assert.equal(await edit.getByLabel('Environments').inputValue(), 'prod-eu/*, production');
    await edit.getByLabel('Mode').selectOption('warn');
    await edit.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Policy prod-gate saved.').waitFor();
    await row.getByText('warn', { exact: true }).waitFor();

    await page.getByRole('textbox', { name: 'Image' }).fill(`${web}@${digests.web10}`);
    await page.getByRole('textbox', { name: 'Environment', exact: true }).fill('prod-eu/payments');
    await page.getByRole('button', { name: 'Check' }).click();
    const check = page.getByTestId('policy-check');
    await check.waitFor();
    assert.match(await check.innerText(), /^warned[\s\S]*prod-gate \(warn, deny_severity\): .*Critical/);
    await assertAccessible(page, 'the policies page');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('adds a cluster: secret once, a manifest command that works as copied; a review shows as a decision; rotate, delete', async () => {
    const { page, context, errors } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.admin, '/clusters');
    await page.getByText('No cluster yet.').waitFor();
    await page.getByRole('button', { name: 'Add cluster' }).click();
    const add = page.getByRole('dialog', { name: 'Add cluster' });
    await add.getByLabel('Name').fill('prod-eu');
    await add.getByRole('button', { name: 'Add cluster' }).click();
    const shown = page.getByRole('dialog', { name: 'Cluster prod-eu: its secret, shown once' });
    const secret = (await shown.locator('#cluster-secret-value').innerText()).trim();
    assert.match(secret, /^twk_/);
    const command = await shown.locator('#manifest-command').innerText();
    assert.equal(command, `export TIDEWATCH_CLUSTER_SECRET=${secret}\nnpx tidewatch k8s manifest --cluster prod-eu --url ${server.url} --ca-file ca.pem | kubectl apply -f -`);
    assert.match(await shown.innerText(), /calls webhooks over HTTPS only/);
    await assertAccessible(page, 'the cluster secret dialog');
    const webhookUrl = (await shown.locator('pre').first().innerText()).trim();
    await shown.getByRole('button', { name: 'Done' }).click();

    // The command as shown, run (with the https address the page asks for, and the CA file it names).
    fs.writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUTidewatchTestCA\n-----END CERTIFICATE-----\n');
    const args = command.split('\n')[1]!.replace(' | kubectl apply -f -', '').split(' ').slice(2)
      .map((a) => (a === server.url ? 'https://tidewatch.example.com' : a === 'ca.pem' ? path.join(dir, 'ca.pem') : a));
    const printed = await runCli(args, { TIDEWATCH_CLUSTER_SECRET: secret });
    assert.equal(printed.code, 0, printed.stderr);
    const [manifest] = parseAllDocuments(printed.stdout).map((d) => d.toJS());
    assert.equal(manifest.kind, 'ValidatingWebhookConfiguration');
    assert.equal(manifest.webhooks[0].clientConfig.url, `https://tidewatch.example.com${new URL(webhookUrl).pathname}`);

    // A Pod admitted through the webhook URL shows as a decision (warned by prod-gate: web 1.0 has a Critical).
    const answer = await review(server.t, secret, admissionReview({
      operation: 'CREATE', object: podObject({ name: 'web-1', namespace: 'payments', containers: [{ name: 'web', image: `${web}@${digests.web10}` }] }),
    }));
    assert.equal(answer.allowed, true);
    await page.reload();
    const decision = page.locator('table.decisions tbody tr').first();
    await decision.waitFor();
    assert.match(await decision.innerText(), new RegExp(`prod-eu\\s+prod-eu/payments\\s+${web.replace(/[.]/g, '\\.')}@${digests.web10}\\s+warned\\s+prod-gate`));
    await assertAccessible(page, 'the clusters page');

    const row = page.locator('table.clusters tbody tr', { hasText: 'prod-eu' });
    await row.getByRole('button', { name: 'Rotate the secret of prod-eu' }).click();
    await row.getByRole('button', { name: 'Yes, rotate' }).click();
    const rotated = page.getByRole('dialog', { name: 'Cluster prod-eu: its secret, shown once' });
    const newSecret = (await rotated.locator('#cluster-secret-value').innerText()).trim();
    assert.notEqual(newSecret, secret);
    await rotated.getByRole('button', { name: 'Done' }).click();
    await row.getByRole('button', { name: 'Delete prod-eu' }).click();
    await row.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText(/Cluster prod-eu deleted/).waitFor();
    await page.getByText('No cluster yet.').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('shows a read token the policies and decisions, and offers it no change', async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, server.url, server.t.tokens.read, '/policies');
    await page.locator('table.policies tbody tr').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'New policy' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Edit / }).count(), 0);
    await page.goto(`${server.url}/clusters`);
    await page.getByText(/Clusters are listed for admin tokens only; this one is read/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add cluster' }).count(), 0);
    await page.locator('table.decisions tbody tr').first().waitFor();
    await context.close();
  });
});
