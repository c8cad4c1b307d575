import { type ParsedMail, simpleParser } from 'mailparser';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { replyAddressFor } from '../../src/domain/mail-intake/reply-address.js';
import { generateProjectKey } from '../../src/domain/pgp/pgp-keys.service.js';
import { engines } from '../support/databases.js';
import { csrfFrom, makeUser } from '../support/factories.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';
import { signedIn } from '../mail/support.js';
import { type IntakeHarness, intakeProject, sender, startIntake } from '../mail-intake/support.js';
import { entityOf, makeKey, pgpMimeEncrypted } from './support.js';

// The whole conversation with a reporter who uses OpenPGP, over real SMTP both ways: their
// encrypted and signed report reaches the team decrypted and verified, the acknowledgement goes
// back encrypted to their key and threaded, and their encrypted answer lands on the same report.

describe.each(engines())('an OpenPGP conversation by mail on %s', (engine) => {
  let h: IntakeHarness;
  let out: SmtpCapture;

  beforeAll(async () => {
    out = await startSmtpCapture();
    h = await startIntake(engine, { EMBARGO_SMTP_URL: out.url });
  });
  afterAll(async () => {
    await h.close();
    await out.close();
  });

  /** Runs jobs until none is due (processing queues mail, whose jobs run next). */
  async function workAll() {
    for (let i = 0; i < 5 && (await h.work()) > 0; i++);
  }

  it('decrypts and verifies the report, answers it encrypted and threaded, and files the encrypted reply', async () => {
    const { ctx } = h;
    const { project, address } = await intakeProject(ctx);
    const projectKey = await ctx.deps.db.transaction().execute((trx) =>
      generateProjectKey(trx, ctx.deps, {
        by: { actor: { kind: 'system', label: 'test' }, origin: noOrigin },
        projectId: project.id,
      }),
    );
    const teamPublic = await openpgp.readKey({ armoredKey: projectKey.publicKey });
    const from = sender('ada');
    const reporter = await makeKey('Ada Reporter', from);

    // 1. The reporter's client encrypts to the project's key, signs, and attaches its own public key.
    const entity = await entityOf({
      text: 'SECRET-REPORT: parse() overflows on 4 KiB input.',
      attachments: [
        { filename: 'OpenPGP_0xADA.asc', content: reporter.armoredPublic, contentType: 'application/pgp-keys' },
      ],
    });
    const reportId = '<first-report@example.net>';
    const raw = await pgpMimeEncrypted({
      headers: { From: `Ada Reporter <${from}>`, To: address, Subject: 'Overflow in parse()', 'Message-ID': reportId },
      entity,
      to: teamPublic,
      signWith: reporter.privateKey,
      date: ctx.clock.now(), // the team's key was made at the clock's time
    });
    await h.send({ envelope: { from, to: [address] }, raw });
    await workAll();

    // 2. The team reads it decrypted, marked encrypted and verified.
    const report = await ctx.deps.db
      .selectFrom('reports')
      .selectAll()
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    expect(report.description).toContain('SECRET-REPORT: parse() overflows on 4 KiB input.');
    expect(report.reporter_pgp_key).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    const member = await signedIn(ctx, await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' }));
    const page = await member.get(`/p/${project.slug}/reports/${report.id}`);
    expect(page.body).toContain('SECRET-REPORT');
    expect(page.body).toContain('encrypted');
    // Signed with the key the same mail brought: that proves nothing about who wrote it.
    expect(page.body).toContain('signed with a key sent in this mail (not verified)');
    expect(page.body).not.toContain('signature verified');

    // 3. The team acknowledges; the reporter gets it encrypted to their key, in their thread.
    const ack = await member.post(`/p/${project.slug}/reports/${report.id}/acknowledge`, {
      _csrf: csrfFrom(page.body),
      message: 'TEAM-ANSWER: confirmed, fix in progress.',
    });
    expect(ack.statusCode).toBe(303);
    await workAll();
    const toReporter = out.messages.filter((_m, i) => out.recipients[i]?.includes(from));
    expect(toReporter).toHaveLength(2); // the acknowledgement of receipt, then the team's answer
    const decrypted: ParsedMail[] = [];
    for (const mail of toReporter) {
      expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/encrypted' });
      expect(mail.inReplyTo).toBe(reportId);
      const payload = mail.attachments.find((a) => a.contentType === 'application/octet-stream');
      const { data, signatures } = await openpgp.decrypt({
        message: await openpgp.readMessage({ armoredMessage: payload?.content.toString('utf8') ?? '' }),
        decryptionKeys: reporter.privateKey,
        verificationKeys: teamPublic,
        date: ctx.clock.now(),
        format: 'binary',
      });
      expect(await signatures[0]?.verified).toBe(true);
      decrypted.push(await simpleParser(Buffer.from(data)));
    }
    expect(decrypted.map((m) => m.text).join()).toContain('TEAM-ANSWER: confirmed, fix in progress.');
    const answer = toReporter[1];
    const replyTo = answer?.replyTo?.value[0]?.address ?? '';
    expect(replyTo).toMatch(/\+r-r-/);

    // 4. The reporter answers, encrypted, to the Reply-To address: it lands on the same report.
    const reply = await pgpMimeEncrypted({
      headers: {
        From: `Ada Reporter <${from}>`,
        To: replyTo,
        Subject: `Re: ${answer?.subject ?? ''}`,
        'Message-ID': '<second@example.net>',
        'In-Reply-To': answer?.messageId ?? '',
        References: `${reportId} ${answer?.messageId ?? ''}`,
      },
      entity: await entityOf({ text: 'SECRET-FOLLOW-UP: it also crashes on 8 KiB.' }),
      to: teamPublic,
      signWith: reporter.privateKey,
      date: ctx.clock.now(), // the team's key was made at the clock's time
    });
    await h.send({ envelope: { from, to: [replyTo] }, raw: reply });
    await workAll();
    const entries = await ctx.deps.db
      .selectFrom('report_entries')
      .select(['kind', 'body', 'detail'])
      .where('report_id', '=', report.id)
      .where('kind', '=', 'message')
      .where('author_kind', '=', 'reporter')
      .execute();
    expect(entries).toHaveLength(1);
    expect(entries[0]?.body).toContain('SECRET-FOLLOW-UP: it also crashes on 8 KiB.');
    expect(JSON.parse(entries[0]?.detail ?? '{}')).toMatchObject({
      via: 'email',
      encrypted: true,
      signature: { status: 'verified', fingerprint: reporter.fingerprint },
    });
    expect(
      await ctx.deps.db.selectFrom('reports').select('id').where('project_id', '=', project.id).execute(),
    ).toHaveLength(1);
    // Signed with the key kept on the report since its first message: now it is verified.
    const again = await member.get(`/p/${project.slug}/reports/${report.id}`);
    expect(again.body).toContain("signature verified with the reporter's key kept on this report");
    // Nothing of the reports crossed the wire in the clear.
    for (const mail of out.messages) expect(JSON.stringify(mail)).not.toContain('SECRET-');
  });

  it('keeps encrypted mail to a project without a key in quarantine, with the reason', async () => {
    const { ctx } = h;
    const { project, address } = await intakeProject(ctx);
    const stranger = await makeKey('Not the team', 'other@example.org');
    const from = sender('bob');
    const raw = await pgpMimeEncrypted({
      headers: { From: from, To: address, Subject: 'Encrypted', 'Message-ID': '<sealed-2@example.net>' },
      entity: await entityOf({ text: 'SECRET-UNREADABLE' }),
      to: stranger.publicKey,
    });
    await h.send({ envelope: { from, to: [address] }, raw });
    await workAll();
    const row = await ctx.deps.db
      .selectFrom('inbound_messages')
      .select(['status', 'reason', 'raw'])
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      status: 'quarantined',
      reason: 'OpenPGP: encrypted, but the project has no private key.',
    });
    expect(row.raw).not.toBeNull(); // kept whole, to process again once the key is uploaded
    expect(await ctx.deps.db.selectFrom('reports').select('id').where('project_id', '=', project.id).execute()).toEqual(
      [],
    );
  });

  it('sends no text in the clear about an encrypted report with no reporter key, and adopts no key from later mail', async () => {
    const { ctx } = h;
    const { project, address } = await intakeProject(ctx);
    const projectKey = await ctx.deps.db.transaction().execute((trx) =>
      generateProjectKey(trx, ctx.deps, {
        by: { actor: { kind: 'system', label: 'test' }, origin: noOrigin },
        projectId: project.id,
      }),
    );
    const teamPublic = await openpgp.readKey({ armoredKey: projectKey.publicKey });
    const from = sender('cy');
    // 1. Encrypted, but unsigned and with no key of the reporter's.
    const raw = await pgpMimeEncrypted({
      headers: { From: from, To: address, Subject: 'Sealed', 'Message-ID': '<sealed-3@example.net>' },
      entity: await entityOf({ text: 'SECRET-REPORT-3' }),
      to: teamPublic,
      date: ctx.clock.now(),
    });
    await h.send({ envelope: { from, to: [address] }, raw });
    await workAll();
    const report = await ctx.deps.db
      .selectFrom('reports')
      .selectAll()
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    expect(report.reporter_pgp_key).toBeNull();

    // 2. A later mail on the report offers a key (anyone can write to the reply address): not adopted.
    const someone = await makeKey('Someone', from);
    const replyTo = replyAddressFor(ctx.deps.secret, {
      localPart: address.split('@')[0] ?? '',
      domain: 'mail.test',
      trackingId: report.tracking_id,
    });
    const later = await pgpMimeEncrypted({
      headers: { From: from, To: replyTo, Subject: 'key', 'Message-ID': '<sealed-4@example.net>' },
      entity: await entityOf({
        text: 'SECRET-FOLLOW-UP-3, and my key.',
        attachments: [{ filename: 'key.asc', content: someone.armoredPublic, contentType: 'application/pgp-keys' }],
      }),
      to: teamPublic,
      date: ctx.clock.now(),
    });
    await h.send({ envelope: { from, to: [replyTo] }, raw: later });
    await workAll();
    const kept = await ctx.deps.db
      .selectFrom('reports')
      .select('reporter_pgp_key')
      .where('id', '=', report.id)
      .executeTakeFirstOrThrow();
    expect(kept.reporter_pgp_key).toBeNull();
    const entry = await ctx.deps.db
      .selectFrom('report_entries')
      .select('detail')
      .where('report_id', '=', report.id)
      .where('kind', '=', 'message')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(entry.detail ?? '{}')).toMatchObject({
      encrypted: true,
      keyOffered: { fingerprint: someone.fingerprint, adopted: false },
    });

    // 3. The team answers: the reporter hears there is news, without the text, stored or sent.
    const member = await signedIn(ctx, await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' }));
    const page = await member.get(`/p/${project.slug}/reports/${report.id}`);
    expect(page.body).toContain('sent a key, not adopted');
    const ack = await member.post(`/p/${project.slug}/reports/${report.id}/acknowledge`, {
      _csrf: csrfFrom(page.body),
      message: 'TEAM-SECRET-3: the fix is in commit abc.',
    });
    expect(ack.statusCode).toBe(303);
    await workAll();
    const stored = await ctx.deps.db
      .selectFrom('outbound_emails')
      .select(['text_body', 'html_body'])
      .where('report_id', '=', report.id)
      .where('template', '=', 'reporter-update')
      .executeTakeFirstOrThrow();
    expect(stored.text_body).not.toContain('TEAM-SECRET-3');
    expect(stored.html_body).not.toContain('TEAM-SECRET-3');
    expect(stored.text_body).toContain('/status');
    const toReporter = out.messages.filter((_m, i) => out.recipients[i]?.includes(from));
    expect(toReporter.length).toBeGreaterThanOrEqual(2);
    for (const mail of toReporter) expect(JSON.stringify(mail)).not.toMatch(/SECRET-/);
  });
});
