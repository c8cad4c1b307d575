import { renderToString } from 'preact-render-to-string';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { caseAffected } from '../../src/domain/cases/affected.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project, ReleaseBranch } from '../../src/domain/projects/projects.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { AffectedSection } from '../../src/http/pages/case-affected.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

const system = { actor: { kind: 'system', label: 'test' } as const, origin: noOrigin };

describe.each(engines())('affected versions over HTTP on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let member: User;
  let outsider: User;
  let theCase: Case;
  let main: ReleaseBranch;
  let old: ReleaseBranch;
  let foreign: ReleaseBranch;
  let browser: Browser;
  let csrf: string;
  let token: string;
  let outsiderToken: string;

  const tokenOf = async (user: User) =>
    (
      await ctx.deps.db
        .transaction()
        .execute((trx) =>
          createApiToken(trx, ctx.deps, { actor: actorOfUser(user), origin: noOrigin, name: 't', expiresInDays: 30 }),
        )
    ).token;
  const branchOf = (p: Project, name: string, endOfSupport: string | null) =>
    ctx.deps.db
      .transaction()
      .execute((trx) => addBranch(trx, ctx.clock, { by: system, projectId: p.id, name, endOfSupport }));
  const stored = () => caseAffected(ctx.deps.db, theCase, ctx.clock.now());
  const pageBase = () => `/p/${project.slug}/cases/${theCase.number}`;
  const apiBase = () => `/api/v1/projects/${project.slug}/cases/${theCase.number}/affected`;
  const form = (path: string, fields: Record<string, string>) =>
    browser.post(`${pageBase()}/affected${path}`, { _csrf: csrf, ...fields });
  const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown, bearer: string = token) =>
    ctx.app.inject({
      method,
      url: `${apiBase()}${path}`,
      headers: {
        accept: 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'HTTP Affected' });
    const other = await makeProject(ctx.deps.db, ctx.clock, { name: 'Elsewhere' });
    member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    outsider = await makeUser(ctx.deps.db, ctx.clock, { project: other, role: 'admin' });
    theCase = await makeCase(ctx, project, actorOf(member, project), 'Embargoed parser bug');
    main = await branchOf(project, 'main', null);
    old = await branchOf(project, '1.x', '2026-01-31');
    foreign = await branchOf(other, 'main', null);
    browser = new Browser(ctx.app);
    await login(browser, member.email);
    csrf = csrfFrom((await browser.get('/projects')).body);
    token = await tokenOf(member);
    outsiderToken = await tokenOf(outsider);
  });
  afterAll(() => ctx.close());

  describe('the section', () => {
    it('renders JS-off forms: a status select, fixed version and Save per branch, packages and ranges', async () => {
      const html = renderToString(
        AffectedSection({
          projectSlug: project.slug,
          caseNumber: theCase.number,
          affected: {
            branches: (await stored()).branches,
            packages: [
              {
                id: 'pkg-1',
                versions: [],
                ecosystem: 'npm',
                name: '@acme/parser',
                purl: 'pkg:npm/%40acme/parser',
                createdAt: '2026-03-02T09:00:00.000Z',
                fixedVersions: ['1.4.2'],
                ranges: [
                  {
                    id: 'range-1',
                    packageId: 'pkg-1',
                    branchId: old.id,
                    branchName: '1.x',
                    introduced: '0',
                    fixed: '1.4.2',
                    lastAffected: null,
                    createdAt: '2026-03-02T09:00:00.000Z',
                  },
                ],
              },
            ],
          },
          csrfToken: 'tok',
          canEdit: true,
        }),
      );
      expect(html).toContain('id="affected"');
      const base = pageBase();
      expect(html).toContain(`action="${base}/affected/branches/${main.id}"`);
      expect(html).toContain(`form="branch-${main.id}"`);
      expect(html).toContain('name="fixedVersion"');
      expect(html).toContain('<option value="not_affected"');
      // 1.x ended on 2026-01-31; the clock says 2026-03-02.
      expect(html).toMatch(/data-branch="1.x"[\s\S]*Unsupported[\s\S]*since 2026-01-31/);
      expect(html.indexOf('data-branch="main"')).toBeLessThan(html.indexOf('data-branch="1.x"'));
      expect(html).toContain(`action="${base}/affected/packages/pkg-1/ranges"`);
      expect(html).toContain(`action="${base}/affected/ranges/range-1/remove"`);
      expect(html).toContain(`action="${base}/affected/packages/pkg-1/remove"`);
      expect(html).toContain(`action="${base}/affected/packages"`);
      expect(html).toContain('<option value="crates.io">crates.io</option>');
      expect(html).toContain('pkg:npm/%40acme/parser');
      expect(html.match(/name="_csrf" value="tok"/g)?.length).toBeGreaterThanOrEqual(6);
      const readOnly = renderToString(
        AffectedSection({
          projectSlug: project.slug,
          caseNumber: theCase.number,
          affected: await stored(),
          csrfToken: 'tok',
          canEdit: false,
        }),
      );
      expect(readOnly).not.toContain('<form');
      expect(readOnly).toContain('Unknown');
    });
  });

  describe('the forms', () => {
    it('sets a branch status and goes back to #affected', async () => {
      const res = await form(`/branches/${main.id}`, { status: 'affected', fixedVersion: '' });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`${pageBase()}#affected`);
      expect((await stored()).branches.find((b) => b.name === 'main')?.status).toBe('affected');
    });

    it('explains a refusal with a link back, storing nothing', async () => {
      const res = await form(`/branches/${old.id}`, { status: 'fixed', fixedVersion: '' });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('Say which version fixes this branch.');
      expect(res.body).toContain(`href="${pageBase()}#affected"`);
      expect(res.body).toContain('data-code="VALIDATION_FAILED"');
      expect((await stored()).branches.find((b) => b.name === '1.x')?.status).toBe('unknown');
    });

    it("answers 404 for another project's branch", async () => {
      const res = await form(`/branches/${foreign.id}`, { status: 'affected' });
      expect(res.statusCode).toBe(404);
    });

    it('adds a package with a release suffix, a range, and removes them', async () => {
      const mismatch = await form('/packages', { ecosystem: 'PyPI', name: 'parser', purl: 'pkg:npm/parser' });
      expect(mismatch.statusCode).toBe(400);
      expect(mismatch.body).toContain('pkg:pypi/');

      const added = await form('/packages', { ecosystem: 'Debian', release: '12', name: 'parser', purl: '' });
      expect(added.statusCode).toBe(303);
      const pkg = (await stored()).packages.find((p) => p.ecosystem === 'Debian:12');
      if (!pkg) throw new Error('package not stored');

      const range = await form(`/packages/${pkg.id}/ranges`, {
        introduced: '0',
        fixed: '1.4.2-1',
        lastAffected: '',
        branchId: old.id,
      });
      expect(range.statusCode).toBe(303);
      const both = await form(`/packages/${pkg.id}/ranges`, { introduced: '0', fixed: '2', lastAffected: '1' });
      expect(both.statusCode).toBe(400);
      const [r] = (await stored()).packages.find((p) => p.id === pkg.id)?.ranges ?? [];
      expect(r).toMatchObject({ introduced: '0', fixed: '1.4.2-1', lastAffected: null, branchName: '1.x' });
      if (!r) throw new Error('range not stored');

      expect((await form(`/ranges/${r.id}/remove`, {})).statusCode).toBe(303);
      expect((await stored()).packages.find((p) => p.id === pkg.id)?.ranges).toEqual([]);
      expect((await form(`/packages/${pkg.id}/remove`, {})).statusCode).toBe(303);
      expect((await stored()).packages.find((p) => p.id === pkg.id)).toBeUndefined();
      expect((await form(`/packages/${pkg.id}/remove`, {})).statusCode).toBe(404);
    });

    it('refuses a form without its CSRF token, and outsiders', async () => {
      const noCsrf = await browser.post(`${pageBase()}/affected/branches/${main.id}`, { status: 'not_affected' });
      expect(noCsrf.statusCode).toBe(403);
      const stranger = new Browser(ctx.app);
      await login(stranger, outsider.email);
      const strangerCsrf = csrfFrom((await stranger.get('/projects')).body);
      const res = await stranger.post(`${pageBase()}/affected/branches/${main.id}`, {
        _csrf: strangerCsrf,
        status: 'not_affected',
      });
      expect(res.statusCode).toBe(404);
      expect((await stored()).branches.find((b) => b.name === 'main')?.status).toBe('affected');
    });
  });

  describe('the API', () => {
    it('reads the branches and packages with a bearer token, audited as a case view', async () => {
      const res = await call('GET', '');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.branches.map((b: { name: string; supported: boolean }) => [b.name, b.supported])).toEqual([
        ['main', true],
        ['1.x', false],
      ]);
      expect(body.branches[0]).toEqual({
        branchId: main.id,
        name: 'main',
        endOfSupport: null,
        supported: true,
        status: 'affected',
        fixedVersion: null,
        updatedAt: expect.any(String),
      });
      const views = await ctx.deps.db
        .selectFrom('audit_log')
        .select('actor_label')
        .where('subject_id', '=', theCase.id)
        .where('action', '=', 'case.viewed')
        .execute();
      expect(views.map((v) => v.actor_label)).toContain(member.email);
    });

    it('refuses the anonymous, and outsiders are told nothing', async () => {
      expect(errorCode(await call('GET', '', undefined, ''))).toBe('AUTH_REQUIRED');
      const res = await call('GET', '', undefined, outsiderToken);
      expect(res.statusCode).toBe(404);
      const put = await call('PUT', `/branches/${main.id}`, { status: 'fixed', fixedVersion: '9' }, outsiderToken);
      expect(put.statusCode).toBe(404);
    });

    it('sets a branch status: fixed needs a version, a foreign branch is 404', async () => {
      const missing = await call('PUT', `/branches/${old.id}`, { status: 'fixed' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'fixedVersion' } });
      const bad = await call('PUT', `/branches/${old.id}`, { status: 'gone' });
      expect(bad.statusCode).toBe(400);
      expect(errorCode(await call('PUT', `/branches/${foreign.id}`, { status: 'affected' }))).toBe('NOT_FOUND');
      const res = await call('PUT', `/branches/${old.id}`, { status: 'fixed', fixedVersion: '1.4.2' });
      expect(res.statusCode).toBe(200);
      expect(res.json().changed).toBe(true);
      expect(res.json().affected.branches.find((b: { name: string }) => b.name === '1.x')).toMatchObject({
        status: 'fixed',
        fixedVersion: '1.4.2',
        supported: false,
      });
      const again = await call('PUT', `/branches/${old.id}`, { status: 'fixed', fixedVersion: '1.4.2' });
      expect(again.json().changed).toBe(false);
    });

    it('adds packages and ranges, refusing mismatched purls and bad ranges, and removes them', async () => {
      const mismatch = await call('POST', '/packages', {
        ecosystem: 'Go',
        name: 'example.org/parser',
        purl: 'pkg:npm/x',
      });
      expect(mismatch.statusCode).toBe(400);
      expect(mismatch.json().error.details).toEqual({ field: 'purl' });
      const wrongName = await call('POST', '/packages', { ecosystem: 'golang', name: 'example.org/parser' });
      expect(wrongName.json().error.message).toContain('not an OSV ecosystem');

      const created = await call('POST', '/packages', {
        ecosystem: 'Go',
        name: 'example.org/parser',
        purl: 'pkg:golang/example.org/parser',
      });
      expect(created.statusCode).toBe(201);
      const { id, affected } = created.json();
      expect(affected.packages).toContainEqual(
        expect.objectContaining({ id, ecosystem: 'Go', purl: 'pkg:golang/example.org/parser', ranges: [] }),
      );
      const dup = await call('POST', '/packages', { ecosystem: 'Go', name: 'example.org/parser' });
      expect(dup.statusCode).toBe(409);

      const both = await call('POST', `/packages/${id}/ranges`, {
        introduced: '0',
        fixed: '1.2.0',
        lastAffected: '1.1.0',
      });
      expect(both.statusCode).toBe(400);
      const foreignBranch = await call('POST', `/packages/${id}/ranges`, { introduced: '0', branchId: foreign.id });
      expect(foreignBranch.statusCode).toBe(404);
      const range = await call('POST', `/packages/${id}/ranges`, {
        introduced: '1.0.0',
        fixed: '1.2.0',
        branchId: main.id,
      });
      expect(range.statusCode).toBe(201);
      const pkg = range.json().affected.packages.find((p: { id: string }) => p.id === id);
      expect(pkg).toMatchObject({
        fixedVersions: ['1.2.0'],
        ranges: [{ id: range.json().id, introduced: '1.0.0', fixed: '1.2.0', lastAffected: null, branchName: 'main' }],
      });

      const removedRange = await call('DELETE', `/ranges/${range.json().id}`);
      expect(removedRange.statusCode).toBe(200);
      expect(errorCode(await call('DELETE', `/ranges/${range.json().id}`))).toBe('NOT_FOUND');
      const removed = await call('DELETE', `/packages/${id}`);
      expect(removed.statusCode).toBe(200);
      expect(removed.json().affected.packages.find((p: { id: string }) => p.id === id)).toBeUndefined();
      const changes = await ctx.deps.db
        .selectFrom('case_history')
        .select('change')
        .where('case_id', '=', theCase.id)
        .execute();
      expect(new Set(changes.map((c) => c.change))).toEqual(
        new Set(['branch.status', 'package.added', 'package.removed', 'range.added', 'range.removed']),
      );
    });

    it('is in the OpenAPI document under cases, behind the API token', async () => {
      const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
      const path = '/api/v1/projects/{slug}/cases/{number}/affected';
      expect(doc.paths[path].get.tags).toEqual(['cases']);
      expect(doc.paths[path].get.security).toEqual([{ apiToken: [] }]);
      expect(Object.keys(doc.paths[`${path}/branches/{branchId}`])).toEqual(['put']);
      expect(Object.keys(doc.paths[`${path}/packages`])).toEqual(['post']);
      expect(Object.keys(doc.paths[`${path}/packages/{id}`])).toEqual(['delete']);
      expect(Object.keys(doc.paths[`${path}/packages/{id}/ranges`])).toEqual(['post']);
      expect(Object.keys(doc.paths[`${path}/ranges/{id}`])).toEqual(['delete']);
    });
  });
});
