import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Email } from '../../src/mail/emails.js';
import { renderEmail } from '../../src/mail/templates/index.js';

const config = loadConfig({ EMBARGO_PUBLIC_URL: 'https://security.example.org' });
const render = (email: Email) => renderEmail(email, { config });
const STATUS_URL = 'https://security.example.org/status/tok3n';
const REPORT_URL = 'https://security.example.org/p/widget/reports/R-7KQ2-9XHD';

const all: Email[] = [
  {
    template: 'report-received',
    projectName: 'Widget',
    trackingId: 'R-7KQ2-9XHD',
    statusUrl: STATUS_URL,
    ackTargetHours: 48,
  },
  {
    template: 'reporter-update',
    projectName: 'Widget',
    trackingId: 'R-7KQ2-9XHD',
    statusUrl: STATUS_URL,
    status: 'closed',
    closeReason: 'not_vulnerability',
    message: null,
  },
  {
    template: 'team-new-report',
    projectName: 'Widget',
    trackingId: 'R-7KQ2-9XHD',
    reportUrl: REPORT_URL,
    ackDueAt: '2026-03-03T09:00:00.000Z',
  },
  { template: 'team-reporter-replied', projectName: 'Widget', trackingId: 'R-7KQ2-9XHD', reportUrl: REPORT_URL },
  {
    template: 'account-setup',
    name: 'Ada',
    setupUrl: 'https://security.example.org/setup/s3tup',
    expiresAt: '2026-03-05T09:00:00.000Z',
  },
];

describe('email templates', () => {
  it('gives every template a one-line subject, a text body and a full HTML document', () => {
    for (const email of all) {
      const out = render(email);
      expect(out.subject, email.template).not.toMatch(/[\r\n]/);
      expect(out.text, email.template).toMatch(/automated message/);
      expect(out.html, email.template).toMatch(/^<!doctype html>\n<html lang="en">/);
    }
  });

  it('names reports by tracking id in subjects', () => {
    expect(all.map((e) => render(e).subject)).toEqual([
      '[Widget] Report R-7KQ2-9XHD: received',
      '[Widget] Report R-7KQ2-9XHD: closed',
      '[Widget] Report R-7KQ2-9XHD: new report',
      '[Widget] Report R-7KQ2-9XHD: the reporter replied',
      '[Embargo] Set up your account on security.example.org',
    ]);
  });

  it('carries the links each mail is for, in both bodies', () => {
    const [received, update, newReport, replied, setup] = all.map(render);
    for (const out of [received, update]) {
      expect(out?.text).toContain(STATUS_URL);
      expect(out?.html).toContain(`href="${STATUS_URL}"`);
    }
    for (const out of [newReport, replied]) {
      expect(out?.text).toContain(REPORT_URL);
      expect(out?.html).toContain(`href="${REPORT_URL}"`);
    }
    expect(newReport?.text).toContain('2026-03-03 09:00 UTC');
    expect(setup?.text).toContain('https://security.example.org/setup/s3tup');
    expect(setup?.text).toContain('2026-03-05 09:00 UTC');
    expect(update?.text).toContain('Closed (Not a vulnerability)');
    expect(received?.text).toContain('within 48 hours');
  });

  it("renders the team's Markdown message as-is in text and as escaped HTML", () => {
    const out = render({
      template: 'reporter-update',
      projectName: 'Widget',
      trackingId: 'R-7KQ2-9XHD',
      statusUrl: STATUS_URL,
      status: null,
      closeReason: null,
      message: 'Could you send a **proof of concept**?\n\n<img src=x onerror=alert(1)> [x](javascript:alert(1))',
    });
    expect(out.subject).toBe('[Widget] Report R-7KQ2-9XHD: new message from the team');
    expect(out.text).toContain('Could you send a **proof of concept**?');
    expect(out.text).toContain('<img src=x onerror=alert(1)>');
    expect(out.html).toContain('<strong>proof of concept</strong>');
    expect(out.html).not.toContain('<img');
    expect(out.html).not.toContain('href="javascript:');
  });

  it('escapes names in HTML and keeps subjects on one line whatever a project is called', () => {
    const out = render({
      template: 'team-reporter-replied',
      projectName: 'Evil <b>Co</b>\r\nBcc: victim@example.org',
      trackingId: 'R-7KQ2-9XHD',
      reportUrl: REPORT_URL,
    });
    expect(out.subject).toBe('[Evil <b>Co</b> Bcc: victim@example.org] Report R-7KQ2-9XHD: the reporter replied');
    expect(out.html).toContain('Evil &lt;b>Co&lt;/b>');
    expect(out.html).not.toContain('<b>Co</b>');
  });
});
