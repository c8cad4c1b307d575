import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../src/domain/projects/projects.js';
import { publishCase } from '../test/http/support/published.js';
import { createTestContext, type TestContext } from '../test/support/app.js';
import { engines } from '../test/support/databases.js';
import { makeProject, makeUser } from '../test/support/factories.js';
import { go, launchChromium, SHOTS } from './support/chromium.js';

// The public advisory pages in Debian's Chromium against a real server, as a visitor with
// JavaScript off: the project's list searched and filtered through its GET form, an advisory's
// page, and one of its downloads.

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(engines())('public advisories in Chromium on %s', (engine) => {
  let ctx: TestContext;
  let base: string;
  let project: Project;
  let context: BrowserContext;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    ctx.deps.config.publicUrl = new URL(base);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Libwidget' });
    const lead = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin' });
    const heap = await publishCase(ctx, project, lead, {
      summary: 'Heap overflow in the widget parser',
      cvssV31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      cveId: 'CVE-2026-23456',
    });
    const upload = await publishCase(ctx, project, lead, {
      summary: 'Path traversal in the uploader',
      ecosystem: 'PyPI',
      packageName: 'widget-uploader',
    });
    ids.heap = heap.publicId ?? '';
    ids.upload = upload.publicId ?? '';
    context = await browser.newContext({ locale: 'en-US', javaScriptEnabled: false });
  });
  afterAll(async () => {
    await context?.close();
    await ctx?.close();
  });

  const rows = (page: Page) => page.locator('tr[data-advisory]');

  it('searches and filters the list with JavaScript off, opens an advisory and downloads a format', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/p/${project.slug}`);
    await go(page, page.getByRole('link', { name: 'Every advisory' }));
    await expect.poll(() => rows(page).count()).toBe(2);

    await page.getByLabel('Search').fill('traversal');
    await go(page, page.getByRole('button', { name: 'Search' }));
    expect(page.url()).toContain('q=traversal');
    expect(await rows(page).count()).toBe(1);
    expect(await rows(page).first().getAttribute('data-advisory')).toBe(ids.upload);

    await page.getByLabel('Search').fill('');
    await page.getByLabel('Severity').selectOption('critical');
    await go(page, page.getByRole('button', { name: 'Search' }));
    expect(await rows(page).count()).toBe(1);
    expect(await rows(page).first().getAttribute('data-advisory')).toBe(ids.heap);
    await page.screenshot({ path: path.join(SHOTS, `${engine}-public-advisories-01-filtered.png`), fullPage: true });

    await go(page, page.getByRole('link', { name: ids.heap ?? '' }));
    expect(page.url()).toBe(`${base}/p/${project.slug}/advisories/${ids.heap}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Heap overflow in the widget parser');
    expect(await page.locator('[data-aliases]').textContent()).toContain('CVE-2026-23456');
    expect(await page.locator('[data-cvss]').textContent()).toContain('9.8');
    await page.screenshot({ path: path.join(SHOTS, `${engine}-public-advisories-02-advisory.png`), fullPage: true });

    const osvLink = page.locator('a[data-download="OSV"]');
    const href = await osvLink.getAttribute('href');
    const response = await page.request.get(`${base}${href}`);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toMatch(/^application\/json/);
    expect((await response.json()).id).toBe(`x_${ids.heap}`);
    await go(page, osvLink);
    expect(page.url()).toBe(`${base}/p/${project.slug}/advisories/${ids.heap}/osv.json`);
    expect(await page.locator('body').textContent()).toContain(`"x_${ids.heap}"`);
  });
});
