/**
 * The HTML report in a real browser: Debian's Chromium driven by playwright-core. Checks what
 * only a browser can: the CSP lets the page's own script run (a hash mismatch would block it),
 * nothing is fetched, and the severity filter and the tree buttons work when clicked.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vet } from '../../pipeline/vet.js';
import { renderVetHtml } from './vet-html.js';

const CHROMIUM = process.env.COUNTERSIGN_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `skipping the browser checks of the HTML report: no Chromium at ${CHROMIUM} (apt-get install chromium, or set COUNTERSIGN_CHROMIUM)`,
  );
}

const root = fileURLToPath(new URL('../../..', import.meta.url));
const release = (version: string) =>
  join(root, 'test/fixtures/vet/data/releases', `ExampleDesk-${version}.zip`);

describe.skipIf(!hasChromium)('when the 3CX-style vet report is opened in Chromium', () => {
  let dir: string;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const problems: string[] = [];
  let total = 0;
  let bySeverity: Record<string, number> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'countersign-html-browser-'));
    const result = await vet([release('1.0.2')], [release('1.0.1')], { digests: ['sha256'] });
    total = result.findings.length;
    bySeverity = {};
    for (const finding of result.findings)
      bySeverity[finding.severity] = (bySeverity[finding.severity] ?? 0) + 1;
    const file = join(dir, 'report.html');
    await writeFile(file, renderVetHtml(result));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(pathToFileURL(file).href);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads nothing but the file itself, and its script runs under the CSP', async () => {
    expect(requests).toEqual([page.url()]);
    expect(problems).toEqual([]);
    // A CSP hash mismatch would show up as a console error above; the clicks below prove the script runs.
    await expect.poll(() => page.locator('#shown').textContent()).toBe(`${total} of ${total} findings shown`);
    expect(await page.locator('#verdict').getAttribute('data-decision')).toBe('block');
  });

  it('hides and shows findings when severity boxes are clicked', async () => {
    const visible = () => page.locator('.finding:visible').count();
    expect(await visible()).toBe(total);
    const critical = bySeverity.critical ?? 0;
    const high = bySeverity.high ?? 0;
    expect(critical).toBeGreaterThan(0);
    expect(high).toBeGreaterThan(0);

    await page.locator('#severity-filter input[value=critical]').click();
    expect(await visible()).toBe(total - critical);
    expect(await page.locator('.finding[data-severity=critical]:visible').count()).toBe(0);
    expect(await page.locator('#shown').textContent()).toBe(`${total - critical} of ${total} findings shown`);

    await page.locator('#severity-filter input[value=high]').click();
    expect(await visible()).toBe(total - critical - high);

    await page.locator('#severity-filter input[value=critical]').click();
    await page.locator('#severity-filter input[value=high]').click();
    expect(await visible()).toBe(total);
    expect(await page.locator('#shown').textContent()).toBe(`${total} of ${total} findings shown`);
  });

  it('folds and unfolds the diff tree', async () => {
    const ffmpeg = page.locator('#diff li.leaf', { hasText: 'ffmpeg.dll' });
    expect(await ffmpeg.isVisible()).toBe(true);
    await page.locator('#tree-collapse').click();
    expect(await ffmpeg.isVisible()).toBe(false);
    await page.locator('#tree-expand').click();
    expect(await ffmpeg.isVisible()).toBe(true);
    await page.locator('#diff summary', { hasText: 'ExampleDesk' }).first().click();
    expect(await ffmpeg.isVisible()).toBe(false);
    if (process.env.COUNTERSIGN_HTML_SCREENSHOT) {
      await page.locator('#tree-expand').click();
      await page.screenshot({ path: process.env.COUNTERSIGN_HTML_SCREENSHOT, fullPage: true });
    }
  });
});
