import { renderToString } from 'preact-render-to-string';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Case } from '../../src/domain/cases/cases.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import type { Actor } from '../../src/policies/actor.js';
import { AwayToggle } from '../../src/http/pages/availability.js';
import { CaseTeamSection, loadCaseTeamSection } from '../../src/http/pages/case-team.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

const system = { kind: 'system', label: 'test' } as const;

describe.each(engines())('the Fix Team over forms and the API on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let ada: User;
  let bea: User;
  let outsider: User;
  let browser: Browser;

  const caseRow = (id: string) =>
    ctx.deps.db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const teamIds = async (caseId: string) =>
    (await ctx.deps.db.selectFrom('case_team').select('user_id').where('case_id', '=', caseId).execute())
      .map((r) => r.user_id)
      .sort();
  const teamUrl = (c: Case) => `/p/${project.slug}/cases/${c.number}/team`;
  /** Posts a form the way the section's forms do, with a CSRF token from a page of the signed-in browser. */
  const send = (b: Browser, action: string, form: Record<string, string>) => b.submit('/projects', action, form);
  const sectionHtml = async (c: Case, actor = actorOf(ada, project)) =>
    renderToString(
      CaseTeamSection({
        projectSlug: project.slug,
        caseNumber: c.number,
        csrfToken: 'csrf-test',
        ...(await loadCaseTeamSection(ctx.deps.db, { actor, projectId: project.id, caseId: c.id })),
      }),
    );

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Team Project' });
    ada = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security', name: 'Ada Member' });
    bea = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', name: 'Bea Admin' });
    outsider = await makeUser(ctx.deps.db, ctx.clock, { name: 'Out Sider' });
    browser = new Browser(ctx.app);
    await login(browser, ada.email);
  });
  afterAll(() => ctx.close());

  it('renders a section that works without JavaScript: the proposal, the override, adding members', async () => {
    const theCase = await makeCase(ctx, project, system);
    const html = await sectionHtml(theCase);
    expect(html).toContain('id="team"');
    expect(html).toContain('Propose by round-robin: Ada Member');
    expect(html).toContain(`action="${teamUrl(theCase)}/lead"`);
    expect(html).toContain(`action="${teamUrl(theCase)}/members/add"`);
    expect(html).toContain('name="userId" value="proposed"');
    expect(html).toContain(`value="${bea.id}"`);
    expect(html.match(/name="_csrf" value="csrf-test"/g)?.length).toBe(3);
    // Someone who may read but not manage sees the team and no form.
    const reader: Actor = {
      kind: 'user',
      userId: outsider.id,
      email: outsider.email,
      name: outsider.name,
      isInstanceAdmin: false,
      roles: new Map(),
      caseGrants: new Map([[theCase.id, project.id]]),
    };
    const readOnly = await sectionHtml(theCase, reader);
    expect(readOnly).toContain('Fix Team');
    expect(readOnly).not.toContain('<form');
  });

  it('sets the proposed lead from the form, forms the team and comes back to #team', async () => {
    const theCase = await makeCase(ctx, project, system);
    const res = await send(browser, `${teamUrl(theCase)}/lead`, { userId: 'proposed' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/p/${project.slug}/cases/${theCase.number}#team`);
    const row = await caseRow(theCase.id);
    expect(row.state).toBe('fix_in_progress');
    expect([ada.id, bea.id]).toContain(row.fix_lead_id);
    const html = await sectionHtml(theCase);
    expect(html).toContain('data-lead=');
    expect(html).not.toContain('Propose by round-robin');
  });

  it('overrides the lead, adds and removes members, and refuses removing the lead with a way back', async () => {
    const theCase = await makeCase(ctx, project, system);
    const override = await send(browser, `${teamUrl(theCase)}/lead`, { userId: bea.id, reason: 'Owns the parser.' });
    expect(override.statusCode).toBe(303);
    expect((await caseRow(theCase.id)).fix_lead_id).toBe(bea.id);
    const history = await ctx.deps.db
      .selectFrom('case_history')
      .select('reason')
      .where('case_id', '=', theCase.id)
      .where('change', '=', 'fix.lead')
      .execute();
    expect(history).toEqual([{ reason: 'Owns the parser.' }]);

    expect((await send(browser, `${teamUrl(theCase)}/members/add`, { userId: ada.id })).statusCode).toBe(303);
    expect(await teamIds(theCase.id)).toEqual([ada.id, bea.id].sort());

    const refused = await send(browser, `${teamUrl(theCase)}/members/remove`, { userId: bea.id });
    expect(refused.statusCode).toBe(400);
    expect(errorCode(refused)).toBe('VALIDATION_FAILED');
    expect(refused.body).toContain('make someone else the lead first');
    expect(refused.body).toContain(`href="/p/${project.slug}/cases/${theCase.number}#team"`);

    expect((await send(browser, `${teamUrl(theCase)}/members/remove`, { userId: ada.id })).statusCode).toBe(303);
    expect(await teamIds(theCase.id)).toEqual([bea.id]);
  });

  it('refuses a lead from outside the project, and outsiders, the signed-out and forged forms', async () => {
    const theCase = await makeCase(ctx, project, system);
    const bad = await send(browser, `${teamUrl(theCase)}/lead`, { userId: outsider.id });
    expect(bad.statusCode).toBe(400);
    expect(errorCode(bad)).toBe('VALIDATION_FAILED');

    const stranger = new Browser(ctx.app);
    await login(stranger, outsider.email);
    expect((await send(stranger, `${teamUrl(theCase)}/lead`, { userId: 'proposed' })).statusCode).toBe(404);
    const anonymous = await new Browser(ctx.app).submit('/login', `${teamUrl(theCase)}/lead`, {
      userId: 'proposed',
    });
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/login/);
    const forged = await browser.post(`${teamUrl(theCase)}/lead`, { _csrf: 'forged', userId: 'proposed' });
    expect(forged.statusCode).toBe(403);
    expect(await caseRow(theCase.id)).toMatchObject({ state: 'triage', fix_lead_id: null });
  });

  it('lets an account mark itself away and back, and skips it in the proposal meanwhile', async () => {
    const own = await makeProject(ctx.deps.db, ctx.clock);
    const cal = await makeUser(ctx.deps.db, ctx.clock, { project: own, name: 'Cal' });
    await makeUser(ctx.deps.db, ctx.clock, { project: own, name: 'Dee' });
    const b = new Browser(ctx.app);
    await login(b, cal.email);
    const away = await send(b, '/account/away', { away: '1' });
    expect(away.statusCode).toBe(303);
    expect(away.headers.location).toBe('/projects');
    const stored = async () =>
      (await ctx.deps.db.selectFrom('users').select('away').where('id', '=', cal.id).executeTakeFirstOrThrow()).away;
    expect(await stored()).toBe(1);
    const theCase = await makeCase(ctx, own, system);
    const { team } = await loadCaseTeamSection(ctx.deps.db, {
      actor: actorOf(cal, own),
      projectId: own.id,
      caseId: theCase.id,
    });
    expect(team.proposed?.name).toBe('Dee');

    const back = await send(b, '/account/away', { away: '0', next: `/p/${own.slug}/inbox` });
    expect(back.headers.location).toBe(`/p/${own.slug}/inbox`);
    expect(await stored()).toBe(0);
    expect((await send(b, '/account/away', { away: '1', next: '//evil.example' })).headers.location).toBe('/projects');
    expect((await send(b, '/account/away', { away: 'yes' })).statusCode).toBe(400);
    const audited = await ctx.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_id', '=', cal.id)
      .where('action', 'in', ['user.away', 'user.back'])
      .orderBy('at')
      .execute();
    expect(audited.map((a) => a.action).sort()).toEqual(['user.away', 'user.away', 'user.back']);
    const signedOut = await new Browser(ctx.app).submit('/login', '/account/away', { away: '1' });
    expect(signedOut.headers.location).toMatch(/^\/login/);

    const toggle = renderToString(AwayToggle({ away: true, csrfToken: 't', next: '/projects' }));
    expect(toggle).toContain('action="/account/away"');
    expect(toggle).toContain('name="away" value="0"');
    expect(toggle).toContain("I'm back");
  });

  describe('the API', () => {
    let token: string;
    const call = (
      method: 'GET' | 'PUT' | 'POST' | 'DELETE',
      url: string,
      body?: unknown,
      bearer: string | null = token,
    ) =>
      ctx.app.inject({
        method,
        url,
        headers: {
          accept: 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    const tokenOf = async (user: User) =>
      (
        await ctx.deps.db.transaction().execute((trx) =>
          createApiToken(trx, ctx.deps, {
            actor: actorOfUser(user),
            origin: noOrigin,
            name: 'test',
            expiresInDays: 30,
          }),
        )
      ).token;
    const api = (c: Case) => `/api/v1/projects/${project.slug}/cases/${c.number}/team`;

    beforeAll(async () => {
      token = await tokenOf(ada);
    });

    it('reads the team (an audited read), sets the lead, adds and removes members', async () => {
      const theCase = await makeCase(ctx, project, system);
      const read = await call('GET', api(theCase));
      expect(read.statusCode).toBe(200);
      expect(read.json()).toMatchObject({ lead: null, members: [] });
      expect(read.json().proposed).not.toBeNull();
      const views = await ctx.deps.db
        .selectFrom('audit_log')
        .select('actor_label')
        .where('subject_id', '=', theCase.id)
        .where('action', '=', 'case.viewed')
        .execute();
      expect(views.map((v) => v.actor_label)).toContain(ada.email);

      const set = await call('PUT', `${api(theCase)}/lead`, { userId: 'proposed', reason: 'Round-robin.' });
      expect(set.statusCode).toBe(200);
      const leadId: string = set.json().lead.id;
      expect(set.json()).toMatchObject({ proposed: null, members: [{ id: leadId }] });
      expect((await caseRow(theCase.id)).state).toBe('fix_in_progress');

      const other = leadId === ada.id ? bea : ada;
      const added = await call('POST', `${api(theCase)}/members`, { userId: other.id });
      expect(added.statusCode).toBe(200);
      expect(added.json().changed).toBe(true);
      expect(
        added
          .json()
          .team.members.map((m: { id: string }) => m.id)
          .sort(),
      ).toEqual([ada.id, bea.id].sort());
      expect((await call('POST', `${api(theCase)}/members`, { userId: other.id })).json().changed).toBe(false);

      const refused = await call('DELETE', `${api(theCase)}/members/${leadId}`);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'userId' } });
      const removed = await call('DELETE', `${api(theCase)}/members/${other.id}`);
      expect(removed.json()).toMatchObject({ changed: true, team: { members: [{ id: leadId }] } });
    });

    it('refuses bad input, the signed-out and outsiders', async () => {
      const theCase = await makeCase(ctx, project, system);
      const stranger = await call('PUT', `${api(theCase)}/lead`, { userId: outsider.id });
      expect(stranger.statusCode).toBe(400);
      expect(stranger.json().error.details).toEqual({ field: 'userId' });
      expect((await call('PUT', `${api(theCase)}/lead`, { user: ada.id })).statusCode).toBe(400);
      const noToken = await call('GET', api(theCase), undefined, null);
      expect(noToken.statusCode).toBe(401);
      expect(errorCode(noToken)).toBe('AUTH_REQUIRED');
      const outsiderToken = await tokenOf(outsider);
      expect((await call('GET', api(theCase), undefined, outsiderToken)).statusCode).toBe(404);
      expect((await call('PUT', `${api(theCase)}/lead`, { userId: 'proposed' }, outsiderToken)).statusCode).toBe(404);
      expect((await call('GET', `/api/v1/projects/${project.slug}/cases/999999/team`)).statusCode).toBe(404);
      expect(await caseRow(theCase.id)).toMatchObject({ state: 'triage', fix_lead_id: null });
    });

    it('is described in the OpenAPI document, behind the API token', async () => {
      const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
      const path = doc.paths['/api/v1/projects/{slug}/cases/{number}/team/lead'];
      expect(path.put.tags).toEqual(['cases']);
      expect(path.put.security).toEqual([{ apiToken: [] }]);
      expect(doc.paths['/api/v1/projects/{slug}/cases/{number}/team'].get).toBeDefined();
      expect(doc.paths['/api/v1/projects/{slug}/cases/{number}/team/members/{userId}'].delete).toBeDefined();
    });
  });

  it('renders the page of a refusal with the code the tests and support read', async () => {
    const theCase = await makeCase(ctx, project, system);
    const res = await send(browser, `${teamUrl(theCase)}/members/add`, { userId: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('data-code="VALIDATION_FAILED"');
    expect(csrfFrom(res.body)).toBeTruthy();
  });
});
