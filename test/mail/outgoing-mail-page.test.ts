import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/domain/projects/projects.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { csrfFrom, makeProject, makeUser } from '../support/factories.js';
import { queue, signedIn, updateEnvelope } from './support.js';

const STATUS_TOKEN = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg';

describe.each(engines())('outgoing mail pages on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let other: Project;
  let admin: User; // instance admin, not a member of `project`
  let adminMember: User; // instance admin and member of `project`
  let member: User; // member of `project`, not an instance admin
  let outsider: User; // member of another project only
  let projectMail: string;
  let instanceMail: string;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    const { db } = ctx.deps;
    project = await makeProject(db, ctx.clock, { name: 'Widget' });
    other = await makeProject(db, ctx.clock, { name: 'Gadget' });
    admin = await makeUser(db, ctx.clock, { isInstanceAdmin: true });
    adminMember = await makeUser(db, ctx.clock, { isInstanceAdmin: true, project });
    member = await makeUser(db, ctx.clock, { project });
    outsider = await makeUser(db, ctx.clock, { project: other });
    projectMail = await queue(ctx, updateEnvelope(project.id));
    ctx.clock.advance(60_000);
    instanceMail = await queue(ctx, {
      to: 'new.member@example.org',
      projectId: null,
      reportId: null,
      email: {
        template: 'account-setup',
        name: 'New Member',
        setupUrl: 'http://localhost:8080/setup/SeTuPtOkEn0123456789abcdefghijkl',
        expiresAt: '2026-03-05T09:00:00.000Z',
      },
    });
  });
  afterAll(() => ctx.close());

  const audits = (action: string) =>
    ctx.deps.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('at').execute();
  const statusOf = async (id: string) =>
    (await ctx.deps.db.selectFrom('outbound_emails').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;

  it('asks the anonymous to sign in and refuses everyone but instance admins on /admin/mail', async () => {
    for (const url of ['/admin/mail', `/admin/mail/${projectMail}`]) {
      const anon = await ctx.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect([302, 303, 401]).toContain(anon.statusCode);
      expect(anon.body).not.toContain('Report R-7KQ2-9XHD');
      for (const user of [member, outsider]) {
        const res = await (await signedIn(ctx, user)).get(url);
        expect(res.statusCode).toBe(403);
        expect(res.body).not.toContain('Report R-7KQ2-9XHD');
      }
    }
  });

  it('lists every email with its headers for an instance admin who is a member, and says SMTP is not configured', async () => {
    const res = await (await signedIn(ctx, adminMember)).get('/admin/mail');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('EMBARGO_SMTP_URL is not set: messages are kept here, not sent');
    expect(res.body).toContain('[Widget] Report R-7KQ2-9XHD: acknowledged');
    expect(res.body).toContain('reporter@example.net');
    expect(res.body).toContain('[Embargo] Set up your account on localhost:8080');
    // Headers only: no body text on the list.
    expect(res.body).not.toContain('reproduced');
    // Newest first.
    expect(res.body.indexOf(`/admin/mail/${instanceMail}`)).toBeLessThan(
      res.body.indexOf(`/admin/mail/${projectMail}`),
    );
  });

  it("shows an instance admin who is not a member neither a project email's recipient nor its subject", async () => {
    const list = await (await signedIn(ctx, admin)).get('/admin/mail');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`/admin/mail/${projectMail}`);
    expect(list.body).toContain('reporter-update');
    expect(list.body).toContain('reporter or team member)');
    expect(list.body).not.toContain('reporter@example.net');
    expect(list.body).not.toContain('R-7KQ2-9XHD');
    // Instance mail is theirs to read.
    expect(list.body).toContain('[Embargo] Set up your account on localhost:8080');
    expect(list.body).toContain('new.member@example.org');
  });

  it("hides an address quoted in a project email's last error from an instance admin who is not a member", async () => {
    // Its own project, so the other tests' lists of project mail stay as they are.
    const third = await makeProject(ctx.deps.db, ctx.clock, { name: 'Sprocket' });
    const thirdAdmin = await makeUser(ctx.deps.db, ctx.clock, { isInstanceAdmin: true, project: third });
    const bounced = await queue(ctx, updateEnvelope(third.id, { to: 'quoted@example.net' }));
    await ctx.deps.db
      .updateTable('outbound_emails')
      .set({ last_error: '550 5.1.1 <quoted@example.net>: Recipient address rejected' })
      .where('id', '=', bounced)
      .execute();
    for (const url of ['/admin/mail', `/admin/mail/${bounced}`]) {
      const res = await (await signedIn(ctx, admin)).get(url);
      expect(res.body).toContain('Recipient address rejected');
      expect(res.body).not.toContain('quoted@example.net');
      const member = await (await signedIn(ctx, thirdAdmin)).get(url);
      expect(member.body).toContain('quoted@example.net');
    }
  });

  it('hides a project email body from an instance admin who is not a member, without auditing a view', async () => {
    const before = (await audits('mail.body.viewed')).length;
    const res = await (await signedIn(ctx, admin)).get(`/admin/mail/${projectMail}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('reporter-update');
    expect(res.body).not.toContain('R-7KQ2-9XHD');
    expect(res.body).not.toContain('reporter@example.net');
    expect(res.body).toContain('only members of Widget can read it');
    expect(res.body).not.toContain('reproduced');
    expect(res.body).not.toContain(STATUS_TOKEN);
    expect(await audits('mail.body.viewed')).toHaveLength(before);
  });

  it('shows a project email body to an admin who is a member, with the status token hidden, and audits it', async () => {
    const res = await (await signedIn(ctx, adminMember)).get(`/admin/mail/${projectMail}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Thanks! We **reproduced** it. &lt;script>alert(1)');
    expect(res.body).not.toContain('<script>alert');
    expect(res.body).toContain('/status/[hidden]');
    expect(res.body).not.toContain(STATUS_TOKEN);
    const entry = (await audits('mail.body.viewed')).find((a) => a.subject_id === projectMail);
    expect(entry).toMatchObject({ actor_user_id: adminMember.id, project_id: project.id });
    expect(entry?.detail).not.toContain('reproduced');
  });

  it('shows instance mail bodies to instance admins, setup tokens hidden, and audits the view', async () => {
    const res = await (await signedIn(ctx, admin)).get(`/admin/mail/${instanceMail}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('new.member@example.org');
    expect(res.body).toContain('/setup/[hidden]');
    expect(res.body).not.toContain('SeTuPtOkEn0123456789abcdefghijkl');
    const entry = (await audits('mail.body.viewed')).find((a) => a.subject_id === instanceMail);
    expect(entry).toMatchObject({ actor_user_id: admin.id, project_id: null });
  });

  it("shows a project's mail with bodies to its members only, and audits the view", async () => {
    const url = `/p/${project.slug}/mail`;
    const anon = await ctx.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
    expect([302, 303, 401]).toContain(anon.statusCode);
    for (const user of [outsider, admin]) {
      const res = await (await signedIn(ctx, user)).get(url);
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('R-7KQ2-9XHD');
    }
    const res = await (await signedIn(ctx, member)).get(url);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('[Widget] Report R-7KQ2-9XHD: acknowledged');
    expect(res.body).toContain('Thanks! We **reproduced** it.');
    expect(res.body).not.toContain(STATUS_TOKEN);
    expect(res.body).not.toContain('Set up your account'); // instance mail is not project mail
    const entry = (await audits('mail.body.viewed')).find((a) => a.actor_user_id === member.id);
    expect(entry).toMatchObject({ project_id: project.id, subject_type: 'project_mail' });
    expect(JSON.parse(entry?.detail ?? '{}')).toEqual({ emailIds: [projectMail] });
  });

  it('retries a failed email only for an instance admin with a CSRF token', async () => {
    const failed = await queue(ctx, updateEnvelope(project.id, { to: 'bounce@example.net' }));
    await ctx.deps.db.updateTable('outbound_emails').set({ status: 'failed' }).where('id', '=', failed).execute();
    const jobsBefore = (await ctx.deps.db.selectFrom('jobs').select('id').execute()).length;

    const browser = await signedIn(ctx, admin);
    const detail = await browser.get(`/admin/mail/${failed}`);
    expect(detail.body).toContain('Retry sending');

    const noToken = await browser.post(`/admin/mail/${failed}/retry`, {});
    expect(noToken.statusCode).toBe(403);
    expect(noToken.body).toContain('CSRF_TOKEN_INVALID');
    expect(await statusOf(failed)).toBe('failed');

    // A member who is not an instance admin holds a valid token for their own session, and is refused.
    const memberBrowser = await signedIn(ctx, member);
    const token = csrfFrom((await memberBrowser.get(`/p/${project.slug}/mail`)).body);
    const forbidden = await memberBrowser.post(`/admin/mail/${failed}/retry`, { _csrf: token });
    expect(forbidden.statusCode).toBe(403);
    expect(await statusOf(failed)).toBe('failed');

    const ok = await browser.submit(`/admin/mail/${failed}`, `/admin/mail/${failed}/retry`, {});
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/admin/mail/${failed}`);
    expect(await statusOf(failed)).toBe('queued');
    expect((await ctx.deps.db.selectFrom('jobs').select('id').execute()).length).toBe(jobsBefore + 1);
    expect((await audits('mail.retried')).map((a) => a.subject_id)).toEqual([failed]);

    const again = await browser.submit('/admin/mail', `/admin/mail/${failed}/retry`, {});
    expect(again.statusCode).toBe(409);
  });

  it('answers 404 for an unknown email', async () => {
    const res = await (await signedIn(ctx, admin)).get('/admin/mail/00000000-0000-0000-0000-000000000000');
    expect(res.statusCode).toBe(404);
  });
});
