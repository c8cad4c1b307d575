import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, MINUTE_MS } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { hashToken } from '../../src/domain/ids.js';
import {
  createApiToken,
  findApiTokenActor,
  listApiTokens,
  MAX_LIVE_API_TOKENS,
  revokeApiToken,
} from '../../src/domain/users/api-tokens.service.js';
import { setUserDisabled } from '../../src/domain/users/user-admin.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { setPassword } from '../../src/domain/users/users.service.js';
import { DomainError } from '../../src/errors.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

const TOKEN_PATTERN = /emb_[A-Za-z0-9_-]{43}/;
const system = { kind: 'system', label: 'api-tokens-test' } as const;

describe.each(engines())('personal API tokens on %s', (engine) => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  const tx = <T>(fn: (trx: Trx) => Promise<T>): Promise<T> => ctx.deps.db.transaction().execute(fn);
  const newToken = (user: User, options: { name?: string; expiresInDays?: number | null } = {}) =>
    tx((trx) =>
      createApiToken(trx, ctx.deps, {
        actor: actorOfUser(user),
        origin: noOrigin,
        name: options.name ?? 'CI export',
        expiresInDays: options.expiresInDays === undefined ? 90 : options.expiresInDays,
      }),
    );
  const revoke = (user: User, tokenId: string) =>
    tx((trx) => revokeApiToken(trx, ctx.deps, { actor: actorOfUser(user), origin: noOrigin, tokenId }));
  const tokenRow = (id: string) =>
    ctx.deps.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const tokenCount = async () => (await ctx.deps.db.selectFrom('api_tokens').select('id').execute()).length;
  /** The code of a DomainError the promise rejects with, and its field. */
  const refusal = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(err)}`);
    return { code: err.code, field: err.details?.field };
  };
  /** A request to a public API route (it needs no account), with whatever Authorization header is given. */
  const apiGet = (authorization?: string, cookie?: string) =>
    ctx.app.inject({
      method: 'GET',
      url: '/api/openapi.json',
      headers: { ...(authorization === undefined ? {} : { authorization }), ...(cookie ? { cookie } : {}) },
    });
  const expectInvalidToken = (res: LightMyRequestResponse) => {
    expect(res.statusCode).toBe(401);
    expect(errorCode(res)).toBe('API_TOKEN_INVALID');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  };

  describe('the service', () => {
    it('creates, lists newest first without hashes, and revokes only once', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const first = await newToken(user, { name: '  Release bot  ', expiresInDays: 30 });
      ctx.clock.advance(MINUTE_MS);
      const second = await newToken(user, { name: 'Never ending', expiresInDays: null });
      expect(first.token).toMatch(new RegExp(`^${TOKEN_PATTERN.source}$`));
      expect(first.expiresAt).toBe(new Date(ctx.clock.now().getTime() - MINUTE_MS + 30 * DAY_MS).toISOString());
      expect(second.expiresAt).toBeNull();

      const listed = await listApiTokens(ctx.deps.db, user.id);
      expect(listed.map((t) => [t.id, t.name, t.revokedAt])).toEqual([
        [second.id, 'Never ending', null],
        [first.id, 'Release bot', null],
      ]);
      for (const t of listed) {
        expect(Object.keys(t).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt']);
      }

      await revoke(user, first.id);
      const revokedAt = (await tokenRow(first.id)).revoked_at;
      expect(revokedAt).toBe(ctx.clock.now().toISOString());
      ctx.clock.advance(MINUTE_MS);
      await revoke(user, first.id);
      expect((await tokenRow(first.id)).revoked_at).toBe(revokedAt);
      const revocations = await ctx.deps.db
        .selectFrom('audit_log')
        .select('id')
        .where('action', '=', 'api-token.revoked')
        .where('subject_id', '=', first.id)
        .execute();
      expect(revocations).toHaveLength(1);
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, first.token)).toBeUndefined();
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, second.token)).toMatchObject({ userId: user.id });
    });

    it("refuses to revoke someone else's token as not found, and leaves it working", async () => {
      const owner = await makeUser(ctx.deps.db, ctx.clock);
      const other = await makeUser(ctx.deps.db, ctx.clock, { isInstanceAdmin: true });
      const created = await newToken(owner);
      expect(await refusal(revoke(other, created.id))).toEqual({ code: 'NOT_FOUND', field: undefined });
      expect(await refusal(revoke(owner, 'no-such-id'))).toEqual({ code: 'NOT_FOUND', field: undefined });
      expect((await tokenRow(created.id)).revoked_at).toBeNull();
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, created.token)).toMatchObject({ userId: owner.id });
    });

    it('stores only the hash: the token is in no table, the audit log included', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const created = await newToken(user, { name: 'Scanner' });
      await revoke(user, created.id);
      expect((await tokenRow(created.id)).token_hash).toBe(hashToken(created.token));
      const secret = created.token.slice('emb_'.length);
      const tables = await ctx.deps.db.introspection.getTables();
      expect(tables.map((t) => t.name)).toContain('api_tokens');
      for (const table of tables) {
        // Every table by its introspected name: this test is about no column of any of them.
        const rows = await ctx.deps.db
          .selectFrom(table.name as 'api_tokens')
          .selectAll()
          .execute();
        expect(JSON.stringify(rows), table.name).not.toContain(secret);
      }
    });

    it('audits creation and revocation under the user, without the token', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const created = await newToken(user, { name: 'Audited' });
      await revoke(user, created.id);
      const entries = await ctx.deps.db
        .selectFrom('audit_log')
        .selectAll()
        .where('subject_id', '=', created.id)
        .orderBy('at')
        .orderBy('action')
        .execute();
      expect(
        entries.map((e) => [e.action, e.subject_type, e.actor_kind, e.actor_user_id, e.project_id]).sort(),
      ).toEqual([
        ['api-token.created', 'api-token', 'user', user.id, null],
        ['api-token.revoked', 'api-token', 'user', user.id, null],
      ]);
      expect(JSON.parse(entries.find((e) => e.action === 'api-token.created')?.detail ?? '{}')).toEqual({
        name: 'Audited',
        expiresAt: created.expiresAt,
      });
      expect(JSON.stringify(entries)).not.toContain(created.token.slice(4));
    });

    it('refuses bad names and lifetimes and stores nothing', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const before = await tokenCount();
      for (const name of ['', '   ', 'x'.repeat(101), 'two\nlines']) {
        expect(await refusal(newToken(user, { name }))).toEqual({ code: 'VALIDATION_FAILED', field: 'name' });
      }
      for (const expiresInDays of [0, 7, 366, Number.NaN]) {
        expect(await refusal(newToken(user, { expiresInDays }))).toEqual({
          code: 'VALIDATION_FAILED',
          field: 'expiresInDays',
        });
      }
      expect(await newToken(user, { name: 'x'.repeat(100), expiresInDays: 365 })).toHaveProperty('id');
      expect(await tokenCount()).toBe(before + 1);
    });

    it(`allows ${MAX_LIVE_API_TOKENS} live tokens per user; revoked and expired ones do not count`, async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const other = await makeUser(ctx.deps.db, ctx.clock);
      const short = await newToken(user, { name: 'short', expiresInDays: 30 });
      const made = [short];
      while (made.length < MAX_LIVE_API_TOKENS) made.push(await newToken(user, { name: `t${made.length}` }));
      expect(await refusal(newToken(user, { name: 'one too many' }))).toEqual({
        code: 'VALIDATION_FAILED',
        field: undefined,
      });
      // The limit is per user.
      await newToken(other);
      await revoke(user, made[1]?.id ?? '');
      await newToken(user, { name: 'after a revocation' });
      expect(await refusal(newToken(user, { name: 'full again' }))).toMatchObject({ code: 'VALIDATION_FAILED' });
      ctx.clock.advance(30 * DAY_MS);
      await newToken(user, { name: 'after an expiry' });
      expect((await listApiTokens(ctx.deps.db, user.id)).length).toBe(MAX_LIVE_API_TOKENS + 2);
    });
  });

  describe('resolving a token', () => {
    it('acts as its user, with their project roles', async () => {
      const project = await makeProject(ctx.deps.db, ctx.clock);
      const user = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', name: 'Ada' });
      const { token } = await newToken(user);
      const actor = await findApiTokenActor(ctx.deps.db, ctx.clock, token);
      expect(actor).toEqual({
        kind: 'user',
        userId: user.id,
        email: user.email,
        name: 'Ada',
        isInstanceAdmin: false,
        roles: new Map([[project.id, 'admin']]),
        caseGrants: new Map(),
        distributorOf: new Map(),
      });
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, `${token}x`)).toBeUndefined();
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, token.slice(4))).toBeUndefined();
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, '')).toBeUndefined();
    });

    it('stops at its expiry', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const { token, expiresAt } = await newToken(user, { expiresInDays: 30 });
      ctx.clock.advance(30 * DAY_MS - 1);
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, token)).toMatchObject({ userId: user.id });
      ctx.clock.set(expiresAt ?? '');
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, token)).toBeUndefined();
    });

    it('records its last use, at most every five minutes', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const { id, token } = await newToken(user);
      expect((await tokenRow(id)).last_used_at).toBeNull();
      const firstUse = ctx.clock.now().toISOString();
      await findApiTokenActor(ctx.deps.db, ctx.clock, token);
      expect((await tokenRow(id)).last_used_at).toBe(firstUse);
      ctx.clock.advance(4 * MINUTE_MS);
      await findApiTokenActor(ctx.deps.db, ctx.clock, token);
      expect((await tokenRow(id)).last_used_at).toBe(firstUse);
      ctx.clock.advance(2 * MINUTE_MS);
      await findApiTokenActor(ctx.deps.db, ctx.clock, token);
      expect((await tokenRow(id)).last_used_at).toBe(ctx.clock.now().toISOString());
    });

    it('stops working when its user is disabled', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const { token } = await newToken(user);
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, token)).toMatchObject({ userId: user.id });
      await tx((trx) =>
        setUserDisabled(trx, ctx.deps, { by: { actor: system, origin: noOrigin }, userId: user.id, disabled: true }),
      );
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, token)).toBeUndefined();
      expectInvalidToken(await apiGet(`Bearer ${token}`));
    });

    it('is revoked when its owner changes the password', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const { id, token } = await newToken(user);
      await tx((trx) => setPassword(trx, ctx.clock, user.id, 'another long passphrase'));
      expect((await tokenRow(id)).revoked_at).toBe(ctx.clock.now().toISOString());
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, token)).toBeUndefined();
    });

    it('stays dead when the disabled user is enabled again', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const { id, token } = await newToken(user);
      const by = { actor: system, origin: noOrigin };
      await tx((trx) => setUserDisabled(trx, ctx.deps, { by, userId: user.id, disabled: true }));
      await tx((trx) => setUserDisabled(trx, ctx.deps, { by, userId: user.id, disabled: false }));
      expect((await tokenRow(id)).revoked_at).toBe(ctx.clock.now().toISOString());
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, token)).toBeUndefined();
    });
  });

  describe('the API', () => {
    it('serves requests without an Authorization header anonymously, as before', async () => {
      expect((await apiGet()).statusCode).toBe(200);
    });

    it('accepts a live token, records its use and never logs it', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const { id, token } = await newToken(user);
      const res = await apiGet(`Bearer ${token}`);
      expect(res.statusCode).toBe(200);
      expect((await tokenRow(id)).last_used_at).toBe(ctx.clock.now().toISOString());
      expect((await apiGet(`bearer  ${token}`)).statusCode).toBe(200);
      expect(ctx.logs()).toContain('/api/openapi.json');
      expect(ctx.logs()).not.toContain(token.slice(4));
    });

    it('refuses a presented token that is unknown, revoked or expired, or a header that is not Bearer', async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const revoked = await newToken(user);
      await revoke(user, revoked.id);
      const expiring = await newToken(user, { expiresInDays: 30 });
      const live = await newToken(user, { expiresInDays: null });
      ctx.clock.advance(31 * DAY_MS);
      const headers = [
        `Bearer ${revoked.token}`,
        `Bearer ${expiring.token}`,
        `Bearer emb_${'A'.repeat(43)}`,
        'Bearer ',
        'Bearer',
        '',
        live.token,
        `Basic ${Buffer.from(`${user.email}:x`).toString('base64')}`,
        `Token ${live.token}`,
        `Bearer ${live.token} extra`,
      ];
      for (const header of headers) expectInvalidToken(await apiGet(header));
      expect((await apiGet(`Bearer ${live.token}`)).statusCode).toBe(200);
    });

    it('refuses before anything is stored, and a session cookie does not help', async () => {
      const project = await makeProject(ctx.deps.db, ctx.clock);
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const browser = new Browser(ctx.app);
      await login(browser, user.email);
      const count = async () =>
        (await ctx.deps.db.selectFrom('reports').select('id').where('project_id', '=', project.id).execute()).length;
      const res = await ctx.app.inject({
        method: 'POST',
        url: `/api/v1/projects/${project.slug}/reports`,
        headers: {
          authorization: 'Bearer emb_wrong',
          cookie: Object.entries(browser.jar)
            .map(([k, v]) => `${k}=${v}`)
            .join('; '),
          'content-type': 'application/json',
        },
        payload: JSON.stringify({ title: 'Crash', description: 'It crashes.' }),
      });
      expectInvalidToken(res);
      expect(await count()).toBe(0);
    });

    it('declares the bearer scheme in the OpenAPI document', async () => {
      const doc = JSON.parse((await apiGet()).body) as {
        components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      };
      expect(doc.components.securitySchemes.apiToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    });
  });

  describe('the account page', () => {
    const signedIn = async () => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const browser = new Browser(ctx.app);
      await login(browser, user.email);
      return { user, browser };
    };

    it('sends the anonymous to sign in', async () => {
      const res = await new Browser(ctx.app).get('/account/tokens');
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/login?next=%2Faccount%2Ftokens');
    });

    it('creates a token shown once, lists it, and revokes it', async () => {
      const { user, browser } = await signedIn();
      const empty = await browser.get('/account/tokens');
      expect(empty.statusCode).toBe(200);
      expect(empty.body).toContain('You have no API tokens yet.');

      const created = await browser.submit('/account/tokens', '/account/tokens', {
        name: 'Advisory export',
        expiresIn: '365',
      });
      expect(created.statusCode).toBe(200);
      expect(created.headers['cache-control']).toBe('no-store');
      expect(created.body).toContain('shown only this once');
      const token = TOKEN_PATTERN.exec(created.body)?.[0] ?? '';
      const [stored] = await listApiTokens(ctx.deps.db, user.id);
      expect(stored?.name).toBe('Advisory export');
      expect(stored?.expiresAt).toBe(new Date(ctx.clock.now().getTime() + 365 * DAY_MS).toISOString());
      expect((await tokenRow(stored?.id ?? '')).token_hash).toBe(hashToken(token));
      expect(await findApiTokenActor(ctx.deps.db, ctx.clock, token)).toMatchObject({ userId: user.id });

      const later = await browser.get('/account/tokens');
      expect(later.body).toContain('Advisory export');
      expect(later.body).not.toContain(token);
      expect(TOKEN_PATTERN.test(later.body)).toBe(false);
      expect(later.body).toContain(`/account/tokens/${stored?.id}/revoke`);

      const revoked = await browser.submit('/account/tokens', `/account/tokens/${stored?.id}/revoke`, {});
      expect(revoked.statusCode).toBe(303);
      expect(revoked.headers.location).toBe('/account/tokens?revoked=1');
      const after = await browser.get('/account/tokens?revoked=1');
      expect(after.body).toContain('no longer works');
      expect(after.body).toContain('data-state="revoked"');
      expect(after.body).not.toContain(`/account/tokens/${stored?.id}/revoke`);
      expectInvalidToken(await apiGet(`Bearer ${token}`));
      expect(ctx.logs()).not.toContain(token.slice(4));
    });

    it('offers "never" and refuses a lifetime it does not offer, keeping what was typed', async () => {
      const { user, browser } = await signedIn();
      const never = await browser.submit('/account/tokens', '/account/tokens', { name: 'Forever', expiresIn: 'never' });
      expect(never.statusCode).toBe(200);
      expect((await listApiTokens(ctx.deps.db, user.id))[0]?.expiresAt).toBeNull();

      for (const form of [
        { name: 'Odd', expiresIn: '7' },
        { name: 'Odd', expiresIn: 'soon' },
        { name: '', expiresIn: '30' },
      ]) {
        const res = await browser.submit('/account/tokens', '/account/tokens', form);
        expect(res.statusCode).toBe(400);
        expect(res.body).toContain('data-code="VALIDATION_FAILED"');
        expect(res.body).toContain('aria-invalid="true"');
        if (form.name) expect(res.body).toContain(`value="${form.name}"`);
        expect(TOKEN_PATTERN.test(res.body)).toBe(false);
      }
      expect(await listApiTokens(ctx.deps.db, user.id)).toHaveLength(1);
    });

    it("refuses a post without the CSRF token, and someone else's token as not found", async () => {
      const { user, browser } = await signedIn();
      const stranger = await signedIn();
      const noCsrf = await browser.post('/account/tokens', { name: 'Sneaky', expiresIn: '30' });
      expect(noCsrf.statusCode).toBe(403);
      expect(await listApiTokens(ctx.deps.db, user.id)).toHaveLength(0);

      const mine = await newToken(user);
      const page = await stranger.browser.get('/account/tokens');
      const res = await stranger.browser.post(`/account/tokens/${mine.id}/revoke`, { _csrf: csrfFrom(page.body) });
      expect(res.statusCode).toBe(404);
      expect((await tokenRow(mine.id)).revoked_at).toBeNull();
      expect(page.body).not.toContain(mine.id);
    });
  });
});
