/*
 * Debian's chromium driven by playwright-core (issue 7, point 5): one browser per test file, a fresh context (its own
 * sessionStorage) per scenario. Without /usr/bin/chromium the tests skip and say why.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const chromiumPath = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export function browserSkipReason(): string | null {
  if (!fs.existsSync(chromiumPath)) {
    return `${chromiumPath} is missing, so the browser tests are skipped (install Debian's chromium: apt-get install -y chromium; .ci/run does)`;
  }
  return null;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export async function newPage(browser: Browser, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: options.colorScheme ?? 'light', reducedMotion: 'reduce' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  // Uncaught errors and failed loads of our own assets fail a test: nothing may fail silently.
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (4\d\d)/.test(m.text())) errors.push(`console error: ${m.text()}`);
  });
  return { context, page, errors };
}

/** Signs in by pasting the token, as a user does, and waits until the header says who is signed in. */
export async function signIn(page: Page, baseUrl: string, token: string, next = '/'): Promise<void> {
  await page.goto(`${baseUrl}/signin?next=${encodeURIComponent(next)}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
}

/** No serious or critical axe-core finding (ui.md); the message lists what was found and where. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`),
    [],
    `axe-core on ${what}`,
  );
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where the screenshots go (README "Web interface"); TIDEWATCH_SCREENSHOTS_DIR moves them. */
export const screenshotsDir = process.env.TIDEWATCH_SCREENSHOTS_DIR ?? path.join(root, 'docs', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  const theme = await page.evaluate(() => (document.documentElement.dataset.theme
    ?? (window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')));
  await page.screenshot({ path: path.join(screenshotsDir, `${name}-${theme}.png`), fullPage: true, animations: 'disabled' });
}
