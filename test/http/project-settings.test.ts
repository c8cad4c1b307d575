import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import { addMemberByEmail, setMemberRole } from '../../src/domain/projects/members.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { DEFAULT_ACK_TEMPLATE } from '../../src/domain/reports/ack-template.js';
import type { User } from '../../src/domain/users/users.js';
import { createUser } from '../../src/domain/users/users.service.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';

type Role = 'anonymous' | 'nonMember' | 'securityMember' | 'projectAdmin' | 'adminOfOther' | 'instanceAdmin';
const roles: Role[] = ['anonymous', 'nonMember', 'securityMember', 'projectAdmin', 'adminOfOther', 'instanceAdmin'];
const allowed = new Set<Role>(['projectAdmin', 'instanceAdmin']);
// Need-to-know: an instance admin who could add members could add themselves and read reports, so
// only the project's admins change members while the project has one (see 'a project without an admin').
const membersAllowed = new Set<Role>(['projectAdmin']);

const unique = () => randomUUID().slice(0, 8);
const codeOf = (res: LightMyRequestResponse) =>
  res.body.match(/data-code="([A-Z_]+)"/)?.[1] ?? res.body.match(/<code>([A-Z_]+)<\/code>/)?.[1];
const system = { actor: { kind: 'system', label: 'test' } as const, origin: noOrigin };

