import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/databases.js';
import { makeUser } from '../support/factories.js';
import { countRows, type IntakeHarness, intakeProject, rawSmtp, sender, startIntake } from './support.js';

describe.each(engines())('machine-written mail on %s', (engine) => {
  let h: IntakeHarness;
  beforeAll(async () => {
    h = await startIntake(engine);
  });
  afterAll(() => h.close());

  /** Sends `deliver`, processes it, and checks it was ignored with `reason`: no report, no mail back. */
  async function expectIgnored(deliver: (address: string) => Promise<unknown>, reason: RegExp) {
    const { project, address } = await intakeProject(h.ctx);
    await makeUser(h.ctx.deps.db, h.ctx.clock, { project });
    await h.work();
    const before = { reports: await countRows(h.ctx, 'reports'), mail: await countRows(h.ctx, 'outbound_emails') };
    await deliver(address);
    await h.work();
    expect(await countRows(h.ctx, 'reports')).toBe(before.reports);
    expect(await countRows(h.ctx, 'outbound_emails')).toBe(before.mail);
    const row = await h.ctx.deps.db
      .selectFrom('inbound_messages')
      .select(['id', 'status', 'reason', 'report_id', 'raw'])
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'ignored', report_id: null });
    expect(row.reason).toMatch(reason);
    // Kept, in case a person wrote it after all.
    expect(row.raw).not.toBeNull();
    const audit = await h.ctx.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(audit.action).toBe('mail.ignored');
  }

  it('ignores an auto-reply (Auto-Submitted: auto-replied)', async () => {
    await expectIgnored(
      (to) =>
        h.send({
          from: sender(),
          to,
          subject: 'Out of office',
          text: 'I am away.',
          headers: { 'Auto-Submitted': 'auto-replied' },
        }),
      /Auto-Submitted: auto-replied/,
    );
  });

  it('ignores bulk mail (Precedence: bulk)', async () => {
    await expectIgnored(
      (to) => h.send({ from: sender(), to, subject: 'Newsletter', text: 'News.', headers: { Precedence: 'bulk' } }),
      /Precedence: bulk/,
    );
  });

  it('ignores a bounce: null envelope sender and a delivery-status report', async () => {
    const bounce = (to: string) =>
      [
        'From: Mail Delivery System <mailer-daemon@example.net>',
        `To: ${to}`,
        'Subject: Undelivered Mail Returned to Sender',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '--b1',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.net',
        '',
        'Final-Recipient: rfc822; someone@example.net',
        'Action: failed',
        'Status: 5.1.1',
        '--b1--',
        '',
      ].join('\r\n');
    await expectIgnored(async (to) => {
      const session = await rawSmtp(h.listener.port, { from: '', to: [to], data: bounce(to) });
      expect(session.message).toMatch(/^250 /);
    }, /Bounce/);
    // The same report with a sender set is still recognised by its content type.
    await expectIgnored(async (to) => {
      await rawSmtp(h.listener.port, { from: sender('mailer-daemon'), to: [to], data: bounce(to) });
    }, /report-type=delivery-status/);
  });

  it('ignores mail an upstream filter flagged as spam', async () => {
    await expectIgnored(
      (to) => h.send({ from: sender(), to, subject: 'Win', text: 'Prize.', headers: { 'X-Spam-Flag': 'YES' } }),
      /X-Spam-Flag/,
    );
  });

  it('files mail that says a person wrote it (Auto-Submitted: no)', async () => {
    const { project, address } = await intakeProject(h.ctx);
    await h.send({
      from: sender(),
      to: address,
      subject: 'Real',
      text: 'A person.',
      headers: { 'Auto-Submitted': 'no' },
    });
    await h.work();
    const reports = await h.ctx.deps.db
      .selectFrom('reports')
      .select('id')
      .where('project_id', '=', project.id)
      .execute();
    expect(reports).toHaveLength(1);
  });
});
