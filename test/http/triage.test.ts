import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/clock.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Project } from '../../src/domain/projects/projects.js';
import type { Report } from '../../src/domain/reports/reports.js';
import { accept } from '../../src/domain/reports/triage.service.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, makeProject, makeUser } from '../support/factories.js';
import { makeReport } from '../support/report-factory.js';

describe.each(engines())('triage through HTTP on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  async function signedIn(user: User): Promise<Browser> {
    const token = await ctx.deps.db
      .transaction()
      .execute((trx) => createSession(trx, ctx.clock, { userId: user.id, days: 30, origin: noOrigin }));
    const browser = new Browser(ctx.app);
    browser.jar.embargo_session = token;
    return browser;
  }

  /** A project of its own, a security member signed in, and a fresh report. */
  async function setup(reportOverrides: Parameters<typeof makeReport>[2] = {}) {
    const project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Parser Project' });
    const user = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security', name: 'Sam Security' });
    const browser = await signedIn(user);
    const { report, statusToken } = await makeReport(ctx, project, reportOverrides);
    return { project, user, browser, report, statusToken };
  }

  const pageOf = (project: Project, report: Pick<Report, 'id'>) => `/p/${project.slug}/reports/${report.id}`;

  function act(browser: Browser, project: Project, report: Report, action: string, form: Record<string, string>) {
    return browser.submit(pageOf(project, report), `${pageOf(project, report)}/${action}`, form);
  }

  const row = (id: string) =>
    ctx.deps.db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const entries = (id: string) =>
    ctx.deps.db
      .selectFrom('report_entries')
      .selectAll()
      .where('report_id', '=', id)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  const updates = (id: string) =>
    ctx.deps.db
      .selectFrom('outbound_emails')
      .selectAll()
      .where('report_id', '=', id)
      .where('template', '=', 'reporter-update')
      .orderBy('created_at')
      .execute();
  const audit = (id: string) =>
    ctx.deps.db.selectFrom('audit_log').selectAll().where('subject_id', '=', id).orderBy('at').execute();
  /** Everything an action may write, except the audited views of the page itself. */
  async function snapshot(id: string) {
    const r = await row(id);
    return {
      report: r,
      entries: await entries(id),
      emails: await updates(id),
      audit: (await audit(id)).filter((a) => a.action !== 'report.viewed'),
      cases: await ctx.deps.db.selectFrom('cases').selectAll().where('project_id', '=', r.project_id).execute(),
    };
  }

  it('acknowledges with the edited template message, stamps acknowledged_at and emails the reporter', async () => {
    const { project, browser, report } = await setup({ reporterName: 'Ada' });
    const page = await browser.get(pageOf(project, report));
    expect(page.statusCode).toBe(200);
    // The form starts from the default template, filled in for this report.
    expect(page.body).toContain(`We have received report ${report.trackingId}`);
    expect(page.body).toContain('Hello Ada,');

    ctx.clock.advance(3 * HOUR_MS);
    const message = 'Hello Ada, thanks: we reproduced it. Edited-by-Sam-4711.';
    const res = await act(browser, project, report, 'acknowledge', { message });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(pageOf(project, report));

    const after = await row(report.id);
    expect(after.status).toBe('acknowledged');
    expect(after.acknowledged_at).toBe(ctx.clock.now().toISOString());
    expect(after.last_activity_at).toBe(ctx.clock.now().toISOString());
    const status = (await entries(report.id)).find((e) => e.kind === 'status');
    expect(status).toMatchObject({
      kind: 'status',
      visibility: 'public',
      status_from: 'new',
      status_to: 'acknowledged',
    });
    expect(status?.body).toBe(message);
    const [email] = await updates(report.id);
    expect(email?.to_address).toBe('ada@example.net');
    expect(email?.text_body).toContain('Edited-by-Sam-4711');
    // The status token is not stored, so the update points at the generic page; it never holds a token.
    expect(email?.text_body).toContain('http://localhost:8080/status');
    expect(email?.text_body).not.toMatch(/\/status\/[A-Za-z0-9_-]{20,}/);
    expect((await audit(report.id)).map((a) => a.action)).toContain('report.acknowledged');

    const help = await browser.get('/status');
    expect(help.statusCode).toBe(200);
    expect(help.body).toContain('private link you received when you reported it');

    // A second acknowledgement is refused, and acknowledged_at keeps the first time.
    ctx.clock.advance(HOUR_MS);
    const again = await act(browser, project, report, 'request-info', { message: 'Which version?' });
    expect(again.statusCode).toBe(303);
    expect((await row(report.id)).acknowledged_at).toBe(after.acknowledged_at);
  });

  it('asks for more information, then resumes', async () => {
    const { project, browser, report } = await setup();
    const res = await act(browser, project, report, 'request-info', { message: 'Which **version** do you run?' });
    expect(res.statusCode).toBe(303);
    const r = await row(report.id);
    expect(r.status).toBe('needs_info');
    // Asking counts as the human acknowledgement the clock waits for.
    expect(r.acknowledged_at).not.toBeNull();
    expect((await updates(report.id)).map((e) => e.text_body).join()).toContain('Which **version** do you run?');
    expect((await audit(report.id)).map((a) => a.action)).toContain('report.info_requested');

    const page = await browser.get(pageOf(project, report));
    expect(page.body).toContain('form-resume');
    expect(page.body).not.toContain('form-acknowledge');

    const resumed = await act(browser, project, report, 'resume', { message: '' });
    expect(resumed.statusCode).toBe(303);
    expect((await row(report.id)).status).toBe('acknowledged');
  });

  it('re-renders a form with its error and the input when the message is missing, writing nothing', async () => {
    const { project, browser, report } = await setup();
    const before = await snapshot(report.id);
    const res = await act(browser, project, report, 'request-info', { message: '   ' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('data-code="VALIDATION_FAILED"');
    expect(res.body).toContain('form-request-info');
    expect(await snapshot(report.id)).toEqual(before);
  });

  it('accepts reports into cases numbered #1, #2 per project', async () => {
    const { project, browser, report } = await setup();
    const { report: second } = await makeReport(ctx, project, { title: 'Second bug' });

    expect((await act(browser, project, report, 'accept', { message: 'Confirmed.' })).statusCode).toBe(303);
    expect((await act(browser, project, second, 'accept', { message: '' })).statusCode).toBe(303);

    const cases = await ctx.deps.db
      .selectFrom('cases')
      .selectAll()
      .where('project_id', '=', project.id)
      .orderBy('number')
      .execute();
    expect(cases.map((c) => [c.number, c.title, c.state, c.embargoed])).toEqual([
      [1, 'Heap overflow in the parser', 'triage', 1],
      [2, 'Second bug', 'triage', 1],
    ]);
    expect((await row(report.id)).case_id).toBe(cases[0]?.id);
    expect((await row(second.id)).case_id).toBe(cases[1]?.id);
    expect((await row(report.id)).status).toBe('accepted');
    expect((await updates(report.id)).map((e) => e.text_body).join()).toContain('Confirmed.');

    const casePage = await browser.get(`/p/${project.slug}/cases/2`);
    expect(casePage.statusCode).toBe(200);
    expect(casePage.body).toContain('Second bug');
    expect(casePage.body).toContain(second.trackingId);
    expect(casePage.body).toContain('Embargoed');
    expect((await browser.get(`/p/${project.slug}/cases/3`)).statusCode).toBe(404);

    // Another project counts from 1.
    const other = await setup();
    expect((await act(other.browser, other.project, other.report, 'accept', {})).statusCode).toBe(303);
    const otherCase = await ctx.deps.db
      .selectFrom('cases')
      .select('number')
      .where('project_id', '=', other.project.id)
      .executeTakeFirstOrThrow();
    expect(otherCase.number).toBe(1);
  });

  it('numbers concurrent accepts of one project without a collision', async () => {
    const { project, user } = await setup();
    const reports = await Promise.all([1, 2, 3].map(() => makeReport(ctx, project)));
    const actor = {
      kind: 'user' as const,
      userId: user.id,
      email: user.email,
      name: user.name,
      isInstanceAdmin: false,
      roles: new Map([[project.id, 'security' as const]]),
    };
    const results = await Promise.all(
      reports.map(({ report }) =>
        ctx.deps.db
          .transaction()
          .execute((trx) =>
            accept(trx, ctx.deps, { actor, origin: noOrigin, projectId: project.id, reportId: report.id }),
          ),
      ),
    );
    expect(results.map((r) => r.case.number).sort()).toEqual([1, 2, 3]);
  });

  it('refuses a duplicate of another project, of itself, or of nothing, and changes nothing', async () => {
    const { project, browser, report } = await setup();
    const elsewhere = await setup();
    const before = await snapshot(report.id);
    for (const duplicateOf of [elsewhere.report.trackingId, report.trackingId, '', 'R-0000-0000']) {
      const res = await act(browser, project, report, 'close', { reason: 'duplicate', duplicateOf, message: '' });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('data-code="DUPLICATE_TARGET_INVALID"');
      expect(await snapshot(report.id)).toEqual(before);
    }

    const { report: original } = await makeReport(ctx, project);
    const ok = await act(browser, project, report, 'close', {
      reason: 'duplicate',
      duplicateOf: original.trackingId.toLowerCase(),
      message: 'Already reported.',
    });
    expect(ok.statusCode).toBe(303);
    const closed = await row(report.id);
    expect(closed).toMatchObject({ status: 'closed', close_reason: 'duplicate', duplicate_of_id: original.id });
    expect(closed.closed_at).toBe(ctx.clock.now().toISOString());
    const page = await browser.get(pageOf(project, report));
    expect(page.body).toContain(original.trackingId);
  });

  it('refuses transitions the state machine does not allow with 409, changing nothing', async () => {
    const { project, browser, report } = await setup();
    const refused = async (r: Report, action: string, form: Record<string, string>) => {
      const before = await snapshot(r.id);
      const res = await act(browser, project, r, action, form);
      expect(res.statusCode, `${action} from ${before.report.status}`).toBe(409);
      expect(res.body).toContain('data-code="INVALID_TRANSITION"');
      expect(await snapshot(r.id)).toEqual(before);
    };
    await refused(report, 'reopen', { reason: 'why not' });
    await refused(report, 'resume', {});

    expect((await act(browser, project, report, 'acknowledge', { message: 'Thanks.' })).statusCode).toBe(303);
    await refused(report, 'acknowledge', { message: 'Again.' });
    await refused(report, 'resume', {});

    expect((await act(browser, project, report, 'accept', {})).statusCode).toBe(303);
    await refused(report, 'close', { reason: 'informative' });
    await refused(report, 'accept', {});
    await refused(report, 'request-info', { message: 'More?' });

    // JSON clients get the code in the body.
    const page = await browser.get(pageOf(project, report));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const json = await ctx.app.inject({
      method: 'POST',
      url: `${pageOf(project, report)}/reopen`,
      headers: { cookie: `embargo_session=${browser.jar.embargo_session}`, accept: 'application/json' },
      payload: { _csrf: csrf, reason: 'x' },
    });
    expect(json.statusCode).toBe(409);
    expect(json.json().error.code).toBe('INVALID_TRANSITION');
  });

  it('reopens a closed report with a private reason', async () => {
    const { project, browser, report, statusToken } = await setup();
    await act(browser, project, report, 'close', { reason: 'not_vulnerability', message: 'Works as designed.' });
    ctx.clock.advance(60_000);
    const res = await act(browser, project, report, 'reopen', { reason: 'Private-Reopen-Reason-93 after review.' });
    expect(res.statusCode).toBe(303);
    const r = await row(report.id);
    expect(r).toMatchObject({ status: 'acknowledged', close_reason: null, closed_at: null, duplicate_of_id: null });
    const now = ctx.clock.now().toISOString();
    const written = (await entries(report.id)).filter((e) => e.created_at === now);
    expect(written.map((e) => [e.kind, e.visibility, e.status_to, e.body]).sort()).toEqual([
      ['note', 'internal', null, 'Private-Reopen-Reason-93 after review.'],
      ['status', 'public', 'acknowledged', null],
    ]);
    expect((await audit(report.id)).map((a) => a.action)).toContain('report.reopened');

    const team = await browser.get(pageOf(project, report));
    expect(team.body).toContain('Private-Reopen-Reason-93');
    const status = await ctx.app.inject({ method: 'GET', url: `/status/${statusToken}` });
    expect(status.statusCode).toBe(200);
    expect(status.body).not.toContain('Private-Reopen-Reason-93');
    for (const email of await updates(report.id)) expect(email.text_body).not.toContain('Private-Reopen-Reason-93');
  });

  it('keeps private notes from the reporter: not on the status page, never emailed', async () => {
    const { project, browser, report, statusToken } = await setup();
    const emailsBefore = await ctx.deps.db.selectFrom('outbound_emails').select('id').execute();
    const res = await act(browser, project, report, 'note', { body: 'Internal-Note-Canary-5521: looks real.' });
    expect(res.statusCode).toBe(303);
    const note = (await entries(report.id)).find((e) => e.kind === 'note');
    expect(note).toMatchObject({ kind: 'note', visibility: 'internal' });
    expect((await audit(report.id)).map((a) => a.action)).toContain('report.note_added');

    const team = await browser.get(pageOf(project, report));
    expect(team.body).toContain('Internal-Note-Canary-5521');
    expect(team.body).toContain('the reporter never sees this');

    const status = await ctx.app.inject({ method: 'GET', url: `/status/${statusToken}` });
    expect(status.statusCode).toBe(200);
    expect(status.body).not.toContain('Internal-Note-Canary-5521');
    const emailsAfter = await ctx.deps.db.selectFrom('outbound_emails').selectAll().execute();
    expect(emailsAfter).toHaveLength(emailsBefore.length);
    expect(JSON.stringify(emailsAfter)).not.toContain('Internal-Note-Canary-5521');
  });

  it('sends a message in any state, and sends nothing for a spam closure', async () => {
    const { project, browser, report, statusToken } = await setup();
    expect((await act(browser, project, report, 'close', { reason: 'spam', message: '' })).statusCode).toBe(303);
    expect((await row(report.id)).status).toBe('closed');
    expect(await updates(report.id)).toHaveLength(0);

    expect((await act(browser, project, report, 'message', { message: 'Public-Message-77' })).statusCode).toBe(303);
    const [email] = await updates(report.id);
    expect(email?.text_body).toContain('Public-Message-77');
    expect((await entries(report.id)).find((e) => e.kind === 'message')).toMatchObject({ visibility: 'public' });
    const status = await ctx.app.inject({ method: 'GET', url: `/status/${statusToken}` });
    expect(status.body).toContain('Public-Message-77');
    expect((await audit(report.id)).map((a) => a.action)).toContain('report.message_sent');
  });

  it('sends no email to a reporter who gave no address', async () => {
    const { project, browser, report } = await setup({ reporterEmail: null });
    expect((await act(browser, project, report, 'acknowledge', { message: 'Thanks.' })).statusCode).toBe(303);
    expect(await updates(report.id)).toHaveLength(0);
    expect((await row(report.id)).status).toBe('acknowledged');
  });
});
