import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { addMember, setUpProject } from '../../src/domain/projects/projects.service.js';
import { addReporterMessage } from '../../src/domain/reports/reporter.service.js';
import { inviteUser, setInstanceAdmin } from '../../src/domain/users/user-admin.service.js';
import type { User } from '../../src/domain/users/users.js';
import { createUser } from '../../src/domain/users/users.service.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { makeReport } from '../support/report-factory.js';

type Role = 'anonymous' | 'nonMember' | 'securityMember' | 'projectAdmin' | 'adminOfOther' | 'instanceAdmin';
const roles: Role[] = ['anonymous', 'nonMember', 'securityMember', 'projectAdmin', 'adminOfOther', 'instanceAdmin'];

const unique = () => randomUUID().slice(0, 8);
const codeOf = (res: LightMyRequestResponse) =>
  res.body.match(/data-code="([A-Z_]+)"/)?.[1] ?? res.body.match(/<code>([A-Z_]+)<\/code>/)?.[1];

describe.each(engines())('instance administration on %s', (engine) => {
  let ctx: TestContext;
  const browsers = new Map<Role, { browser: Browser; csrf: string }>();

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    const { db } = ctx.t;
    const project = await makeProject(db, ctx.clock);
    const other = await makeProject(db, ctx.clock);
    const users: Record<Exclude<Role, 'anonymous'>, User> = {
      nonMember: await makeUser(db, ctx.clock),
      securityMember: await makeUser(db, ctx.clock, { project, role: 'security' }),
      projectAdmin: await makeUser(db, ctx.clock, { project, role: 'admin' }),
      adminOfOther: await makeUser(db, ctx.clock, { project: other, role: 'admin' }),
      instanceAdmin: await makeUser(db, ctx.clock, { isInstanceAdmin: true }),
    };
    for (const role of roles) {
      const browser = new Browser(ctx.app);
      if (role !== 'anonymous') await login(browser, users[role].email);
      const page = await browser.get(role === 'anonymous' ? '/login' : '/projects');
      browsers.set(role, { browser, csrf: csrfFrom(page.body) });
    }
  });
  afterAll(() => ctx.close());

  function as(role: Role) {
    const b = browsers.get(role);
    if (!b) throw new Error(`no browser for ${role}`);
    return {
      get: (url: string) => b.browser.get(url),
      post: (url: string, form: Record<string, string> = {}) => b.browser.post(url, { _csrf: b.csrf, ...form }),
    };
  }

  /** What a refused request could have changed: it must change none of it. */
  const fingerprint = async () => {
    const { db } = ctx.t;
    const users = await db.selectFrom('users').select(['id', 'disabled', 'is_instance_admin']).orderBy('id').execute();
    const count = async (table: 'projects' | 'memberships' | 'password_tokens' | 'outbound_emails') =>
      (await db.selectFrom(table).selectAll().execute()).length;
    return JSON.stringify({
      users,
      projects: await count('projects'),
      memberships: await count('memberships'),
      tokens: await count('password_tokens'),
      emails: await count('outbound_emails'),
    });
  };

  const target = () => makeUser(ctx.t.db, ctx.clock);
  /** An account still waiting for its password. */
  const invitee = () =>
    ctx.t.db
      .transaction()
      .execute((trx) => createUser(trx, ctx.clock, { email: `invitee-${unique()}@example.org`, name: 'Invitee' }));

  // Each route with how to call it and what the instance admin gets; everyone else is refused.
  const routes: {
    name: string;
    method: 'GET' | 'POST';
    call: (role: Role) => Promise<LightMyRequestResponse>;
    ok: number;
  }[] = [
    { name: 'GET /admin', method: 'GET', call: (r) => as(r).get('/admin'), ok: 200 },
    { name: 'GET /admin/users', method: 'GET', call: (r) => as(r).get('/admin/users'), ok: 200 },
    { name: 'GET /admin/projects', method: 'GET', call: (r) => as(r).get('/admin/projects'), ok: 200 },
    {
      name: 'POST /admin/users',
      method: 'POST',
      call: (r) => as(r).post('/admin/users', { email: `new-${unique()}@example.org`, name: 'New Person' }),
      ok: 200,
    },
    {
      name: 'POST /admin/users/:id/disable',
      method: 'POST',
      call: async (r) => as(r).post(`/admin/users/${(await target()).id}/disable`),
      ok: 303,
    },
    {
      name: 'POST /admin/users/:id/enable',
      method: 'POST',
      call: async (r) => {
        const user = await target();
        await ctx.t.db.updateTable('users').set({ disabled: 1 }).where('id', '=', user.id).execute();
        return as(r).post(`/admin/users/${user.id}/enable`);
      },
      ok: 303,
    },
    {
      name: 'POST /admin/users/:id/instance-admin',
      method: 'POST',
      call: async (r) => as(r).post(`/admin/users/${(await target()).id}/instance-admin`, { grant: '1' }),
      ok: 303,
    },
    {
      name: 'POST /admin/users/:id/setup-link',
      method: 'POST',
      call: async (r) => as(r).post(`/admin/users/${(await invitee()).id}/setup-link`),
      ok: 200,
    },
    {
      name: 'POST /admin/projects',
      method: 'POST',
      call: (r) => as(r).post('/admin/projects', { name: 'Made Here', slug: `made-${unique()}` }),
      ok: 303,
    },
  ];
  const cells = routes.flatMap((route) => roles.map((role) => ({ route: route.name, role })));

  it.each(cells)('$route as $role', async ({ route: name, role }) => {
    const route = routes.find((r) => r.name === name);
    if (!route) throw new Error(name);
    const before = await fingerprint();
    const res = await route.call(role);
    if (role === 'instanceAdmin') {
      expect(res.statusCode).toBe(route.ok);
      return;
    }
    if (role === 'anonymous') {
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toMatch(route.method === 'GET' ? /^\/login\?next=%2Fadmin/ : /^\/login$/);
    } else {
      expect(res.statusCode).toBe(403);
      expect(codeOf(res)).toBe('FORBIDDEN');
    }
    // The fingerprint is taken after the route's own fixtures were made, so compare from here.
    if (route.method === 'POST') {
      const after = await fingerprint();
      const created = JSON.parse(after).users.length - JSON.parse(before).users.length;
      expect(created).toBeLessThanOrEqual(1); // only the test's own target user
      expect(JSON.parse(after).projects).toBe(JSON.parse(before).projects);
      expect(JSON.parse(after).tokens).toBe(JSON.parse(before).tokens);
      expect(JSON.parse(after).emails).toBe(JSON.parse(before).emails);
    }
  });

  it('refuses to change a user for a non-admin', async () => {
    const user = await target();
    const before = await fingerprint();
    for (const path of ['disable', 'instance-admin']) {
      expect((await as('projectAdmin').post(`/admin/users/${user.id}/${path}`, { grant: '1' })).statusCode).toBe(403);
    }
    expect(await fingerprint()).toBe(before);
  });

  it('asks JSON clients to sign in instead of redirecting', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/admin/users', headers: { accept: 'application/json' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('AUTH_REQUIRED');
  });

  it('creates a user, shows the setup link once and queues the invitation email', async () => {
    const email = `invitee-${unique()}@example.org`;
    const res = await as('instanceAdmin').post('/admin/users', { email, name: 'Invitee', isInstanceAdmin: '1' });
    expect(res.statusCode).toBe(200);
    const link = res.body.match(/http:\/\/localhost:8080(\/setup\/[A-Za-z0-9_-]+)/)?.[1];
    if (!link) throw new Error('no setup link on the page');
    const user = await ctx.t.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    expect(user.is_instance_admin).toBe(1);
    expect(user.password_hash).toBeNull();
    const mail = await ctx.t.db.selectFrom('outbound_emails').selectAll().where('to_address', '=', email).execute();
    expect(mail).toHaveLength(1);
    expect(mail[0]?.template).toBe('account-setup');
    expect(mail[0]?.project_id).toBeNull();
    expect((await new Browser(ctx.app).get(link)).statusCode).toBe(200);
    // The list page does not show it again, nor does the stored email's page.
    expect((await as('instanceAdmin').get('/admin/users')).body).not.toContain(link);
    const shown = await as('instanceAdmin').get(`/admin/mail/${mail[0]?.id}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).not.toContain(link);
    expect(shown.body).toContain('/setup/[hidden]');
    const audit = await ctx.t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'user.created')
      .where('subject_id', '=', user.id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.detail ?? '').not.toContain('/setup/');
  });

  it.each([
    [{ email: 'not-an-email', name: 'X' }, 400, 'VALIDATION_FAILED'],
    [{ email: `ok-${unique()}@example.org`, name: '   ' }, 400, 'VALIDATION_FAILED'],
  ])('refuses an invalid user %j and stores nothing', async (form, status, code) => {
    const before = await fingerprint();
    const res = await as('instanceAdmin').post('/admin/users', form);
    expect(res.statusCode).toBe(status);
    expect(codeOf(res)).toBe(code);
    expect(res.body).toContain(`value="${form.email}"`);
    expect(await fingerprint()).toBe(before);
  });

  it('refuses a second account with the same email', async () => {
    const existing = await target();
    const before = await fingerprint();
    const res = await as('instanceAdmin').post('/admin/users', { email: existing.email.toUpperCase(), name: 'Again' });
    expect(res.statusCode).toBe(409);
    expect(codeOf(res)).toBe('EMAIL_TAKEN');
    expect(await fingerprint()).toBe(before);
  });

  it('ends the sessions of a disabled user', async () => {
    const user = await target();
    const browser = new Browser(ctx.app);
    await login(browser, user.email);
    expect((await as('instanceAdmin').post(`/admin/users/${user.id}/disable`)).statusCode).toBe(303);
    expect((await browser.get('/projects')).statusCode).toBe(303);
    const sessions = await ctx.t.db.selectFrom('sessions').select('id_hash').where('user_id', '=', user.id).execute();
    expect(sessions).toHaveLength(0);
  });

  it('re-sends a setup link only to an account without a password, and the old link stops working', async () => {
    const pending = await invitee();
    const first = await as('instanceAdmin').post(`/admin/users/${pending.id}/setup-link`);
    const second = await as('instanceAdmin').post(`/admin/users/${pending.id}/setup-link`);
    const linkOf = (res: LightMyRequestResponse) =>
      res.body.match(/http:\/\/localhost:8080(\/setup\/[A-Za-z0-9_-]+)/)?.[1] ?? '';
    expect((await new Browser(ctx.app).get(linkOf(first))).statusCode).toBe(404);
    expect((await new Browser(ctx.app).get(linkOf(second))).statusCode).toBe(200);

    const active = await target();
    const before = await fingerprint();
    const refused = await as('instanceAdmin').post(`/admin/users/${active.id}/setup-link`);
    expect(refused.statusCode).toBe(409);
    expect(codeOf(refused)).toBe('CONFLICT');
    expect(refused.body).not.toContain('/setup/');
    expect(await fingerprint()).toBe(before);
  });

  it('mails, but does not show, a new setup link for a pending account that belongs to a project', async () => {
    const project = await makeProject(ctx.t.db, ctx.clock);
    const pending = await ctx.t.db.transaction().execute(async (trx) => {
      const user = await createUser(trx, ctx.clock, { email: `member-${unique()}@example.org`, name: 'Pending' });
      await addMember(trx, ctx.clock, { projectId: project.id, userId: user.id, role: 'security' });
      return user;
    });
    const res = await as('instanceAdmin').post(`/admin/users/${pending.id}/setup-link`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-setup-link-mailed');
    expect(res.body).not.toContain('/setup/');

    // The owner's mailbox gets a working link; the stored email's page hides it.
    const mail = await ctx.t.db
      .selectFrom('outbound_emails')
      .selectAll()
      .where('to_address', '=', pending.email)
      .executeTakeFirstOrThrow();
    const link = mail.text_body.match(/http:\/\/localhost:8080(\/setup\/[A-Za-z0-9_-]+)/)?.[1];
    if (!link) throw new Error('no setup link in the email');
    expect((await new Browser(ctx.app).get(link)).statusCode).toBe(200);
    const shown = await as('instanceAdmin').get(`/admin/mail/${mail.id}`);
    expect(shown.body).not.toContain(link);
    expect(shown.body).not.toMatch(/\/setup\/[A-Za-z0-9_-]{16,}/);

    const audit = await ctx.t.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'user.setup_link_issued')
      .where('subject_id', '=', pending.id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(audit.detail ?? '{}')).toEqual({ shown: false });
  });

  it('sends a disabled member no team mail about new reports or replies', async () => {
    const project = await makeProject(ctx.t.db, ctx.clock);
    const active = await makeUser(ctx.t.db, ctx.clock, { project, role: 'admin' });
    const disabled = await makeUser(ctx.t.db, ctx.clock, { project, role: 'security' });
    expect((await as('instanceAdmin').post(`/admin/users/${disabled.id}/disable`)).statusCode).toBe(303);

    const { report, statusToken } = await makeReport(ctx, project);
    await ctx.t.db
      .transaction()
      .execute((trx) =>
        addReporterMessage(trx, ctx.deps, { token: statusToken, body: 'One more detail.', origin: noOrigin }),
      );
    const mail = await ctx.t.db
      .selectFrom('outbound_emails')
      .select(['to_address', 'template'])
      .where('report_id', '=', report.id)
      .where('template', 'in', ['team-new-report', 'team-reporter-replied'])
      .execute();
    expect(mail.map((m) => `${m.template} ${m.to_address}`).sort()).toEqual([
      `team-new-report ${active.email}`,
      `team-reporter-replied ${active.email}`,
    ]);
  });

  it('answers an unknown user id with NOT_FOUND', async () => {
    const res = await as('instanceAdmin').post(`/admin/users/${randomUUID()}/disable`);
    expect(res.statusCode).toBe(404);
  });

  it('creates a project with an initial admin, audited with the project id', async () => {
    const admin = await target();
    const slug = `new-${unique()}`;
    const res = await as('instanceAdmin').post('/admin/projects', {
      name: 'New Project',
      slug,
      repositoryUrl: 'https://example.org/new.git',
      securityContact: 'security@example.org',
      ackTargetHours: '48',
      initialAdminEmail: admin.email,
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/p/${slug}/settings`);
    const project = await ctx.t.db
      .selectFrom('projects')
      .selectAll()
      .where('slug', '=', slug)
      .executeTakeFirstOrThrow();
    expect(project.ack_target_hours).toBe(48);
    const members = await ctx.t.db.selectFrom('memberships').selectAll().where('project_id', '=', project.id).execute();
    expect(members.map((m) => [m.user_id, m.role])).toEqual([[admin.id, 'admin']]);
    const audit = await ctx.t.db
      .selectFrom('audit_log')
      .select('action')
      .where('project_id', '=', project.id)
      .execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['member.added', 'project.created']);
  });

  it('creates a project without members when no admin is named', async () => {
    const slug = `bare-${unique()}`;
    expect((await as('instanceAdmin').post('/admin/projects', { name: 'Bare', slug })).statusCode).toBe(303);
    const project = await ctx.t.db
      .selectFrom('projects')
      .select('id')
      .where('slug', '=', slug)
      .executeTakeFirstOrThrow();
    expect(await ctx.t.db.selectFrom('memberships').selectAll().where('project_id', '=', project.id).execute()).toEqual(
      [],
    );
  });

  it.each([
    [{ name: 'X', slug: 'Not A Slug' }, 400, 'VALIDATION_FAILED'],
    [{ name: '', slug: 'ok-slug-1' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'X', slug: 'ok-slug-2', repositoryUrl: 'javascript:alert(1)' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'X', slug: 'ok-slug-3', securityContact: 'call us maybe' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'X', slug: 'ok-slug-4', ackTargetHours: '0' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'X', slug: 'ok-slug-5', ackTargetHours: 'soon' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'X', slug: 'ok-slug-6', initialAdminEmail: 'nobody@example.org' }, 400, 'VALIDATION_FAILED'],
  ])('refuses an invalid project %j and stores nothing', async (form, status, code) => {
    const before = await fingerprint();
    const res = await as('instanceAdmin').post('/admin/projects', form);
    expect(res.statusCode).toBe(status);
    expect(codeOf(res)).toBe(code);
    expect(res.body).toContain(`value="${form.slug}"`);
    expect(await fingerprint()).toBe(before);
  });

  it('refuses a slug already taken', async () => {
    const existing = await makeProject(ctx.t.db, ctx.clock);
    const before = await fingerprint();
    const res = await as('instanceAdmin').post('/admin/projects', { name: 'Copy', slug: existing.slug });
    expect(res.statusCode).toBe(409);
    expect(codeOf(res)).toBe('SLUG_TAKEN');
    expect(await fingerprint()).toBe(before);
  });
});

