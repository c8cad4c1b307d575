import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../../src/domain/cases/cases.js';
import type { Project } from '../../src/domain/projects/projects.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';

const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N';
const HEARTBLEED_31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N';

/** The calculator's radio fields for a vector: m_AV=N ... */
function metricFields(vector: string): Record<string, string> {
  const [, ...metrics] = vector.split('/');
  return Object.fromEntries(metrics.map((m) => [`m_${m.split(':')[0]}`, m.split(':')[1] ?? '']));
}

describe.each(engines())('the case page scores a case without JavaScript on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let member: User;
  let browser: Browser;
  let theCase: Case;
  let url: string;

  const send = async (path: string, form: Record<string, string>) => {
    const page = await browser.get(url);
    return browser.post(`${url}${path}`, { _csrf: csrfFrom(page.body), ...form });
  };
  const storedRow = () =>
    ctx.deps.db.selectFrom('case_severity').selectAll().where('case_id', '=', theCase.id).executeTakeFirst();

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Page Project' });
    member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    theCase = await makeCase(ctx, project, actorOf(member, project), 'Secret overflow title');
    url = `/p/${project.slug}/cases/${theCase.number}`;
    browser = new Browser(ctx.app);
    await login(browser, member.email);
  });
  afterAll(() => ctx.close());

  it('shows the severity section, both calculators and the policy link, and audits the read', async () => {
    const res = await browser.get(url);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Effective severity');
    expect(res.body).toContain('No CVSS score yet');
    expect(res.body).toContain('CVSS 4.0');
    expect(res.body).toContain('CVSS 3.1');
    expect(res.body).toContain(`/p/${project.slug}/settings/severity`);
    expect(res.body).toContain('/assets/cvss.js');
    const views = await ctx.deps.db
      .selectFrom('audit_log')
      .select('id')
      .where('subject_id', '=', theCase.id)
      .where('action', '=', 'case.viewed')
      .execute();
    expect(views.length).toBeGreaterThan(0);
  });

  it('calculates on the server without storing anything', async () => {
    const res = await send('/cvss', { version: '4.0', intent: 'calculate', ...metricFields(V40) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(V40);
    expect(res.body).toContain('8.7');
    expect(await storedRow()).toBeUndefined();
  });

  it('names the missing or bad metric and keeps the choices', async () => {
    const { m_AV: _dropped, ...withoutAv } = metricFields(V40);
    const missing = await send('/cvss', { version: '4.0', intent: 'calculate', ...withoutAv });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('Attack Vector (AV) is required');
    const pasted = await send('/cvss', {
      version: '3.1',
      intent: 'apply',
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:Q/A:N',
    });
    expect(pasted.statusCode).toBe(400);
    expect(pasted.body).toContain('Integrity');
    expect(await storedRow()).toBeUndefined();
  });

  it('asks for a reason before saving', async () => {
    const res = await send('/cvss', { version: '4.0', intent: 'save', reason: ' ', ...metricFields(V40) });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Say why the severity changes');
    expect(await storedRow()).toBeUndefined();
  });

  it('saves a CVSS 4.0 and a 3.1 vector, then shows them with their scores and the history', async () => {
    const saved = await send('/cvss', { version: '4.0', intent: 'save', reason: 'Reproduced.', ...metricFields(V40) });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`${url}#cvss-4.0`);
    const applied = await send('/cvss', { version: '3.1', intent: 'apply', vector: HEARTBLEED_31 });
    expect(applied.statusCode).toBe(200);
    expect(applied.body).toContain('7.5');
    const saved31 = await send('/cvss', {
      version: '3.1',
      intent: 'save',
      reason: 'Also in 3.1.',
      ...metricFields(HEARTBLEED_31),
    });
    expect(saved31.statusCode).toBe(303);
    expect(await storedRow()).toMatchObject({ cvss_v40: V40, cvss_v31: HEARTBLEED_31, effective_severity: 'high' });
    const page = await browser.get(url);
    expect(page.body).toContain('8.7');
    expect(page.body).toContain('Also in 3.1.');
    expect(page.body).toMatch(/data-effective-severity="high"/);
  });

  it('records exploitation and SSVC, and shows the effective severity, its reasons and deadlines', async () => {
    const exploited = await send('/exploitation', {
      exploitedInTheWild: 'yes',
      source: 'CISA KEV',
      reportedOn: '2026-03-01',
      publicExploit: 'yes',
      exposure: 'most',
      reason: 'Listed in KEV.',
    });
    expect(exploited.statusCode).toBe(303);
    const ssvc = await send('/ssvc', {
      intent: 'save',
      exploitation: 'active',
      automatable: 'yes',
      valueDensity: 'concentrated',
      technicalImpact: 'partial',
      publicSafetyImpact: 'minimal',
      reason: 'SSVC per the team call.',
    });
    expect(ssvc.statusCode).toBe(303);
    const page = await browser.get(url);
    expect(page.body).toMatch(/data-effective-severity="critical"/);
    expect(page.body).toMatch(/data-priority="immediate"/);
    expect(page.body).toContain('CISA KEV');
    expect(page.body).toContain('Fix due');
    // Critical: 7 days from the opening by default, out of band.
    const due = new Date(Date.parse(theCase.createdAt) + 7 * 86_400_000).toISOString();
    expect(page.body).toContain(`data-due="${due}"`);
    expect(page.body).toContain('Out of band');
  });

  it('refuses a bad SSVC value or exploitation date with the form kept', async () => {
    const ssvc = await send('/ssvc', { intent: 'save', exploitation: 'rumoured', reason: 'x' });
    expect(ssvc.statusCode).toBe(400);
    expect(ssvc.body).toContain('exploitation must be one of');
    const future = await send('/exploitation', {
      exploitedInTheWild: 'yes',
      source: 'Blog',
      reportedOn: '2099-01-01',
      reason: 'x',
    });
    expect(future.statusCode).toBe(400);
    expect(future.body).toContain('in the future');
    expect(future.body).toContain('value="Blog"');
  });

  it('searches CWEs without JavaScript, adds and removes them', async () => {
    const search = await browser.get(`${url}?cwe_q=cross-site%20scripting`);
    expect(search.statusCode).toBe(200);
    expect(search.body).toContain('CWE-79');
    const added = await send('/cwes/add', { cwe: 'CWE-79', cwe_q: 'cross-site scripting' });
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toBe(`${url}?cwe_q=cross-site%20scripting#cwe`);
    const unknown = await send('/cwes/add', { cwe: 'CWE-0' });
    expect(unknown.statusCode).toBe(400);
    const cwes = () => ctx.deps.db.selectFrom('case_cwes').select('cwe_id').where('case_id', '=', theCase.id).execute();
    expect((await cwes()).map((c) => Number(c.cwe_id))).toEqual([79]);
    expect((await send('/cwes/remove', { cwe: '79' })).statusCode).toBe(303);
    expect(await cwes()).toEqual([]);
  });

  it('hides the case from non-members and never logs the case title', async () => {
    const outsider = await makeUser(ctx.deps.db, ctx.clock);
    const other = new Browser(ctx.app);
    await login(other, outsider.email);
    expect((await other.get(url)).statusCode).toBe(404);
    expect(ctx.logs()).not.toContain('Secret overflow title');
  });
});
