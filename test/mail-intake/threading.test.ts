import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyAddressFor } from '../../src/domain/mail-intake/reply-address.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { LIMITS } from '../../src/domain/reports/intake-input.js';
import { engines } from '../support/databases.js';
import { Browser, login, makeUser } from '../support/factories.js';
import { type IntakeHarness, intakeProject, sender, startIntake } from './support.js';

describe.each(engines())('mail threads onto reports on %s', (engine) => {
  let h: IntakeHarness;
  beforeAll(async () => {
    h = await startIntake(engine);
  });
  afterAll(() => h.close());

  const db = () => h.ctx.deps.db;

  /** A report filed by mail, with the Message-ID of its 'report-received' email. */
  async function mailedReport(project: Project, address: string, from = sender()) {
    await h.send({ from, to: address, subject: `Bug ${crypto.randomUUID()}`, text: 'First message.' });
    await h.work();
    const report = await db()
      .selectFrom('reports')
      .selectAll()
      .where('project_id', '=', project.id)
      .orderBy('received_at', 'desc')
      .executeTakeFirstOrThrow();
    const ack = await db()
      .selectFrom('outbound_emails')
      .select('message_id')
      .where('report_id', '=', report.id)
      .where('template', '=', 'report-received')
      .executeTakeFirstOrThrow();
    return { report, from, ackMessageId: ack.message_id };
  }
  const entries = (reportId: string) =>
    db()
      .selectFrom('report_entries')
      .select(['id', 'kind', 'author_kind', 'author_user_id', 'body', 'detail'])
      .where('report_id', '=', reportId)
      .orderBy('created_at')
      .execute();
  const reportCount = async (projectId: string) =>
    (await db().selectFrom('reports').select('id').where('project_id', '=', projectId).execute()).length;

  it("files the reporter's answer to the acknowledgement (In-Reply-To) on the same report, quoted tail and all", async () => {
    const { project, address } = await intakeProject(h.ctx);
    const { report, from, ackMessageId } = await mailedReport(project, address);
    h.ctx.clock.advance(60_000);
    await h.send({
      from,
      to: address,
      subject: `Re: ${report.tracking_id}`,
      inReplyTo: ackMessageId,
      references: [ackMessageId],
      text: 'It also affects 2.1.\n\nOn Mon, 2 Mar 2026 at 09:00, Embargo <embargo@localhost> wrote:\n> We received your report.\n> Thanks.\n',
    });
    await h.work();
    expect(await reportCount(project.id)).toBe(1);
    const last = (await entries(report.id)).pop();
    // Nothing is cut: guessing where a quote starts could lose the reporter's words.
    expect(last).toMatchObject({
      kind: 'message',
      author_kind: 'reporter',
      body: 'It also affects 2.1.\n\nOn Mon, 2 Mar 2026 at 09:00, Embargo <embargo@localhost> wrote:\n> We received your report.\n> Thanks.',
    });
    expect(JSON.parse(last?.detail ?? '{}')).toMatchObject({ via: 'email', encrypted: false, signature: null });
    const inbound = await db()
      .selectFrom('inbound_messages')
      .select(['status', 'report_id', 'reason'])
      .where('project_id', '=', project.id)
      .orderBy('received_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(inbound).toMatchObject({ status: 'processed', report_id: report.id });
    expect(inbound.reason).toContain('message-id');
  });

  it('files mail to the report reply address on that report, with its attachment', async () => {
    const { project, address } = await intakeProject(h.ctx);
    await makeUser(db(), h.ctx.clock, { project });
    const { report } = await mailedReport(project, address);
    const replyTo = replyAddressFor(h.ctx.deps.secret, {
      localPart: 'security',
      domain: h.ctx.deps.config.mailIn.domain,
      trackingId: report.tracking_id,
    });
    // From another address of the reporter's: the reply address alone decides.
    await h.send({
      from: sender('other-address'),
      to: replyTo,
      subject: 'more',
      text: 'Here is a second proof.',
      attachments: [{ filename: 'poc2.py', content: 'print(1)\n' }],
    });
    await h.work();
    expect(await reportCount(project.id)).toBe(1);
    const last = (await entries(report.id)).pop();
    expect(last).toMatchObject({ kind: 'message', author_kind: 'reporter', body: 'Here is a second proof.' });
    const files = await db()
      .selectFrom('attachments')
      .select('filename')
      .where('entry_id', '=', last?.id ?? '')
      .execute();
    expect(files).toEqual([{ filename: 'poc2.py' }]);
    // The team hears of it as of any reply.
    const told = await db()
      .selectFrom('outbound_emails')
      .select('template')
      .where('report_id', '=', report.id)
      .where('template', '=', 'team-reporter-replied')
      .execute();
    expect(told.length).toBeGreaterThan(0);
  });

  /** The Reply-To of the member's notification about the report: their own reply address for it. */
  async function memberReplyAddress(reportId: string, email: string): Promise<string> {
    const row = await db()
      .selectFrom('outbound_emails')
      .select('headers')
      .where('report_id', '=', reportId)
      .where('template', '=', 'team-new-report')
      .where('to_address', '=', email)
      .executeTakeFirstOrThrow();
    const replyTo = (JSON.parse(row.headers ?? '{}') as Record<string, string>)['Reply-To'] ?? '';
    expect(replyTo).toMatch(/^security-\d+-.*\+m-r-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-f]{16}@mail\.test$/);
    return replyTo;
  }
  const lastInbound = (projectId: string) =>
    db()
      .selectFrom('inbound_messages')
      .select(['status', 'reason', 'report_id'])
      .where('project_id', '=', projectId)
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
  const reporterUpdates = async (reportId: string) =>
    (
      await db()
        .selectFrom('outbound_emails')
        .select('id')
        .where('report_id', '=', reportId)
        .where('template', '=', 'reporter-update')
        .execute()
    ).length;

  it("posts a member's emailed reply to their own reply address as the team's message, emailed to the reporter", async () => {
    const { project, address } = await intakeProject(h.ctx);
    const member = await makeUser(db(), h.ctx.clock, { project, email: `${sender('member')}`, name: 'Mia Member' });
    const { report, from } = await mailedReport(project, address);
    const replyTo = await memberReplyAddress(report.id, member.email);
    const quoted = 'Thanks, we can reproduce it.\n\nOn Mon, 2 Mar 2026, Embargo wrote:\n> A new report arrived.';
    await h.send({ from: `Mia <${member.email.toUpperCase()}>`, to: replyTo, subject: 'Re: new report', text: quoted });
    await h.work();
    const last = (await entries(report.id)).pop();
    expect(last).toMatchObject({ kind: 'message', author_kind: 'team', author_user_id: member.id });
    expect(last?.body).toBe(quoted);
    expect(await lastInbound(project.id)).toMatchObject({ status: 'processed', report_id: report.id });
    const update = await db()
      .selectFrom('outbound_emails')
      .select(['to_address', 'text_body'])
      .where('report_id', '=', report.id)
      .where('template', '=', 'reporter-update')
      .executeTakeFirstOrThrow();
    expect(update.to_address).toBe(from);
    expect(update.text_body).toContain('Thanks, we can reproduce it.');
    const audit = await db()
      .selectFrom('audit_log')
      .select(['action', 'actor_user_id'])
      .where('subject_id', '=', report.id)
      .where('action', '=', 'report.message_sent')
      .executeTakeFirstOrThrow();
    expect(audit.actor_user_id).toBe(member.id);

    // The team's timeline says which entries came by mail.
    const browser = new Browser(h.ctx.app);
    await login(browser, member.email);
    const page = await browser.get(`/p/${project.slug}/reports/${report.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body.match(/ · by email/g)?.length).toBe(2);
    expect(page.body).toContain('via email');
  });

  it("never takes a member's From alone for the team: a forged one threaded by In-Reply-To or reply address is quarantined", async () => {
    const { project, address } = await intakeProject(h.ctx);
    const member = await makeUser(db(), h.ctx.clock, { project, email: sender('member') });
    const { report, ackMessageId } = await mailedReport(project, address);
    const before = (await entries(report.id)).length;
    const updates = await reporterUpdates(report.id);
    // A stranger (or the reporter, who holds the ids and the reply address) writes as the member.
    h.ctx.clock.advance(1000); // lastInbound orders by arrival
    await h.send({
      envelope: { from: sender('stranger'), to: [address] },
      from: member.email,
      to: address,
      subject: 'Re: your report',
      inReplyTo: ackMessageId,
      text: 'Please send your exploit to evil@example.org.',
    });
    await h.work();
    expect(await lastInbound(project.id)).toMatchObject({ status: 'quarantined', report_id: null });
    expect((await lastInbound(project.id)).reason).toContain("without that member's own reply address");
    const replyAddress = replyAddressFor(h.ctx.deps.secret, {
      localPart: address.split('@')[0] ?? '',
      domain: 'mail.test',
      trackingId: report.tracking_id,
    });
    h.ctx.clock.advance(1000); // lastInbound orders by arrival
    await h.send({ from: member.email, to: replyAddress, subject: 'x', text: 'Forged again.' });
    await h.work();
    expect((await lastInbound(project.id)).status).toBe('quarantined');
    // No team message, no reporter message, no mail to the reporter, no report of its own.
    expect((await entries(report.id)).length).toBe(before);
    expect(await reporterUpdates(report.id)).toBe(updates);
    expect(await reportCount(project.id)).toBe(1);
  });

  it("quarantines mail to one member's reply address From another member, and a member's reply over the limit", async () => {
    const { project, address } = await intakeProject(h.ctx);
    const x = await makeUser(db(), h.ctx.clock, { project, email: sender('member-x') });
    const y = await makeUser(db(), h.ctx.clock, { project, email: sender('member-y') });
    const { report } = await mailedReport(project, address);
    const before = (await entries(report.id)).length;
    h.ctx.clock.advance(1000); // lastInbound orders by arrival
    await h.send({ from: x.email, to: await memberReplyAddress(report.id, y.email), subject: 'x', text: 'As Y.' });
    await h.work();
    const wrong = await lastInbound(project.id);
    expect(wrong).toMatchObject({ status: 'quarantined', report_id: null });
    expect(wrong.reason).toContain("not that member's account address");

    h.ctx.clock.advance(1000); // lastInbound orders by arrival
    await h.send({
      from: x.email,
      to: await memberReplyAddress(report.id, x.email),
      subject: 'long',
      text: 'a'.repeat(LIMITS.message + 10),
    });
    await h.work();
    const long = await lastInbound(project.id);
    expect(long.status).toBe('quarantined');
    expect(long.reason).toContain(`longer than ${LIMITS.message} characters`);
    expect((await entries(report.id)).length).toBe(before);
    expect(await reporterUpdates(report.id)).toBe(0);
  });

  it("does not let a stranger's forged In-Reply-To reach another project's report, or this project's", async () => {
    const a = await intakeProject(h.ctx);
    const b = await intakeProject(h.ctx);
    const inB = await mailedReport(b.project, b.address);
    const inA = await mailedReport(a.project, a.address);
    const before = { a: (await entries(inA.report.id)).length, b: (await entries(inB.report.id)).length };

    await h.send({
      from: sender('stranger'),
      to: a.address,
      subject: 'x',
      inReplyTo: inB.ackMessageId,
      text: 'Forged.',
    });
    await h.send({
      from: sender('stranger'),
      to: a.address,
      subject: 'y',
      inReplyTo: inA.ackMessageId,
      text: 'Forged too.',
    });
    await h.work();
    expect((await entries(inB.report.id)).length).toBe(before.b);
    expect((await entries(inA.report.id)).length).toBe(before.a);
    // Each became a report of its own in the project it was sent to.
    expect(await reportCount(a.project.id)).toBe(3);
    expect(await reportCount(b.project.id)).toBe(1);
  });

  it("refuses another project's reply address only when it does not exist; a valid one lands on its own report", async () => {
    const a = await intakeProject(h.ctx);
    const { report } = await mailedReport(a.project, a.address);
    const good = replyAddressFor(h.ctx.deps.secret, {
      localPart: 'security',
      domain: 'mail.test',
      trackingId: report.tracking_id,
    });
    const forged = replyAddressFor(crypto.randomBytes(32), {
      localPart: 'security',
      domain: 'mail.test',
      trackingId: report.tracking_id,
    });
    const err = await h.send({ from: sender(), to: forged, subject: 'x', text: 'x' }).then(
      () => null,
      (e: { responseCode?: number }) => e,
    );
    expect(err).toMatchObject({ responseCode: 550 });
    await h.send({ from: sender(), to: good, subject: 'x', text: 'Fine.' });
    await h.work();
    expect((await entries(report.id)).pop()?.body).toBe('Fine.');
  });
});