describe.each(engines())('simultaneous duplicates on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());
  const by = { actor: { kind: 'system', label: 'test' } as const, origin: noOrigin };

  /**
   * Runs `write` in a transaction left open while a second one runs it too, then commits the first:
   * the second passed its "already exists?" check before the first committed (on PostgreSQL), so it
   * meets the unique constraint. Resolves to the second one's error code, or 'ok'.
   */
  async function loser(write: (trx: Trx) => Promise<unknown>): Promise<string> {
    const first = await ctx.t.db.startTransaction().execute();
    await write(first);
    const second = ctx.t.db
      .transaction()
      .execute(write)
      .then(
        () => 'ok',
        (err: { code?: string }) => err.code ?? 'no code',
      );
    await new Promise((resolve) => setTimeout(resolve, 150));
    await first.commit().execute();
    return second;
  }

  it('answers the second of two simultaneous projects with the same slug SLUG_TAKEN', async () => {
    const slug = `race-${unique()}`;
    const input = { slug, name: 'Race' };
    expect(await loser((trx) => setUpProject(trx, ctx.clock, { by, input }))).toBe('SLUG_TAKEN');
    expect(await ctx.t.db.selectFrom('projects').select('id').where('slug', '=', slug).execute()).toHaveLength(1);
  });

  it('answers the second of two simultaneous accounts with the same email EMAIL_TAKEN', async () => {
    const email = `race-${unique()}@example.org`;
    expect(await loser((trx) => inviteUser(trx, ctx.deps, { by, email, name: 'Race', isInstanceAdmin: false }))).toBe(
      'EMAIL_TAKEN',
    );
    expect(await ctx.t.db.selectFrom('users').select('id').where('email', '=', email).execute()).toHaveLength(1);
  });

  it('creates one of two projects posted at once with the same slug, and answers the other 409, never 500', async () => {
    const admin = await makeUser(ctx.t.db, ctx.clock, { isInstanceAdmin: true });
    const browser = new Browser(ctx.app);
    await login(browser, admin.email);
    const csrf = csrfFrom((await browser.get('/admin/projects')).body);
    for (let round = 0; round < 5; round++) {
      const slug = `both-${unique()}`;
      const results = await Promise.all(
        [1, 2].map(() => browser.post('/admin/projects', { _csrf: csrf, name: 'Both', slug })),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([303, 409]);
      expect(results.map(codeOf).filter(Boolean)).toEqual(['SLUG_TAKEN']);
    }
  });
});

