import { renderToString } from 'preact-render-to-string';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { emptyAdvisoryText } from '../../src/domain/advisories/advisories.js';
import { saveAdvisoryDraft } from '../../src/domain/advisories/advisories.service.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { CaseAction } from '../../src/domain/cases/case-state.js';
import { transitionCase } from '../../src/domain/cases/case-transitions.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import { embargoBroken, proposeEmbargo } from '../../src/domain/cases/embargo.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { CaseEmbargoSection, loadCaseEmbargoSection } from '../../src/http/pages/case-embargo.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { Browser, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

const system = { kind: 'system', label: 'test' } as const;

describe.each(engines())('the embargo of a case on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let other: Project;
  let ada: User;
  let browser: Browser;
  let token: string;

  const tx = <T>(fn: (trx: Trx) => Promise<T>): Promise<T> => ctx.deps.db.transaction().execute(fn);
  const move = (c: Case, action: CaseAction, reason?: string) =>
    ctx.deps.db
      .transaction()
      .execute((trx) => transitionCase(trx, ctx.deps, { actor: system, origin: noOrigin, theCase: c, action, reason }));
  /** A new case of `p` moved on to fix_ready (or only to fix_in_progress). */
  const caseAt = async (p: Project, state: 'fix_in_progress' | 'fix_ready' | 'triage') => {
    const c = await makeCase(ctx, p, system);
    if (state !== 'triage') await move(c, 'start_fix');
    if (state === 'fix_ready') await move(c, 'fix_ready');
    // Activation needs the advisory's summary (distributors are sent the draft).
    await tx((trx) =>
      saveAdvisoryDraft(trx, ctx.deps, {
        actor: system,
        origin: noOrigin,
        theCase: c,
        text: { ...emptyAdvisoryText, summary: 'Heap overflow' },
      }),
    );
    return requireCase(ctx.deps.db, p.id, c.number);
  };
  const caseUrl = (c: Case) => `/p/${project.slug}/cases/${c.number}`;
  const send = (action: string, form: Record<string, string>) => browser.submit('/projects', action, form);
  const embargoRow = (c: Case) =>
    ctx.deps.db.selectFrom('embargoes').selectAll().where('case_id', '=', c.id).executeTakeFirst();
  const caseState = async (c: Case) =>
    (await ctx.deps.db.selectFrom('cases').select('state').where('id', '=', c.id).executeTakeFirstOrThrow()).state;
  const api = (method: 'GET' | 'PUT', c: Case, body?: unknown, bearer = token) =>
    ctx.app.inject({
      method,
      url: `/api/v1/projects/${project.slug}/cases/${c.number}/embargo`,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Embargo Project' });
    other = await makeProject(ctx.deps.db, ctx.clock, { name: 'Other Project' });
    ada = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security', name: 'Ada Member' });
    browser = new Browser(ctx.app);
    await login(browser, ada.email);
    token = (
      await ctx.deps.db
        .transaction()
        .execute((trx) =>
          createApiToken(trx, ctx.deps, { actor: actorOfUser(ada), origin: noOrigin, name: 'test', expiresInDays: 30 }),
        )
    ).token;
  });
  afterAll(() => ctx.close());

  it('proposes the default slot from the form, stores the timeline and the first plan as a revision', async () => {
    ctx.clock.set('2026-03-05T17:00:00Z'); // a Thursday after 16:00
    const c = await caseAt(project, 'fix_in_progress');
    const section = renderToString(
      CaseEmbargoSection({
        projectSlug: project.slug,
        caseNumber: c.number,
        csrfToken: 'csrf-test',
        ...(await loadCaseEmbargoSection(ctx.deps.db, ctx.deps, { actor: actorOf(ada, project), theCase: c })),
      }),
    );
    expect(section).toContain('id="embargo"');
    expect(section).toContain('2026-03-16 16:00 UTC');
    expect(section).toContain('datetime="2026-03-16T16:00:00.000Z" data-local-time');
    expect(section).toContain(`action="${caseUrl(c)}/embargo/propose"`);
    expect(section).toContain('value="2026-03-16T16:00"');

    const res = await send(`${caseUrl(c)}/embargo/propose`, { releaseAt: '2026-03-16T16:00' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${caseUrl(c)}#embargo`);
    expect(await embargoRow(c)).toMatchObject({
      state: 'proposed',
      release_at: '2026-03-16T16:00:00.000Z',
      distributor_notice_at: '2026-03-09T16:00:00.000Z',
      public_notice_at: '2026-03-13T16:00:00.000Z',
      prerelease_notice_at: '2026-03-15T16:00:00.000Z',
      retrospective_at: '2026-03-18T16:00:00.000Z',
    });
    const revisions = await ctx.deps.db
      .selectFrom('embargo_revisions')
      .selectAll()
      .where('case_id', '=', c.id)
      .execute();
    expect(revisions).toMatchObject([
      { previous_release_at: null, release_at: '2026-03-16T16:00:00.000Z', reason: null },
    ]);
    // Proposing twice is refused; so is a case still in triage.
    expect(errorCode(await send(`${caseUrl(c)}/embargo/propose`, { releaseAt: '2026-03-17T16:00' }))).toBe('CONFLICT');
    const early = await caseAt(project, 'triage');
    const refused = await send(`${caseUrl(early)}/embargo/propose`, { releaseAt: '2026-03-17T16:00' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(`href="${caseUrl(early)}#embargo"`);
    expect(await embargoRow(early)).toBeUndefined();
  });

  it('activates only a fix_ready case, moves it to scheduled and tells the reporter the release time', async () => {
    ctx.clock.set('2026-03-02T09:00:00Z');
    const c = await caseAt(project, 'fix_in_progress');
    await tx((trx) =>
      proposeEmbargo(trx, ctx.deps, { actor: system, origin: noOrigin, theCase: c, releaseAt: '2026-03-10T16:00' }),
    );
    const early = await send(`${caseUrl(c)}/embargo/activate`, {});
    expect(early.statusCode).toBe(409);
    expect(errorCode(early)).toBe('INVALID_TRANSITION');
    expect((await embargoRow(c))?.state).toBe('proposed');

    await move(c, 'fix_ready');
    const res = await send(`${caseUrl(c)}/embargo/activate`, {});
    expect(res.statusCode).toBe(303);
    expect((await embargoRow(c))?.state).toBe('active');
    expect(await caseState(c)).toBe('scheduled');
    const mail = await ctx.deps.db
      .selectFrom('outbound_emails')
      .innerJoin('reports', 'reports.id', 'outbound_emails.report_id')
      .select(['outbound_emails.text_body'])
      .where('reports.case_id', '=', c.id)
      .where('outbound_emails.template', '=', 'case-progress')
      .where('outbound_emails.text_body', 'like', '%scheduled for%')
      .execute();
    expect(mail).toHaveLength(1);
    expect(mail[0]?.text_body).toContain('2026-03-10 16:00 UTC');
  });

  it('revises with a reason, keeps the case scheduled, and refuses an embargo past the maximum', async () => {
    ctx.clock.set('2026-03-02T09:00:00Z');
    const c = await caseAt(project, 'fix_ready');
    expect((await api('PUT', c, { releaseAt: '2026-03-10T16:00:00Z', activate: true })).statusCode).toBe(200);
    // The distributors were told on 03-03 16:00; a week later the release moves.
    ctx.clock.set('2026-03-06T12:00:00Z');
    const noReason = await send(`${caseUrl(c)}/embargo/revise`, { releaseAt: '2026-03-12T16:00', reason: ' ' });
    expect(noReason.statusCode).toBe(400);
    expect(errorCode(noReason)).toBe('VALIDATION_FAILED');
    const ok = await send(`${caseUrl(c)}/embargo/revise`, {
      releaseAt: '2026-03-12T16:00',
      reason: 'A distributor needs two more days.',
    });
    expect(ok.statusCode).toBe(303);
    expect(await embargoRow(c)).toMatchObject({
      state: 'revised',
      release_at: '2026-03-12T16:00:00.000Z',
      distributor_notice_at: '2026-03-03T16:00:00.000Z',
      prerelease_notice_at: '2026-03-11T16:00:00.000Z',
    });
    expect(await caseState(c)).toBe('scheduled');
    const revised = await ctx.deps.db
      .selectFrom('embargo_revisions')
      .select(['previous_release_at', 'release_at', 'reason', 'actor_label'])
      .where('case_id', '=', c.id)
      .where('previous_release_at', 'is not', null)
      .execute();
    expect(revised).toEqual([
      {
        previous_release_at: '2026-03-10T16:00:00.000Z',
        release_at: '2026-03-12T16:00:00.000Z',
        reason: 'A distributor needs two more days.',
        actor_label: ada.email,
      },
    ]);
    // 14 days after the distributor notice is 03-17 16:00: one minute later is too long, on both surfaces.
    const tooLong = await send(`${caseUrl(c)}/embargo/revise`, { releaseAt: '2026-03-17T16:01', reason: 'More time.' });
    expect(tooLong.statusCode).toBe(422);
    expect(errorCode(tooLong)).toBe('EMBARGO_TOO_LONG');
    expect(tooLong.body).toContain('at most 14 days');
    const apiTooLong = await api('PUT', c, { releaseAt: '2026-03-20T16:00:00Z', reason: 'More time.' });
    expect(apiTooLong.statusCode).toBe(422);
    expect(apiTooLong.json().error.code).toBe('EMBARGO_TOO_LONG');
    expect((await embargoRow(c))?.release_at).toBe('2026-03-12T16:00:00.000Z');

    const view = await api('GET', c);
    expect(view.statusCode).toBe(200);
    expect(view.json().embargo).toMatchObject({ state: 'revised', releaseAt: '2026-03-12T16:00:00.000Z' });
    expect(view.json().embargo.revisions).toHaveLength(2);
    expect(view.json().policy.maxDays).toBe(14);
  });

  it('refuses a proposal whose distributor notice is too early, and is marked broken when the embargo breaks', async () => {
    ctx.clock.set('2026-03-02T09:00:00Z');
    const c = await caseAt(project, 'fix_in_progress');
    const res = await api('PUT', c, { releaseAt: '2026-03-20T16:00:00Z', distributorNoticeAt: '2026-03-02T10:00:00Z' });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'EMBARGO_TOO_LONG', details: { field: 'releaseAt', maxDays: 14 } });
    expect(await embargoRow(c)).toBeUndefined();

    const proposed = await api('PUT', c, {});
    expect(proposed.statusCode).toBe(200);
    expect(proposed.json().embargo).toMatchObject({ state: 'proposed', releaseAt: '2026-03-09T16:00:00.000Z' });
    const changed = await tx((trx) => embargoBroken(trx, ctx.deps, c.id));
    expect(changed).toBe(true);
    expect((await embargoRow(c))?.state).toBe('broken');
    expect(errorCode(await send(`${caseUrl(c)}/embargo/revise`, { releaseAt: '2026-03-10T16:00', reason: 'x' }))).toBe(
      'INVALID_TRANSITION',
    );
  });

  it('needs a member: outsiders get 404 on the page routes and the API, the signed-out go to sign in', async () => {
    const c = await caseAt(project, 'fix_in_progress');
    const outsider = await makeUser(ctx.deps.db, ctx.clock, { name: 'Out Sider' });
    const stranger = new Browser(ctx.app);
    await login(stranger, outsider.email);
    expect((await stranger.submit('/projects', `${caseUrl(c)}/embargo/propose`, { releaseAt: '' })).statusCode).toBe(
      404,
    );
    expect((await stranger.get(`/p/${project.slug}/embargoes`)).statusCode).toBe(404);
    const theirs = (
      await ctx.deps.db.transaction().execute((trx) =>
        createApiToken(trx, ctx.deps, {
          actor: actorOfUser(outsider),
          origin: noOrigin,
          name: 't',
          expiresInDays: 30,
        }),
      )
    ).token;
    expect((await api('GET', c, undefined, theirs)).statusCode).toBe(404);
    expect((await api('PUT', c, {}, theirs)).statusCode).toBe(404);
    expect(await embargoRow(c)).toBeUndefined();
    const anonymous = await new Browser(ctx.app).get(`/p/${project.slug}/embargoes`);
    expect(anonymous.statusCode).toBe(303);
    const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(doc.paths['/api/v1/projects/{slug}/cases/{number}/embargo']?.put?.security).toEqual([{ apiToken: [] }]);
  });

  it('lists the embargoes of the project only, by release, grouped by month, on a calendar that needs no script', async () => {
    ctx.clock.set('2026-03-20T09:00:00Z');
    const april = await caseAt(project, 'fix_ready');
    const march = await caseAt(project, 'fix_ready');
    const foreign = await caseAt(other, 'fix_ready');
    for (const [c, releaseAt] of [
      [april, '2026-04-02T16:00'],
      [march, '2026-03-30T16:00'],
      [foreign, '2026-03-31T16:00'],
    ] as const) {
      await tx((trx) => proposeEmbargo(trx, ctx.deps, { actor: system, origin: noOrigin, theCase: c, releaseAt }));
    }
    // The clock moved past the first sign-in's session: sign in again.
    const viewer = new Browser(ctx.app);
    await login(viewer, ada.email);
    const page = await viewer.get(`/p/${project.slug}/embargoes`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('src="/assets/local-time.js"');
    expect(page.body).toContain('<h2>April 2026</h2>');
    expect(page.body).toContain(`data-case="${april.number}"`);
    expect(page.body).not.toContain(`/p/${other.slug}/`);
    expect(page.body).not.toContain('2026-03-31 16:00 UTC');
    // By release: the March case comes before the April one, though opened later.
    expect(page.body.indexOf(`data-case="${march.number}"`)).toBeLessThan(
      page.body.indexOf(`data-case="${april.number}"`),
    );
    expect(page.body.indexOf('March 2026')).toBeLessThan(page.body.indexOf('April 2026'));
    expect(page.body).toContain('2026-03-30 16:00 UTC');
    const script = await ctx.app.inject({ method: 'GET', url: '/assets/local-time.js' });
    expect(script.statusCode).toBe(200);
    expect(script.body).toContain('data-local-time');
  });
});
