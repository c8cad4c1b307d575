import crypto from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { ImapAccount } from '../../src/domain/mail-intake/imap-accounts.js';
import { advanceImapCursor, takeImapLease } from '../../src/domain/mail-intake/imap-accounts.repository.js';
import {
  addImapAccount,
  setImapAccountEnabled,
  updateImapAccount,
} from '../../src/domain/mail-intake/imap-accounts.service.js';
import { seal } from '../../src/domain/instance/sealed.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { IMAP_LEASE_MS, pollImapAccount, startImapPolling } from '../../src/mail/inbound/imap-poller.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { startDovecot, type TestImapServer, testMessage } from '../support/dovecot.js';
import { makeProject } from '../support/factories.js';

// The IMAP path against a real Dovecot: each message of the mailbox is taken exactly once, whatever
// the number of pollers, crashes, failed writes or a renumbered mailbox.

const by = { actor: { kind: 'system', label: 'imap-test' } as const, origin: noOrigin };
const unique = () => crypto.randomBytes(4).toString('hex');
// Small enough to test the oversized path with a few kilobytes.
const MAX_BYTES = 4000;

let imap: TestImapServer;
beforeAll(async () => {
  imap = await startDovecot();
});
afterAll(async () => {
  await imap?.stop();
});

describe.each(engines())('IMAP poller on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { env: { EMBARGO_SMTP_IN_MAX_BYTES: String(MAX_BYTES) } });
    project = await makeProject(ctx.deps.db, ctx.clock);
  });
  afterAll(() => ctx.close());

  /** A fresh mailbox of its own and an account for it. */
  async function newAccount(overrides: { password?: string } = {}): Promise<{ account: ImapAccount; mailbox: string }> {
    const mailbox = `t-${unique()}`;
    await imap.createMailbox(mailbox);
    const account = await ctx.deps.db.transaction().execute((trx) =>
      addImapAccount(trx, ctx.deps, {
        by,
        projectId: project.id,
        input: {
          host: imap.host,
          port: imap.port,
          secure: false,
          username: imap.user,
          password: overrides.password ?? imap.password,
          mailbox,
        },
      }),
    );
    return { account, mailbox };
  }
  const poll = (account: ImapAccount, workerId = 'w1', batchSize?: number) =>
    pollImapAccount(ctx.deps, account.id, { workerId, ...(batchSize ? { batchSize } : {}) });
  const rowsOf = (account: ImapAccount) =>
    ctx.deps.db
      .selectFrom('inbound_messages')
      .selectAll()
      .where('imap_account_id', '=', account.id)
      .orderBy('imap_uid_validity')
      .orderBy('imap_uid')
      .execute();
  const accountRow = (account: ImapAccount) =>
    ctx.deps.db.selectFrom('imap_accounts').selectAll().where('id', '=', account.id).executeTakeFirstOrThrow();
  /** The processing jobs of these inbound messages. */
  const jobsFor = async (ids: string[]) =>
    (await ctx.deps.db.selectFrom('jobs').select(['kind', 'payload']).where('kind', '=', 'mail.process').execute())
      .map((j) => (JSON.parse(j.payload) as { inboundId: string }).inboundId)
      .filter((id) => ids.includes(id));
  const appendAll = async (mailbox: string, names: string[]) => {
    const uids: number[] = [];
    for (const n of names) uids.push(await imap.append(mailbox, testMessage(n)));
    return uids;
  };

  it('takes 3 messages once with their jobs, then nothing, then only the 2 new ones', async () => {
    const { account, mailbox } = await newAccount();
    const first = await appendAll(mailbox, ['a1', 'a2', 'a3']);

    expect(await poll(account)).toEqual({ status: 'polled', stored: 3, quarantined: 0, skipped: 0, more: false });
    let rows = await rowsOf(account);
    expect(rows.map((r) => r.imap_uid)).toEqual(first);
    expect(rows.map((r) => r.message_id)).toEqual([
      '<imap-test-a1@example.net>',
      '<imap-test-a2@example.net>',
      '<imap-test-a3@example.net>',
    ]);
    for (const r of rows) {
      expect(r).toMatchObject({ source: 'imap', project_id: project.id, status: 'received', envelope_from: null });
      expect(JSON.parse(r.envelope_to)).toEqual([imap.user]);
    }
    expect(Buffer.from(rows[0]?.raw ?? []).toString()).toBe(testMessage('a1'));
    expect((await jobsFor(rows.map((r) => r.id))).sort()).toEqual(rows.map((r) => r.id).sort());
    const cursor = await accountRow(account);
    expect(cursor).toMatchObject({ last_uid: first[2], lease_owner: null, last_error: null });
    expect(cursor.uid_validity).toMatch(/^\d+$/);
    expect(cursor.last_polled_at).not.toBeNull();

    expect(await poll(account)).toEqual({ status: 'polled', stored: 0, quarantined: 0, skipped: 0, more: false });
    expect(await rowsOf(account)).toHaveLength(3);

    const next = await appendAll(mailbox, ['a4', 'a5']);
    expect(await poll(account)).toMatchObject({ status: 'polled', stored: 2 });
    rows = await rowsOf(account);
    expect(rows.map((r) => r.imap_uid)).toEqual([...first, ...next]);
    expect(await jobsFor(rows.map((r) => r.id))).toHaveLength(5);
    expect((await accountRow(account)).last_uid).toBe(next[1]);
  });

  it('takes a backlog in bounded batches, in UID order', async () => {
    const { account, mailbox } = await newAccount();
    const uids = await appendAll(mailbox, ['b1', 'b2', 'b3', 'b4', 'b5']);
    expect(await poll(account, 'w1', 2)).toMatchObject({ status: 'polled', stored: 2, more: true });
    expect((await accountRow(account)).last_uid).toBe(uids[1]);
    expect(await poll(account, 'w1', 2)).toMatchObject({ stored: 2, more: true });
    expect(await poll(account, 'w1', 2)).toMatchObject({ stored: 1, more: false });
    expect((await rowsOf(account)).map((r) => r.imap_uid)).toEqual(uids);
  });

  it('two pollers at once take each message once', async () => {
    const { account, mailbox } = await newAccount();
    const uids = await appendAll(mailbox, ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    const outcomes = [];
    for (let round = 0; round < 6; round++) {
      outcomes.push(...(await Promise.all([poll(account, 'poller-a', 2), poll(account, 'poller-b', 2)])));
    }
    // While one polls, the other finds the lease taken.
    expect(outcomes.some((o) => o.status === 'busy')).toBe(true);
    const stored = outcomes.reduce((n, o) => n + (o.status === 'polled' ? o.stored : 0), 0);
    expect(stored).toBe(6);
    const rows = await rowsOf(account);
    expect(rows.map((r) => r.imap_uid)).toEqual(uids);
    expect(await jobsFor(rows.map((r) => r.id))).toHaveLength(6);
  });

  it('a poller that died holding the lease is taken over once the lease expires, and cannot write after', async () => {
    const { account, mailbox } = await newAccount();
    await appendAll(mailbox, ['d1']);
    const now = ctx.clock.now();
    const lease = { id: account.id, owner: 'dead', now: now.toISOString() };
    expect(
      await takeImapLease(ctx.deps.db, { ...lease, until: new Date(now.getTime() + IMAP_LEASE_MS).toISOString() }),
    ).toBe(true);
    expect(await poll(account, 'survivor')).toEqual({ status: 'busy' });
    ctx.clock.advance(IMAP_LEASE_MS + 1);
    expect(await poll(account, 'survivor')).toMatchObject({ status: 'polled', stored: 1 });
    expect(await rowsOf(account)).toHaveLength(1);
    // The dead poller coming back to life cannot move the cursor, so its transaction would roll back.
    const row = await accountRow(account);
    const stale = { id: account.id, owner: 'dead', uidValidity: row.uid_validity ?? '', uid: row.last_uid + 1 };
    expect(await advanceImapCursor(ctx.deps.db, { ...stale, leaseUntil: now.toISOString() })).toBe(false);
  });

  it('a password that no longer opens (the server key changed) is an error to fix, not a crash', async () => {
    const { account } = await newAccount();
    const other = seal(Buffer.from('another server key'), 'whatever', `imap:${account.id}`);
    await ctx.deps.db
      .updateTable('imap_accounts')
      .set({ password_sealed: other })
      .where('id', '=', account.id)
      .execute();
    expect(await poll(account)).toMatchObject({ status: 'failed' });
    expect((await accountRow(account)).last_error).toContain('cannot be opened with this server key');
  });

  it('stores a message and advances the cursor in one transaction: a refused cursor update stores nothing', async () => {
    const { account, mailbox } = await newAccount();
    await appendAll(mailbox, ['e1']);
    // Dovecot's first poll records the UIDVALIDITY; the trigger then refuses moving the cursor.
    const statements =
      engine === 'sqlite'
        ? {
            on: [
              `create trigger refuse_cursor before update of last_uid on imap_accounts
               when new.last_uid <> old.last_uid begin select raise(abort, 'the database refused the cursor'); end`,
            ],
            off: ['drop trigger refuse_cursor'],
          }
        : {
            on: [
              `create function refuse_cursor() returns trigger language plpgsql as $$
               begin if new.last_uid <> old.last_uid then raise exception 'the database refused the cursor'; end if;
               return new; end $$`,
              'create trigger refuse_cursor before update on imap_accounts for each row execute function refuse_cursor()',
            ],
            off: ['drop trigger refuse_cursor on imap_accounts', 'drop function refuse_cursor()'],
          };
    const processJobs = async () =>
      (await ctx.deps.db.selectFrom('jobs').select('id').where('kind', '=', 'mail.process').execute()).length;
    const jobsBefore = await processJobs();
    for (const s of statements.on) await sql.raw(s).execute(ctx.deps.db);
    try {
      const failed = await poll(account);
      expect(failed).toMatchObject({ status: 'failed' });
      expect(failed.status === 'failed' && failed.error).toContain('the database refused the cursor');
      // The message row and its job were in the transaction that failed: neither exists.
      expect(await rowsOf(account)).toHaveLength(0);
      expect(await processJobs()).toBe(jobsBefore);
      expect(await accountRow(account)).toMatchObject({ last_uid: 0, lease_owner: null });
      expect((await accountRow(account)).last_error).toContain('the database refused the cursor');
    } finally {
      for (const s of statements.off) await sql.raw(s).execute(ctx.deps.db);
    }
    expect(await poll(account)).toMatchObject({ status: 'polled', stored: 1 });
    expect(await poll(account)).toMatchObject({ status: 'polled', stored: 0 });
    const rows = await rowsOf(account);
    expect(rows).toHaveLength(1);
    expect(await jobsFor(rows.map((r) => r.id))).toHaveLength(1);
    expect(await accountRow(account)).toMatchObject({ last_uid: 1, last_error: null });
  });

  it('a new UIDVALIDITY restarts the cursor: same UID is a new message, a renumbered old one is not taken again', async () => {
    const { account, mailbox } = await newAccount();
    await appendAll(mailbox, ['f1', 'f2']);
    expect(await poll(account)).toMatchObject({ stored: 2 });
    const before = await accountRow(account);

    await imap.recreateMailbox(mailbox);
    // New messages at UIDs 1 and 2 again, and f1 once more (as a server renumbering its mailbox would).
    expect(await appendAll(mailbox, ['g1', 'g2', 'f1'])).toEqual([1, 2, 3]);
    expect(await poll(account)).toEqual({ status: 'polled', stored: 2, quarantined: 0, skipped: 1, more: false });

    const after = await accountRow(account);
    expect(after.uid_validity).not.toBe(before.uid_validity);
    expect(after.last_uid).toBe(3);
    const rows = await rowsOf(account);
    expect(rows.map((r) => [r.imap_uid_validity, r.imap_uid, r.message_id])).toEqual(
      [
        [before.uid_validity, 1, '<imap-test-f1@example.net>'],
        [before.uid_validity, 2, '<imap-test-f2@example.net>'],
        [after.uid_validity, 1, '<imap-test-g1@example.net>'],
        [after.uid_validity, 2, '<imap-test-g2@example.net>'],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1])),
    );
    expect(await poll(account)).toMatchObject({ stored: 0, skipped: 0 });
  });

  /** The mailbox's UIDVALIDITY as the server tells it. */
  async function uidValidityOf(mailbox: string): Promise<string> {
    const client = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: false,
      auth: { user: imap.user, pass: imap.password },
      logger: false,
    });
    await client.connect();
    try {
      return String((await client.status(mailbox, { uidValidity: true })).uidValidity);
    } finally {
      await client.logout().catch(() => client.close());
    }
  }
  const pointAt = (account: ImapAccount, mailbox: string) =>
    ctx.deps.db.transaction().execute((trx) =>
      updateImapAccount(trx, ctx.deps, {
        by,
        projectId: project.id,
        accountId: account.id,
        input: { host: imap.host, port: imap.port, secure: false, username: imap.user, password: '', mailbox },
      }),
    );

  it('pointed at another mailbox with the same UIDs and UIDVALIDITY, takes its messages from the start, once', async () => {
    const { account, mailbox: first } = await newAccount();
    const second = `t-${unique()}`;
    await imap.createMailbox(second);
    expect(await appendAll(first, ['k1', 'k2', 'k3'])).toEqual([1, 2, 3]);
    // The second mailbox numbers its messages 1, 2, 3 too; its third is a copy of k2.
    expect(await appendAll(second, ['l1', 'l2', 'k2'])).toEqual([1, 2, 3]);
    expect(await poll(account)).toMatchObject({ stored: 3 });

    // Dovecot gives each mailbox of a user its own UIDVALIDITY; two servers need not (many use 1).
    // As if the first mailbox had the second's UIDVALIDITY: the poller alone could not tell them apart.
    const shared = await uidValidityOf(second);
    expect(shared).not.toBe(await uidValidityOf(first));
    await ctx.deps.db.updateTable('imap_accounts').set({ uid_validity: shared }).where('id', '=', account.id).execute();
    await ctx.deps.db
      .updateTable('inbound_messages')
      .set({ imap_uid_validity: shared })
      .where('imap_account_id', '=', account.id)
      .execute();

    await pointAt(account, second);
    expect(await accountRow(account)).toMatchObject({ uid_validity: null, last_uid: 0, lease_owner: null });
    // l1 and l2 are new, though their (UIDVALIDITY, UID) were taken from the first mailbox; k2 was taken.
    expect(await poll(account)).toEqual({ status: 'polled', stored: 2, quarantined: 0, skipped: 1, more: false });
    expect(await accountRow(account)).toMatchObject({ uid_validity: shared, last_uid: 3 });
    const rows = await rowsOf(account);
    expect(rows.map((r) => r.message_id).sort()).toEqual(
      ['k1', 'k2', 'k3', 'l1', 'l2'].map((n) => `<imap-test-${n}@example.net>`),
    );
    const taken = rows.filter((r) => r.imap_uid_validity === shared).map((r) => [r.imap_uid, r.message_id]);
    expect(taken).toEqual([
      [1, '<imap-test-l1@example.net>'],
      [2, '<imap-test-l2@example.net>'],
    ]);
    // The first mailbox's UIDs are kept, retired under a UIDVALIDITY no server sends.
    const retired = rows.filter((r) => r.imap_uid_validity !== shared);
    expect(retired.map((r) => r.imap_uid)).toEqual([1, 2, 3]);
    for (const r of retired) expect(r.imap_uid_validity).toMatch(new RegExp(`^${shared}#`));
    expect(await jobsFor(rows.map((r) => r.id))).toHaveLength(5);
    expect(await poll(account)).toMatchObject({ stored: 0, skipped: 0 });

    // Back to the first mailbox: a cursor of its own again, and nothing taken twice.
    await pointAt(account, first);
    expect(await accountRow(account)).toMatchObject({ uid_validity: null, last_uid: 0 });
    expect(await poll(account)).toEqual({ status: 'polled', stored: 0, quarantined: 0, skipped: 3, more: false });
    expect(await rowsOf(account)).toHaveLength(5);
    const audit = await ctx.deps.db
      .selectFrom('audit_log')
      .select('detail')
      .where('subject_id', '=', account.id)
      .where('action', '=', 'mail.imap_account_updated')
      .execute();
    expect(audit.map((a) => (JSON.parse(a.detail ?? '{}') as { cursorRestarted: boolean }).cursorRestarted)).toEqual([
      true,
      true,
    ]);
  });

  it('a wrong password is recorded in last_error without the password, and retried at the next poll', async () => {
    const wrong = `wrong-${unique()}-secret`;
    const { account, mailbox } = await newAccount({ password: wrong });
    await appendAll(mailbox, ['h1']);
    const failed = await poll(account);
    expect(failed).toMatchObject({ status: 'failed' });
    const row = await accountRow(account);
    expect(row.last_error).toMatch(/refused the sign-in/);
    expect(row.last_error).not.toContain(wrong);
    expect(row).toMatchObject({ lease_owner: null, last_uid: 0 });
    expect(row.last_polled_at).not.toBeNull();
    expect(row.password_sealed).not.toContain(wrong);
    expect(ctx.logs()).not.toContain(wrong);
    expect(ctx.logs()).toContain('IMAP poll failed');

    await ctx.deps.db.transaction().execute((trx) =>
      updateImapAccount(trx, ctx.deps, {
        by,
        projectId: project.id,
        accountId: account.id,
        input: {
          host: imap.host,
          port: imap.port,
          secure: false,
          username: imap.user,
          password: imap.password,
          mailbox,
        },
      }),
    );
    expect(await poll(account)).toMatchObject({ status: 'polled', stored: 1 });
    expect((await accountRow(account)).last_error).toBeNull();
    expect(ctx.logs()).not.toContain(imap.password);
  });

  it('an unreachable server is recorded as the error', async () => {
    const { account } = await newAccount();
    // A port nobody listens on.
    await ctx.deps.db.updateTable('imap_accounts').set({ port: 1 }).where('id', '=', account.id).execute();
    expect(await poll(account)).toMatchObject({ status: 'failed' });
    expect((await accountRow(account)).last_error).toMatch(/ECONNREFUSED/);
  });

  it('a message over the size limit is quarantined with the reason, not downloaded', async () => {
    const { account, mailbox } = await newAccount();
    const big = await imap.append(mailbox, testMessage('big', { bodyBytes: MAX_BYTES * 2 }));
    const small = await imap.append(mailbox, testMessage('small'));
    expect(await poll(account)).toEqual({ status: 'polled', stored: 1, quarantined: 1, skipped: 0, more: false });
    const rows = await rowsOf(account);
    const quarantined = rows.find((r) => r.imap_uid === big);
    expect(quarantined).toMatchObject({ status: 'quarantined', raw: null, message_id: '<imap-test-big@example.net>' });
    expect(quarantined?.size).toBeGreaterThan(MAX_BYTES);
    expect(quarantined?.reason).toContain(`over the limit of ${MAX_BYTES} bytes`);
    expect(rows.find((r) => r.imap_uid === small)).toMatchObject({ status: 'received' });
    // Only the message that will be processed has a job.
    expect(await jobsFor(rows.map((r) => r.id))).toEqual([rows.find((r) => r.imap_uid === small)?.id]);
    expect((await accountRow(account)).last_uid).toBe(small);
  });

  it('a disabled account is not polled', async () => {
    const { account, mailbox } = await newAccount();
    await appendAll(mailbox, ['i1']);
    await ctx.deps.db
      .transaction()
      .execute((trx) =>
        setImapAccountEnabled(trx, ctx.clock, { by, projectId: project.id, accountId: account.id, enabled: false }),
      );
    expect(await poll(account)).toEqual({ status: 'disabled' });
    expect(await rowsOf(account)).toHaveLength(0);
    expect(await pollImapAccount(ctx.deps, crypto.randomUUID(), { workerId: 'w1' })).toEqual({ status: 'missing' });
  });

  it('startImapPolling polls due accounts in the background until stopped', async () => {
    const { account, mailbox } = await newAccount();
    await appendAll(mailbox, ['j1', 'j2']);
    const polling = startImapPolling(ctx.deps, { tickMs: 50 });
    try {
      for (let i = 0; i < 200 && (await rowsOf(account)).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await polling.stop();
    }
    expect((await rowsOf(account)).map((r) => r.message_id)).toEqual([
      '<imap-test-j1@example.net>',
      '<imap-test-j2@example.net>',
    ]);
  });
});
