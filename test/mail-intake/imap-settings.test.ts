import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unseal } from '../../src/domain/instance/sealed.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { imapTlsOptions } from '../../src/mail/inbound/imap-poller.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { startDovecot, type TestImapServer, testMessage } from '../support/dovecot.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';

// The settings page of a project's IMAP mailboxes: the password goes in once, sealed, and never
// comes back out (page, audit log, logs); bad input is refused field by field with nothing stored.

const unique = () => crypto.randomBytes(4).toString('hex');
const codeOf = (body: string) => body.match(/data-code="([A-Z_]+)"/)?.[1];

let imap: TestImapServer;
beforeAll(async () => {
  imap = await startDovecot();
});
afterAll(async () => {
  await imap?.stop();
});

describe.each(engines())('IMAP settings page on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let admin: Browser;
  let csrf: string;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock);
    const user = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin' });
    admin = new Browser(ctx.app);
    await login(admin, user.email);
    csrf = csrfFrom((await admin.get(base())).body);
  });
  afterAll(() => ctx.close());

  function base() {
    return `/p/${project.slug}/settings/imap`;
  }
  const post = (url: string, form: Record<string, string>) => {
    ctx.clock.advance(1000); // audit entries are read back in time order
    return admin.post(url, { _csrf: csrf, ...form });
  };
  const accounts = () =>
    ctx.deps.db
      .selectFrom('imap_accounts')
      .selectAll()
      .where('project_id', '=', project.id)
      .orderBy('created_at')
      .execute();
  const byUser = async (username: string) => (await accounts()).find((a) => a.username === username);
  const auditOf = (id: string) =>
    ctx.deps.db
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('subject_id', '=', id)
      .orderBy('at')
      .execute();
  const form = (over: Record<string, string> = {}) => ({
    host: imap.host,
    port: String(imap.port),
    username: imap.user,
    password: imap.password,
    mailbox: `m-${unique()}`,
    ...over,
  });

  it('adds a mailbox with its password sealed, never shown, logged or audited', async () => {
    const password = `pw-${unique()}-secret`;
    const username = `someone-${unique()}@example.org`;
    const res = await post(base(), form({ username, password, mailbox: '', secure: '1', port: '' }));
    expect(res.statusCode).toBe(303);
    const row = await byUser(username);
    expect(row).toMatchObject({ host: imap.host, port: 993, secure: 1, mailbox: 'INBOX', enabled: 1, last_uid: 0 });
    if (!row) throw new Error('no account');
    expect(row.password_sealed).not.toContain(password);
    expect(unseal(ctx.deps.secret, row.password_sealed, `imap:${row.id}`)).toBe(password);
    // Bound to its account: it does not open as another account's password.
    expect(() => unseal(ctx.deps.secret, row.password_sealed, `imap:${crypto.randomUUID()}`)).toThrow();

    const page = await admin.get(base());
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(username);
    expect(page.body).not.toContain(password);
    expect(page.body).not.toContain(row.password_sealed);
    const audit = await auditOf(row.id);
    expect(audit.map((a) => a.action)).toEqual(['mail.imap_account_added']);
    expect(JSON.stringify(audit)).not.toContain(password);
    expect(ctx.logs()).not.toContain(password);
  });

  it.each([
    ['host', { host: 'imap example.org' }],
    ['host', { host: '' }],
    ['port', { port: '70000' }],
    ['port', { port: 'abc' }],
    ['username', { username: '' }],
    ['username', { username: 'a\r\nb' }],
    ['password', { password: '' }],
    ['password', { password: 'x\ny' }],
    ['mailbox', { mailbox: 'a\u0000b' }],
  ])('refuses a bad %s field with the form re-rendered and nothing stored', async (fieldName, over) => {
    const before = (await accounts()).length;
    const typed = form({ username: `kept-${unique()}`, ...over });
    const res = await post(base(), typed);
    expect(res.statusCode).toBe(400);
    expect(codeOf(res.body)).toBe('VALIDATION_FAILED');
    expect(res.body).toMatch(
      new RegExp(`name="${fieldName}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*name="${fieldName}"`),
    );
    if (fieldName !== 'username') expect(res.body).toContain(typed.username);
    if (typed.password) expect(res.body).not.toContain(`value="${typed.password}"`);
    expect((await accounts()).length).toBe(before);
  });

  it('refuses the same mailbox twice in one project', async () => {
    const typed = form({ username: `dup-${unique()}` });
    expect((await post(base(), typed)).statusCode).toBe(303);
    const again = await post(base(), typed);
    expect(again.statusCode).toBe(409);
    expect(codeOf(again.body)).toBe('CONFLICT');
  });

  it('edits a mailbox: the stored password stays only while it goes to the same server and user', async () => {
    const username = `edit-${unique()}`;
    await post(base(), form({ username }));
    const row = await byUser(username);
    if (!row) throw new Error('no account');
    // Another folder of the same mailbox: an empty password keeps the stored one.
    const moved = await post(`${base()}/${row.id}`, form({ username, password: '', mailbox: 'Reports' }));
    expect(moved.statusCode).toBe(303);
    expect(await byUser(username)).toMatchObject({ mailbox: 'Reports', password_sealed: row.password_sealed });
    // Another server, port or user name: the stored password is not sent there unless typed again.
    const elsewhere: Record<string, string>[] = [
      { host: 'imap.attacker.example' },
      { port: '1430' },
      { username: `${username}x` },
    ];
    for (const change of elsewhere) {
      const refused = await post(
        `${base()}/${row.id}`,
        form({ username, password: '', mailbox: 'Reports', ...change }),
      );
      expect(refused.statusCode).toBe(400);
      expect(codeOf(refused.body)).toBe('VALIDATION_FAILED');
      expect(refused.body).toMatch(/name="password"[^>]*aria-invalid="true"/);
      expect(refused.body).toContain('<details open');
    }
    expect(await byUser(username)).toMatchObject({ host: imap.host, port: imap.port, mailbox: 'Reports' });

    const newPassword = `new-${unique()}-secret`;
    const retyped = form({ username, password: newPassword, host: 'imap.example.net', port: '' });
    expect((await post(`${base()}/${row.id}`, retyped)).statusCode).toBe(303);
    const changed = await byUser(username);
    expect(changed).toMatchObject({ host: 'imap.example.net', port: 143, secure: 0 });
    expect(unseal(ctx.deps.secret, changed?.password_sealed ?? '', `imap:${row.id}`)).toBe(newPassword);
    const audit = await auditOf(row.id);
    const passwordChanged = (a: { detail: string | null }) =>
      (JSON.parse(a.detail ?? '{}') as { passwordChanged?: boolean }).passwordChanged;
    expect(audit.map((a) => [a.action, passwordChanged(a)])).toEqual([
      ['mail.imap_account_added', undefined],
      ['mail.imap_account_updated', false],
      ['mail.imap_account_updated', true],
    ]);
    expect(JSON.stringify(audit)).not.toContain(newPassword);

    expect((await post(`${base()}/${row.id}`, form({ username, port: '0' }))).statusCode).toBe(400);
    expect(await post(`${base()}/${crypto.randomUUID()}`, form())).toMatchObject({ statusCode: 404 });
  });

  it('starts the cursor over when the account points at another mailbox, and only then', async () => {
    const username = `cursor-${unique()}`;
    const mailbox = `m-${unique()}`;
    await post(base(), form({ username, mailbox }));
    const row = await byUser(username);
    if (!row) throw new Error('no account');
    const cursorAt = (uidValidity: string, lastUid: number) =>
      ctx.deps.db
        .updateTable('imap_accounts')
        .set({ uid_validity: uidValidity, last_uid: lastUid, lease_owner: 'a-poller', lease_expires_at: '9999' })
        .where('id', '=', row.id)
        .execute();
    const cursor = async () => {
      const r = await byUser(username);
      return { uid_validity: r?.uid_validity, last_uid: r?.last_uid, lease_owner: r?.lease_owner };
    };
    const kept = { uid_validity: '7', last_uid: 40, lease_owner: 'a-poller' };
    const restarted = { uid_validity: null, last_uid: 0, lease_owner: null };

    // The same mailbox with another password, or TLS turned on: the same UIDs.
    await cursorAt('7', 40);
    expect((await post(`${base()}/${row.id}`, form({ username, mailbox, password: 'another' }))).statusCode).toBe(303);
    expect(await cursor()).toEqual(kept);
    expect(
      (await post(`${base()}/${row.id}`, form({ username, mailbox, secure: '1', port: String(imap.port) }))).statusCode,
    ).toBe(303);
    expect(await cursor()).toEqual(kept);
    // Another folder, server, port or user: another mailbox, whose UIDs say nothing of the old one's.
    const elsewhere: Record<string, string>[] = [
      { mailbox: `other-${unique()}` },
      { host: 'imap.example.net' },
      { port: '1993' },
      { username: `${username}-2` },
    ];
    let current = { username, mailbox, secure: '1', port: String(imap.port) };
    for (const change of elsewhere) {
      await cursorAt('7', 40);
      current = { ...current, ...change };
      expect((await post(`${base()}/${row.id}`, form(current))).statusCode).toBe(303);
      const r = await ctx.deps.db.selectFrom('imap_accounts').selectAll().where('id', '=', row.id).executeTakeFirst();
      expect({ uid_validity: r?.uid_validity, last_uid: r?.last_uid, lease_owner: r?.lease_owner }).toEqual(restarted);
    }
    const details = (await auditOf(row.id))
      .filter((a) => a.action === 'mail.imap_account_updated')
      .map((a) => (JSON.parse(a.detail ?? '{}') as { cursorRestarted?: boolean }).cursorRestarted);
    expect(details).toEqual([false, false, true, true, true, true]);
  });

  it('does not let an edit turn TLS off without the password typed again', async () => {
    const username = `tls-${unique()}`;
    await post(base(), form({ username, secure: '1' }));
    const row = await byUser(username);
    if (!row) throw new Error('no account');
    const downgrade = await post(`${base()}/${row.id}`, form({ username, password: '' }));
    expect(downgrade.statusCode).toBe(400);
    expect(await byUser(username)).toMatchObject({ secure: 1, password_sealed: row.password_sealed });
  });

  it('sends the password over TLS or required STARTTLS, in plain text only to this machine', () => {
    expect(imapTlsOptions({ host: 'imap.example.org', secure: true })).toEqual({ secure: true });
    expect(imapTlsOptions({ host: 'imap.example.org', secure: false })).toEqual({ secure: false, doSTARTTLS: true });
    expect(imapTlsOptions({ host: '10.0.0.5', secure: false })).toEqual({ secure: false, doSTARTTLS: true });
    expect(imapTlsOptions({ host: '127.0.0.1', secure: false })).toEqual({ secure: false });
    expect(imapTlsOptions({ host: 'localhost', secure: false })).toEqual({ secure: false });
  });

  it('disables, enables and removes a mailbox, each audited', async () => {
    const username = `toggle-${unique()}`;
    await post(base(), form({ username }));
    const row = await byUser(username);
    if (!row) throw new Error('no account');
    expect((await post(`${base()}/${row.id}/enabled`, { enabled: '0' })).statusCode).toBe(303);
    expect((await byUser(username))?.enabled).toBe(0);
    expect((await admin.get(base())).body).toContain('disabled');
    expect((await post(`${base()}/${row.id}/enabled`, { enabled: '1' })).statusCode).toBe(303);
    expect((await byUser(username))?.enabled).toBe(1);
    expect((await post(`${base()}/${row.id}/remove`, {})).statusCode).toBe(303);
    expect(await byUser(username)).toBeUndefined();
    expect((await auditOf(row.id)).map((a) => a.action)).toEqual([
      'mail.imap_account_added',
      'mail.imap_account_disabled',
      'mail.imap_account_enabled',
      'mail.imap_account_removed',
    ]);
  });

  it('"poll now" takes the new messages and says so; a refused sign-in shows the reason without the password', async () => {
    const mailbox = `poll-${unique()}`;
    await imap.createMailbox(mailbox);
    await imap.append(mailbox, testMessage(`p-${unique()}`));
    await post(base(), form({ mailbox }));
    const row = (await accounts()).find((a) => a.mailbox === mailbox);
    if (!row) throw new Error('no account');

    const polled = await post(`${base()}/${row.id}/poll`, {});
    expect(polled.statusCode).toBe(200);
    expect(polled.body).toContain('Polled: 1 new message taken.');
    const stored = await ctx.deps.db
      .selectFrom('inbound_messages')
      .select('id')
      .where('imap_account_id', '=', row.id)
      .execute();
    expect(stored).toHaveLength(1);

    const wrong = `wrong-${unique()}-secret`;
    await post(`${base()}/${row.id}`, form({ mailbox, password: wrong }));
    const failed = await post(`${base()}/${row.id}/poll`, {});
    expect(failed.statusCode).toBe(200);
    expect(failed.body).toContain('The poll failed: The server refused the sign-in');
    expect(failed.body).not.toContain(wrong);
    const page = await admin.get(base());
    expect(page.body).toContain('refused the sign-in');
    expect(page.body).not.toContain(wrong);
    expect(ctx.logs()).not.toContain(wrong);
  });
});
