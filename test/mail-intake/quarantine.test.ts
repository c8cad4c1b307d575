import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMimeStructure, UnreadableMailError } from '../../src/domain/mail-intake/mime-check.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, login, makeUser } from '../support/factories.js';
import { type IntakeHarness, intakeProject, rawSmtp, sender, startIntake } from './support.js';

const cutOff = (to: string, subject: string) =>
  [
    `From: Someone <someone@example.net>`,
    `To: ${to}`,
    `Subject: ${subject}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="zz"',
    '',
    '--zz',
    'Content-Type: text/plain',
    '',
    'The text of a report whose message was cut off.',
    '',
  ].join('\r\n');

describe.each(engines())('quarantine and the "Mail received" page on %s', (engine) => {
  let h: IntakeHarness;
  beforeAll(async () => {
    h = await startIntake(engine);
  });
  afterAll(() => h.close());

  it('quarantines malformed MIME with the reason, lists it for members, and lets them download and process it again', async () => {
    const { project, address } = await intakeProject(h.ctx);
    const member = await makeUser(h.ctx.deps.db, h.ctx.clock, { project });
    const session = await rawSmtp(h.listener.port, {
      from: sender(),
      to: [address],
      data: cutOff(address, 'Broken =?UTF-8?B?w6l0w6k=?='),
    });
    expect(session.message).toMatch(/^250 /);
    await h.work();
    const row = await h.ctx.deps.db
      .selectFrom('inbound_messages')
      .selectAll()
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'quarantined', report_id: null });
    expect(row.reason).toMatch(/closing boundary is missing/);
    expect(row.raw).not.toBeNull();
    expect(
      await h.ctx.deps.db.selectFrom('reports').select('id').where('project_id', '=', project.id).execute(),
    ).toEqual([]);

    const browser = new Browser(h.ctx.app);
    await login(browser, member.email);
    const page = await browser.get(`/p/${project.slug}/mail/inbound`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Quarantined');
    expect(page.body).toContain('closing boundary is missing');
    expect(page.body).toContain('Broken été');
    const viewed = await h.ctx.deps.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'mail.inbound_viewed')
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    expect(viewed.detail).toContain(row.id);

    const raw = await browser.get(`/p/${project.slug}/mail/inbound/${row.id}/raw`);
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-disposition']).toMatch(/^attachment; filename\*=UTF-8''message-.*\.eml$/);
    expect(raw.headers['content-type']).toBe('application/octet-stream');
    expect(raw.rawPayload.toString('latin1')).toContain('cut off');

    // Processing again reads it again: still cut off, so back in quarantine, with one more job run.
    const again = await browser.post(`/p/${project.slug}/mail/inbound/${row.id}/reprocess`, {
      _csrf: csrfFrom(page.body),
    });
    expect(again.statusCode).toBe(303);
    const waiting = await h.ctx.deps.db
      .selectFrom('inbound_messages')
      .select('status')
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(waiting.status).toBe('received');
    expect(await h.work()).toBeGreaterThan(0);
    const after = await h.ctx.deps.db
      .selectFrom('inbound_messages')
      .select('status')
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe('quarantined');
    const actions = await h.ctx.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_id', '=', row.id)
      .orderBy('at')
      .execute();
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining(['mail.quarantined', 'mail.raw_downloaded', 'mail.reprocess_requested']),
    );
    // Back in quarantine, it can be sent again; once it waits in the queue, a second request is refused.
    const processedAgain = await browser.post(`/p/${project.slug}/mail/inbound/${row.id}/reprocess`, {
      _csrf: csrfFrom(page.body),
    });
    expect(processedAgain.statusCode).toBe(303);
    const conflict = await browser.post(`/p/${project.slug}/mail/inbound/${row.id}/reprocess`, {
      _csrf: csrfFrom(page.body),
    });
    expect(conflict.statusCode).toBe(409);
  });

  it('quarantines mail with more attachments than the form takes, and mail with no sender', async () => {
    const { project, address } = await intakeProject(h.ctx);
    const files = Array.from({ length: 6 }, (_, i) => ({ filename: `f${i}.txt`, content: `file ${i}` }));
    await h.send({ from: sender(), to: address, subject: 'Many files', text: 'See files.', attachments: files });
    await rawSmtp(h.listener.port, {
      from: sender(),
      to: [address],
      data: `To: ${address}\r\nSubject: anonymous\r\n\r\nNo From header.\r\n`,
    });
    await h.work();
    const rows = await h.ctx.deps.db
      .selectFrom('inbound_messages')
      .select(['status', 'reason'])
      .where('project_id', '=', project.id)
      .orderBy('reason')
      .execute();
    expect(rows).toEqual([
      { status: 'quarantined', reason: expect.stringMatching(/^TOO_MANY_ATTACHMENTS/) },
      { status: 'quarantined', reason: 'The message has no sender (From) address.' },
    ]);
  });

  it('does not show the page, the raw message or the action to a non-member', async () => {
    const { project } = await intakeProject(h.ctx);
    const outsider = await makeUser(h.ctx.deps.db, h.ctx.clock);
    const browser = new Browser(h.ctx.app);
    await login(browser, outsider.email);
    expect((await browser.get(`/p/${project.slug}/mail/inbound`)).statusCode).toBe(404);
  });
});

describe('MIME structure check', () => {
  const ok = (text: string) => expect(() => checkMimeStructure(Buffer.from(text))).not.toThrow();
  const bad = (text: string, reason: RegExp) => {
    expect(() => checkMimeStructure(Buffer.from(text))).toThrow(UnreadableMailError);
    expect(() => checkMimeStructure(Buffer.from(text))).toThrow(reason);
  };
  it('accepts plain and well-formed nested multipart messages', () => {
    ok('From: a@b.org\r\nSubject: x\r\n\r\nHello\r\n');
    ok(
      'From: a@b.org\nContent-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/alternative;\n boundary="in"\n\n--in\n\ntext\n--in--\n--outer\nContent-Type: text/plain\n\nfile\n--outer--\n',
    );
    // A text body that merely talks about MIME is not mistaken for structure.
    ok('From: a@b.org\r\n\r\nContent-Type: multipart/mixed\r\n(no boundary, but this is just text)\r\n');
  });
  it('refuses what would silently lose text', () => {
    bad('\u0000\u0001 not mail', /does not start with mail headers/);
    bad('From: a@b.org\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n', /declares no boundary/);
    bad(
      'From: a@b.org\r\nContent-Type: multipart/mixed; boundary="q"\r\n\r\nno parts\r\n',
      /closing boundary is missing/,
    );
    bad(
      'From: a@b.org\nContent-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/related; boundary=i\n\n--i\n\nx\n--o--\n',
      /closing boundary is missing/,
    );
  });
});
