import { type ParsedMail, simpleParser } from 'mailparser';
import * as openpgp from 'openpgp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, iso } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { newId } from '../../src/domain/ids.js';
import { replyAddressFor } from '../../src/domain/mail-intake/reply-address.js';
import { generateProjectKey } from '../../src/domain/pgp/pgp-keys.service.js';
import { rememberReporterKey } from '../../src/domain/pgp/reporter-key.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { submitReport } from '../../src/domain/reports/intake.service.js';
import type { Report } from '../../src/domain/reports/reports.js';
import * as triage from '../../src/domain/reports/triage.service.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { makeProject } from '../support/factories.js';
import { makeReport } from '../support/report-factory.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';
import { testWorker } from '../mail/support.js';
import { makeKey, type TestKey } from './support.js';

// Mail to a reporter: encrypted to their key as PGP/MIME (RFC 3156), and threaded with the mail
// they sent (Reply-To the report's reply address, In-Reply-To/References, "Re:" subject).

const REPORTER = 'ada@example.net';
const system = { actor: { kind: 'system', label: 'test' } as const, origin: noOrigin };

describe.each(engines())('mail to reporters on %s', (engine) => {
  let ctx: TestContext;
  let smtp: SmtpCapture;
  let project: Project;
  let reporter: TestKey;

  beforeEach(async () => {
    smtp = await startSmtpCapture();
    ctx = await createTestContext(engine, {
      env: { EMBARGO_SMTP_URL: smtp.url, EMBARGO_MAIL_DOMAIN: 'widget.example' },
    });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    reporter ??= await makeKey('Ada Reporter', REPORTER);
  });
  afterEach(async () => {
    await ctx.close();
    await smtp.close();
  });

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  const acknowledge = (report: Report, message: string) =>
    tx((trx) => triage.acknowledge(trx, ctx.deps, { ...system, projectId: project.id, reportId: report.id, message }));
  /** Sends what is queued and returns the mail the reporter received. */
  async function reporterMail(): Promise<ParsedMail[]> {
    await testWorker(ctx).runDue();
    return smtp.messages.filter((_m, i) => smtp.recipients[i]?.includes(REPORTER));
  }
  async function addIntakeAddress() {
    await ctx.deps.db
      .insertInto('intake_addresses')
      .values({
        id: newId(),
        project_id: project.id,
        address: 'security@widget.example',
        created_at: iso(ctx.clock.now()),
      })
      .execute();
  }
  /** A report filed from mail (as the inbound pipeline files it), with its message stored. */
  async function mailReport(options: { encrypted: boolean; messageId: string }): Promise<Report> {
    const { report } = await tx((trx) =>
      submitReport(
        trx,
        ctx.deps,
        { title: 'Heap overflow in parse()', description: 'It overflows.', reporterEmail: REPORTER },
        {
          projectSlug: project.slug,
          source: 'email',
          origin: noOrigin,
          entryDetail: { via: 'email', encrypted: options.encrypted },
        },
      ),
    );
    await ctx.deps.db
      .insertInto('inbound_messages')
      .values({
        id: newId(),
        source: 'smtp',
        project_id: project.id,
        imap_account_id: null,
        imap_uid_validity: null,
        imap_uid: null,
        envelope_from: REPORTER,
        envelope_to: JSON.stringify(['security@widget.example']),
        message_id: options.messageId,
        size: 100,
        raw: null,
        status: 'processed',
        reason: null,
        report_id: report.id,
        received_at: iso(ctx.clock.now()),
        processed_at: iso(ctx.clock.now()),
      })
      .execute();
    return report;
  }

  /** The MIME entity inside a PGP/MIME message, decrypted with the reporter's key, and its signatures. */
  async function decryptPgpMime(mail: ParsedMail, verificationKeys: openpgp.PublicKey[] = []) {
    const payload = mail.attachments.find((a) => a.contentType === 'application/octet-stream');
    if (!payload) throw new Error('no encrypted part');
    const result = await openpgp.decrypt({
      message: await openpgp.readMessage({ armoredMessage: payload.content.toString('utf8') }),
      decryptionKeys: reporter.privateKey,
      verificationKeys,
      date: ctx.clock.now(),
      format: 'binary',
    });
    return { inner: await simpleParser(Buffer.from(result.data)), signatures: result.signatures };
  }

  it('encrypts mail to a reporter who gave their key as PGP/MIME, signed by the project key', async () => {
    const projectKey = await tx((trx) => generateProjectKey(trx, ctx.deps, { by: system, projectId: project.id }));
    // The key arrives with the report, after its acknowledgement of receipt was queued: that one is encrypted too.
    const { report } = await makeReport(ctx, project, { reporterEmail: REPORTER });
    await tx((trx) =>
      rememberReporterKey(trx, { reportId: report.id, armored: reporter.armoredPublic, date: ctx.clock.now() }),
    );
    await acknowledge(report, 'We reproduced the TEAM-SECRET overflow.');

    const mails = await reporterMail();
    expect(mails).toHaveLength(2);
    const rows = await ctx.deps.db
      .selectFrom('outbound_emails')
      .selectAll()
      .where('to_address', '=', REPORTER)
      .execute();
    const ack = mails.find((m) => m.messageId === rows.find((r) => r.template === 'reporter-update')?.message_id);
    if (!ack) throw new Error('no acknowledgement');
    const type = ack.headers.get('content-type') as { value: string; params: Record<string, string> };
    expect(type.value).toBe('multipart/encrypted');
    expect(type.params.protocol).toBe('application/pgp-encrypted');
    expect(ack.text ?? '').not.toContain('TEAM-SECRET');
    expect(JSON.stringify(ack.attachments.map((a) => a.content.toString()))).not.toContain('TEAM-SECRET');
    expect(ack.headers.get('auto-submitted')).toBe('auto-generated');
    expect(ack.subject).toBe(rows.find((r) => r.template === 'reporter-update')?.subject);

    const signer = await openpgp.readKey({ armoredKey: projectKey.publicKey });
    const { inner, signatures } = await decryptPgpMime(ack, [signer]);
    expect(inner.text).toContain('We reproduced the TEAM-SECRET overflow.');
    expect(inner.html).toContain('TEAM-SECRET');
    expect(await signatures[0]?.verified).toBe(true);

    for (const mail of mails)
      expect(mail.attachments.some((a) => a.contentType === 'application/pgp-encrypted')).toBe(true);
    // The outbox keeps the plain (settled) bodies for the Outgoing mail page, and the key it encrypted to.
    for (const row of rows) {
      expect(row.status).toBe('sent');
      expect(row.encrypt_to_key).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    }
    expect(rows.find((r) => r.template === 'reporter-update')?.text_body).toContain('TEAM-SECRET');
  });

  it('threads mail about a report that came by mail: Re: subject, In-Reply-To, References, Reply-To', async () => {
    await addIntakeAddress();
    const report = await mailReport({ encrypted: false, messageId: '<first@example.net>' });
    ctx.clock.advance(60_000);
    await ctx.deps.db
      .insertInto('inbound_messages')
      .values({
        id: newId(),
        source: 'smtp',
        project_id: project.id,
        imap_account_id: null,
        imap_uid_validity: null,
        imap_uid: null,
        envelope_from: REPORTER,
        envelope_to: '[]',
        message_id: '<second@example.net>',
        size: 100,
        raw: null,
        status: 'processed',
        reason: null,
        report_id: report.id,
        received_at: iso(ctx.clock.now()),
        processed_at: iso(ctx.clock.now()),
      })
      .execute();
    await acknowledge(report, 'Thanks, confirmed.');
    const mails = await reporterMail();
    const reply = replyAddressFor(ctx.deps.secret, {
      localPart: 'security',
      domain: 'widget.example',
      trackingId: report.trackingId,
    });
    for (const mail of mails) {
      expect(mail.subject).toBe('Re: Heap overflow in parse()');
      expect(mail.replyTo?.value[0]?.address).toBe(reply);
      expect(mail.inReplyTo).toBe('<second@example.net>');
      expect(mail.references).toEqual(['<first@example.net>', '<second@example.net>']);
      expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    }
    expect(mails.map((m) => m.text ?? '').join()).toContain('Thanks, confirmed.');
    const row = await ctx.deps.db
      .selectFrom('outbound_emails')
      .select(['headers', 'subject'])
      .where('template', '=', 'reporter-update')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.headers ?? '{}')).toEqual({
      'In-Reply-To': '<second@example.net>',
      References: '<first@example.net> <second@example.net>',
      'Reply-To': reply,
    });
  });

  it('keeps the subject of an encrypted report out of the clear, and threads its acknowledgement of receipt', async () => {
    await addIntakeAddress();
    const report = await mailReport({ encrypted: true, messageId: '<sealed@example.net>' });
    const mails = await reporterMail();
    expect(mails).toHaveLength(1); // the acknowledgement of receipt, queued before the message was linked
    expect(mails[0]?.subject).not.toContain('Heap overflow');
    expect(mails[0]?.subject).toContain(report.trackingId);
    expect(mails[0]?.inReplyTo).toBe('<sealed@example.net>');
  });

  it('gives a form report the reply address only, and other mail nothing', async () => {
    const { report } = await makeReport(ctx, project, { reporterEmail: REPORTER });
    await reporterMail();
    expect(smtp.messages[0]?.replyTo).toBeUndefined();
    await addIntakeAddress();
    await acknowledge(report, 'Hello.');
    const [, update] = await reporterMail();
    expect(update?.replyTo?.value[0]?.address).toMatch(/^security\+r-r-[0-9a-z-]+@widget\.example$/);
    expect(update?.inReplyTo).toBeUndefined();
    expect(update?.subject).not.toMatch(/^Re:/);
  });

  it('never sends in the clear to a reporter whose key can no longer be encrypted to', async () => {
    const expiring = await makeKey('Ada Reporter', REPORTER, { keyExpirationTime: 2 * 86_400 });
    const { report } = await makeReport(ctx, project, { reporterEmail: REPORTER });
    await tx((trx) =>
      rememberReporterKey(trx, { reportId: report.id, armored: expiring.armoredPublic, date: ctx.clock.now() }),
    );
    ctx.clock.advance(3 * DAY_MS);
    await testWorker(ctx).runDue();
    expect(smtp.messages).toHaveLength(0);
    const row = await ctx.deps.db.selectFrom('outbound_emails').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'queued', attempts: 1 });
    expect(row.last_error).toContain("could not encrypt to the reporter's OpenPGP key");
    // A key that is already expired is not kept at all.
    const other = await makeReport(ctx, project, { reporterEmail: REPORTER });
    const kept = await tx((trx) =>
      rememberReporterKey(trx, { reportId: other.report.id, armored: expiring.armoredPublic, date: ctx.clock.now() }),
    );
    expect(kept).toBe(false);
  });
});
