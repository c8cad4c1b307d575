import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildDeps } from '../../src/build-deps.js';
import { DAY_MS, MINUTE_MS } from '../../src/clock.js';
import { connect } from '../../src/db/connect.js';
import { issueAccountSetupLink, issueFirstAdminLink } from '../../src/domain/users/setup.service.js';
import { createUser, getUserByEmail } from '../../src/domain/users/users.service.js';
import { buildApp } from '../../src/http/app.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, cookieHeader, csrfFrom, login, makeUser, TEST_PASSWORD } from '../support/factories.js';

const WINDOW_MS = 15 * MINUTE_MS; // config.login.windowMinutes by default

describe.each(engines())('sign-in, sessions and setup links on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());
  // Every test starts after the throttling window of the one before, so their failures do not add up.
  beforeEach(() => ctx.clock.advance(WINDOW_MS + MINUTE_MS));

  const sessionsOf = (userId: string) =>
    ctx.t.db.selectFrom('sessions').select('id_hash').where('user_id', '=', userId).execute();
  const codeOf = (html: string) => html.match(/data-code="([A-Z_]+)"/)?.[1];

  /** A sign-in attempt as JSON from a given address, with a valid CSRF token. */
  async function attempt(email: string, password: string, ip = '203.0.113.7') {
    const browser = new Browser(ctx.app);
    const token = csrfFrom((await browser.get('/login')).body);
    return ctx.app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress: ip,
      headers: {
        cookie: cookieHeader(browser.jar),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      payload: new URLSearchParams({ _csrf: token, email, password }).toString(),
    });
  }

  it('signs in with a HttpOnly, SameSite cookie backed by a session row', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const browser = new Browser(ctx.app);
    const res = await login(browser, user.email);
    expect(res.headers.location).toBe('/projects');
    const cookie = [res.headers['set-cookie']].flat().find((c) => c?.startsWith('embargo_session='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Secure/); // http://localhost counts as secure for browsers
    expect(await sessionsOf(user.id)).toHaveLength(1);
    expect((await browser.get('/projects')).statusCode).toBe(200);
    const audit = await ctx.t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'user.login')
      .where('subject_id', '=', user.id)
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('returns to a local `next` only', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const go = async (next: string) => {
      const browser = new Browser(ctx.app);
      const page = await browser.get(`/login?next=${encodeURIComponent(next)}`);
      return browser.post('/login', { _csrf: csrfFrom(page.body), email: user.email, password: TEST_PASSWORD, next });
    };
    expect((await go('/admin/users')).headers.location).toBe('/admin/users');
    for (const evil of ['//evil.example', '/\\evil.example', 'https://evil.example/', '/\t/evil.example']) {
      expect((await go(evil)).headers.location).toBe('/projects');
    }
    const anonymous = await new Browser(ctx.app).get('/projects');
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/login?next=%2Fprojects');
  });

  it('answers a wrong password and an unknown account alike, and opens no session', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const wrong = await new Browser(ctx.app).submit('/login', '/login', {
      email: user.email,
      password: 'not the password!',
    });
    const unknown = await new Browser(ctx.app).submit('/login', '/login', {
      email: 'nobody@example.org',
      password: 'not the password!',
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(codeOf(wrong.body)).toBe('LOGIN_FAILED');
    expect(codeOf(unknown.body)).toBe('LOGIN_FAILED');
    const message = (html: string) => html.match(/role="alert"[^>]*>([^<]*)</)?.[1];
    expect(message(wrong.body)).toBe(message(unknown.body));
    // The form keeps the address typed, never the password.
    expect(wrong.body).toContain(`value="${user.email}"`);
    expect(wrong.body).not.toContain('not the password!');

    const jsonWrong = await attempt(user.email, 'not the password!');
    const jsonUnknown = await attempt('nobody@example.org', 'not the password!');
    expect(jsonWrong.json()).toEqual(jsonUnknown.json());
    expect(jsonWrong.json().error.code).toBe('LOGIN_FAILED');
    expect(await sessionsOf(user.id)).toHaveLength(0);

    const failures = await ctx.t.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'user.login_failed')
      .execute();
    expect(failures.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(failures)).not.toContain('not the password!');
    expect(ctx.logs()).not.toContain('not the password!');
  });

  it('refuses a disabled account with the same answer, even with the right password', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    await ctx.t.db.updateTable('users').set({ disabled: 1 }).where('id', '=', user.id).execute();
    const res = await attempt(user.email, TEST_PASSWORD);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('LOGIN_FAILED');
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });

  it('throttles an account after the allowed failures, until the window has passed', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    for (let i = 0; i < 5; i++) {
      expect((await attempt(user.email, `wrong password ${i}`)).statusCode).toBe(401);
      ctx.clock.advance(MINUTE_MS);
    }
    // Even the right password is refused now: the attacker learns nothing more.
    const refused = await attempt(user.email, TEST_PASSWORD, '198.51.100.9');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('LOGIN_THROTTLED');
    const retry = refused.json().error.details.retryAfterSeconds;
    // The first failure was 5 minutes ago: it ages out 10 minutes from now.
    expect(retry).toBe(10 * 60);
    expect(refused.headers['retry-after']).toBe(String(retry));

    const page = await new Browser(ctx.app).submit('/login', '/login', { email: user.email, password: TEST_PASSWORD });
    expect(page.statusCode).toBe(429);
    expect(codeOf(page.body)).toBe('LOGIN_THROTTLED');

    ctx.clock.advance(retry * 1000);
    const ok = await attempt(user.email, TEST_PASSWORD);
    expect(ok.statusCode).toBe(303);
    // A success clears the account's failures: one more mistake is not throttled.
    expect((await attempt(user.email, 'wrong again')).statusCode).toBe(401);
    expect((await attempt(user.email, TEST_PASSWORD)).statusCode).toBe(303);
  });

  it('lets at most the allowed failures of a burst of simultaneous attempts reach the password check', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const max = ctx.deps.config.login.maxFailures;
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => attempt(user.email, `wrong password ${i}`, '203.0.113.80')),
    );
    const codes = burst.map((res) => `${res.statusCode} ${res.json().error.code}`);
    const checked = codes.filter((c) => c === '401 LOGIN_FAILED').length;
    expect(checked).toBeLessThanOrEqual(max);
    expect(codes.filter((c) => c === '429 LOGIN_THROTTLED')).toHaveLength(20 - checked);
    // Only the checked attempts stay as failures; the refused ones are not counted against the account.
    const rows = await ctx.t.db.selectFrom('login_failures').select('id').where('ip', '=', '203.0.113.80').execute();
    expect(rows).toHaveLength(checked);
    // The right password works again once the window has passed.
    ctx.clock.advance(WINDOW_MS + MINUTE_MS);
    expect((await attempt(user.email, TEST_PASSWORD, '203.0.113.80')).statusCode).toBe(303);
  });

  it('throttles an address that tries many accounts, and only that address', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    for (let i = 0; i < 20; i++) {
      expect((await attempt(`guess-${i}@example.org`, 'wrong password', '192.0.2.50')).statusCode).toBe(401);
    }
    expect((await attempt(user.email, TEST_PASSWORD, '192.0.2.50')).json().error.code).toBe('LOGIN_THROTTLED');
    expect((await attempt(user.email, TEST_PASSWORD, '192.0.2.51')).statusCode).toBe(303);
  });

  it('shares the throttle between processes through the database', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const db = connect({ url: ctx.t.url });
    const deps = await buildDeps({ config: ctx.deps.config, db, clock: ctx.clock, logger: ctx.deps.logger });
    const other = await buildApp(deps);
    try {
      for (let i = 0; i < 5; i++) await attempt(user.email, 'wrong password');
      const browser = new Browser(other);
      const res = await browser.post('/login', {
        _csrf: csrfFrom((await browser.get('/login')).body),
        email: user.email,
        password: TEST_PASSWORD,
      });
      expect(res.statusCode).toBe(429);
    } finally {
      await other.close();
      await db.destroy();
    }
  });

  it('refuses a sign-in form without a CSRF token and opens no session', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const browser = new Browser(ctx.app);
    await browser.get('/login');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/login',
      headers: {
        cookie: cookieHeader(browser.jar),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      payload: new URLSearchParams({ email: user.email, password: TEST_PASSWORD }).toString(),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('CSRF_TOKEN_INVALID');
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });

  it('signs out: the session row is gone and the old cookie no longer works', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const browser = new Browser(ctx.app);
    await login(browser, user.email);
    const stolen = { ...browser.jar };
    const res = await browser.submit('/projects', '/logout', {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(await sessionsOf(user.id)).toHaveLength(0);
    expect((await browser.get('/projects')).statusCode).toBe(303);
    const replay = await ctx.app.inject({ method: 'GET', url: '/projects', headers: { cookie: cookieHeader(stolen) } });
    expect(replay.statusCode).toBe(303);
  });

  it('refuses to sign out without a CSRF token', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const browser = new Browser(ctx.app);
    await login(browser, user.email);
    const res = await browser.post('/logout', {});
    expect(res.statusCode).toBe(403);
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });

  it('ends a session when it expires', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const browser = new Browser(ctx.app);
    await login(browser, user.email);
    ctx.clock.advance(13 * DAY_MS);
    expect((await browser.get('/projects')).statusCode).toBe(200);
    ctx.clock.advance(DAY_MS + MINUTE_MS); // past the 14 days of config.sessionDays
    const res = await browser.get('/projects');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fprojects');
  });

  it('uses a setup link once to set an invited user password', async () => {
    const invited = await ctx.t.db
      .transaction()
      .execute((trx) => createUser(trx, ctx.clock, { email: `invited-${randomUUID()}@example.org`, name: 'Invited' }));
    const link = await ctx.t.db.transaction().execute((trx) => issueAccountSetupLink(trx, ctx.deps, invited.id));
    const path = new URL(link).pathname;
    expect(path).toMatch(/^\/setup\/[A-Za-z0-9_-]{43}$/);
    const browser = new Browser(ctx.app);
    const page = await browser.get(path);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(invited.email);
    expect(page.body).not.toContain('name="name"');

    const short = await browser.post(path, { _csrf: csrfFrom(page.body), password: 'short' });
    expect(short.statusCode).toBe(400);
    expect(codeOf(short.body)).toBe('VALIDATION_FAILED');

    const done = await browser.post(path, { _csrf: csrfFrom(page.body), password: 'a brand new long password' });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/login?setup=done');
    await login(new Browser(ctx.app), invited.email, 'a brand new long password');

    const again = await browser.post(path, { _csrf: csrfFrom(page.body), password: 'another long password!' });
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain('SETUP_TOKEN_INVALID');
    expect((await browser.get(path)).statusCode).toBe(404);
    // The secret path never reaches the log.
    expect(ctx.logs()).not.toContain(path);
  });

  it('refuses expired, superseded and made-up setup links', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const first = await ctx.t.db.transaction().execute((trx) => issueAccountSetupLink(trx, ctx.deps, user.id));
    const second = await ctx.t.db.transaction().execute((trx) => issueAccountSetupLink(trx, ctx.deps, user.id));
    const browser = new Browser(ctx.app);
    expect((await browser.get(new URL(first).pathname)).statusCode).toBe(404);
    expect((await browser.get(new URL(second).pathname)).statusCode).toBe(200);
    ctx.clock.advance(7 * DAY_MS + MINUTE_MS);
    const expired = await browser.get(new URL(second).pathname);
    expect(expired.statusCode).toBe(404);
    expect(expired.body).toContain('SETUP_TOKEN_INVALID');
    expect((await browser.get('/setup/not-a-real-token')).statusCode).toBe(404);
  });
});

