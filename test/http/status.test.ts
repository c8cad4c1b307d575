import crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, iso } from '../../src/clock.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { checkAttachments } from '../../src/domain/reports/attachments.js';
import { insertAttachment, insertEntry, updateReport } from '../../src/domain/reports/reports.repository.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { csrfFrom, makeProject, makeUser } from '../support/factories.js';
import { errorCode, FormClient, rowCounts } from '../support/intake.js';
import { makeReport } from '../support/report-factory.js';

describe.each(engines())('reporter status page on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let member: User;

  beforeAll(async () => {
    // 2 replies per report and 6 per address an hour, so the limits are reached in a few requests.
    ctx = await createTestContext(engine, { env: { EMBARGO_REPLIES_PER_HOUR: '2' } });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Acme Parser' });
    member = await makeUser(ctx.deps.db, ctx.clock, { project, name: 'Tess Teammate' });
  });
  afterAll(() => ctx.close());

  const now = () => iso(ctx.clock.now());

  /** A report with a public team message and an internal note carrying its own file. */
  async function reportWithTimeline() {
    const made = await makeReport(ctx, project, {
      attachments: [{ filename: 'crash "log" é.txt', contentType: 'text/html', content: Buffer.from('<b>x</b>') }],
    });
    const id = made.report.id;
    await insertEntry(ctx.deps.db, {
      reportId: id,
      kind: 'message',
      visibility: 'public',
      authorKind: 'team',
      authorUserId: member.id,
      body: 'Thanks, we **reproduced** it.',
      createdAt: now(),
    });
    const noteId = await insertEntry(ctx.deps.db, {
      reportId: id,
      kind: 'note',
      visibility: 'internal',
      authorKind: 'team',
      authorUserId: member.id,
      body: 'INTERNAL-ONLY: the fix touches the auth layer',
      createdAt: now(),
    });
    const [file] = checkAttachments(ctx.deps.config, [
      { filename: 'internal-trace.txt', contentType: 'text/plain', content: Buffer.from('secret trace') },
    ]);
    if (!file) throw new Error('no file');
    const internalFile = await insertAttachment(ctx.deps.db, { reportId: id, entryId: noteId, file, createdAt: now() });
    return { ...made, internalFileId: internalFile.id };
  }

  it('shows the report, its state and the public timeline, never internal notes', async () => {
    const { report, statusToken } = await reportWithTimeline();
    const res = await new FormClient(ctx.app).get(`/status/${statusToken}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(report.trackingId);
    expect(res.body).toContain('Acme Parser');
    expect(res.body).toContain('Received');
    expect(res.body).toContain('within 24 hours');
    expect(res.body).toContain('<strong>reproduced</strong>');
    expect(res.body).toContain('The security team wrote');
    expect(res.body).toContain('crash log é.txt');
    expect(res.body).not.toContain('INTERNAL-ONLY');
    expect(res.body).not.toContain('internal-trace.txt');
    // Team members stay unnamed to the reporter.
    expect(res.body).not.toContain('Tess Teammate');
    expect(res.body).toContain(`action="/status/${statusToken}/messages"`);
  });

  it('serves attachments only as downloads, and never the files of internal notes', async () => {
    const { report, statusToken, internalFileId } = await reportWithTimeline();
    const file = await ctx.deps.db
      .selectFrom('attachments')
      .select('id')
      .where('report_id', '=', report.id)
      .where('filename', '=', 'crash log é.txt')
      .executeTakeFirstOrThrow();
    const res = await ctx.app.inject({ method: 'GET', url: `/status/${statusToken}/attachments/${file.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename*=UTF-8''crash%20log%20%C3%A9.txt`);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe('sandbox');
    expect(res.body).toBe('<b>x</b>');

    const hidden = await ctx.app.inject({ method: 'GET', url: `/status/${statusToken}/attachments/${internalFileId}` });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body).not.toContain('secret trace');
    // Another report's token does not open this report's file.
    const other = await makeReport(ctx, project);
    const cross = await ctx.app.inject({ method: 'GET', url: `/status/${other.statusToken}/attachments/${file.id}` });
    expect(cross.statusCode).toBe(404);
  });

  it('answers a wrong token with 404 STATUS_TOKEN_INVALID and reveals nothing', async () => {
    const { report } = await makeReport(ctx, project);
    const wrong = crypto.randomBytes(32).toString('base64url');
    for (const url of [`/status/${wrong}`, '/status/short', `/status/${wrong}/attachments/${report.id}`]) {
      const res = await ctx.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(res.statusCode).toBe(404);
      expect(errorCode(res)).toBe('STATUS_TOKEN_INVALID');
      expect(res.body).not.toContain('Acme Parser');
    }
    const browser = new FormClient(ctx.app);
    const page = await browser.get(`/p/${project.slug}/report`);
    const before = await rowCounts(ctx.deps.db);
    const post = await browser.postMultipart(`/status/${wrong}/messages`, { _csrf: csrfFrom(page.body), body: 'hi' });
    expect(post.statusCode).toBe(404);
    expect(errorCode(post)).toBe('STATUS_TOKEN_INVALID');
    expect(await rowCounts(ctx.deps.db)).toEqual(before);

    // Refused before the body is read: this one never ends.
    const endless = new PassThrough();
    endless.write(`--b\r\ncontent-disposition: form-data; name="body"\r\n\r\n${'x'.repeat(64 * 1024)}`);
    const unread = await ctx.app.inject({
      method: 'POST',
      url: `/status/${wrong}/messages`,
      headers: { 'content-type': 'multipart/form-data; boundary=b', accept: 'text/html' },
      payload: endless,
    });
    endless.destroy();
    expect(unread.statusCode).toBe(404);
    expect(errorCode(unread)).toBe('STATUS_TOKEN_INVALID');
  });

  it('takes a reply with a file; a reply to "needs info" moves the report back to acknowledged', async () => {
    const { report, statusToken } = await makeReport(ctx, project);
    await updateReport(ctx.deps.db, report.id, { status: 'needs_info', acknowledged_at: now(), updated_at: now() });
    const browser = new FormClient(ctx.app);
    const before = await rowCounts(ctx.deps.db);
    const res = await browser.submit(
      `/status/${statusToken}`,
      `/status/${statusToken}/messages`,
      {
        body: 'Here is the **crash dump** you asked for.',
      },
      [{ filename: 'dump.bin', content: Buffer.from([9, 9, 9]) }],
    );
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/status/${statusToken}#latest`);

    const after = await rowCounts(ctx.deps.db);
    expect(after.report_entries).toBe(before.report_entries + 2); // the message and the status change
    expect(after.attachments).toBe(before.attachments + 1);
    expect(after.audit_log).toBe(before.audit_log + 1);
    const row = await ctx.deps.db
      .selectFrom('reports')
      .select(['status', 'last_activity_at'])
      .where('id', '=', report.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('acknowledged');
    const mails = await ctx.deps.db
      .selectFrom('outbound_emails')
      .select(['to_address', 'template'])
      .where('report_id', '=', report.id)
      .where('template', '=', 'team-reporter-replied')
      .execute();
    expect(mails).toEqual([{ to_address: member.email, template: 'team-reporter-replied' }]);
    const audit = await ctx.deps.db
      .selectFrom('audit_log')
      .select(['action', 'actor_kind', 'detail'])
      .where('subject_id', '=', report.id)
      .where('action', '=', 'report.reporter_replied')
      .executeTakeFirstOrThrow();
    expect(audit.actor_kind).toBe('reporter');
    expect(audit.detail).not.toContain('crash dump');

    const page = await browser.get(`/status/${statusToken}`);
    expect(page.body).toContain('<strong>crash dump</strong>');
    expect(page.body).toContain('Status: Acknowledged');
    expect(page.body).toContain('dump.bin');
    const messageAt = page.body.indexOf('crash dump');
    expect(messageAt).toBeLessThan(page.body.indexOf('Status: Acknowledged'));
  });

  it('keeps a closed report open to replies, except one closed as spam', async () => {
    const closed = await makeReport(ctx, project);
    await updateReport(ctx.deps.db, closed.report.id, {
      status: 'closed',
      close_reason: 'not_vulnerability',
      closed_at: now(),
      updated_at: now(),
    });
    const browser = new FormClient(ctx.app);
    const ok = await browser.submit(`/status/${closed.statusToken}`, `/status/${closed.statusToken}/messages`, {
      body: 'I disagree: here is why.',
    });
    expect(ok.statusCode).toBe(303);

    const spam = await makeReport(ctx, project);
    const page = await browser.get(`/status/${spam.statusToken}`);
    await updateReport(ctx.deps.db, spam.report.id, { status: 'closed', close_reason: 'spam', updated_at: now() });
    const before = await rowCounts(ctx.deps.db);
    const refused = await browser.postMultipart(`/status/${spam.statusToken}/messages`, {
      _csrf: csrfFrom(page.body),
      body: 'Let me in',
    });
    expect(refused.statusCode).toBe(409);
    expect(errorCode(refused)).toBe('REPLIES_CLOSED');
    expect(await rowCounts(ctx.deps.db)).toEqual(before);
    const after = await browser.get(`/status/${spam.statusToken}`);
    expect(after.body).toContain('takes no more messages');
    expect(after.body).not.toContain(`action="/status/${spam.statusToken}/messages"`);
  });

  it('refuses an empty reply or one without the CSRF token, storing nothing', async () => {
    const { statusToken } = await makeReport(ctx, project);
    const browser = new FormClient(ctx.app);
    let before = await rowCounts(ctx.deps.db);
    const empty = await browser.submit(`/status/${statusToken}`, `/status/${statusToken}/messages`, { body: '  ' });
    expect(empty.statusCode).toBe(400);
    expect(errorCode(empty)).toBe('VALIDATION_FAILED');
    expect(empty.body).toContain('A message is required.');
    expect(await rowCounts(ctx.deps.db)).toEqual(before);

    before = await rowCounts(ctx.deps.db);
    const forged = await browser.postMultipart(`/status/${statusToken}/messages`, { body: 'forged' });
    expect(forged.statusCode).toBe(403);
    expect(errorCode(forged)).toBe('CSRF_TOKEN_INVALID');
    expect(await rowCounts(ctx.deps.db)).toEqual(before);
  });

  it('refuses too many files on a reply', async () => {
    const { statusToken } = await makeReport(ctx, project);
    const browser = new FormClient(ctx.app);
    const before = await rowCounts(ctx.deps.db);
    const files = Array.from({ length: 6 }, (_, i) => ({ filename: `f${i}`, content: 'x' }));
    const res = await browser.submit(
      `/status/${statusToken}`,
      `/status/${statusToken}/messages`,
      { body: 'files' },
      files,
    );
    expect(res.statusCode).toBe(413);
    expect(errorCode(res)).toBe('TOO_MANY_ATTACHMENTS');
    expect(await rowCounts(ctx.deps.db)).toEqual(before);
  });

  it('limits replies per report per hour, keeping the draft, and takes them again after the window', async () => {
    const first = await makeReport(ctx, project);
    const second = await makeReport(ctx, project);
    const browser = new FormClient(ctx.app, '10.7.0.1');
    const reply = (token: string, body: string) =>
      browser.submit(`/status/${token}`, `/status/${token}/messages`, { body });
    for (let i = 0; i < 2; i++) expect((await reply(first.statusToken, `reply ${i}`)).statusCode).toBe(303);

    const before = await rowCounts(ctx.deps.db);
    const refused = await reply(first.statusToken, 'PENGUIN-DRAFT one more');
    expect(refused.statusCode).toBe(429);
    expect(errorCode(refused)).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).toContain('PENGUIN-DRAFT one more');
    expect(await rowCounts(ctx.deps.db)).toEqual(before);

    // Another report's link is counted on its own.
    expect((await reply(second.statusToken, 'hello')).statusCode).toBe(303);
    ctx.clock.advance(HOUR_MS);
    expect((await reply(first.statusToken, 'an hour later')).statusCode).toBe(303);
  });

  it('limits replies per client address across reports', async () => {
    const reports = [];
    for (let i = 0; i < 4; i++) reports.push(await makeReport(ctx, project));
    const browser = new FormClient(ctx.app, '10.7.0.2');
    const reply = (token: string) =>
      browser.submit(`/status/${token}`, `/status/${token}/messages`, { body: 'more details' });
    for (const { statusToken } of reports.slice(0, 3)) {
      for (let i = 0; i < 2; i++) expect((await reply(statusToken)).statusCode).toBe(303);
    }
    const last = reports[3]?.statusToken ?? '';
    const before = await rowCounts(ctx.deps.db);
    const refused = await reply(last);
    expect(refused.statusCode).toBe(429);
    expect(errorCode(refused)).toBe('RATE_LIMITED');
    expect(await rowCounts(ctx.deps.db)).toEqual(before);
    // The refusal used up nothing of that report's own allowance: from another address, both of its replies pass.
    const elsewhere = new FormClient(ctx.app, '10.7.0.3');
    for (let i = 0; i < 2; i++) {
      const ok = await elsewhere.submit(`/status/${last}`, `/status/${last}/messages`, { body: 'from elsewhere' });
      expect(ok.statusCode).toBe(303);
    }
  });

  it('writes no audit entry for the reporter viewing their page, and logs no token', async () => {
    const { report, statusToken } = await makeReport(ctx, project, { description: 'OCTOPUS-SECRET-TEXT' });
    const before = await rowCounts(ctx.deps.db);
    await ctx.app.inject({ method: 'GET', url: `/status/${statusToken}` });
    expect((await rowCounts(ctx.deps.db)).audit_log).toBe(before.audit_log);
    expect(report.id).toBeTruthy();
    expect(ctx.logs()).not.toContain(statusToken);
    expect(ctx.logs()).not.toContain('OCTOPUS-SECRET-TEXT');
  });
});
