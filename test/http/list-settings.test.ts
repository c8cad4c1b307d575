import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iso } from '../../src/clock.js';
import { requestSubscription } from '../../src/domain/announcements/lists.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { makeList } from '../support/disclosure.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

// The mailing list settings pages, driven as a project admin would: add a list, see who subscribed,
// unsubscribe an address, remove the list.

describe.each(engines())('the mailing list settings pages on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let other: Project;
  let admin: User;
  let browsers: Record<'admin' | 'member' | 'outsider' | 'otherAdmin', Browser>;
  let listId = '';

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    const { db } = ctx.deps;
    project = await makeProject(db, ctx.clock, { name: 'Widget' });
    other = await makeProject(db, ctx.clock, { name: 'Other' });
    admin = await makeUser(db, ctx.clock, { project, role: 'admin' });
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
  });
  afterAll(() => ctx.close());

  const base = () => `/p/${project.slug}/settings/lists`;
  const page = () => `${base()}/${listId}`;
  const audits = async () =>
    (
      await ctx.deps.db
        .selectFrom('audit_log')
        .select(['action', 'actor_user_id', 'subject_id', 'detail'])
        .where('project_id', '=', project.id)
        .where('action', 'like', 'list.%')
        .orderBy('at')
        .execute()
    ).map((a) => ({ action: a.action, by: a.actor_user_id, subject: a.subject_id, detail: a.detail }));
  const counts = async () => ({
    lists: (await ctx.deps.db.selectFrom('mailing_lists').select('id').execute()).length,
    subscriptions: (
      await ctx.deps.db.selectFrom('list_subscriptions').select(['id', 'status']).orderBy('id').execute()
    ).map((s) => `${s.id}:${s.status}`),
    audit: (await audits()).length,
  });
  const subscriptionOf = (email: string) =>
    ctx.deps.db.selectFrom('list_subscriptions').selectAll().where('email', '=', email).executeTakeFirstOrThrow();

  it('lets an admin add a list, see its subscriptions and unsubscribe an address, audited', async () => {
    const empty = await browsers.admin.get(base());
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('No mailing list yet');
    expect(empty.body).toContain(`href="/p/${project.slug}/lists"`);

    const added = await browsers.admin.submit(base(), base(), {
      name: 'security-announce',
      description: 'Every security announcement',
      'kinds.fix_forthcoming': '1',
      'kinds.release': '1',
    });
    expect(added.statusCode).toBe(303);
    const row = await ctx.deps.db
      .selectFrom('mailing_lists')
      .selectAll()
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    listId = row.id;
    expect(row).toMatchObject({ name: 'security-announce', description: 'Every security announcement' });
    expect(JSON.parse(row.kinds)).toEqual(['fix_forthcoming', 'release']);
    expect(added.headers.location).toBe(`${page()}?added=1`);
    const fresh = await browsers.admin.get(added.headers.location as string);
    expect(fresh.body).toContain('List added.');
    expect(fresh.body).toContain('No subscription yet.');

    // One subscriber asks (pending until they follow their link), two confirmed ones.
    await ctx.deps.db.transaction().execute((trx) =>
      requestSubscription(trx, ctx.deps, {
        project,
        listIds: [listId],
        email: 'pending@users.example',
        ip: '192.0.2.1',
      }),
    );
    const at = iso(ctx.clock.now());
    for (const email of ['alice@users.example', 'bob@users.example']) {
      await ctx.deps.db
        .insertInto('list_subscriptions')
        .values({
          id: crypto.randomUUID(),
          list_id: listId,
          project_id: project.id,
          email,
          status: 'confirmed',
          confirm_token_hash: null,
          confirm_expires_at: null,
          created_at: at,
          confirmed_at: at,
          unsubscribed_at: null,
        })
        .execute();
    }

    const lists = await browsers.admin.get(base());
    expect(lists.body).toContain(`data-list="${listId}"`);
    expect(lists.body).toContain('Every security announcement');
    expect(lists.body).toContain('Fix forthcoming, Security release');
    expect(lists.body).toContain('data-subscribers="2"');

    const bob = await subscriptionOf('bob@users.example');
    const detail = await browsers.admin.get(page());
    expect(detail.body).toContain('alice@users.example');
    expect(detail.body).toMatch(
      /data-status="pending"[^>]*>\s*<td>pending@users.example<\/td><td>waiting for confirmation/,
    );
    expect(detail.body).toContain(`${page()}/subscriptions/${bob.id}/remove`);
    expect(detail.body).not.toContain('data-cut');

    ctx.clock.advance(60_000);
    const gone = await browsers.admin.submit(page(), `${page()}/subscriptions/${bob.id}/remove`, {});
    expect(gone.statusCode).toBe(303);
    expect(gone.headers.location).toBe(`${page()}?unsubscribed=1`);
    expect(await subscriptionOf('bob@users.example')).toMatchObject({
      status: 'unsubscribed',
      unsubscribed_at: iso(ctx.clock.now()),
    });
    const after = await browsers.admin.get(gone.headers.location as string);
    expect(after.body).toContain('The address is unsubscribed');
    expect(after.body).toContain('data-subscribers="1"');
    expect(after.body).not.toContain(`${page()}/subscriptions/${bob.id}/remove`);

    expect(await audits()).toEqual([
      {
        action: 'list.added',
        by: admin.id,
        subject: listId,
        detail: JSON.stringify({ name: 'security-announce', kinds: ['fix_forthcoming', 'release'] }),
      },
      {
        action: 'list.unsubscribed',
        by: admin.id,
        subject: listId,
        detail: JSON.stringify({ subscriptionId: bob.id }),
      },
    ]);
  });

  it('shows at most 1000 subscriptions and says so when the list holds more', async () => {
    const big = await makeList(ctx, project, { name: 'announce', kinds: ['release'] });
    const at = iso(ctx.clock.now());
    const rows = Array.from({ length: 1001 }, (_, i) => ({
      id: crypto.randomUUID(),
      list_id: big.id,
      project_id: project.id,
      email: `reader-${String(i).padStart(4, '0')}@users.example`,
      status: 'confirmed',
      confirm_token_hash: null,
      confirm_expires_at: null,
      created_at: at,
      confirmed_at: at,
      unsubscribed_at: null,
    }));
    for (let i = 0; i < rows.length; i += 100) {
      await ctx.deps.db
        .insertInto('list_subscriptions')
        .values(rows.slice(i, i + 100))
        .execute();
    }
    const res = await browsers.admin.get(`${base()}/${big.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-cut');
    expect(res.body).toContain('more than 1000 subscriptions');
    expect(res.body.match(/data-subscription="/g)).toHaveLength(1000);
    expect(res.body).toContain('reader-0999@users.example');
    expect(res.body).not.toContain('reader-1000@users.example');
    expect(res.body).toContain('data-subscribers="1001"');
  });

  it('refuses bad input with the error and a 4xx, keeping what was typed and storing nothing', async () => {
    const before = await counts();
    const refusals: [Record<string, string>, number, string, string][] = [
      [{ name: 'Security Announce!', description: '', 'kinds.release': '1' }, 400, 'VALIDATION_FAILED', 'name'],
      [{ name: 'fresh-list', description: 'No kinds chosen' }, 400, 'VALIDATION_FAILED', 'kinds'],
      [
        { name: 'fresh-list', description: 'x'.repeat(501), 'kinds.update': '1' },
        400,
        'VALIDATION_FAILED',
        'description',
      ],
      [{ name: 'security-announce', description: '', 'kinds.release': '1' }, 409, 'CONFLICT', 'name'],
    ];
    for (const [form, status, code, name] of refusals) {
      const res = await browsers.admin.submit(base(), base(), form);
      expect(res.statusCode, name).toBe(status);
      expect(res.body).toContain(`data-code="${code}"`);
      expect(res.body).toMatch(new RegExp(`name="${name}"[^>]*aria-invalid="true"|aria-invalid="true"><legend>`));
      expect(res.body).toContain(`value="${form.name}"`);
    }
    const unticked = await browsers.admin.submit(base(), base(), {
      name: 'fresh-list',
      description: 'No kinds chosen',
    });
    expect(unticked.body).toContain('<fieldset aria-invalid="true">');
    expect(unticked.body).not.toMatch(/name="kinds\.[a-z_]+" value="1" checked/);
    expect(await counts()).toEqual(before);
  });

  it('refuses a security member, an outsider and another project’s admin (403), changing nothing', async () => {
    const before = await counts();
    const alice = await subscriptionOf('alice@users.example');
    for (const who of ['member', 'outsider', 'otherAdmin'] as const) {
      for (const url of [base(), page()]) {
        const res = await browsers[who].get(url);
        expect(res.statusCode, `${who} ${url}`).toBe(403);
        expect(errorCode(res)).toBe('FORBIDDEN');
        expect(res.body).not.toContain('alice@users.example');
      }
      const csrf = csrfFrom((await browsers[who].get('/projects')).body);
      for (const url of [base(), `${page()}/remove`, `${page()}/subscriptions/${alice.id}/remove`]) {
        const res = await browsers[who].post(url, { _csrf: csrf, name: 'theirs', 'kinds.release': '1' });
        expect(res.statusCode, `${who} ${url}`).toBe(403);
      }
    }
    const anonymous = await new Browser(ctx.app).get(base());
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/login\?next=/);
    expect(await counts()).toEqual(before);
    // Another project's list, or its subscription reached through one of ours, is not found here.
    const theirs = await makeList(ctx, other, { name: 'theirs', subscribers: ['carol@users.example'] });
    const carol = await subscriptionOf('carol@users.example');
    expect((await browsers.admin.get(`${base()}/${theirs.id}`)).statusCode).toBe(404);
    const csrf = csrfFrom((await browsers.admin.get(base())).body);
    expect((await browsers.admin.post(`${base()}/${theirs.id}/remove`, { _csrf: csrf })).statusCode).toBe(404);
    const sideways = await browsers.admin.post(`${page()}/subscriptions/${carol.id}/remove`, { _csrf: csrf });
    expect(sideways.statusCode).toBe(404);
    expect((await subscriptionOf('carol@users.example')).status).toBe('confirmed');
    expect(
      await ctx.deps.db.selectFrom('mailing_lists').select('id').where('id', '=', theirs.id).execute(),
    ).toHaveLength(1);
  });

  it('removes a list with its subscriptions, audited', async () => {
    ctx.clock.advance(60_000);
    const res = await browsers.admin.submit(page(), `${page()}/remove`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${base()}?removed=1`);
    expect(await ctx.deps.db.selectFrom('mailing_lists').select('id').where('id', '=', listId).execute()).toHaveLength(
      0,
    );
    expect(
      await ctx.deps.db.selectFrom('list_subscriptions').select('id').where('list_id', '=', listId).execute(),
    ).toHaveLength(0);
    const after = await browsers.admin.get(res.headers.location as string);
    expect(after.body).toContain('The list is removed');
    expect(after.body).not.toContain(`data-list="${listId}"`);
    expect((await browsers.admin.get(page())).statusCode).toBe(404);
    expect((await audits()).at(-1)).toEqual({
      action: 'list.removed',
      by: admin.id,
      subject: listId,
      detail: JSON.stringify({ name: 'security-announce' }),
    });
  });
});
