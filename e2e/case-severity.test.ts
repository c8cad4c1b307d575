import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SHOTS } from './support/chromium.js';
import { buildDeps } from '../src/build-deps.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { Deps } from '../src/deps.js';
import { noOrigin } from '../src/domain/audit/audit.js';
import type { Project } from '../src/domain/projects/projects.js';
import * as triage from '../src/domain/reports/triage.service.js';
import type { User } from '../src/domain/users/users.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { actorOf } from '../test/support/case-factory.js';
import { createTestDatabase, engines, type TestDatabase } from '../test/support/databases.js';
import { makeProject, makeUser, TEST_PASSWORD } from '../test/support/factories.js';
import { makeReport } from '../test/support/report-factory.js';

// Issue 4's "done when", in Debian's Chromium against a real server: a team member scores a case
// with CVSS 4.0 and SSVC, sees the effective severity, its reasons and the deadlines it sets. The
// calculator is used once with JavaScript off (the server recomputes on Calculate) and once with it
// on (cvss.js updates as metrics are chosen); both give the same vector and score, and save the same.

const VECTOR = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/E:A';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** Checks the radio of each metric of the vector, opening the group it is folded in. */
async function chooseMetrics(page: Page, vector: string): Promise<void> {
  const form = page.locator('form#cvss40');
  for (const part of vector.split('/').slice(1)) {
    const [key, value] = part.split(':');
    const details = form.locator(`details:has(input[name="m_${key}"])`);
    if ((await details.count()) > 0) await details.evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await form.locator(`input[name="m_${key}"][value="${value}"]`).check();
  }
}

/** What the 4.0 calculator shows: the vector and the overall score with its rating. */
async function shown(page: Page): Promise<{ vector: string; overall: string }> {
  const form = page.locator('form#cvss40');
  return {
    vector: ((await form.locator('[data-cvss-vector]').textContent()) ?? '').trim(),
    overall: ((await form.locator('[data-cvss-score="overall"]').innerText()) ?? '').replace(/\s+/g, ' ').trim(),
  };
}