describe.each(engines())('first admin on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  it('creates the instance admin from a one-time link, then stops issuing links', async () => {
    const older = await ctx.t.db.transaction().execute((trx) => issueFirstAdminLink(trx, ctx.deps));
    const link = await ctx.t.db.transaction().execute((trx) => issueFirstAdminLink(trx, ctx.deps));
    if (!older || !link) throw new Error('expected first-admin links on an empty instance');
    expect(link).toMatch(/^http:\/\/localhost:8080\/setup\//);
    const browser = new Browser(ctx.app);
    expect((await browser.get(new URL(older).pathname)).statusCode).toBe(404);

    const path = new URL(link).pathname;
    const page = await browser.get(path);
    expect(page.body).toContain('name="email"');
    expect(page.body).toContain('name="name"');
    const bad = await browser.post(path, {
      _csrf: csrfFrom(page.body),
      email: 'not an email',
      name: 'Ada',
      password: 'long enough password',
    });
    expect(bad.statusCode).toBe(400);
    expect(await ctx.t.db.selectFrom('users').select('id').execute()).toHaveLength(0);

    const res = await browser.post(path, {
      _csrf: csrfFrom(page.body),
      email: 'Ada@Example.org',
      name: 'Ada',
      password: 'long enough password',
    });
    expect(res.statusCode).toBe(303);
    const admin = await getUserByEmail(ctx.t.db, 'ada@example.org');
    expect(admin?.isInstanceAdmin).toBe(true);
    expect(admin?.hasPassword).toBe(true);

    const signedIn = new Browser(ctx.app);
    await login(signedIn, 'ada@example.org', 'long enough password');
    expect((await signedIn.get('/admin')).statusCode).toBe(200);
    expect((await browser.get(path)).statusCode).toBe(404);
    expect(await ctx.t.db.transaction().execute((trx) => issueFirstAdminLink(trx, ctx.deps))).toBeUndefined();
  });
});
