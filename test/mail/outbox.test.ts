import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../src/clock.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { claimDueJobs } from '../../src/jobs/queue.js';
import { EMAIL_MAX_ATTEMPTS, getEmail, listEmails, queueEmail, retryFailedEmail } from '../../src/mail/outbox.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { makeProject, makeUser } from '../support/factories.js';
import { makeReport } from '../support/report-factory.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';
import { queue, signedIn, testWorker, updateEnvelope } from './support.js';

// The worker's default claim lock; a "dead" worker's job is free again once it has passed.
const LOCK_MS = 5 * MINUTE_MS;
// The token in updateEnvelope's status link.
const STATUS_TOKEN = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg';

describe.each(engines())('outbox delivery on %s', (engine) => {
  let ctx: TestContext;
  let smtp: SmtpCapture | undefined;
  let project: Project;

  async function setup(options: { smtp: boolean }) {
    smtp = options.smtp ? await startSmtpCapture() : undefined;
    ctx = await createTestContext(engine, { env: smtp ? { EMBARGO_SMTP_URL: smtp.url } : {} });
    project = await makeProject(ctx.deps.db, ctx.clock);
    return { ctx, smtp };
  }
  afterEach(async () => {
    await ctx.close();
    await smtp?.close();
  });

  const counts = async () => ({
    emails: (await ctx.deps.db.selectFrom('outbound_emails').select('id').execute()).length,
    jobs: (await ctx.deps.db.selectFrom('jobs').select('id').execute()).length,
  });
  const jobOf = async () => ctx.deps.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
  /** Whether any column of any outbox row holds `token`. */
  const outboxHolds = async (token: string) =>
    JSON.stringify(await ctx.deps.db.selectFrom('outbound_emails').selectAll().execute()).includes(token);

  /** Makes the database refuse to record an email as sent, as a full disk or a lost connection would. */
  async function refuseSentUpdates(refuse: boolean) {
    const { db } = ctx.deps;
    const statements =
      ctx.engine === 'sqlite'
        ? refuse
          ? [
              `create trigger refuse_sent before update of status on outbound_emails when new.status = 'sent'
               begin select raise(abort, 'the database refused the write'); end`,
            ]
          : ['drop trigger refuse_sent']
        : refuse
          ? [
              `create function refuse_sent() returns trigger language plpgsql as $$
               begin if new.status = 'sent' then raise exception 'the database refused the write'; end if;
               return new; end $$`,
              'create trigger refuse_sent before update on outbound_emails for each row execute function refuse_sent()',
            ]
          : ['drop trigger refuse_sent on outbound_emails'];
    for (const statement of statements) await sql.raw(statement).execute(db);
  }

  it('leaves no email and no job when the transaction that queued them rolls back', async () => {
    await setup({ smtp: true });
    await expect(
      ctx.deps.db.transaction().execute(async (trx) => {
        await queueEmail(trx, ctx.deps, updateEnvelope(project.id));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await counts()).toEqual({ emails: 0, jobs: 0 });
    expect(await testWorker(ctx).runDue()).toBe(0);
    expect(smtp?.messages).toHaveLength(0);
  });

  it('delivers a committed email once, with its headers and both bodies', async () => {
    const { smtp } = await setup({ smtp: true });
    if (!smtp) throw new Error('no SMTP capture');
    const id = await queue(ctx, updateEnvelope(project.id));
    expect(await counts()).toEqual({ emails: 1, jobs: 1 });
    const queued = await getEmail(ctx.deps.db, id);
    expect(queued).toMatchObject({ status: 'queued', attempts: 0, template: 'reporter-update' });
    expect(queued?.messageId).toMatch(/^<[0-9a-f-]{36}@localhost>$/);

    expect(await testWorker(ctx).runDue()).toBe(1);
    await smtp.waitFor(1);
    const [mail] = smtp.messages;
    expect(mail?.messageId).toBe(queued?.messageId);
    expect(mail?.subject).toBe('[Widget] Report R-7KQ2-9XHD: acknowledged');
    expect(mail?.from?.value).toEqual([{ name: 'Embargo', address: 'embargo@localhost' }]);
    expect(mail?.headers.get('to')).toMatchObject({ value: [{ address: 'reporter@example.net', name: '' }] });
    expect(smtp.recipients[0]).toEqual(['reporter@example.net']);
    expect(mail?.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail?.text).toContain('Thanks! We **reproduced** it. <script>alert(1)</script>');
    expect(mail?.text).toContain('/status/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg');
    expect(mail?.html).toContain('<strong>reproduced</strong>');
    expect(mail?.html).toContain('&lt;script&gt;');
    expect(mail?.html).not.toContain('<script>');

    const sent = await getEmail(ctx.deps.db, id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1, lastError: null, sentAt: ctx.clock.now().toISOString() });
    expect((await jobOf()).completed_at).not.toBeNull();
    ctx.clock.advance(HOUR_MS);
    expect(await testWorker(ctx).runDue()).toBe(0);
    expect(smtp.messages).toHaveLength(1);
  });

  it('keeps mail as stored, never dropped, when no SMTP server is configured, and lists it', async () => {
    await setup({ smtp: false });
    expect(ctx.deps.mail.kind).toBe('stored');
    const id = await queue(ctx, updateEnvelope(project.id));
    expect(await outboxHolds(STATUS_TOKEN)).toBe(true); // only while it waits in the queue
    expect(await testWorker(ctx).runDue()).toBe(1);
    const stored = await getEmail(ctx.deps.db, id);
    expect(stored).toMatchObject({ status: 'stored', sentAt: null });
    expect((await jobOf()).completed_at).not.toBeNull();
    // Nothing will ever send it: the private link is replaced by the generic page.
    expect(await outboxHolds(STATUS_TOKEN)).toBe(false);
    expect(stored?.text).toContain(
      'the private link you received when you sent the report (see http://localhost:8080/status).',
    );
    expect(stored?.html).toContain('href="http://localhost:8080/status"');

    const admin = await makeUser(ctx.deps.db, ctx.clock, { isInstanceAdmin: true, project });
    const page = await (await signedIn(ctx, admin)).get('/admin/mail');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('EMBARGO_SMTP_URL is not set: messages are kept here, not sent');
    expect(page.body).toContain(`/admin/mail/${id}`);
    expect(page.body).toContain('[Widget] Report R-7KQ2-9XHD: acknowledged');
    expect(page.body).toContain('stored');
  });

  it("keeps no reporter's status token once the report-received email is sent; the reporter got the link", async () => {
    const { smtp } = await setup({ smtp: true });
    if (!smtp) throw new Error('no SMTP capture');
    const { statusToken } = await makeReport(ctx, project, { reporterEmail: 'ada@example.net' });
    expect(await outboxHolds(statusToken)).toBe(true);
    expect(await testWorker(ctx).runDue()).toBe(1);
    await smtp.waitFor(1);
    expect(smtp.messages[0]?.text).toContain(`http://localhost:8080/status/${statusToken}`);
    expect(smtp.messages[0]?.html).toContain(`href="http://localhost:8080/status/${statusToken}"`);

    const [row] = await ctx.deps.db.selectFrom('outbound_emails').selectAll().execute();
    expect(row).toMatchObject({ status: 'sent', template: 'report-received' });
    expect(await outboxHolds(statusToken)).toBe(false);
    expect(row?.text_body).toContain('\nhttp://localhost:8080/status\n');
  });

  it('pages newest first without skipping emails queued at the same instant', async () => {
    await setup({ smtp: false });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await queue(ctx, updateEnvelope(project.id)));
    ctx.clock.advance(1000);
    const newest = await queue(ctx, updateEnvelope(project.id));
    const seen: string[] = [];
    let page = await listEmails(ctx.deps.db, { projectId: project.id, limit: 2 });
    while (page.length > 0) {
      seen.push(...page.map((e) => e.id));
      const last = page[page.length - 1];
      page = last ? await listEmails(ctx.deps.db, { projectId: project.id, limit: 2, before: last }) : [];
    }
    expect(seen[0]).toBe(newest);
    expect([...seen].sort()).toEqual([...ids, newest].sort());
  });

  it('retries with backoff while the SMTP server refuses, and delivers once when it recovers', async () => {
    const { smtp } = await setup({ smtp: true });
    if (!smtp) throw new Error('no SMTP capture');
    const worker = testWorker(ctx);
    const id = await queue(ctx, updateEnvelope(project.id));
    smtp.setFailing(true);

    expect(await worker.runDue()).toBe(1);
    let email = await getEmail(ctx.deps.db, id);
    expect(email).toMatchObject({ status: 'queued', attempts: 1 });
    expect(email?.lastError).toContain('451');
    expect(await worker.runDue()).toBe(0); // waiting out the 30 s backoff
    ctx.clock.advance(29_999);
    expect(await worker.runDue()).toBe(0);
    ctx.clock.advance(1);
    expect(await worker.runDue()).toBe(1); // second failure: next try in 60 s
    expect(await getEmail(ctx.deps.db, id)).toMatchObject({ status: 'queued', attempts: 2 });

    smtp.setFailing(false);
    ctx.clock.advance(59_999);
    expect(await worker.runDue()).toBe(0);
    ctx.clock.advance(1);
    expect(await worker.runDue()).toBe(1);
    await smtp.waitFor(1);
    email = await getEmail(ctx.deps.db, id);
    expect(email).toMatchObject({ status: 'sent', attempts: 3 });
    ctx.clock.advance(HOUR_MS);
    expect(await worker.runDue()).toBe(0);
    expect(smtp.messages).toHaveLength(1);
  });

  it('parks an email as failed when its job runs out of attempts; a retry sends it', async () => {
    const { smtp } = await setup({ smtp: true });
    if (!smtp) throw new Error('no SMTP capture');
    const worker = testWorker(ctx);
    const id = await queue(ctx, updateEnvelope(project.id));
    smtp.setFailing(true);
    for (let i = 0; i < EMAIL_MAX_ATTEMPTS; i++) {
      expect(await worker.runDue()).toBe(1);
      ctx.clock.advance(HOUR_MS);
    }
    expect(await worker.runDue()).toBe(0);
    expect(await getEmail(ctx.deps.db, id)).toMatchObject({ status: 'failed', attempts: EMAIL_MAX_ATTEMPTS });
    expect((await jobOf()).failed_at).not.toBeNull();
    expect(await outboxHolds(STATUS_TOKEN)).toBe(false);

    smtp.setFailing(false);
    await ctx.deps.db.transaction().execute((trx) => retryFailedEmail(trx, ctx.clock, id));
    await expect(
      ctx.deps.db.transaction().execute((trx) => retryFailedEmail(trx, ctx.clock, id)),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await worker.runDue()).toBe(1);
    await smtp.waitFor(1);
    expect(await getEmail(ctx.deps.db, id)).toMatchObject({ status: 'sent' });
    expect(smtp.messages).toHaveLength(1);
    // Given up, the stored copy lost the private link; the retry carries the generic page.
    expect(smtp.messages[0]?.text).toContain('(see http://localhost:8080/status).');
    expect(smtp.messages[0]?.text).not.toContain(STATUS_TOKEN);
  });

  it('parks an email as failed when the last attempt fails outside SMTP (the database refuses "sent")', async () => {
    const { smtp } = await setup({ smtp: true });
    if (!smtp) throw new Error('no SMTP capture');
    const worker = testWorker(ctx);
    const id = await queue(ctx, updateEnvelope(project.id));
    smtp.setFailing(true);
    for (let i = 0; i < EMAIL_MAX_ATTEMPTS - 1; i++) {
      expect(await worker.runDue()).toBe(1);
      ctx.clock.advance(HOUR_MS);
    }
    expect(await getEmail(ctx.deps.db, id)).toMatchObject({ status: 'queued', attempts: EMAIL_MAX_ATTEMPTS - 1 });

    // Last attempt: the server takes the message, then recording it as sent fails.
    smtp.setFailing(false);
    await refuseSentUpdates(true);
    expect(await worker.runDue()).toBe(1);
    await smtp.waitFor(1);
    expect(smtp.messages[0]?.text).toContain(`/status/${STATUS_TOKEN}`);
    const failed = await getEmail(ctx.deps.db, id);
    expect(failed).toMatchObject({ status: 'failed', attempts: EMAIL_MAX_ATTEMPTS });
    expect(failed?.lastError).toContain('the database refused the write');
    expect((await jobOf()).failed_at).not.toBeNull();
    expect(await outboxHolds(STATUS_TOKEN)).toBe(false);

    // Failed, not stuck in queued: the admin's retry takes it.
    await refuseSentUpdates(false);
    await ctx.deps.db.transaction().execute((trx) => retryFailedEmail(trx, ctx.clock, id));
    expect(await worker.runDue()).toBe(1);
    await smtp.waitFor(2);
    expect(await getEmail(ctx.deps.db, id)).toMatchObject({ status: 'sent' });
  });

  it('parks an email as failed when the SMTP server is gone on the last attempt (connection refused)', async () => {
    const { smtp } = await setup({ smtp: true });
    if (!smtp) throw new Error('no SMTP capture');
    const worker = testWorker(ctx);
    const id = await queue(ctx, updateEnvelope(project.id));
    smtp.setFailing(true);
    for (let i = 0; i < EMAIL_MAX_ATTEMPTS - 1; i++) {
      expect(await worker.runDue()).toBe(1);
      ctx.clock.advance(HOUR_MS);
    }
    await smtp.close();
    expect(await worker.runDue()).toBe(1);
    const failed = await getEmail(ctx.deps.db, id);
    expect(failed).toMatchObject({ status: 'failed', attempts: EMAIL_MAX_ATTEMPTS });
    expect(failed?.lastError).toMatch(/ECONNREFUSED/);
    expect(await outboxHolds(STATUS_TOKEN)).toBe(false);
  });

  it('crash before sending: a worker that claimed the job and died is taken over once its lock expires', async () => {
    const { smtp } = await setup({ smtp: true });
    if (!smtp) throw new Error('no SMTP capture');
    const id = await queue(ctx, updateEnvelope(project.id));
    const [claimed] = await claimDueJobs(ctx.deps.db, ctx.clock, { workerId: 'dead', limit: 10, lockMs: LOCK_MS });
    expect(claimed?.payload).toEqual({ kind: 'email.send', emailId: id });

    const survivor = testWorker(ctx, 'survivor');
    expect(await survivor.runDue()).toBe(0); // still locked by the dead worker
    ctx.clock.advance(LOCK_MS + 1);
    expect(await survivor.runDue()).toBe(1);
    await smtp.waitFor(1);
    ctx.clock.advance(HOUR_MS);
    expect(await survivor.runDue()).toBe(0);
    expect(smtp.messages).toHaveLength(1);
    expect(await getEmail(ctx.deps.db, id)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await jobOf()).toMatchObject({ attempts: 2, claimed_by: null });
  });

  it('crash after sending: a job whose email was sent and marked sent does not send it again', async () => {
    const { smtp } = await setup({ smtp: true });
    if (!smtp) throw new Error('no SMTP capture');
    const id = await queue(ctx, updateEnvelope(project.id));
    // The first worker claims, sends and records the email as sent, then dies before completing the job.
    const [claimed] = await claimDueJobs(ctx.deps.db, ctx.clock, { workerId: 'dead', limit: 10, lockMs: LOCK_MS });
    if (claimed?.payload.kind !== 'email.send') throw new Error('expected the email job');
    await jobHandlers(ctx.deps)['email.send'].handle(claimed.payload, {
      db: ctx.deps.db,
      clock: ctx.clock,
      logger: ctx.deps.logger,
      jobId: claimed.id,
      attempt: claimed.attempts,
      maxAttempts: claimed.maxAttempts,
    });
    await smtp.waitFor(1);
    expect((await jobOf()).completed_at).toBeNull();

    ctx.clock.advance(LOCK_MS + 1);
    expect(await testWorker(ctx, 'survivor').runDue()).toBe(1);
    expect(smtp.messages).toHaveLength(1);
    const job = await jobOf();
    expect(job.completed_at).not.toBeNull();
    expect(await getEmail(ctx.deps.db, id)).toMatchObject({ status: 'sent', attempts: 1 });
  });
});
