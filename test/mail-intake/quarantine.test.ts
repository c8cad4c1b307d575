import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iso } from '../../src/clock.js';
import { insertInboundRow } from '../../src/domain/mail-intake/inbound.repository.js';
import { checkMimeStructure, UnreadableMailError } from '../../src/domain/mail-intake/mime-check.js';
import { storeInboundMessage } from '../../src/domain/mail-intake/store-inbound.js';
import type { Project } from '../../src/domain/projects/projects.js';
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

  /** A message stored as it would be after processing, with no job: `status`, subject `subject`. */
  async function stored(project: Project, status: string, subject: string, id = crypto.randomUUID()) {
    const raw = Buffer.from(`From: someone@example.net\r\nSubject: ${subject}\r\n\r\nBody.\r\n`);
    await insertInboundRow(h.ctx.deps.db, {
      id,
      source: 'smtp',
      project_id: project.id,
      imap_account_id: null,
      imap_uid_validity: null,
      imap_uid: null,
      envelope_from: 'someone@example.net',
      envelope_to: '[]',
      message_id: null,
      size: raw.length,
      raw,
      status,
      reason: status === 'quarantined' ? 'Unreadable.' : status === 'ignored' ? 'An automatic reply.' : null,
      report_id: null,
      received_at: iso(h.ctx.clock.now()),
      processed_at: null,
    });
    return id;
  }
  /** The subjects shown in the table with this id, in order. */
  function subjectsIn(body: string, tableId: string): string[] {
    const start = body.indexOf(`id="${tableId}"`);
    if (start < 0) return [];
    const table = body.slice(start, body.indexOf('</table>', start));
    return [...table.matchAll(/(mark-[\w-]+)/g)].map((m) => m[1] ?? '');
  }
  const olderHref = (body: string, text: string) => {
    const match = new RegExp(`<a href="([^"]+)">${text}</a>`).exec(body);
    return match?.[1]?.replace(/&amp;/g, '&');
  };

  it('lists quarantined mail apart, so a flood of other mail never hides it, and pages the full list', async () => {
    const { project } = await intakeProject(h.ctx);
    const member = await makeUser(h.ctx.deps.db, h.ctx.clock, { project });
    await stored(project, 'quarantined', 'mark-q-old');
    h.ctx.clock.advance(1000);
    // 60 ignored messages after it, three of them received in the same instant as the next.
    const junk: string[] = [];
    for (let i = 0; i < 60; i++) {
      if (i % 20 !== 1) h.ctx.clock.advance(1000);
      const subject = `mark-j-${String(i).padStart(2, '0')}`;
      junk.push(subject);
      // Ids in the order written, so that those of one instant list in a known order (id descending).
      await stored(project, 'ignored', subject, `${String(i).padStart(4, '0')}-${crypto.randomUUID()}`);
    }
    h.ctx.clock.advance(1000);
    await stored(project, 'quarantined', 'mark-q-new');

    const browser = new Browser(h.ctx.app);
    await login(browser, member.email);
    const base = `/p/${project.slug}/mail/inbound`;
    const first = await browser.get(base);
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Quarantine (2)');
    expect(subjectsIn(first.body, 'quarantine')).toEqual(['mark-q-new', 'mark-q-old']);
    expect(olderHref(first.body, 'Older quarantined mail')).toBeUndefined();

    // Every message, newest first, 50 to a page, then the rest: none skipped, none twice.
    const seen: string[] = [];
    let url: string | undefined = base;
    for (let pages = 0; url && pages < 5; pages++) {
      const res = await browser.get(url);
      expect(res.statusCode).toBe(200);
      const shown = subjectsIn(res.body, 'all-mail');
      expect(shown.length).toBeLessThanOrEqual(50);
      seen.push(...shown);
      // The quarantine stays in view on every page.
      expect(subjectsIn(res.body, 'quarantine')).toEqual(['mark-q-new', 'mark-q-old']);
      url = olderHref(res.body, 'Older mail');
    }
    expect(seen).toEqual(['mark-q-new', ...[...junk].reverse(), 'mark-q-old']);

    // Each listing is audited with the ids it showed.
    const viewed = await h.ctx.deps.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'mail.inbound_viewed')
      .where('project_id', '=', project.id)
      .execute();
    // The first page twice, then the second: every message shown was audited as seen.
    expect(viewed).toHaveLength(3);
    const audited = new Set(
      viewed.flatMap((v) => (JSON.parse(v.detail ?? '{}') as { inboundIds: string[] }).inboundIds),
    );
    expect(audited.size).toBe(62);
    expect(await browser.get(`${base}?before=not-a-cursor`)).toMatchObject({ statusCode: 400 });
  });

  it('pages the quarantine too when it is long', async () => {
    const { project } = await intakeProject(h.ctx);
    const member = await makeUser(h.ctx.deps.db, h.ctx.clock, { project });
    const subjects: string[] = [];
    for (let i = 0; i < 55; i++) {
      h.ctx.clock.advance(1000);
      subjects.push(`mark-q-${String(i).padStart(2, '0')}`);
      await stored(project, 'quarantined', subjects[i] ?? '');
    }
    const browser = new Browser(h.ctx.app);
    await login(browser, member.email);
    const first = await browser.get(`/p/${project.slug}/mail/inbound`);
    expect(first.body).toContain('Quarantine (55)');
    const newest = [...subjects].reverse();
    expect(subjectsIn(first.body, 'quarantine')).toEqual(newest.slice(0, 50));
    const next = olderHref(first.body, 'Older quarantined mail');
    expect(next).toMatch(/\?quarantinedBefore=/);
    const second = await browser.get(next ?? '');
    expect(subjectsIn(second.body, 'quarantine')).toEqual(newest.slice(50));
    expect(olderHref(second.body, 'Older quarantined mail')).toBeUndefined();
  });

  it("processes again a message still 'received' whose job gave up, audited, and refuses one whose job may still run", async () => {
    const { project, address } = await intakeProject(h.ctx);
    const member = await makeUser(h.ctx.deps.db, h.ctx.clock, { project });
    const browser = new Browser(h.ctx.app);
    await login(browser, member.email);
    const base = `/p/${project.slug}/mail/inbound`;
    const store = (subject: string) => {
      const from = sender();
      const raw = Buffer.from(`From: Someone <${from}>\r\nSubject: ${subject}\r\n\r\nA flaw in the parser.\r\n`);
      return h.ctx.deps.db.transaction().execute((trx) =>
        storeInboundMessage(trx, h.ctx.deps, {
          source: 'smtp',
          projectId: project.id,
          raw,
          envelopeFrom: from,
          envelopeTo: [address],
        }),
      );
    };
    const jobOf = (id: string) => h.ctx.deps.db.updateTable('jobs').where('payload', 'like', `%${id}%`);
    const reprocess = async (id: string) =>
      browser.post(`${base}/${id}/reprocess`, { _csrf: csrfFrom((await browser.get(base)).body) });

    // Waiting for its job: nothing to do.
    const waiting = await store('mark-waiting');
    expect((await reprocess(waiting.id)).statusCode).toBe(409);
    // Its job used every attempt and was parked, or used every attempt and its worker died.
    const parked = await store('mark-parked');
    await jobOf(parked.id)
      .set({ attempts: 5, failed_at: iso(h.ctx.clock.now()), last_error: 'boom' })
      .execute();
    const died = await store('mark-died');
    await jobOf(died.id)
      .set({ attempts: 5, claimed_by: 'gone', lock_expires_at: iso(h.ctx.clock.now()) })
      .execute();
    // Still running its last attempt: its lock has not expired.
    const running = await store('mark-running');
    h.ctx.clock.advance(1000);
    await jobOf(running.id)
      .set({ attempts: 5, claimed_by: 'busy', lock_expires_at: iso(new Date(h.ctx.clock.now().getTime() + 60_000)) })
      .execute();

    const page = await browser.get(base);
    const rowOf = (id: string) => {
      const start = page.body.indexOf(`id="inbound-${id}"`);
      return page.body.slice(start, page.body.indexOf('</tr>', start));
    };
    expect(rowOf(parked.id)).toContain('Process again');
    expect(rowOf(parked.id)).toContain('stopped');
    expect(rowOf(died.id)).toContain('Process again');
    expect(rowOf(waiting.id)).not.toContain('Process again');
    expect(rowOf(running.id)).not.toContain('Process again');

    expect((await reprocess(running.id)).statusCode).toBe(409);
    for (const id of [parked.id, died.id]) {
      expect((await reprocess(id)).statusCode).toBe(303);
      // Now it has a live job again: a second request is refused.
      expect((await reprocess(id)).statusCode).toBe(409);
    }
    const audits = await h.ctx.deps.db
      .selectFrom('audit_log')
      .select(['subject_id', 'detail'])
      .where('action', '=', 'mail.reprocess_requested')
      .where('project_id', '=', project.id)
      .execute();
    expect(audits.map((a) => a.subject_id).sort()).toEqual([parked.id, died.id].sort());
    for (const a of audits) expect(JSON.parse(a.detail ?? '{}')).toMatchObject({ previousStatus: 'received' });

    // The new jobs run and file both as reports.
    await h.work();
    const rows = await h.ctx.deps.db
      .selectFrom('inbound_messages')
      .select(['id', 'status'])
      .where('id', 'in', [parked.id, died.id])
      .execute();
    expect(rows.map((r) => r.status)).toEqual(['processed', 'processed']);
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
