import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { recordAudit } from '../../src/domain/audit/audit.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import type { Report } from '../../src/domain/reports/reports.js';
import * as triage from '../../src/domain/reports/triage.service.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import type { Actor } from '../../src/policies/actor.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, makeProject, makeUser } from '../support/factories.js';
import { makeReport } from '../support/report-factory.js';

type Role = 'anonymous' | 'outsider' | 'security' | 'admin';
const ROLES: Role[] = ['anonymous', 'outsider', 'security', 'admin'];

/** Each action form, and how to bring a fresh report to a state that allows it. */
const ACTIONS: { name: string; form: Record<string, string>; prepare?: 'needs_info' | 'closed' }[] = [
  { name: 'acknowledge', form: { message: 'Thanks.' } },
  { name: 'request-info', form: { message: 'Which version?' } },
  { name: 'resume', form: {}, prepare: 'needs_info' },
  { name: 'accept', form: {} },
  { name: 'close', form: { reason: 'informative' } },
  { name: 'reopen', form: { reason: 'New evidence.' }, prepare: 'closed' },
  { name: 'message', form: { message: 'Hello.' } },
  { name: 'note', form: { body: 'Looks real.' } },
];

describe.each(engines())('team pages and their access on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let report: Report;
  let attachmentId: string;
  const browsers = new Map<Role, Browser>();
  const system: Actor = { kind: 'system', label: 'test' };

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock);
    const elsewhere = await makeProject(ctx.deps.db, ctx.clock);
    ({ report } = await makeReport(ctx, project, {
      attachments: [
        { filename: 'poc.html', contentType: 'text/html', content: Buffer.from('<script>alert(1)</script>') },
      ],
    }));
    const file = await ctx.deps.db
      .selectFrom('attachments')
      .select('id')
      .where('report_id', '=', report.id)
      .executeTakeFirstOrThrow();
    attachmentId = file.id;
    const users = {
      outsider: await makeUser(ctx.deps.db, ctx.clock, { project: elsewhere, role: 'admin' }),
      security: await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' }),
      admin: await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin' }),
    };
    browsers.set('anonymous', new Browser(ctx.app));
    for (const [role, user] of Object.entries(users)) {
      const token = await ctx.deps.db
        .transaction()
        .execute((trx) => createSession(trx, ctx.clock, { userId: user.id, days: 30, origin: noOrigin }));
      const browser = new Browser(ctx.app);
      browser.jar.embargo_session = token;
      browsers.set(role as Role, browser);
    }
    // One accepted report, so there is a case #1 to look at.
    const { report: accepted } = await makeReport(ctx, project);
    await ctx.deps.db
      .transaction()
      .execute((trx) =>
        triage.accept(trx, ctx.deps, { actor: system, origin: noOrigin, projectId: project.id, reportId: accepted.id }),
      );
  });
  afterAll(() => ctx.close());

  const browser = (role: Role) => browsers.get(role) as Browser;
  const viewsOf = async (id: string) =>
    (
      await ctx.deps.db
        .selectFrom('audit_log')
        .select('id')
        .where('subject_id', '=', id)
        .where('action', '=', 'report.viewed')
        .execute()
    ).length;

  /** A CSRF token valid for this browser: from any page it can see. */
  async function csrfOf(role: Role): Promise<string> {
    return csrfFrom((await browser(role).get(role === 'anonymous' ? '/login' : '/projects')).body);
  }

  const pages = () => ({
    inbox: `/p/${project.slug}/inbox`,
    report: `/p/${project.slug}/reports/${report.id}`,
    case: `/p/${project.slug}/cases/1`,
    audit: `/p/${project.slug}/audit`,
  });
  const expected: Record<Role, Record<string, number>> = {
    anonymous: { inbox: 303, report: 303, case: 303, audit: 303 },
    outsider: { inbox: 404, report: 404, case: 404, audit: 404 },
    security: { inbox: 200, report: 200, case: 200, audit: 403 },
    admin: { inbox: 200, report: 200, case: 200, audit: 200 },
  };

  for (const role of ROLES) {
    for (const page of ['inbox', 'report', 'case', 'audit']) {
      it(`GET ${page} as ${role} -> ${expected[role][page]}`, async () => {
        const url = pages()[page as keyof ReturnType<typeof pages>];
        const views = await viewsOf(report.id);
        const res = await browser(role).get(url);
        expect(res.statusCode).toBe(expected[role][page]);
        if (role === 'anonymous') expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
        // Every successful view of the report's content is audited, and only those.
        expect(await viewsOf(report.id)).toBe(views + (page === 'report' && res.statusCode === 200 ? 1 : 0));
      });
    }

    it(`downloads an attachment as ${role}`, async () => {
      const url = `/p/${project.slug}/reports/${report.id}/attachments/${attachmentId}`;
      const res = await browser(role).get(url);
      if (role === 'anonymous') {
        expect(res.statusCode).toBe(303);
        return;
      }
      if (role === 'outsider') {
        expect(res.statusCode).toBe(404);
        expect(res.body).not.toContain('alert(1)');
        return;
      }
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('<script>alert(1)</script>');
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.headers['content-disposition']).toMatch(/^attachment;/);
      expect(res.headers['content-disposition']).toContain('poc.html');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe('sandbox');
      const audited = await ctx.deps.db
        .selectFrom('audit_log')
        .select('detail')
        .where('subject_id', '=', report.id)
        .where('action', '=', 'report.attachment_downloaded')
        .execute();
      expect(audited.map((a) => a.detail).join()).toContain(attachmentId);
    });

    for (const action of ACTIONS) {
      const allowed = role === 'security' || role === 'admin';
      it(`POST ${action.name} as ${role} -> ${allowed ? 303 : role === 'anonymous' ? 'login' : 404}`, async () => {
        const { report: fresh } = await makeReport(ctx, project);
        const t = { actor: system, origin: noOrigin, projectId: project.id, reportId: fresh.id };
        if (action.prepare === 'needs_info') {
          await ctx.deps.db
            .transaction()
            .execute((trx) => triage.requestInfo(trx, ctx.deps, { ...t, message: 'Which?' }));
        }
        if (action.prepare === 'closed') {
          await ctx.deps.db
            .transaction()
            .execute((trx) => triage.close(trx, ctx.deps, { ...t, reason: 'informative' }));
        }
        const entriesBefore = await ctx.deps.db
          .selectFrom('report_entries')
          .select('id')
          .where('report_id', '=', fresh.id)
          .execute();
        const url = `/p/${project.slug}/reports/${fresh.id}/${action.name}`;
        const res = await browser(role).post(url, { _csrf: await csrfOf(role), ...action.form });
        const entriesAfter = await ctx.deps.db
          .selectFrom('report_entries')
          .select('id')
          .where('report_id', '=', fresh.id)
          .execute();
        if (allowed) {
          expect(res.statusCode).toBe(303);
          expect(res.headers.location).toBe(`/p/${project.slug}/reports/${fresh.id}`);
          expect(entriesAfter.length).toBeGreaterThan(entriesBefore.length);
        } else {
          expect(res.statusCode).toBe(role === 'anonymous' ? 303 : 404);
          if (role === 'anonymous') expect(res.headers.location).toMatch(/^\/login/);
          expect(entriesAfter).toHaveLength(entriesBefore.length);
        }
      });
    }
  }

  it('shows a member the inbox with tabs, counts and a running clock', async () => {
    const res = await browser('security').get(`/p/${project.slug}/inbox?status=all`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(report.trackingId);
    expect(res.body).toMatch(/<span data-due="[^"]+Z" class="due"[^>]*>due in 2\d h/);
    expect(res.body).toMatch(/Accepted \(\d+\)/);
    expect(res.body).not.toContain('/audit"');
    expect((await browser('admin').get(`/p/${project.slug}/inbox`)).body).toContain(`/p/${project.slug}/audit`);
    expect((await browser('security').get(`/p/${project.slug}/inbox?status=bogus`)).statusCode).toBe(400);
  });

  it('refuses a form without its CSRF token', async () => {
    const res = await browser('admin').post(`/p/${project.slug}/reports/${report.id}/note`, { body: 'x' });
    expect(res.statusCode).toBe(403);
  });

  it('pages the audit log newest first without losing entries written in the same instant', async () => {
    const own = await makeProject(ctx.deps.db, ctx.clock);
    const admin = await makeUser(ctx.deps.db, ctx.clock, { project: own, role: 'admin' });
    const token = await ctx.deps.db
      .transaction()
      .execute((trx) => createSession(trx, ctx.clock, { userId: admin.id, days: 30, origin: noOrigin }));
    const b = new Browser(ctx.app);
    b.jar.embargo_session = token;
    // 150 entries at one and the same clock time.
    await ctx.deps.db.transaction().execute(async (trx) => {
      for (let n = 0; n < 150; n++) {
        await recordAudit(trx, ctx.clock, {
          actor: system,
          origin: { ip: '203.0.113.9', userAgent: null },
          projectId: own.id,
          action: 'test.tick',
          subjectType: 'project',
          subjectId: own.id,
          detail: { n },
        });
      }
    });
    const first = await b.get(`/p/${own.slug}/audit`);
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('203.0.113.9');
    const older = /href="(\/p\/[^"]+\/audit\?before=[^"]+)"/.exec(first.body)?.[1]?.replaceAll('&amp;', '&');
    expect(older).toBeDefined();
    const second = await b.get(older as string);
    expect(second.statusCode).toBe(200);
    const seen = [first.body, second.body].flatMap((html) => [...html.matchAll(/n: (\d+)/g)].map((m) => Number(m[1])));
    expect(seen).toHaveLength(150);
    expect(new Set(seen).size).toBe(150);
    expect((await b.get(`/p/${own.slug}/audit?before=garbage`)).statusCode).toBe(400);
  });
});
