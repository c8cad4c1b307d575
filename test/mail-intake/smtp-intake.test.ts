import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../src/clock.js';
import { processInboundMessage } from '../../src/domain/mail-intake/process-inbound.service.js';
import { claimDueJobs } from '../../src/jobs/queue.js';
import { engines } from '../support/databases.js';
import { countRows, type IntakeHarness, intakeProject, rawSmtp, sender, startIntake } from './support.js';

const MAX_BYTES = 200_000;

describe.each(engines())('mail intake over SMTP on %s', (engine) => {
  let h: IntakeHarness;
  beforeAll(async () => {
    h = await startIntake(engine, {
      EMBARGO_SMTP_IN_MAX_BYTES: String(MAX_BYTES),
      EMBARGO_SMTP_IN_PER_SENDER_PER_HOUR: '3',
    });
  });
  afterAll(() => h.close());

  const db = () => h.ctx.deps.db;
  const reportsOf = (projectId: string) =>
    db().selectFrom('reports').selectAll().where('project_id', '=', projectId).orderBy('received_at').execute();
  const inboundOf = (projectId: string) =>
    db().selectFrom('inbound_messages').selectAll().where('project_id', '=', projectId).execute();

  it('files a plain text mail as a report in the project inbox, with the reporter address, and acknowledges it', async () => {
    const { project, address } = await intakeProject(h.ctx);
    const from = sender();
    await h.send({
      from: `"Ada Lovelace" <${from}>`,
      to: address,
      subject: 'Heap overflow in the tokenizer',
      text: 'A long input overflows a fixed buffer.\n\nSteps: run `tok < big.txt`.',
    });
    const [stored] = await inboundOf(project.id);
    expect(stored).toMatchObject({ status: 'received', source: 'smtp', envelope_from: from });
    expect(JSON.parse(stored?.envelope_to ?? '[]')).toEqual([address]);

    await h.work();
    const [report, ...others] = await reportsOf(project.id);
    expect(others).toEqual([]);
    expect(report).toMatchObject({
      source: 'email',
      title: 'Heap overflow in the tokenizer',
      reporter_email: from,
      reporter_name: 'Ada Lovelace',
      credit: 'name',
      status: 'new',
    });
    expect(report?.description).toContain('overflows a fixed buffer');
    const entry = await db()
      .selectFrom('report_entries')
      .select(['kind', 'detail'])
      .where('report_id', '=', report?.id ?? '')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(entry.detail ?? '{}')).toEqual({ via: 'email', encrypted: false, signature: null });

    // The inbound row records the outcome and no longer keeps the raw copy.
    const [row] = await inboundOf(project.id);
    expect(row).toMatchObject({ status: 'processed', report_id: report?.id, raw: null });
    expect(row?.processed_at).not.toBeNull();
    // The reporter gets the usual acknowledgement of receipt, at their address.
    const mail = await db()
      .selectFrom('outbound_emails')
      .select(['to_address', 'template'])
      .where('report_id', '=', report?.id ?? '')
      .execute();
    expect(mail).toContainEqual({ to_address: from, template: 'report-received' });
    const audit = await db()
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('subject_id', '=', report?.id ?? '')
      .execute();
    expect(audit.map((a) => a.action)).toContain('report.submitted');
    expect(audit[0]?.detail).toContain('"source":"email"');
  });

  it('stores both attachments of a multipart mail, with the right sha256', async () => {
    const { project, address } = await intakeProject(h.ctx);
    const poc = crypto.randomBytes(5000);
    const log = Buffer.from('segfault at 0x41414141\n');
    await h.send({
      from: sender(),
      to: address,
      subject: 'PoC attached',
      text: 'See the two files.',
      attachments: [
        { filename: 'poc.bin', content: poc, contentType: 'application/octet-stream' },
        { filename: 'crash.log', content: log, contentType: 'text/plain' },
      ],
    });
    await h.work();
    const [report] = await reportsOf(project.id);
    const files = await db()
      .selectFrom('attachments')
      .select(['filename', 'sha256', 'size', 'content'])
      .where('report_id', '=', report?.id ?? '')
      .orderBy('filename')
      .execute();
    const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
    expect(files.map((f) => [f.filename, f.sha256, Number(f.size)])).toEqual([
      ['crash.log', sha(log), log.length],
      ['poc.bin', sha(poc), poc.length],
    ]);
    expect(Buffer.compare(Buffer.from(files[1]?.content ?? []), poc)).toBe(0);
  });

  it('turns an HTML-only mail into text and keeps no HTML', async () => {
    const { project, address } = await intakeProject(h.ctx);
    await h.send({
      from: sender(),
      to: address,
      subject: 'HTML only',
      html: '<p>The <b>admin panel</b> reflects <i>q</i>.</p><script>alert(1)</script><img src="http://track.example/x.png">',
    });
    await h.work();
    const [report] = await reportsOf(project.id);
    expect(report?.description).toContain('The admin panel reflects q.');
    expect(report?.description).not.toMatch(/<[a-z/]/i);
    expect(report?.description).not.toContain('alert(1)');
    const [row] = await inboundOf(project.id);
    expect(row?.raw).toBeNull();
  });

  it('refuses an unknown recipient at RCPT with 550 and stores nothing', async () => {
    const before = await countRows(h.ctx, 'inbound_messages');
    const err = await h.send({ from: sender(), to: 'nobody@intake.test', subject: 'x', text: 'x' }).then(
      () => null,
      (e: { responseCode?: number; command?: string }) => e,
    );
    expect(err).toMatchObject({ responseCode: 550, command: 'RCPT TO' });
    const raw = await rawSmtp(h.listener.port, {
      from: sender(),
      to: ['security+r-r-aaaa-bbbb-0123456789abcdef@mail.test'],
      data: 'x',
    });
    expect(raw.rcptTo[0]).toMatch(/^550 .*No such user here/);
    expect(await countRows(h.ctx, 'inbound_messages')).toBe(before);
  });

  it('refuses a message over the size limit with 552 and stores nothing', async () => {
    const { address } = await intakeProject(h.ctx);
    const before = { inbound: await countRows(h.ctx, 'inbound_messages'), jobs: await countRows(h.ctx, 'jobs') };
    const body = `From: ${sender()}\r\nTo: ${address}\r\nSubject: big\r\n\r\n${'x'.repeat(76)}\r\n`.repeat(1);
    const big = body + `${'y'.repeat(76)}\r\n`.repeat(Math.ceil(MAX_BYTES / 78) + 10);
    const session = await rawSmtp(h.listener.port, { from: sender(), to: [address], data: big });
    expect(session.message).toMatch(/^552 /);
    expect(await countRows(h.ctx, 'inbound_messages')).toBe(before.inbound);
    expect(await countRows(h.ctx, 'jobs')).toBe(before.jobs);
    // A client that declares the size up front is refused at MAIL FROM.
    const declared = await rawSmtp(h.listener.port, {
      from: `${sender()}> SIZE=${MAX_BYTES + 1}<`,
      to: [address],
      data: 'x',
    });
    expect(declared.mailFrom).toMatch(/^5\d\d /);
  });

  it('caps the messages of one sender per hour with a temporary refusal, storing nothing', async () => {
    const { project, address } = await intakeProject(h.ctx);
    const from = sender('busy');
    for (let i = 0; i < 3; i++) await h.send({ from, to: address, subject: `n${i}`, text: 'hello' });
    const err = await h.send({ from, to: address, subject: 'n4', text: 'hello' }).then(
      () => null,
      (e: { responseCode?: number; command?: string }) => e,
    );
    expect(err).toMatchObject({ responseCode: 451, command: 'MAIL FROM' });
    expect(await inboundOf(project.id)).toHaveLength(3);
    // Another sender is not affected, and the next hour the sender may write again.
    await h.send({ from: sender(), to: address, subject: 'other', text: 'hello' });
    h.ctx.clock.advance(60 * MINUTE_MS);
    await h.send({ from, to: address, subject: 'later', text: 'hello' });
    expect(await inboundOf(project.id)).toHaveLength(5);
  });

  it('loses nothing between accepting and processing: the row and its job exist, and a second worker files it once', async () => {
    const { project, address } = await intakeProject(h.ctx);
    await h.work();
    await h.send({ from: sender(), to: address, subject: 'Survives a crash', text: 'Still here.' });
    const [row] = await inboundOf(project.id);
    expect(row?.status).toBe('received');
    expect(row?.raw).not.toBeNull();
    const job = await db()
      .selectFrom('jobs')
      .select(['id', 'completed_at'])
      .where('kind', '=', 'mail.process')
      .where('payload', 'like', `%${row?.id}%`)
      .executeTakeFirstOrThrow();
    expect(job.completed_at).toBeNull();

    // A worker claims the job and dies before doing anything.
    const claimed = await claimDueJobs(db(), h.ctx.clock, { workerId: 'dies', limit: 10, lockMs: 5 * MINUTE_MS });
    expect(claimed.map((j) => j.id)).toContain(job.id);
    expect(await h.work()).toBe(0);
    // Its lock runs out; another worker takes the job over and files the message once.
    h.ctx.clock.advance(5 * MINUTE_MS + 1);
    await h.work();
    expect(await reportsOf(project.id)).toHaveLength(1);
    // Running the processing again (a job run twice) changes nothing.
    expect(await processInboundMessage(h.ctx.deps, { inboundId: row?.id ?? '' })).toBe('skipped');
    expect(await reportsOf(project.id)).toHaveLength(1);
  });

  it('files a message resent by the sending server (same Message-ID) once', async () => {
    const { project, address } = await intakeProject(h.ctx);
    const from = sender();
    const messageId = `<resent-${crypto.randomUUID()}@example.net>`;
    await h.send({ from, to: address, subject: 'Once', text: 'Only once.', messageId });
    await h.work();
    // The sending server missed our 250 and tries again a few minutes later.
    h.ctx.clock.advance(5 * MINUTE_MS);
    await h.send({ from, to: address, subject: 'Once', text: 'Only once.', messageId });
    await h.work();
    expect(await reportsOf(project.id)).toHaveLength(1);
    const statuses = (await inboundOf(project.id)).map((r) => r.status).sort();
    expect(statuses).toEqual(['ignored', 'processed']);
    // The copy is filed already: the duplicate keeps no raw bytes.
    expect((await inboundOf(project.id)).map((r) => r.raw)).toEqual([null, null]);
  });

  it('attaches a long text whole as message.txt, but quarantines it when five attachments leave no room', async () => {
    const long = `${'The overflow needs a long input. '.repeat(1600)}THE-END`;
    const files = (n: number) => Array.from({ length: n }, (_v, i) => ({ filename: `f${i}.txt`, content: `${i}\n` }));
    const a = await intakeProject(h.ctx);
    await h.send({ from: sender(), to: a.address, subject: 'Long', text: long, attachments: files(4) });
    await h.work();
    const [report] = await reportsOf(a.project.id);
    expect(report?.description).toContain('the whole text is attached as message.txt');
    expect(report?.description).not.toContain('THE-END');
    const names = await db()
      .selectFrom('attachments')
      .select('filename')
      .where('report_id', '=', report?.id ?? '')
      .execute();
    expect(names.map((n) => n.filename)).toContain('message.txt');

    const b = await intakeProject(h.ctx);
    await h.send({ from: sender(), to: b.address, subject: 'Long', text: long, attachments: files(5) });
    await h.work();
    expect(await reportsOf(b.project.id)).toEqual([]);
    const [row] = await inboundOf(b.project.id);
    expect(row?.status).toBe('quarantined');
    expect(row?.reason).toContain('already has 5 attachments');
    expect(row?.raw).not.toBeNull();
  });
});
