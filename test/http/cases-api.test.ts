import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Case } from '../../src/domain/cases/cases.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { scoreCvss } from '../../src/domain/severity/cvss.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { Browser, cookieHeader, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A';
const V31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N';

describe.each(engines())('the case severity API on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let member: User;
  let token: string;
  let theCase: Case;
  let base: string;

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
  const call = (method: 'GET' | 'PATCH' | 'POST' | 'DELETE', url: string, body?: unknown, bearer = token) =>
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

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'API Project' });
    member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    token = await tokenOf(member);
    theCase = await makeCase(ctx, project, actorOf(member, project), 'Embargoed API title');
    base = `/api/v1/projects/${project.slug}/cases/${theCase.number}`;
  });
  afterAll(() => ctx.close());

  it('returns the case with an empty severity, audited as a read', async () => {
    const res = await call('GET', base);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ number: theCase.number, title: 'Embargoed API title', embargoed: true });
    expect(body.severity.effective.severity).toBe('none');
    expect(body.severity.cvss).toEqual({ v31: null, v40: null, imported: null });
    const reads = await ctx.deps.db
      .selectFrom('audit_log')
      .select(['actor_label'])
      .where('subject_id', '=', theCase.id)
      .where('action', '=', 'case.viewed')
      .execute();
    expect(reads.map((r) => r.actor_label)).toContain(member.email);
  });

  it('scores on the server: vectors in, every score, the effective severity and deadlines out', async () => {
    const res = await call('PATCH', `${base}/severity`, {
      reason: 'Triage call.',
      cvssV40: V40,
      cvssV31: V31,
      ssvc: {
        exploitation: 'active',
        automatable: 'yes',
        valueDensity: 'concentrated',
        technicalImpact: 'total',
        publicSafetyImpact: 'minimal',
      },
      exploitation: {
        exploitedInTheWild: true,
        source: 'Vendor',
        reportedOn: '2026-03-01',
        publicExploit: true,
        exposure: 'most',
      },
    });
    expect(res.statusCode).toBe(200);
    const { changed, severity } = res.json();
    expect(changed.sort()).toEqual(['cvssV31', 'cvssV40', 'exploitation', 'ssvc']);
    const expected = scoreCvss(V40);
    expect(severity.cvss.v40).toMatchObject({
      vector: V40,
      base: { score: expected.base.score },
      overall: { score: expected.overall.score, nomenclature: 'CVSS-BT' },
    });
    expect(severity.cvss.v31.base).toEqual({ score: 7.5, rating: 'High' });
    expect(severity.effective).toMatchObject({ severity: 'critical', priority: 'immediate' });
    expect(severity.ssvc).toMatchObject({ priority: 'immediate', utility: 'super-effective' });
    expect(severity.targets).toMatchObject({ severity: 'critical', release: 'out-of-band', remindDays: 2 });
    expect(Date.parse(severity.targets.fixDue)).toBe(Date.parse(theCase.createdAt) + 7 * 86_400_000);
    expect(severity.nextReminderAt).not.toBeNull();
  });

  it('refuses an invalid vector with the bad metric named, storing none of the request', async () => {
    const before = (await call('GET', base)).json().severity;
    const res = await call('PATCH', `${base}/severity`, {
      reason: 'Oops.',
      cvssV31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N',
      cvssV40: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:Z',
    });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('VALIDATION_FAILED');
    expect(res.json().error.details).toMatchObject({ field: 'cvssV40', metric: 'SA' });
    expect(res.json().error.message).toContain('Subsequent System Availability');
    expect((await call('GET', base)).json().severity).toEqual(before);
    const noReason = await call('PATCH', `${base}/severity`, { cvssV31: V31 });
    expect(noReason.statusCode).toBe(400);
    const unknownField = await call('PATCH', `${base}/severity`, { reason: 'x', cvss: V31 });
    expect(unknownField.statusCode).toBe(400);
  });

  it('lists the history with previous values, who and why', async () => {
    await call('PATCH', `${base}/severity`, { reason: 'Second opinion.', cvssV31: null });
    const res = await call('GET', `${base}/history`);
    expect(res.statusCode).toBe(200);
    const removed = res.json().entries.find((e: { change: string; reason: string }) => e.reason === 'Second opinion.');
    expect(removed).toMatchObject({ change: 'cvss.v3.1', previous: V31, value: null, actorLabel: member.email });
  });

  it('adds and removes CWEs', async () => {
    const added = await call('POST', `${base}/cwes`, { cwe: 'CWE-787' });
    expect(added.statusCode).toBe(200);
    expect(added.json()).toMatchObject({ changed: true, cwes: [{ id: 787 }] });
    expect((await call('POST', `${base}/cwes`, { cwe: 787 })).json().changed).toBe(false);
    expect((await call('POST', `${base}/cwes`, { cwe: 'CWE-123456' })).statusCode).toBe(400);
    const removed = await call('DELETE', `${base}/cwes/CWE-787`);
    expect(removed.json()).toEqual({ changed: true, cwes: [] });
  });

  it('never honours the session cookie, even under a percent-encoded /api/ path', async () => {
    const browser = new Browser(ctx.app);
    await login(browser, member.email);
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/%61pi/v1/projects/${project.slug}/cases/${theCase.number}`,
      headers: { cookie: cookieHeader(browser.jar), accept: 'application/json' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain('Embargoed API title');
  });

  it('audits a change that changed nothing as a read, since it answers with the severity', async () => {
    const views = async () =>
      (
        await ctx.deps.db
          .selectFrom('audit_log')
          .select('id')
          .where('subject_id', '=', theCase.id)
          .where('action', '=', 'case.viewed')
          .execute()
      ).length;
    const exploitation = {
      exposure: 'some',
      publicExploit: false,
      reportedOn: null,
      source: null,
      exploitedInTheWild: false,
    };
    await call('PATCH', `${base}/severity`, { reason: 'Set.', exploitation });
    const before = await views();
    const again = await call('PATCH', `${base}/severity`, {
      reason: 'Same, keys reordered.',
      exploitation: { ...exploitation },
    });
    expect(again.json().changed).toEqual([]);
    expect(await views()).toBe(before + 1);
    expect((await call('POST', `${base}/cwes`, { cwe: 'CWE-20' })).json().changed).toBe(true);
    expect((await call('POST', `${base}/cwes`, { cwe: 'CWE-20' })).json().changed).toBe(false);
    expect(await views()).toBe(before + 2);
  });

  it('needs a token of a member', async () => {
    expect((await call('GET', base, undefined, '')).statusCode).toBe(401);
    const outsider = await makeUser(ctx.deps.db, ctx.clock);
    const res = await call('GET', base, undefined, await tokenOf(outsider));
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('Embargoed API title');
  });

  it('documents the routes with the token scheme in OpenAPI', async () => {
    const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const patch = doc.paths['/api/v1/projects/{slug}/cases/{number}/severity']?.patch;
    expect(patch?.security).toEqual([{ apiToken: [] }]);
    expect(doc.paths['/api/v1/projects/{slug}/cases/{number}']?.get).toBeDefined();
  });
});
