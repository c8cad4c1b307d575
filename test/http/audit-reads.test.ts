import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, login, makeProject, makeUser } from '../support/factories.js';
import { makeReport } from '../support/report-factory.js';

// Reads of embargoed content are audited, including the inbox (it shows titles); reporters'
// addresses are not kept in the audit log, team members' are.
describe.each(engines())('audit of reads on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  const rows = (projectId: string) =>
    ctx.deps.db.selectFrom('audit_log').selectAll().where('project_id', '=', projectId).orderBy('at').execute();

  it('records every inbox view with the tracking ids it showed', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    const { report: first } = await makeReport(ctx, project, { title: 'First' });
    const { report: second } = await makeReport(ctx, project, { title: 'Second' });
    const browser = new Browser(ctx.app);
    await login(browser, member.email);

    const res = await browser.get(`/p/${project.slug}/inbox`);
    expect(res.statusCode).toBe(200);
    const listed = (await rows(project.id)).filter((r) => r.action === 'report.list_viewed');
    expect(listed).toHaveLength(1);
    expect(listed[0]?.actor_user_id).toBe(member.id);
    const detail = JSON.parse(listed[0]?.detail ?? '{}');
    expect(detail).toEqual({
      filter: 'open',
      count: 2,
      trackingIds: expect.arrayContaining([first.trackingId, second.trackingId]),
    });
    expect(listed[0]?.detail).not.toContain('First');

    await browser.get(`/p/${project.slug}/inbox?status=closed`);
    const again = (await rows(project.id)).filter((r) => r.action === 'report.list_viewed');
    expect(again).toHaveLength(2);
    expect(JSON.parse(again[1]?.detail ?? '{}')).toEqual({ filter: 'closed', count: 0, trackingIds: [] });
  });

  it('keeps team members’ addresses but not reporters’', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin' });
    const { report } = await makeReport(ctx, project, { origin: { ip: '192.0.2.77', userAgent: 'reporter-agent' } });
    const browser = new Browser(ctx.app);
    await login(browser, member.email);
    expect((await browser.get(`/p/${project.slug}/reports/${report.id}`)).statusCode).toBe(200);

    const all = await rows(project.id);
    const submitted = all.find((r) => r.action === 'report.submitted');
    expect(submitted).toMatchObject({ actor_kind: 'reporter', ip: null, user_agent: null });
    const viewed = all.find((r) => r.action === 'report.viewed');
    expect(viewed?.actor_user_id).toBe(member.id);
    expect(viewed?.ip).toBe('127.0.0.1');
    const page = await browser.get(`/p/${project.slug}/audit`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('192.0.2.77');
  });
});
