import { type ParsedMail, simpleParser } from 'mailparser';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { notifyDistributors } from '../../src/domain/distributors/notices.service.js';
import { DEFAULT_CRITERIA, DEFAULT_TERMS } from '../../src/domain/distributors/program.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import type { User } from '../../src/domain/users/users.js';
import { testWorker } from '../mail/support.js';
import { makeKey, type TestKey } from '../pgp/support.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { ADVISORY, makeDistributor, readyCase, SYSTEM } from '../support/disclosure.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';

// The distributor programme's settings pages, driven as a project admin would: the programme's
// criteria and terms, a distributor, its contacts (welcome mail over real SMTP, encrypted to a
// contact's key), its acceptance of the terms, and the cases it was told of.

describe.each(engines())('the distributor settings pages on %s', (engine) => {
  let ctx: TestContext;
  let smtp: SmtpCapture;
  let project: Project;
  let other: Project;
  let admin: User;
  let browsers: Record<'admin' | 'member' | 'outsider' | 'otherAdmin', Browser>;
  let contactKey: TestKey;
  let distributorId = '';
  let keyedContactId = '';

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    ctx = await createTestContext(engine, { env: { EMBARGO_SMTP_URL: smtp.url } });
    const { db } = ctx.deps;
    project = await makeProject(db, ctx.clock, { name: 'Widget' });
    other = await makeProject(db, ctx.clock, { name: 'Other' });
    admin = await makeUser(db, ctx.clock, { project, role: 'admin', name: 'Ada Admin' });
    const users = {
      admin,
      member: await makeUser(db, ctx.clock, { project, role: 'security' }),
      outsider: await makeUser(db, ctx.clock),
      otherAdmin: await makeUser(db, ctx.clock, { project: other, role: 'admin' }),
    };
    browsers = {} as typeof browsers;
    for (const [who, user] of Object.entries(users) as [keyof typeof users, User][]) {
      browsers[who] = new Browser(ctx.app);
      await login(browsers[who], user.email);
    }
    contactKey = await makeKey('Kim Keyed', `kim-${engine}@debian.example`);
  });
  afterAll(async () => {
    await ctx.close();
    await smtp.close();
  });

  const base = () => `/p/${project.slug}/settings/distributors`;
  const page = () => `${base()}/${distributorId}`;
  const audits = async () =>
    (
      await ctx.deps.db
        .selectFrom('audit_log')
        .select(['action', 'actor_user_id', 'detail'])
        .where('project_id', '=', project.id)
        .where('action', 'like', 'distributor.%')
        .orderBy('at')
        .execute()
    ).map((a) => ({ action: a.action, by: a.actor_user_id, detail: JSON.parse(a.detail ?? '{}') as object }));
  const counts = async () => {
    const count = async (table: 'distributors' | 'distributor_contacts' | 'distributor_acceptances' | 'users') =>
      (await ctx.deps.db.selectFrom(table).select('id').execute()).length;
    return {
      distributors: await count('distributors'),
      contacts: await count('distributor_contacts'),
      acceptances: await count('distributor_acceptances'),
      users: await count('users'),
      outbox: (await ctx.deps.db.selectFrom('outbound_emails').select('id').execute()).length,
      programs: (await ctx.deps.db.selectFrom('distributor_programs').select('project_id').execute()).length,
      audit: (await audits()).length,
    };
  };
  /** Sends what is queued and returns the mail that `address` received. */
  async function mailTo(address: string): Promise<ParsedMail[]> {
    await testWorker(ctx).runDue();
    return smtp.messages.filter((_m, i) => smtp.recipients[i]?.includes(address));
  }

  it('lets an admin run the programme: criteria and terms, a distributor, contacts, acceptance', async () => {
    const list = await browsers.admin.get(base());
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('No distributor yet.');
    expect(list.body).toContain('data-terms-version="1">1<');
    expect(list.body).toContain('data-terms-note');
    expect(list.body).toContain('every distributor must then accept them again');
    // The built-in texts, escaped into the textareas.
    expect(list.body).toContain(DEFAULT_CRITERIA.split('\n')[0]);
    expect(list.body).toContain(DEFAULT_TERMS.split('\n')[0]);

    // New criteria only: the terms keep their version.
    const criteria = await browsers.admin.submit(base(), `${base()}/program`, {
      criteria: 'Ship the project to users.',
      terms: DEFAULT_TERMS,
    });
    expect(criteria.statusCode).toBe(303);
    expect(criteria.headers.location).toBe(`${base()}?saved=1`);

    const added = await browsers.admin.submit(base(), base(), { name: ' Debian ', website: 'https://debian.example' });
    expect(added.statusCode).toBe(303);
    const row = await ctx.deps.db
      .selectFrom('distributors')
      .selectAll()
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'Debian', website: 'https://debian.example', created_by: admin.id });
    distributorId = row.id;
    expect(added.headers.location).toBe(`${page()}?added=1`);
    const fresh = await browsers.admin.get(added.headers.location as string);
    expect(fresh.statusCode).toBe(200);
    expect(fresh.body).toContain('Distributor added.');
    expect(fresh.body).toContain('No contact yet');
    expect(fresh.body).toContain('data-accepted="never"');

    // A contact without a key: a new account, welcomed with a setup link, unencrypted.
    const plain = `security-${engine}@debian.example`;
    const contact = await browsers.admin.submit(page(), `${page()}/contacts`, { email: plain, name: 'Sam Sec' });
    expect(contact.statusCode).toBe(303);
    expect(contact.headers.location).toBe(`${page()}?contact=1`);
    const [welcome, ...moreMail] = await mailTo(plain);
    expect(moreMail).toHaveLength(0);
    expect(welcome?.subject).toBe('[Widget] You are a security contact of Debian');
    const setup = /http:\/\/localhost:8080(\/setup\/[A-Za-z0-9_-]+)/.exec(welcome?.text ?? '')?.[1];
    expect(setup).toBeDefined();
    expect(welcome?.text).toContain('http://localhost:8080/distributor');
    expect(welcome?.attachments.some((a) => a.contentType === 'application/pgp-encrypted')).toBe(false);
    // The link works: it opens the page where the new contact chooses a password.
    const setupPage = await new Browser(ctx.app).get(setup ?? '');
    expect(setupPage.statusCode).toBe(200);
    const account = await ctx.deps.db
      .selectFrom('users')
      .select(['id', 'name', 'password_hash'])
      .where('email', '=', plain)
      .executeTakeFirstOrThrow();
    expect(account).toMatchObject({ name: 'Sam Sec', password_hash: null });

    // A contact with a key: the welcome is encrypted to it.
    const keyed = contactKey.publicKey.getUserIDs()[0]?.match(/<(.+)>/)?.[1] ?? '';
    const withKey = await browsers.admin.submit(page(), `${page()}/contacts`, {
      email: keyed,
      name: 'Kim Keyed',
      pgpKey: contactKey.armoredPublic,
    });
    expect(withKey.statusCode).toBe(303);
    const [sealed] = await mailTo(keyed);
    if (!sealed) throw new Error('no welcome mail for the keyed contact');
    expect(sealed.attachments.some((a) => a.contentType === 'application/pgp-encrypted')).toBe(true);
    expect(sealed.text ?? '').not.toContain('/setup/');
    const payload = sealed.attachments.find((a) => a.contentType === 'application/octet-stream');
    const decrypted = await openpgp.decrypt({
      message: await openpgp.readMessage({ armoredMessage: payload?.content.toString('utf8') ?? '' }),
      decryptionKeys: contactKey.privateKey,
      date: ctx.clock.now(),
      format: 'binary',
    });
    const inner = await simpleParser(Buffer.from(decrypted.data));
    expect(inner.text).toContain('You were added as a security contact of Debian');
    expect(inner.text).toMatch(/http:\/\/localhost:8080\/setup\/[A-Za-z0-9_-]+/);

    const contacts = await browsers.admin.get(page());
    expect(contacts.body).toContain('Sam Sec');
    expect(contacts.body).toContain(plain);
    expect(contacts.body).toContain('no key: mail goes unencrypted');
    expect(contacts.body).toContain(contactKey.fingerprint.toUpperCase());
    keyedContactId =
      (
        await ctx.deps.db
          .selectFrom('distributor_contacts')
          .select('id')
          .where('pgp_fingerprint', '=', contactKey.fingerprint.toUpperCase())
          .executeTakeFirst()
      )?.id ?? '';
    expect(keyedContactId).not.toBe('');

    // The acceptance, recorded on the distributor's behalf with where it was given.
    const accepted = await browsers.admin.submit(page(), `${page()}/accept`, {
      note: 'Signed mail from security@debian.example, 2026-03-01',
    });
    expect(accepted.statusCode).toBe(303);
    const acceptance = await ctx.deps.db
      .selectFrom('distributor_acceptances')
      .selectAll()
      .where('distributor_id', '=', distributorId)
      .executeTakeFirstOrThrow();
    expect(acceptance).toMatchObject({
      terms_version: 1,
      user_id: admin.id,
      label: admin.email,
      note: 'Signed mail from security@debian.example, 2026-03-01',
    });
    const listed = await browsers.admin.get(base());
    expect(listed.body).toMatch(/data-contacts="2"/);
    expect(listed.body).toContain('data-accepted="current"');
    expect(listed.body).toContain('accepted version 1, 2026-03-02 09:00 UTC');

    expect((await audits()).map((a) => a.action)).toEqual([
      'distributor.added',
      'distributor.contact_added',
      'distributor.contact_added',
      'distributor.terms_accepted',
    ]);
    const program = await ctx.deps.db
      .selectFrom('audit_log')
      .select(['detail', 'actor_user_id'])
      .where('project_id', '=', project.id)
      .where('action', '=', 'distributors.program_updated')
      .executeTakeFirstOrThrow();
    expect(program.actor_user_id).toBe(admin.id);
    expect(JSON.parse(program.detail ?? '{}')).toEqual({ termsVersion: 1, termsChanged: false });
  });

  it('shows the cases a distributor was notified of, never what it was sent', async () => {
    const { theCase } = await readyCase(ctx, project, admin);
    await ctx.deps.db.transaction().execute((trx) =>
      notifyDistributors(trx, ctx.deps, {
        actor: SYSTEM,
        origin: noOrigin,
        theCase,
        releaseAt: '2026-03-09T16:00:00.000Z',
      }),
    );
    const res = await browsers.admin.get(page());
    expect(res.body).toContain(`data-notified-case="${theCase.number}"`);
    expect(res.body).toContain(`href="/p/${project.slug}/cases/${theCase.number}"`);
    expect(res.body).not.toContain(ADVISORY.summary);
    const list = await browsers.admin.get(base());
    expect(list.body).toContain('data-notified="1"');
    expect(list.body).not.toContain(ADVISORY.summary);
  });

  it('asks every distributor to accept again when the terms change', async () => {
    const res = await browsers.admin.submit(base(), `${base()}/program`, {
      criteria: 'Ship the project to users.',
      terms: 'New terms: keep the embargo.',
    });
    expect(res.headers.location).toBe(`${base()}?terms=1`);
    const list = await browsers.admin.get(res.headers.location as string);
    expect(list.body).toContain('no distributor has accepted them yet');
    expect(list.body).toContain('data-terms-version="2">2<');
    expect(list.body).toContain('data-accepted="older"');
    expect(list.body).toContain('last accepted version 1');
    const detail = await browsers.admin.get(page());
    expect(detail.body).toContain('data-acceptance-row="1"');

    ctx.clock.advance(60_000);
    await browsers.admin.submit(page(), `${page()}/accept`, { note: 'Phone call with their security lead' });
    const again = await browsers.admin.get(page());
    // Latest first.
    expect(again.body.indexOf('data-acceptance-row="2"')).toBeLessThan(again.body.indexOf('data-acceptance-row="1"'));
    expect(again.body).toContain('data-accepted="current"');
  });

  it('refuses bad input with the error beside the form and a 4xx, storing nothing', async () => {
    const before = await counts();
    const refusals: [string, string, Record<string, string>, number, string, string][] = [
      [base(), base(), { name: '   ', website: '' }, 400, 'VALIDATION_FAILED', 'name'],
      [base(), base(), { name: 'Fedora', website: 'ftp://fedora.example' }, 400, 'VALIDATION_FAILED', 'website'],
      [base(), base(), { name: 'debian', website: '' }, 409, 'CONFLICT', 'name'],
      [base(), `${base()}/program`, { criteria: 'Fine.', terms: '  ' }, 400, 'VALIDATION_FAILED', 'terms'],
      [page(), `${page()}/contacts`, { email: 'not an address', name: 'X' }, 400, 'VALIDATION_FAILED', 'email'],
      [
        page(),
        `${page()}/contacts`,
        { email: 'new-person@fedora.example', name: 'New', pgpKey: 'not a key' },
        400,
        'VALIDATION_FAILED',
        'pgpKey',
      ],
      [page(), `${page()}/accept`, { note: '  ' }, 400, 'VALIDATION_FAILED', 'note'],
    ];
    for (const [from, action, form, status, code, name] of refusals) {
      const res = await browsers.admin.submit(from, action, form);
      expect(res.statusCode, `${action} ${name}`).toBe(status);
      expect(res.body).toContain(`data-code="${code}"`);
      expect(res.body).toContain(`data-field-error="${name}"`);
      expect(res.body).toMatch(new RegExp(`name="${name}"[^>]*aria-invalid="true"`));
    }
    // What was typed comes back.
    const typed = await browsers.admin.submit(page(), `${page()}/contacts`, {
      email: 'new-person@fedora.example',
      name: 'New Person',
      pgpKey: 'not a key',
    });
    expect(typed.body).toContain('value="new-person@fedora.example"');
    expect(typed.body).toContain('value="New Person"');
    expect(typed.body).toContain('>not a key</textarea>');
    expect(await counts()).toEqual(before);
  });

  it('refuses a security member, an outsider and another project’s admin (403) on every route, changing nothing', async () => {
    const before = await counts();
    const routes: [string, Record<string, string>][] = [
      [`${base()}/program`, { criteria: 'Theirs', terms: 'Theirs' }],
      [base(), { name: 'Intruder', website: '' }],
      [`${page()}/contacts`, { email: 'intruder@evil.example' }],
      [`${page()}/contacts/${keyedContactId}/remove`, {}],
      [`${page()}/accept`, { note: 'by an intruder' }],
      [`${page()}/remove`, {}],
    ];
    for (const who of ['member', 'outsider', 'otherAdmin'] as const) {
      for (const url of [base(), page()]) {
        const res = await browsers[who].get(url);
        expect(res.statusCode, `${who} ${url}`).toBe(403);
        expect(errorCode(res)).toBe('FORBIDDEN');
        expect(res.body).not.toContain('Debian');
      }
      const csrf = csrfFrom((await browsers[who].get('/projects')).body);
      for (const [url, form] of routes) {
        expect((await browsers[who].post(url, { _csrf: csrf, ...form })).statusCode, `${who} ${url}`).toBe(403);
      }
    }
    expect(await counts()).toEqual(before);
    const anonymous = await new Browser(ctx.app).get(base());
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/login\?next=/);
    // An id of another project's distributor is not found here.
    const theirs = await makeDistributor(ctx, other, { name: 'Theirs' });
    expect((await browsers.admin.get(`${base()}/${theirs.id}`)).statusCode).toBe(404);
    const csrf = csrfFrom((await browsers.admin.get(base())).body);
    expect((await browsers.admin.post(`${base()}/${theirs.id}/remove`, { _csrf: csrf })).statusCode).toBe(404);
    const kept = await ctx.deps.db
      .selectFrom('distributors')
      .select('removed_at')
      .where('id', '=', theirs.id)
      .executeTakeFirst();
    expect(kept?.removed_at).toBeNull();
  });

  it('removes a contact and then the distributor, audited', async () => {
    ctx.clock.advance(60_000);
    const removed = await browsers.admin.submit(page(), `${page()}/contacts/${keyedContactId}/remove`, {});
    expect(removed.statusCode).toBe(303);
    const contact = await ctx.deps.db
      .selectFrom('distributor_contacts')
      .select('removed_at')
      .where('id', '=', keyedContactId)
      .executeTakeFirstOrThrow();
    expect(contact.removed_at).not.toBeNull();
    const after = await browsers.admin.get(page());
    expect(after.body).not.toContain(contactKey.fingerprint.toUpperCase());
    // Twice: nothing left to remove.
    expect((await browsers.admin.submit(page(), `${page()}/contacts/${keyedContactId}/remove`, {})).statusCode).toBe(
      404,
    );

    ctx.clock.advance(60_000);
    const gone = await browsers.admin.submit(page(), `${page()}/remove`, {});
    expect(gone.statusCode).toBe(303);
    expect(gone.headers.location).toBe(`${base()}?removed=1`);
    const row = await ctx.deps.db
      .selectFrom('distributors')
      .select('removed_at')
      .where('id', '=', distributorId)
      .executeTakeFirstOrThrow();
    expect(row.removed_at).not.toBeNull();
    const list = await browsers.admin.get(gone.headers.location as string);
    expect(list.body).toContain('The distributor is removed');
    expect(list.body).not.toContain(`data-distributor="${distributorId}"`);
    expect((await browsers.admin.get(page())).statusCode).toBe(404);

    const trail = await audits();
    expect(trail.slice(-2)).toEqual([
      {
        action: 'distributor.contact_removed',
        by: admin.id,
        detail: expect.objectContaining({ distributorId, contactId: keyedContactId }),
      },
      { action: 'distributor.removed', by: admin.id, detail: { distributorId } },
    ]);
    // Ids and numbers only: no address, note or key in the audit details.
    const details = JSON.stringify(trail.map((a) => a.detail));
    expect(details).not.toContain('@');
    expect(details).not.toContain('Signed mail');
  });
});