describe.each(engines())('project settings on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let other: Project;
  const users = {} as Record<Exclude<Role, 'anonymous'>, User>;
  const browsers = new Map<Role, { browser: Browser; csrf: string }>();

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    const { db } = ctx.t;
    project = await makeProject(db, ctx.clock);
    other = await makeProject(db, ctx.clock);
    users.nonMember = await makeUser(db, ctx.clock);
    users.securityMember = await makeUser(db, ctx.clock, { project, role: 'security' });
    users.projectAdmin = await makeUser(db, ctx.clock, { project, role: 'admin' });
    users.adminOfOther = await makeUser(db, ctx.clock, { project: other, role: 'admin' });
    users.instanceAdmin = await makeUser(db, ctx.clock, { isInstanceAdmin: true });
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

  const base = () => `/p/${project.slug}/settings`;
  const newBranch = (p: Project = project, name = `b-${unique()}`) =>
    ctx.t.db
      .transaction()
      .execute((trx) => addBranch(trx, ctx.clock, { by: system, projectId: p.id, name, endOfSupport: null }));
  const newMember = (role: 'admin' | 'security' = 'security', p: Project = project) =>
    makeUser(ctx.t.db, ctx.clock, { project: p, role });
  const projectRow = () =>
    ctx.t.db.selectFrom('projects').selectAll().where('id', '=', project.id).executeTakeFirstOrThrow();
  /** Everything a settings request could change; a refused one changes none of it. */
  const fingerprint = async () => {
    const { db } = ctx.t;
    const p = await projectRow();
    const branches = await db.selectFrom('release_branches').selectAll().orderBy('id').execute();
    const members = await db
      .selectFrom('memberships')
      .select(['project_id', 'user_id', 'role'])
      .orderBy('user_id')
      .execute();
    return JSON.stringify({ p: { ...p, updated_at: null }, branches, members });
  };

  const routes: {
    name: string;
    method: 'GET' | 'POST';
    call: (r: Role) => Promise<LightMyRequestResponse>;
    ok: number;
    allowed?: Set<Role>;
  }[] = [
    { name: 'GET settings', method: 'GET', call: (r) => as(r).get(base()), ok: 200 },
    {
      name: 'POST settings',
      method: 'POST',
      call: (r) =>
        as(r).post(base(), {
          name: `Renamed ${unique()}`,
          repositoryUrl: '',
          securityContact: '',
          ackTargetHours: '24',
          ackTemplate: '',
        }),
      ok: 303,
    },
    { name: 'GET branches', method: 'GET', call: (r) => as(r).get(`${base()}/branches`), ok: 200 },
    {
      name: 'POST branches',
      method: 'POST',
      call: (r) => as(r).post(`${base()}/branches`, { name: `${unique()}.x`, endOfSupport: '2027-06-30' }),
      ok: 303,
    },
    {
      name: 'POST branches/:id',
      method: 'POST',
      call: async (r) => as(r).post(`${base()}/branches/${(await newBranch()).id}`, { endOfSupport: '2028-01-31' }),
      ok: 303,
    },
    {
      name: 'POST branches/:id/remove',
      method: 'POST',
      call: async (r) => as(r).post(`${base()}/branches/${(await newBranch()).id}/remove`),
      ok: 303,
    },
    { name: 'GET members', method: 'GET', call: (r) => as(r).get(`${base()}/members`), ok: 200 },
    {
      name: 'POST members',
      method: 'POST',
      call: async (r) =>
        as(r).post(`${base()}/members`, { email: (await makeUser(ctx.t.db, ctx.clock)).email, role: 'security' }),
      ok: 303,
      allowed: membersAllowed,
    },
    {
      name: 'POST members/:userId/role',
      method: 'POST',
      call: async (r) => as(r).post(`${base()}/members/${(await newMember()).id}/role`, { role: 'admin' }),
      ok: 303,
      allowed: membersAllowed,
    },
    {
      name: 'POST members/:userId/remove',
      method: 'POST',
      call: async (r) => as(r).post(`${base()}/members/${(await newMember()).id}/remove`),
      ok: 303,
      allowed: membersAllowed,
    },
  ];
  const cells = routes.flatMap((route) => roles.map((role) => ({ route: route.name, role })));

  it.each(cells)('$route as $role', async ({ route: name, role }) => {
    const route = routes.find((r) => r.name === name);
    if (!route) throw new Error(name);
    const res = await route.call(role);
    if ((route.allowed ?? allowed).has(role)) {
      expect(res.statusCode).toBe(route.ok);
      return;
    }
    if (role === 'anonymous') {
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toMatch(route.method === 'GET' ? /^\/login\?next=%2Fp%2F/ : /^\/login$/);
    } else {
      expect(res.statusCode).toBe(403);
      expect(codeOf(res)).toBe('FORBIDDEN');
    }
  });

  it('changes nothing for those refused', async () => {
    const branch = await newBranch();
    const member = await newMember();
    const before = await fingerprint();
    for (const role of roles.filter((r) => !allowed.has(r))) {
      await as(role).post(base(), { name: 'Hijacked', ackTargetHours: '1', ackTemplate: 'x' });
      await as(role).post(`${base()}/branches`, { name: 'evil', endOfSupport: '' });
      await as(role).post(`${base()}/branches/${branch.id}`, { endOfSupport: '2030-01-01' });
      await as(role).post(`${base()}/branches/${branch.id}/remove`);
    }
    for (const role of roles.filter((r) => !membersAllowed.has(r))) {
      await as(role).post(`${base()}/members`, { email: users.nonMember.email, role: 'admin' });
      await as(role).post(`${base()}/members`, { email: users.instanceAdmin.email, role: 'admin' });
      await as(role).post(`${base()}/members/${member.id}/role`, { role: 'admin' });
      await as(role).post(`${base()}/members/${member.id}/remove`);
    }
    expect(await fingerprint()).toBe(before);
  });

  it('prefills the default acknowledgement template and stores only a changed one', async () => {
    const page = await as('projectAdmin').get(base());
    expect(page.body).toContain('{{project_name}} security team');
    const form = {
      name: project.name,
      repositoryUrl: '',
      securityContact: 'https://example.org/security',
      ackTargetHours: '72',
    };
    const custom = await as('projectAdmin').post(base(), { ...form, ackTemplate: 'Hi {{reporter_name}},\r\nthanks.' });
    expect(custom.statusCode).toBe(303);
    let row = await projectRow();
    expect(row.ack_template).toBe('Hi {{reporter_name}},\nthanks.');
    expect(row.ack_target_hours).toBe(72);
    expect(row.security_contact).toBe('https://example.org/security');
    expect((await as('projectAdmin').get(base())).body).toContain('thanks.');

    await as('projectAdmin').post(base(), { ...form, ackTemplate: DEFAULT_ACK_TEMPLATE.replace(/\n/g, '\r\n') });
    row = await projectRow();
    expect(row.ack_template).toBeNull();
    const audit = await ctx.t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('project_id', '=', project.id)
      .where('action', '=', 'project.updated')
      .execute();
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(audit.every((a) => a.subject_id === project.id)).toBe(true);
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ repositoryUrl: 'javascript:alert(1)' }, 'repositoryUrl'],
    [{ securityContact: 'not a contact' }, 'securityContact'],
    [{ ackTargetHours: '' }, 'ackTargetHours'],
    [{ ackTargetHours: '721' }, 'ackTargetHours'],
    [{ ackTargetHours: '1.5' }, 'ackTargetHours'],
    [{ ackTemplate: 'x'.repeat(20_001) }, 'ackTemplate'],
  ])('refuses settings %#, re-renders the form and stores nothing', async (override, fieldName) => {
    const before = await fingerprint();
    const form = {
      name: 'Fine',
      repositoryUrl: '',
      securityContact: '',
      ackTargetHours: '24',
      ackTemplate: '',
      ...override,
    };
    const res = await as('projectAdmin').post(base(), form);
    expect(res.statusCode).toBe(400);
    expect(codeOf(res)).toBe('VALIDATION_FAILED');
    expect(res.body).toMatch(
      new RegExp(`name="${fieldName}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*name="${fieldName}"`),
    );
    expect(await fingerprint()).toBe(before);
  });

  it('adds, re-dates and removes a release branch, each audited', async () => {
    const name = `${unique()}.x`;
    expect((await as('projectAdmin').post(`${base()}/branches`, { name, endOfSupport: '2027-12-31' })).statusCode).toBe(
      303,
    );
    const row = await ctx.t.db
      .selectFrom('release_branches')
      .selectAll()
      .where('project_id', '=', project.id)
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    expect(row.end_of_support).toBe('2027-12-31');
    expect((await as('projectAdmin').get(`${base()}/branches`)).body).toContain(name);

    await as('projectAdmin').post(`${base()}/branches/${row.id}`, { endOfSupport: '' });
    const cleared = await ctx.t.db
      .selectFrom('release_branches')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(cleared.end_of_support).toBeNull();

    await as('projectAdmin').post(`${base()}/branches/${row.id}/remove`);
    expect(await ctx.t.db.selectFrom('release_branches').selectAll().where('id', '=', row.id).execute()).toEqual([]);
    const audit = await ctx.t.db
      .selectFrom('audit_log')
      .select('action')
      .where('project_id', '=', project.id)
      .where('subject_id', '=', row.id)
      .orderBy('at')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['branch.added', 'branch.updated', 'branch.removed']);
  });

  it.each([
    [{ name: '', endOfSupport: '' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'x'.repeat(101), endOfSupport: '' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'line\nbreak', endOfSupport: '' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'ok-1', endOfSupport: '2026-02-30' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'ok-2', endOfSupport: '2026/01/01' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'ok-3', endOfSupport: 'next year' }, 400, 'VALIDATION_FAILED'],
  ])('refuses a branch %j and stores nothing', async (form, status, code) => {
    const before = await fingerprint();
    const res = await as('projectAdmin').post(`${base()}/branches`, form);
    expect(res.statusCode).toBe(status);
    expect(codeOf(res)).toBe(code);
    expect(await fingerprint()).toBe(before);
  });

  it('refuses a duplicate branch name in the project, but not in another project', async () => {
    const existing = await newBranch(project, `dup-${unique()}`);
    const before = await fingerprint();
    const res = await as('projectAdmin').post(`${base()}/branches`, { name: existing.name, endOfSupport: '' });
    expect(res.statusCode).toBe(409);
    expect(codeOf(res)).toBe('CONFLICT');
    expect(await fingerprint()).toBe(before);
    await newBranch(other, existing.name);
  });

  it("refuses a bad date edit, and another project's branch through this project's URL", async () => {
    const mine = await newBranch();
    const theirs = await newBranch(other);
    const before = await fingerprint();
    const bad = await as('projectAdmin').post(`${base()}/branches/${mine.id}`, { endOfSupport: '31.12.2027' });
    expect(bad.statusCode).toBe(400);
    expect(
      (await as('projectAdmin').post(`${base()}/branches/${theirs.id}`, { endOfSupport: '2030-01-01' })).statusCode,
    ).toBe(404);
    expect((await as('projectAdmin').post(`${base()}/branches/${theirs.id}/remove`)).statusCode).toBe(404);
    expect(await fingerprint()).toBe(before);
  });

  it('adds an existing user by email, changes the role and removes, each audited', async () => {
    const user = await makeUser(ctx.t.db, ctx.clock);
    const add = await as('projectAdmin').post(`${base()}/members`, {
      email: user.email.toUpperCase(),
      role: 'security',
    });
    expect(add.statusCode).toBe(303);
    const role = async () =>
      (
        await ctx.t.db
          .selectFrom('memberships')
          .select('role')
          .where('project_id', '=', project.id)
          .where('user_id', '=', user.id)
          .executeTakeFirst()
      )?.role;
    expect(await role()).toBe('security');
    await as('projectAdmin').post(`${base()}/members/${user.id}/role`, { role: 'admin' });
    expect(await role()).toBe('admin');
    await as('projectAdmin').post(`${base()}/members/${user.id}/remove`);
    expect(await role()).toBeUndefined();
    const audit = await ctx.t.db
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('project_id', '=', project.id)
      .where('subject_id', '=', user.id)
      .orderBy('at')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['member.added', 'member.role_changed', 'member.removed']);
  });

  it.each([
    [() => ({ email: 'nobody@example.org', role: 'security' }), 400, 'VALIDATION_FAILED'],
    [() => ({ email: users.nonMember.email, role: 'owner' }), 400, 'VALIDATION_FAILED'],
    [() => ({ email: users.securityMember.email, role: 'admin' }), 409, 'CONFLICT'],
  ])('refuses adding member %#, storing nothing', async (form, status, code) => {
    const before = await fingerprint();
    const res = await as('projectAdmin').post(`${base()}/members`, form());
    expect(res.statusCode).toBe(status);
    expect(codeOf(res)).toBe(code);
    expect(await fingerprint()).toBe(before);
  });

  it('refuses an account still waiting for its password, whose setup link someone else may hold', async () => {
    const pending = await ctx.t.db
      .transaction()
      .execute((trx) => createUser(trx, ctx.clock, { email: `pending-${Date.now()}@example.org`, name: 'Pending' }));
    const before = await fingerprint();
    const res = await as('projectAdmin').post(`${base()}/members`, { email: pending.email, role: 'security' });
    expect(res.statusCode).toBe(400);
    expect(codeOf(res)).toBe('VALIDATION_FAILED');
    expect(res.body).toContain('has not set its password yet');
    expect(await fingerprint()).toBe(before);
  });

  it("answers another project's member through this project's URL with NOT_FOUND", async () => {
    const before = await fingerprint();
    const res = await as('projectAdmin').post(`${base()}/members/${users.adminOfOther.id}/remove`);
    expect(res.statusCode).toBe(404);
    expect(await fingerprint()).toBe(before);
  });

  it('shows an instance admin the members without the forms to change them', async () => {
    const page = await as('instanceAdmin').get(`${base()}/members`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`data-member="${users.projectAdmin.email}"`);
    expect(page.body).toContain('data-members-readonly');
    expect(page.body).not.toContain(`action="${base()}/members`);
    const admin = await as('projectAdmin').get(`${base()}/members`);
    expect(admin.body).not.toContain('data-members-readonly');
    expect(admin.body).toContain(`action="${base()}/members"`);
  });
});

