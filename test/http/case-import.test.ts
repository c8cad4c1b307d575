import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { getAdvisory } from '../../src/domain/advisories/advisories.service.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { caseAffected } from '../../src/domain/cases/affected.service.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { caseSeverity } from '../../src/domain/severity/case-severity.service.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { SESSION_COOKIE } from '../../src/http/plugins/auth.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { absorbCookies, Browser, cookieHeader, csrfFrom, makeProject, makeUser } from '../support/factories.js';
import { multipartBody } from '../support/intake.js';

// Opening a case from an upstream advisory, by the import page (an uploaded or pasted record, with
// JavaScript off) and by the API: what the case holds afterwards, the warnings shown, and a
// malformed record refused whole.

const FIXTURES = new URL('../fixtures/formats/import/', import.meta.url);
const read = (name: string) => fs.readFileSync(new URL(name, FIXTURES), 'utf8');

describe.each(engines())('case import on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let member: User;
  let token: string;
  let browser: Browser;

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  const importApi = (body: unknown, bearer = token) =>
    ctx.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${project.slug}/cases/import`,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  const caseCount = async () =>
    Number(
      (
        await ctx.deps.db
          .selectFrom('cases')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('project_id', '=', project.id)
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** Posts the import form as a browser does: multipart, with the page's CSRF token. */
  const postForm = async (fields: Record<string, string>, file?: { filename: string; content: string }) => {
    const formPage = await browser.get(`/p/${project.slug}/cases/import`);
    const { payload, contentType } = await multipartBody(
      { _csrf: csrfFrom(formPage.body), ...fields },
      file ? [{ ...file, type: 'application/json' }] : [],
      'file',
    );
    const res = await ctx.app.inject({
      method: 'POST',
      url: `/p/${project.slug}/cases/import`,
      headers: { cookie: cookieHeader(browser.jar), 'content-type': contentType, accept: 'text/html' },
      payload,
    });
    absorbCookies(browser.jar, res.headers['set-cookie']);
    return res;
  };

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Importer' });
    member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    token = (
      await tx((trx) =>
        createApiToken(trx, ctx.deps, { actor: actorOfUser(member), origin: noOrigin, name: 't', expiresInDays: 30 }),
      )
    ).token;
    browser = new Browser(ctx.app);
    browser.jar[SESSION_COOKIE] = await tx((trx) =>
      createSession(trx, ctx.clock, { userId: member.id, days: 30, origin: noOrigin }),
    );
  });
  afterAll(() => ctx.close());

  it('opens a case from an uploaded OSV file, with its package, range, CVSS, CWE, draft and ids', async () => {
    const inbox = await browser.get(`/p/${project.slug}/inbox`);
    expect(inbox.body).toContain(`href="/p/${project.slug}/cases/import"`);
    const res = await postForm(
      { format: 'osv', record: '' },
      { filename: 'GHSA-whgm-jr23-g3j9.json', content: read('ghsa-osv/GHSA-whgm-jr23-g3j9.json') },
    );
    expect(res.statusCode).toBe(303);
    const location = String(res.headers.location);
    const number = Number(/\/cases\/(\d+)\/imported$/.exec(location)?.[1]);
    expect(number).toBeGreaterThan(0);

    const theCase = await requireCase(ctx.deps.db, project.id, number);
    expect(theCase.title).toBe('Uncontrolled Resource Consumption in ansi-html');
    const affected = await caseAffected(ctx.deps.db, theCase, ctx.clock.now());
    expect(affected.packages.map((p) => [p.ecosystem, p.name, p.purl])).toEqual([
      ['npm', 'ansi-html', 'pkg:npm/ansi-html'],
    ]);
    expect(affected.packages[0]?.ranges.map((r) => [r.introduced, r.fixed, r.branchId])).toEqual([
      ['0', '0.0.8', null],
    ]);
    const severity = await caseSeverity(ctx.deps.db, theCase);
    expect(severity.cvss.v31?.vector).toBe('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H');
    expect(severity.cwes.map((c) => c.id)).toEqual([400]);
    const advisory = await getAdvisory(ctx.deps.db, theCase);
    expect(advisory).toMatchObject({
      summary: 'Uncontrolled Resource Consumption in ansi-html',
      aliases: ['GHSA-whgm-jr23-g3j9'],
      cveId: 'CVE-2021-23424',
      publishedAt: null,
    });
    expect(advisory.details).toContain('ansi-html');
    expect(advisory.references).toContainEqual({ type: 'PACKAGE', url: 'https://github.com/Tjatse/ansi-html' });

    const result = await browser.get(location);
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain(`href="/p/${project.slug}/cases/${number}"`);
    expect(result.body).toContain('data-import-warnings="none"');
  });

  it('opens a case from a pasted CVE 5 record and shows what could not be carried over', async () => {
    const res = await postForm({ format: 'cve5', record: read('cve5/CVE-2023-45803.json') });
    expect(res.statusCode).toBe(303);
    const result = await browser.get(String(res.headers.location));
    expect(result.body).toContain('Not carried over');
    expect(result.body).toContain('names no package of an OSV ecosystem');
    const number = Number(/data-imported-case="(\d+)"/.exec(result.body)?.[1]);
    const theCase = await requireCase(ctx.deps.db, project.id, number);
    const advisory = await getAdvisory(ctx.deps.db, theCase);
    expect(advisory).toMatchObject({
      summary: 'Request body not stripped after redirect in urllib3',
      cveId: 'CVE-2023-45803',
      aliases: ['GHSA-g4mx-q9vg-27p4'],
    });
    const severity = await caseSeverity(ctx.deps.db, theCase);
    expect(severity.cvss.v31?.vector).toBe('CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N');
    expect(severity.cwes.map((c) => c.id)).toEqual([200]);
    // The warnings are in the case's history too.
    const casePage = await browser.get(`/p/${project.slug}/cases/${number}`);
    expect(casePage.body).toContain('names no package of an OSV ecosystem');
  });

  it('imports by API, answering 201 with the number and the warnings', async () => {
    const osv = await importApi({ format: 'osv', record: JSON.parse(read('ghsa-osv/GHSA-whgm-jr23-g3j9.json')) });
    expect(osv.statusCode).toBe(201);
    expect(osv.json()).toEqual({ number: expect.any(Number), warnings: [] });
    const cve = await importApi({ format: 'cve5', record: JSON.parse(read('cve5/CVE-2023-45803.json')) });
    expect(cve.statusCode).toBe(201);
    expect(cve.json().warnings).toEqual(
      expect.arrayContaining([expect.stringContaining('names no package of an OSV ecosystem')]),
    );
    const theCase = await requireCase(ctx.deps.db, project.id, cve.json().number);
    expect((await getAdvisory(ctx.deps.db, theCase)).cveId).toBe('CVE-2023-45803');
  });

  it('refuses a malformed record whole (400 VALIDATION_FAILED) and stores nothing', async () => {
    const before = await caseCount();
    const osv = JSON.parse(read('ghsa-osv/GHSA-whgm-jr23-g3j9.json')) as Record<string, unknown>;
    const bad = await importApi({ format: 'osv', record: { ...osv, affected: 'everything' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    expect(bad.json().error.details.field).toBe('affected');
    const wrongFormat = await importApi({ format: 'csaf', record: {} });
    expect(wrongFormat.statusCode).toBe(400);
    const notJson = await postForm({ format: 'osv', record: '{"id": ' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.body).toContain('data-code="VALIDATION_FAILED"');
    // What was pasted is shown again to fix.
    expect(notJson.body).toContain('{&quot;id&quot;: </textarea>');
    const malformed = await postForm({ format: 'cve5', record: JSON.stringify({ dataType: 'CVE_RECORD' }) });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.body).toContain('data-code="VALIDATION_FAILED"');
    expect(await caseCount()).toBe(before);
  });

  it('keeps the import to the project’s members', async () => {
    const outsider = await makeUser(ctx.deps.db, ctx.clock);
    const outsiderToken = (
      await tx((trx) =>
        createApiToken(trx, ctx.deps, {
          actor: actorOfUser(outsider),
          origin: noOrigin,
          name: 't',
          expiresInDays: 30,
        }),
      )
    ).token;
    const res = await importApi({ format: 'osv', record: {} }, outsiderToken);
    expect(res.statusCode).toBe(404);
    const anonymous = await ctx.app.inject({ method: 'GET', url: `/p/${project.slug}/cases/import` });
    expect(anonymous.statusCode).toBe(303);
  });
});