describe.each(engines())('scoring a case in Chromium on %s', (engine) => {
  let t: TestDatabase;
  let deps: Deps;
  let base: string;
  let close: () => Promise<void>;
  let project: Project;
  let member: User;

  async function openCase(title: string): Promise<string> {
    const { report } = await makeReport({ deps }, project, { title });
    const accepted = await t.db.transaction().execute((trx) =>
      triage.accept(trx, deps, {
        actor: actorOf(member, project),
        origin: noOrigin,
        projectId: project.id,
        reportId: report.id,
      }),
    );
    return `${base}/p/${project.slug}/cases/${accepted.case.number}`;
  }

  async function signedInPage(javaScriptEnabled: boolean): Promise<Page> {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(member.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/projects/);
    return page;
  }

  const storedVector = async (url: string) => {
    const number = Number(url.split('/').pop());
    const row = await t.db
      .selectFrom('case_severity')
      .innerJoin('cases', 'cases.id', 'case_severity.case_id')
      .select(['case_severity.cvss_v40', 'case_severity.effective_severity'])
      .where('cases.project_id', '=', project.id)
      .where('cases.number', '=', number)
      .executeTakeFirst();
    return row;
  };

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    const logger = createLogger({ level: 'warn' });
    const config = loadConfig({ EMBARGO_SECRET: 'e2e', LOG_LEVEL: 'warn' });
    deps = await buildDeps({ config, db: t.db, clock: systemClock, logger });
    const app = await buildApp(deps);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    deps.config.publicUrl = new URL(base);
    close = () => app.close();
    project = await makeProject(t.db, systemClock, { name: 'Libwidget' });
    member = await makeUser(t.db, systemClock, { name: 'Sam Security', project, role: 'security' });
  });

  afterAll(async () => {
    await close?.();
    await t?.destroy();
  });

  it('gives the same vector and score with JavaScript off and on, and shows the effective severity and deadlines', async () => {
    // JavaScript off: choose the metrics, Calculate (the server scores), then save with a reason.
    const offUrl = await openCase('Overflow scored without JavaScript');
    const off = await signedInPage(false);
    await off.goto(offUrl);
    await chooseMetrics(off, VECTOR);
    await off.locator('form#cvss40 button[value="calculate"]').click();
    await off.waitForLoadState();
    const offShown = await shown(off);
    expect(offShown.vector).toBe(VECTOR);
    expect(offShown.overall).toMatch(/^\d+\.\d (Low|Medium|High|Critical)/);
    await off.screenshot({ path: path.join(SHOTS, `${engine}-severity-01-js-off-calculated.png`), fullPage: true });
    await off.locator('form#cvss40 textarea[name="reason"]').fill('Reproduced remotely without credentials.');
    await off.locator('form#cvss40 button[value="save"]').click();
    await off.waitForLoadState();
    expect(await storedVector(offUrl)).toMatchObject({ cvss_v40: VECTOR });

    // JavaScript on: the calculator updates as the metrics are chosen, with no page load.
    const onUrl = await openCase('Overflow scored with JavaScript');
    const on = await signedInPage(true);
    await on.goto(onUrl);
    const errors: string[] = [];
    on.on('pageerror', (e) => errors.push(String(e)));
    await chooseMetrics(on, VECTOR);
    await expect.poll(async () => (await shown(on)).overall, { timeout: 10_000 }).toBe(offShown.overall);
    expect((await shown(on)).vector).toBe(VECTOR);
    await on.screenshot({ path: path.join(SHOTS, `${engine}-severity-02-js-on-live.png`), fullPage: true });
    await on.locator('form#cvss40 textarea[name="reason"]').fill('Same score, live.');
    await on.locator('form#cvss40 button[value="save"]').click();
    await on.waitForURL(/#cvss-4\.0$/);
    expect(await storedVector(onUrl)).toEqual(await storedVector(offUrl));
    expect(errors).toEqual([]);

    // SSVC and exploitation, JavaScript off: the effective severity, its reasons and the deadlines.
    await off.goto(offUrl);
    const ssvc = off.locator('form#ssvc');
    for (const [name, value] of [
      ['exploitation', 'active'],
      ['automatable', 'yes'],
      ['valueDensity', 'concentrated'],
      ['technicalImpact', 'total'],
      ['publicSafetyImpact', 'minimal'],
    ]) {
      await ssvc.locator(`input[name="${name}"][value="${value}"]`).check();
    }
    await ssvc.locator('textarea[name="reason"]').fill('Exploited against public servers.');
    await ssvc.getByRole('button', { name: 'Save SSVC decision' }).click();
    await off.waitForLoadState();
    const exploitation = off.locator('form#exploitation');
    await exploitation.getByLabel('Exploited in the wild').check();
    await exploitation.locator('input[name="source"]').fill('CISA KEV');
    await exploitation.locator('select[name="exposure"]').selectOption('most');
    await exploitation.locator('textarea[name="reason"]').fill('KEV listing.');
    await exploitation.getByRole('button', { name: 'Save exploitation context' }).click();
    await off.waitForLoadState();

    const summary = off.locator('#severity');
    await expect.poll(() => summary.locator('[data-effective-severity]').textContent()).toBe('critical');
    expect(await summary.locator('[data-priority]').textContent()).toBe('immediate');
    expect(await summary.innerText()).toContain('CISA KEV');
    expect(await summary.innerText()).toContain('Fix due');
    expect(await summary.innerText()).toContain('Out of band');
    expect(await off.locator('#history').innerText()).toContain('Exploited against public servers.');
    expect(await storedVector(offUrl)).toMatchObject({ effective_severity: 'critical' });
    await off.screenshot({ path: path.join(SHOTS, `${engine}-severity-03-effective.png`), fullPage: true });
  });
});