describe.each(engines())('a project without an admin on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  async function signedIn(user: User) {
    const browser = new Browser(ctx.app);
    await login(browser, user.email);
    const csrf = csrfFrom((await browser.get('/projects')).body);
    return {
      get: (url: string) => browser.get(url),
      post: (url: string, form = {}) => browser.post(url, { _csrf: csrf, ...form }),
    };
  }
  const membersOf = async (p: Project) =>
    (await ctx.t.db.selectFrom('memberships').select(['user_id', 'role']).where('project_id', '=', p.id).execute())
      .map((m) => `${m.user_id}:${m.role}`)
      .sort();

  it('lets an instance admin choose its first admin, audited, and then no longer', async () => {
    const project = await makeProject(ctx.t.db, ctx.clock);
    const security = await makeUser(ctx.t.db, ctx.clock, { project, role: 'security' });
    const chosen = await makeUser(ctx.t.db, ctx.clock);
    const instanceAdmin = await signedIn(await makeUser(ctx.t.db, ctx.clock, { isInstanceAdmin: true }));
    const base = `/p/${project.slug}/settings/members`;

    const page = await instanceAdmin.get(base);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`action="${base}"`);
    expect(page.body).not.toContain('data-members-readonly');
    expect((await instanceAdmin.post(base, { email: chosen.email, role: 'admin' })).statusCode).toBe(303);
    const audit = await ctx.t.db
      .selectFrom('audit_log')
      .select(['action', 'actor_user_id'])
      .where('project_id', '=', project.id)
      .where('subject_id', '=', chosen.id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.action).toBe('member.added');
    expect(audit[0]?.actor_user_id).not.toBeNull();

    // The project has an admin now: its members are theirs to choose.
    const before = await membersOf(project);
    const refused = await instanceAdmin.post(`${base}/${security.id}/role`, { role: 'admin' });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('FORBIDDEN');
    expect(
      (await instanceAdmin.post(base, { email: (await makeUser(ctx.t.db, ctx.clock)).email, role: 'admin' }))
        .statusCode,
    ).toBe(403);
    expect((await instanceAdmin.post(`${base}/${chosen.id}/remove`)).statusCode).toBe(403);
    expect(await membersOf(project)).toEqual(before);
    expect((await instanceAdmin.get(base)).body).toContain('data-members-readonly');
  });

  it('counts a disabled admin as an admin, so disabling one opens no way in', async () => {
    const project = await makeProject(ctx.t.db, ctx.clock);
    const admin = await makeUser(ctx.t.db, ctx.clock, { project, role: 'admin' });
    await ctx.t.db.updateTable('users').set({ disabled: 1 }).where('id', '=', admin.id).execute();
    const me = await makeUser(ctx.t.db, ctx.clock, { isInstanceAdmin: true });
    const instanceAdmin = await signedIn(me);
    const before = await membersOf(project);
    const res = await instanceAdmin.post(`/p/${project.slug}/settings/members`, { email: me.email, role: 'admin' });
    expect(res.statusCode).toBe(403);
    expect(await membersOf(project)).toEqual(before);
  });
});

