import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SHOTS } from './support/chromium.js';
import { buildDeps } from '../src/build-deps.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { Deps } from '../src/deps.js';
import { buildApp } from '../src/http/app.js';
import { jobHandlers } from '../src/jobs/handlers.js';
import { createWorker, type Worker } from '../src/jobs/worker.js';
import { createLogger } from '../src/logger.js';
import { createTestDatabase, engines, type TestDatabase } from '../test/support/databases.js';
import { makeProject, makeUser, TEST_PASSWORD } from '../test/support/factories.js';
import { type SmtpCapture, startSmtpCapture } from '../test/support/smtp.js';

// A newcomer's whole path in Debian's Chromium with JavaScript OFF, against a real server (real port,
// real worker, real SMTP server): submit a report, follow it by its private link, sign in as the team,
// acknowledge, ask for more information, get the answer, accept into a case. The reporter sees each
// step on the status page and by mail. Screenshots go to e2e/screenshots/ (git-ignored).

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(engines())('report lifecycle in Chromium without JavaScript on %s', (engine) => {
  let t: TestDatabase;
  let smtp: SmtpCapture;
  let deps: Deps;
  let worker: Worker;
  let base: string;
  let close: () => Promise<void>;
  let shot = 0;

  async function screenshot(page: Page, name: string): Promise<void> {
    shot += 1;
    await page.screenshot({
      path: path.join(SHOTS, `${engine}-${String(shot).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  }

  /** Mail is delivered by the worker; wait for the message whose subject matches. */
  async function mailTo(to: string, subject: RegExp) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = smtp.messages.find((m, i) => smtp.recipients[i]?.includes(to) && subject.test(m.subject ?? ''));
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = smtp.messages.map((m, i) => `${smtp.recipients[i]?.join(',')}: ${m.subject}`).join('\n');
        throw new Error(`no mail to ${to} matching ${subject}; received:\n${seen}`);
      }
      worker.wake();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    smtp = await startSmtpCapture();
    const logger = createLogger({ level: 'warn' });
    // Port 0 first to learn the port, then the public URL the links use.
    const config0 = loadConfig({ EMBARGO_SMTP_URL: smtp.url, EMBARGO_SECRET: 'e2e', LOG_LEVEL: 'warn' });
    deps = await buildDeps({ config: config0, db: t.db, clock: systemClock, logger });
    const app = await buildApp(deps);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    deps.config.publicUrl = new URL(base);
    worker = createWorker({
      db: t.db,
      clock: systemClock,
      logger,
      handlers: jobHandlers(deps),
      pollMs: 100,
      concurrency: 2,
    });
    deps.wakeWorker = () => worker.wake();
    worker.start();
    close = async () => {
      await app.close();
      await worker.stop();
      if (deps.mail.kind === 'smtp') deps.mail.close();
    };
  });

  afterAll(async () => {
    await close?.();
    await smtp?.close();
    await t?.destroy();
  });

  it('goes from a JS-off report to an accepted case, with the reporter seeing each step', async () => {
    const project = await makeProject(t.db, systemClock, { name: 'Libwidget' });
    const lead = await makeUser(t.db, systemClock, { name: 'Ada Lead', project, role: 'admin' });
    const reporterEmail = 'finder@example.net';

    const reporterContext: BrowserContext = await browser.newContext({ javaScriptEnabled: false });
    const teamContext: BrowserContext = await browser.newContext({ javaScriptEnabled: false });
    try {
      // 1. The reporter submits the form, with a proof of concept attached.
      const reporter = await reporterContext.newPage();
      await reporter.goto(`${base}/p/${project.slug}/report`);
      await reporter.getByLabel('Title').fill('Heap overflow in widget header parsing');
      await reporter.getByLabel('Description').fill('A crafted header makes `parse_header` write past its buffer.');
      await reporter.getByLabel('Affected versions').fill('1.0 to 1.4.2');
      await reporter.getByLabel('Steps to reproduce or proof of concept').fill('Run `widget parse poc.wdg`.');
      await reporter.getByLabel('Your name').fill('Fran Finder');
      await reporter.getByLabel('Your email').fill(reporterEmail);
      await reporter.locator('#attachments').setInputFiles({
        name: 'poc.wdg',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from('WDG\x00AAAAAAAAAAAAAAAA'),
      });
      await screenshot(reporter, 'report-form');
      await reporter.getByRole('button', { name: 'Send the report' }).click();
      await expect.poll(() => reporter.locator('h1').textContent()).toBe('Report received');
      const trackingId = (await reporter.locator('.report-sent strong').first().textContent()) ?? '';
      expect(trackingId).toMatch(/^R-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      const statusLink = (await reporter.locator('a.secret').getAttribute('href')) ?? '';
      expect(statusLink).toMatch(/\/status\/[A-Za-z0-9_-]{43}$/);
      await screenshot(reporter, 'confirmation');

      // 2. The private link shows the report as received, and the reporter got it by mail too.
      await reporter.goto(statusLink);
      await expect.poll(() => reporter.locator('.badge').first().textContent()).toBe('Received');
      await expect.poll(() => reporter.content()).toContain('poc.wdg');
      await screenshot(reporter, 'status-received');
      const received = await mailTo(reporterEmail, new RegExp(`${trackingId}.*received`, 'i'));
      expect(received.text).toContain(statusLink);
      await mailTo(lead.email, new RegExp(`${trackingId}`));

      // 3. The team signs in and finds the report in the inbox with its acknowledgement clock.
      const team = await teamContext.newPage();
      await team.goto(`${base}/login`);
      await team.getByLabel('Email').fill(lead.email);
      await team.getByLabel('Password').fill(TEST_PASSWORD);
      await team.getByRole('button', { name: 'Sign in' }).click();
      await team.goto(`${base}/p/${project.slug}/inbox`);
      await expect.poll(() => team.content()).toContain(trackingId);
      expect(await team.locator('[data-due]').first().textContent()).toMatch(/due in/);
      await screenshot(team, 'inbox');
      await team.getByRole('link', { name: 'Heap overflow in widget header parsing' }).click();
      await expect.poll(() => team.locator('h1').textContent()).toContain('Heap overflow');
      await screenshot(team, 'team-report');

      // 4. Acknowledge with the (edited) template; the reporter's page and mailbox show it.
      const ack = team.locator('form[action$="/acknowledge"]');
      const draft = await ack.locator('textarea').inputValue();
      expect(draft).toContain(trackingId);
      await ack.locator('textarea').fill(`${draft}\n\nWe reproduced it on 1.4.2.`);
      await ack.getByRole('button', { name: 'Acknowledge and send' }).click();
      await expect.poll(() => team.locator('.badge').first().textContent()).toBe('Acknowledged');
      await reporter.goto(statusLink);
      await expect.poll(() => reporter.locator('.badge').first().textContent()).toBe('Acknowledged');
      expect(await reporter.content()).toContain('We reproduced it on 1.4.2.');
      await screenshot(reporter, 'status-acknowledged');
      const ackMail = await mailTo(reporterEmail, new RegExp(`${trackingId}.*acknowledged`, 'i'));
      expect(ackMail.text).toContain('We reproduced it on 1.4.2.');

      // 5. Ask for more information; the reporter answers from the status page.
      const ask = team.locator('form[action$="/request-info"]');
      await ask.locator('textarea').fill('Which compiler flags did you build with?');
      await ask.getByRole('button', { name: 'Ask the reporter' }).click();
      await expect.poll(() => team.locator('.badge').first().textContent()).toBe('Needs more information');
      await reporter.goto(statusLink);
      await expect.poll(() => reporter.locator('.badge').first().textContent()).toBe('Needs more information');
      expect(await reporter.content()).toContain('Which compiler flags did you build with?');
      await mailTo(reporterEmail, /Which compiler flags|more information|needs/i).then((m) =>
        expect(m.text).toContain('Which compiler flags did you build with?'),
      );
      await reporter
        .getByLabel(/message|reply/i)
        .first()
        .fill('Plain -O2, no sanitizers.');
      await reporter.getByRole('button', { name: 'Send' }).click();
      await expect.poll(() => reporter.locator('.badge').first().textContent()).toBe('Acknowledged');
      await screenshot(reporter, 'status-replied');
      await mailTo(lead.email, /replied/i);

      // 6. Accept into a case; the reporter sees it.
      await team.reload();
      expect(await team.content()).toContain('Plain -O2, no sanitizers.');
      const accept = team.locator('form[action$="/accept"]');
      await accept.locator('textarea').fill('Confirmed. We are preparing a fix under embargo.');
      await accept.locator('button[type=submit]').click();
      await expect.poll(() => team.locator('.badge').first().textContent()).toBe('Accepted');
      await expect.poll(() => team.content()).toMatch(/\/cases\/1/);
      await screenshot(team, 'team-accepted');
      await reporter.goto(statusLink);
      await expect.poll(() => reporter.locator('.badge').first().textContent()).toBe('Accepted');
      expect(await reporter.content()).toContain('Confirmed. We are preparing a fix under embargo.');
      await screenshot(reporter, 'status-accepted');
      await mailTo(reporterEmail, new RegExp(`${trackingId}.*accepted`, 'i'));

      // Every step was audited, including each time the team read the report.
      const audit = await t.db.selectFrom('audit_log').select('action').where('project_id', '=', project.id).execute();
      const actions = audit.map((a) => a.action);
      for (const a of [
        'report.submitted',
        'report.viewed',
        'report.acknowledged',
        'report.info_requested',
        'report.reporter_replied',
        'report.accepted',
      ]) {
        expect(actions).toContain(a);
      }
    } finally {
      await reporterContext.close();
      await teamContext.close();
    }
  });
});
