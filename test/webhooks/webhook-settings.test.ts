import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/domain/projects/projects.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

describe.each(engines())('the webhook settings page on %s', (engine) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let project: Project;
  let admin: User;
  let member: User;
  let adminBrowser: Browser;
  let memberBrowser: Browser;
  let page: string;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { env: { EMBARGO_WEBHOOK_ALLOW_PRIVATE: '1' } });
    app = ctx.app;
    project = await makeProject(ctx.deps.db, ctx.clock);
    admin = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin' });
    member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    adminBrowser = new Browser(app);
    memberBrowser = new Browser(app);
    await login(adminBrowser, admin.email);
    await login(memberBrowser, member.email);
    page = `/p/${project.slug}/settings/webhooks`;
  });
  afterAll(async () => {
    await ctx.close();
  });

  const auditActions = async () =>
    (
      await ctx.deps.db
        .selectFrom('audit_log')
        .select(['action', 'subject_id', 'detail'])
        .where('project_id', '=', project.id)
        .where('action', 'like', 'project.webhook%')
        .orderBy('at')
        .execute()
    ).map((r) => ({ action: r.action, subject: r.subject_id, detail: r.detail }));

  it('lets an admin add a webhook, shows its secret once, ping it and remove it, all audited', async () => {
    const empty = await adminBrowser.get(page);
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('No webhook yet.');

    const added = await adminBrowser.submit(page, page, { url: 'http://127.0.0.1:9/receiver/t0ken' });
    expect(added.statusCode).toBe(200);
    expect(added.headers['cache-control']).toBe('no-store');
    const secret = /data-webhook-secret[^>]*>([0-9a-f]{64})</.exec(added.body)?.[1];
    expect(secret).toBeDefined();
    const row = await ctx.deps.db
      .selectFrom('webhooks')
      .selectAll()
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    expect(row.url).toBe('http://127.0.0.1:9/receiver/t0ken');
    expect(row.created_by).toBe(admin.id);
    expect(row.secret_sealed).not.toContain(secret);

    // Shown once: the next view lists the webhook without its secret.
    const again = await adminBrowser.get(page);
    expect(again.body).toContain('http://127.0.0.1:9/receiver/t0ken');
    expect(again.body).not.toContain(secret);
    expect(again.body).not.toContain('data-webhook-secret');

    const pinged = await adminBrowser.submit(page, `${page}/${row.id}/test`, {});
    expect(pinged.statusCode).toBe(303);
    expect(pinged.headers.location).toBe(`${page}?pinged=1`);
    const ping = await ctx.deps.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook_id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(ping).toMatchObject({ event: 'ping', status: 'pending' });
    const listed = await adminBrowser.get(`${page}?pinged=1`);
    expect(listed.body).toContain('data-pinged');
    expect(listed.body).toContain(`data-delivery="${ping.id}"`);

    const removed = await adminBrowser.submit(page, `${page}/${row.id}/remove`, {});
    expect(removed.statusCode).toBe(303);
    expect(await ctx.deps.db.selectFrom('webhooks').select('id').where('id', '=', row.id).execute()).toHaveLength(0);
    // Removing it again: there is nothing to remove.
    expect((await adminBrowser.submit(page, `${page}/${row.id}/remove`, {})).statusCode).toBe(404);

    const origin = JSON.stringify({ origin: 'http://127.0.0.1:9' });
    expect(await auditActions()).toEqual([
      { action: 'project.webhook_added', subject: row.id, detail: origin },
      { action: 'project.webhook_pinged', subject: row.id, detail: JSON.stringify({ deliveryId: ping.id }) },
      { action: 'project.webhook_removed', subject: row.id, detail: origin },
    ]);
    // The audit keeps where, not the path (it may hold the receiver's own token).
    expect(JSON.stringify(await auditActions())).not.toContain('t0ken');
  });

  it('shows a refused URL beside the form and stores nothing', async () => {
    const before = await ctx.deps.db.selectFrom('webhooks').select('id').execute();
    const res = await adminBrowser.submit(page, page, { url: 'ftp://203.0.113.7/hook' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('data-code="VALIDATION_FAILED"');
    expect(res.body).toContain('aria-invalid="true"');
    expect(res.body).toContain('value="ftp://203.0.113.7/hook"');
    expect(await ctx.deps.db.selectFrom('webhooks').select('id').execute()).toHaveLength(before.length);
  });

  it('refuses a security member (403) on every route', async () => {
    const res = await memberBrowser.get(page);
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('FORBIDDEN');
    const added = await adminBrowser.submit(page, page, { url: 'http://127.0.0.1:9/kept' });
    const id = /data-webhook-created="([^"]+)"/.exec(added.body)?.[1] ?? '';
    // The member's CSRF token comes from a page they may see.
    for (const action of [page, `${page}/${id}/test`, `${page}/${id}/remove`]) {
      const refused = await memberBrowser.submit('/projects', action, { url: 'http://127.0.0.1:9/theirs' });
      expect(refused.statusCode, action).toBe(403);
    }
    const hooks = await ctx.deps.db.selectFrom('webhooks').select('url').where('project_id', '=', project.id).execute();
    expect(hooks.map((h) => h.url)).toEqual(['http://127.0.0.1:9/kept']);
    expect(
      await ctx.deps.db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', id).execute(),
    ).toHaveLength(0);
  });
});