describe.each(engines())('simultaneous duplicates in a project on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

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

  it('answers the second of two simultaneous branches with the same name CONFLICT', async () => {
    const project = await makeProject(ctx.t.db, ctx.clock);
    const name = `race-${unique()}`;
    const add = (trx: Trx) =>
      addBranch(trx, ctx.clock, { by: system, projectId: project.id, name, endOfSupport: null });
    expect(await loser(add)).toBe('CONFLICT');
    const rows = await ctx.t.db
      .selectFrom('release_branches')
      .select('id')
      .where('project_id', '=', project.id)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('answers the second of two simultaneous additions of the same member CONFLICT', async () => {
    const project = await makeProject(ctx.t.db, ctx.clock);
    const user = await makeUser(ctx.t.db, ctx.clock);
    const add = (trx: Trx) =>
      addMemberByEmail(trx, ctx.clock, { by: system, projectId: project.id, email: user.email, role: 'security' });
    expect(await loser(add)).toBe('CONFLICT');
    const rows = await ctx.t.db.selectFrom('memberships').select('role').where('project_id', '=', project.id).execute();
    expect(rows).toEqual([{ role: 'security' }]);
  });
});

describe.each(engines())('the last project admin on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  it('cannot be demoted or removed while no other admin exists', async () => {
    const project = await makeProject(ctx.t.db, ctx.clock);
    const me = await makeUser(ctx.t.db, ctx.clock, { project, role: 'admin' });
    await makeUser(ctx.t.db, ctx.clock, { project, role: 'security' });
    const browser = new Browser(ctx.app);
    await login(browser, me.email);
    const base = `/p/${project.slug}/settings/members`;
    const csrf = csrfFrom((await browser.get(base)).body);

    const demote = await browser.post(`${base}/${me.id}/role`, { _csrf: csrf, role: 'security' });
    expect(demote.statusCode).toBe(409);
    expect(demote.body).toContain('data-code="LAST_ADMIN"');
    const remove = await browser.post(`${base}/${me.id}/remove`, { _csrf: csrf });
    expect(remove.statusCode).toBe(409);
    const rows = await ctx.t.db.selectFrom('memberships').selectAll().where('project_id', '=', project.id).execute();
    expect(rows.find((r) => r.user_id === me.id)?.role).toBe('admin');

    // With a second admin, the first may step down, and then leaves the settings.
    const second = await makeUser(ctx.t.db, ctx.clock);
    expect((await browser.post(base, { _csrf: csrf, email: second.email, role: 'admin' })).statusCode).toBe(303);
    const stepDown = await browser.post(`${base}/${me.id}/role`, { _csrf: csrf, role: 'security' });
    expect(stepDown.statusCode).toBe(303);
    expect(stepDown.headers.location).toBe('/projects');
    expect((await browser.get(base)).statusCode).toBe(403);
  });

  it('serialises two admins demoting each other, so one of them stays admin', async () => {
    const project = await makeProject(ctx.t.db, ctx.clock);
    const a = await makeUser(ctx.t.db, ctx.clock, { project, role: 'admin' });
    const b = await makeUser(ctx.t.db, ctx.clock, { project, role: 'admin' });
    const demote = (trx: Trx, userId: string) =>
      setMemberRole(trx, ctx.clock, { by: system, projectId: project.id, userId, role: 'security' });
    // The first demotion is done but not committed while the second one runs: the second must wait
    // for it (the project row lock) and then see that no other admin is left.
    const first = await ctx.t.db.startTransaction().execute();
    await demote(first, a.id);
    const second = ctx.t.db.transaction().execute((trx) => demote(trx, b.id));
    const outcome = second.then(
      () => 'demoted',
      (err: { code?: string }) => err.code,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    await first.commit().execute();
    expect(await outcome).toBe('LAST_ADMIN');
    const admins = await ctx.t.db
      .selectFrom('memberships')
      .select('user_id')
      .where('project_id', '=', project.id)
      .where('role', '=', 'admin')
      .execute();
    expect(admins.map((r) => r.user_id)).toEqual([b.id]);
  });
});
