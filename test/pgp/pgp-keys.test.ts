import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, iso } from '../../src/clock.js';
import { loadProjectPrivateKey } from '../../src/domain/pgp/pgp-keys.service.js';
import { formatFingerprint } from '../../src/domain/pgp/pgp.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { type Browser, makeProject, makeUser } from '../support/factories.js';
import { signedIn } from '../mail/support.js';
import { makeKey, type TestKey } from './support.js';

// Key management over HTTP: upload (with a passphrase), generate, replace, remove, the public URL;
// and wherever the private key could surface (pages, logs, audit, mail, the stored row) it does not.

const PASSPHRASE = 'tr0ub4dor&3-never-shown';

describe.each(engines())('project OpenPGP keys on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let admin: Browser;
  let member: Browser;
  let uploaded: TestKey;
  /** Every armored private key used here: none may appear anywhere but in the sealed column. */
  const privateTexts: string[] = [];

  const settings = () => `/p/${project.slug}/settings/pgp`;
  const upload = (armoredKey: string, passphrase = '') =>
    admin.submit(settings(), settings(), { armoredKey, passphrase });
  const keyRows = () =>
    ctx.deps.db.selectFrom('project_pgp_keys').selectAll().where('project_id', '=', project.id).execute();
  const audits = () =>
    ctx.deps.db
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('project_id', '=', project.id)
      .where('action', 'like', 'pgp.%')
      .orderBy('at')
      .orderBy('id')
      .execute();
  /** The body of a PGP private key block (the armor lines are the same for every key). */
  const secretBody = (armored: string) => armored.split('\n').slice(3, 6).join('\n');

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, {
      name: 'Widget',
      securityContact: 'https://widget.example/security',
    });
    admin = await signedIn(ctx, await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin' }));
    member = await signedIn(ctx, await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' }));
    uploaded = await makeKey('Widget security team', 'security@widget.example', { passphrase: PASSPHRASE });
    privateTexts.push(uploaded.armoredPrivate);
  });
  afterAll(() => ctx.close());

  it('shows no key at first; the public URL and the report form say nothing of one', async () => {
    const page = await admin.get(settings());
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('No key yet');
    expect((await ctx.app.inject({ url: `/p/${project.slug}/pgp-key.asc` })).statusCode).toBe(404);
    expect((await ctx.app.inject({ url: `/p/${project.slug}/report` })).body).not.toContain('OpenPGP');
  });

  it('refuses a public key, a locked key without its passphrase or with a wrong one, and stores nothing', async () => {
    const cases: [string, string, string][] = [
      [uploaded.armoredPublic, '', 'This is a public key.'],
      [uploaded.armoredPrivate, '', 'protected by a passphrase'],
      [uploaded.armoredPrivate, 'wrong', 'The passphrase does not unlock the key.'],
      ['-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nnot a key\n-----END PGP PRIVATE KEY BLOCK-----', '', 'not an armored'],
    ];
    for (const [armored, passphrase, message] of cases) {
      const res = await upload(armored, passphrase);
      expect(res.statusCode, message).toBe(400);
      expect(res.body).toContain('data-code="VALIDATION_FAILED"');
      expect(res.body).toContain(message);
      expect(res.body).not.toContain(secretBody(uploaded.armoredPrivate));
      expect(res.body).not.toContain('value="wrong"');
    }
    expect(await keyRows()).toEqual([]);
    expect(await audits()).toEqual([]);
  });

  it('refuses an expired key, a revoked key and a key without an encryption subkey', async () => {
    const expired = await makeKey('Old', 'old@widget.example', {
      date: new Date(ctx.clock.now().getTime() - 3 * DAY_MS),
      keyExpirationTime: 3600,
    });
    const revoked = await openpgp.revokeKey({ key: (await makeKey('Revoked', 'r@widget.example')).privateKey });
    const { privateKey: signOnly } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'ed25519Legacy',
      userIDs: [{ name: 'Sign only' }],
      subkeys: [],
      date: new Date(ctx.clock.now().getTime() - HOUR_MS),
      format: 'armored',
    });
    privateTexts.push(expired.armoredPrivate, revoked.privateKey, signOnly);
    const refusals = [
      [expired.armoredPrivate, 'expired, revoked or not valid yet'],
      [revoked.privateKey, 'expired, revoked or not valid yet'],
      [signOnly, 'no usable encryption subkey'],
    ] as const;
    for (const [armored, message] of refusals) {
      const res = await upload(armored);
      expect(res.statusCode, message).toBe(400);
      expect(res.body).toContain(message);
    }
    expect(await keyRows()).toEqual([]);
  });

  it('stores an uploaded key unlocked with its passphrase, sealed, and shows only its public half', async () => {
    const res = await upload(uploaded.armoredPrivate, PASSPHRASE);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${settings()}?done=uploaded`);
    const [row] = await keyRows();
    if (!row) throw new Error('no key row');
    expect(row).toMatchObject({ fingerprint: uploaded.fingerprint, public_key: expect.stringContaining('PUBLIC KEY') });
    expect(row.private_key_sealed).toMatch(/^v1:/);
    expect(row.private_key_sealed).not.toContain('PRIVATE');

    const page = await admin.get(`${settings()}?done=uploaded`);
    expect(page.body).toContain(formatFingerprint(uploaded.fingerprint));
    expect(page.body).toContain('will not be shown again');
    expect(page.body).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    expect(page.body).not.toContain('PRIVATE KEY');

    // Unsealed for decryption only, and unlocked: no passphrase is needed to read mail.
    const key = await loadProjectPrivateKey(ctx.deps.db, ctx.deps, project.id);
    expect(key?.isDecrypted()).toBe(true);
    const message = await openpgp.createMessage({ text: 'for the team' });
    const encrypted = await openpgp.encrypt({ message, encryptionKeys: uploaded.publicKey, date: ctx.clock.now() });
    const { data } = await openpgp.decrypt({
      message: await openpgp.readMessage({ armoredMessage: encrypted }),
      decryptionKeys: key ?? [],
    });
    expect(data).toBe('for the team');
    // Sealed to this project: another project's context does not open it.
    const other = await makeProject(ctx.deps.db, ctx.clock);
    await ctx.deps.db
      .insertInto('project_pgp_keys')
      .values({ ...row, project_id: other.id })
      .execute();
    await expect(loadProjectPrivateKey(ctx.deps.db, ctx.deps, other.id)).rejects.toThrow();

    expect(await audits()).toEqual([
      { action: 'pgp.key_uploaded', detail: JSON.stringify({ fingerprint: uploaded.fingerprint, replaced: null }) },
    ]);
  });

  it('publishes the public key at a stable URL and on the report form, to anyone', async () => {
    const res = await ctx.app.inject({ url: `/p/${project.slug}/pgp-key.asc` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pgp-keys; charset=utf-8');
    const published = await openpgp.readKey({ armoredKey: res.body });
    expect(published.isPrivate()).toBe(false);
    expect(published.getFingerprint()).toBe(uploaded.fingerprint);
    const form = await ctx.app.inject({ url: `/p/${project.slug}/report` });
    expect(form.body).toContain('Encrypt with our OpenPGP key (optional)');
    expect(form.body).toContain(`href="/p/${project.slug}/pgp-key.asc"`);
    expect(form.body).toContain(formatFingerprint(uploaded.fingerprint));
    expect((await ctx.app.inject({ url: '/p/no-such-project/pgp-key.asc' })).statusCode).toBe(404);
  });

  it('lets only the project admins manage the key', async () => {
    expect((await member.get(settings())).statusCode).toBe(403);
    const res = await member.submit(`/p/${project.slug}/report`, `${settings()}/generate`, {});
    expect(res.statusCode).toBe(403);
    expect((await keyRows())[0]?.fingerprint).toBe(uploaded.fingerprint);
  });

  it('generates a key pair named after the project and its intake address, replacing the uploaded key', async () => {
    ctx.clock.advance(60_000); // audit rows are listed by time
    await ctx.deps.db
      .insertInto('intake_addresses')
      .values({
        id: 'ia-1',
        project_id: project.id,
        address: 'security@widget.example',
        created_at: iso(ctx.clock.now()),
      })
      .execute();
    const res = await admin.submit(settings(), `${settings()}/generate`, {});
    expect(res.headers.location).toBe(`${settings()}?done=generated`);
    const rows = await keyRows();
    expect(rows).toHaveLength(1);
    const key = await openpgp.readKey({ armoredKey: rows[0]?.public_key ?? '' });
    expect(key.getUserIDs()).toEqual(['Widget security team <security@widget.example>']);
    expect(key.getFingerprint()).not.toBe(uploaded.fingerprint);
    await key.getEncryptionKey(undefined, ctx.clock.now());
    const generated = await loadProjectPrivateKey(ctx.deps.db, ctx.deps, project.id);
    privateTexts.push(generated?.armor() ?? 'missing');
    expect((await audits()).at(-1)).toEqual({
      action: 'pgp.key_generated',
      detail: JSON.stringify({ fingerprint: key.getFingerprint(), replaced: uploaded.fingerprint }),
    });
  });

  it('removes the key: the public URL is gone, and removing again is refused', async () => {
    ctx.clock.advance(60_000);
    const before = await keyRows();
    const res = await admin.submit(settings(), `${settings()}/remove`, {});
    expect(res.headers.location).toBe(`${settings()}?done=removed`);
    expect(await keyRows()).toEqual([]);
    expect((await ctx.app.inject({ url: `/p/${project.slug}/pgp-key.asc` })).statusCode).toBe(404);
    expect((await audits()).at(-1)).toEqual({
      action: 'pgp.key_removed',
      detail: JSON.stringify({ fingerprint: before[0]?.fingerprint }),
    });
    const again = await admin.submit(settings(), `${settings()}/remove`, {});
    expect(again.statusCode).toBe(404);
  });

  it('never lets a private key or passphrase reach a log, an audit row or an email', async () => {
    const logs = ctx.logs();
    const auditText = JSON.stringify(await ctx.deps.db.selectFrom('audit_log').selectAll().execute());
    const mailText = JSON.stringify(await ctx.deps.db.selectFrom('outbound_emails').selectAll().execute());
    for (const text of [logs, auditText, mailText]) {
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain(PASSPHRASE);
      for (const armored of privateTexts) expect(text).not.toContain(secretBody(armored));
    }
  });
});