describe.each(engines())('the last instance admin on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  it('cannot be demoted or disabled, until another admin can sign in', async () => {
    const me = await makeUser(ctx.t.db, ctx.clock, { isInstanceAdmin: true });
    const browser = new Browser(ctx.app);
    await login(browser, me.email);
    const csrf = csrfFrom((await browser.get('/admin/users')).body);

    // An invited admin who has not set a password cannot take over: it does not count.
    const invited = await browser.post('/admin/users', {
      _csrf: csrf,
      email: 'second@example.org',
      name: 'Second',
      isInstanceAdmin: '1',
    });
    expect(invited.statusCode).toBe(200);
    for (const [path, form] of [
      ['instance-admin', { grant: '0' }],
      ['disable', {}],
    ] as const) {
      const res = await browser.post(`/admin/users/${me.id}/${path}`, { _csrf: csrf, ...form });
      expect(res.statusCode).toBe(409);
      expect(codeOf(res)).toBe('LAST_ADMIN');
    }
    const row = await ctx.t.db.selectFrom('users').selectAll().where('id', '=', me.id).executeTakeFirstOrThrow();
    expect([row.is_instance_admin, row.disabled]).toEqual([1, 0]);

    await makeUser(ctx.t.db, ctx.clock, { isInstanceAdmin: true });
    const res = await browser.post(`/admin/users/${me.id}/instance-admin`, { _csrf: csrf, grant: '0' });
    expect(res.statusCode).toBe(303);
    expect((await browser.get('/admin')).statusCode).toBe(403);
  });

  it('serialises two instance admins demoting each other, so one of them stays admin', async () => {
    // Demote everyone first, so these two are the only admins who can sign in.
    await ctx.t.db.updateTable('users').set({ is_instance_admin: 0 }).execute();
    const a = await makeUser(ctx.t.db, ctx.clock, { isInstanceAdmin: true });
    const b = await makeUser(ctx.t.db, ctx.clock, { isInstanceAdmin: true });
    const by = { actor: { kind: 'system', label: 'test' } as const, origin: noOrigin };
    const demote = (trx: Trx, userId: string) =>
      setInstanceAdmin(trx, ctx.deps, { by, userId, isInstanceAdmin: false });
    // The first demotion is done but not committed while the second one runs: the second must wait
    // for it (the admin rows' locks) and then see that no other admin is left.
    const first = await ctx.t.db.startTransaction().execute();
    await demote(first, a.id);
    const outcome = ctx.t.db
      .transaction()
      .execute((trx) => demote(trx, b.id))
      .then(
        () => 'demoted',
        (err: { code?: string }) => err.code,
      );
    await new Promise((resolve) => setTimeout(resolve, 150));
    await first.commit().execute();
    expect(await outcome).toBe('LAST_ADMIN');
    const admins = await ctx.t.db.selectFrom('users').select('id').where('is_instance_admin', '=', 1).execute();
    expect(admins.map((r) => r.id)).toEqual([b.id]);
  });
});
