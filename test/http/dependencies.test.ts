import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { recordsFromFile } from '../../src/domain/scan/osv-files.js';
import { importOsvRecords } from '../../src/domain/scan/vulndb.service.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { SESSION_COOKIE } from '../../src/http/plugins/auth.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { absorbCookies, Browser, cookieHeader, csrfFrom, makeProject, makeUser } from '../support/factories.js';
import { errorCode, multipartBody } from '../support/intake.js';

// Dependency monitoring over HTTP: a CI job registering a branch's lockfile with an API token,
// reading and triaging the findings; and the same from the pages with JavaScript off. A file that
// does not parse is refused with a stable code and stores nothing. The uploads are package-lock.json
// files: the parsers' registry must hold that format.

const lockfile = (packages: Record<string, string>) =>
  JSON.stringify({
    name: 'app',
    lockfileVersion: 3,
    packages: {
      '': { name: 'app', version: '1.0.0' },
      ...Object.fromEntries(Object.entries(packages).map(([n, v]) => [`node_modules/${n}`, { version: v }])),
    },
  });
const record = (id: string, name: string, fixed: string) => ({
  schema_version: '1.6.0',
  id,
  modified: '2026-01-01T00:00:00Z',
  summary: `Prototype pollution in ${name}`,
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    { package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] },
  ],
  references: [{ type: 'ADVISORY', url: `https://example.org/advisories/${id}` }],
});

describe.each(engines())('dependencies over HTTP on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let member: User;
  let token: string;
  let browser: Browser;
  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);

  const api = (method: 'GET' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    ctx.app.inject({
      method,
      url: `/api/v1/projects/${project.slug}${url}`,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  const inventoryRows = () =>
    ctx.deps.db
      .selectFrom('inventories')
      .select(['name', 'sha256', 'package_count'])
      .where('project_id', '=', project.id)
      .orderBy('name')
      .execute();

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security', name: 'Mia' });
    const by = { actor: actorOfUser(member), origin: noOrigin };
    token = (await tx((trx) => createApiToken(trx, ctx.deps, { ...by, name: 'ci', expiresInDays: 30 }))).token;
    for (const name of ['main', 'release/1.x'])
      await tx((trx) => addBranch(trx, ctx.clock, { by, projectId: project.id, name, endOfSupport: null }));
    const records = [record('TEST-0001', 'left-pad', '1.3.0'), record('TEST-0002', 'minimist', '1.2.6')];
    await tx((trx) => importOsvRecords(trx, ctx.deps, recordsFromFile('r.json', Buffer.from(JSON.stringify(records)))));
    browser = new Browser(ctx.app);
    browser.jar[SESSION_COOKIE] = await tx((trx) =>
      createSession(trx, ctx.clock, { userId: member.id, days: 30, origin: noOrigin }),
    );
  });
  afterAll(() => ctx.close());

  it('registers a lockfile from CI, lists the findings, triages one, and removes the lockfile', async () => {
    // A branch name and a file path with slashes travel URL-encoded.
    const url = '/branches/release%2F1.x/inventories/web%2Fpackage-lock.json';
    const created = await api('PUT', url, { content: lockfile({ 'left-pad': '1.1.0', lodash: '4.17.21' }) });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      inventory: {
        branch: 'release/1.x',
        name: 'web/package-lock.json',
        format: 'package-lock.json',
        packageCount: 2,
        uploadedBy: 'Mia',
      },
      replaced: false,
      evaluation: { new: 1, gone: 0, present: 1 },
    });
    const replaced = await api('PUT', url, {
      format: 'package-lock.json',
      content: lockfile({ 'left-pad': '1.1.0', minimist: '1.2.0' }),
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ replaced: true, evaluation: { new: 1, present: 2 } });
    const listed = await api('GET', '/branches/release%2F1.x/inventories');
    expect(listed.json().inventories.map((i: { name: string }) => i.name)).toEqual(['web/package-lock.json']);

    const all = await api('GET', '/findings?branch=release%2F1.x');
    expect(all.statusCode).toBe(200);
    const findings = all.json().findings as Record<string, unknown>[];
    expect(findings.map((f) => [f.vulnId, f.name, f.version, f.severity, f.fixedVersion, f.state])).toEqual([
      ['TEST-0001', 'left-pad', '1.1.0', 'critical', '1.3.0', 'in_triage'],
      ['TEST-0002', 'minimist', '1.2.0', 'critical', '1.2.6', 'in_triage'],
    ]);
    expect(findings[0]).toMatchObject({
      branch: 'release/1.x',
      advisoryUrl: 'https://example.org/advisories/TEST-0001',
      overdue: false,
    });
    expect(Object.keys(findings[0] ?? {})).not.toContain('projectId');
    const id = String(findings[0]?.id);

    const unexplained = await api('PATCH', `/findings/${id}`, { state: 'not_affected' });
    expect(unexplained.statusCode).toBe(400);
    expect(errorCode(unexplained)).toBe('VALIDATION_FAILED');
    const stranger = await makeUser(ctx.deps.db, ctx.clock);
    const notMember = await api('PATCH', `/findings/${id}`, { owner: stranger.id });
    expect(notMember.json().error.details).toEqual({ field: 'owner' });
    const triaged = await api('PATCH', `/findings/${id}`, {
      state: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      owner: member.id,
      note: 'Only the CLI calls it.',
    });
    expect(triaged.statusCode).toBe(200);
    expect(triaged.json().finding).toMatchObject({
      state: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      owner: { userId: member.id, name: 'Mia' },
      note: 'Only the CLI calls it.',
    });
    const open = await api('GET', '/findings?state=in_triage&present=true');
    expect(open.json().findings.map((f: { vulnId: string }) => f.vulnId)).toEqual(['TEST-0002']);
    expect((await api('GET', '/findings?overdue=true')).json().findings).toEqual([]);

    const removed = await api('DELETE', url);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({
      removed: { name: 'web/package-lock.json' },
      evaluation: { gone: 2, present: 0 },
    });
    expect((await api('GET', '/findings?present=false')).json().findings).toHaveLength(2);
    expect((await api('DELETE', url)).statusCode).toBe(404);
  });

  it('refuses a bad file, an unknown format and a body that is not JSON with stable codes, storing nothing', async () => {
    const url = '/branches/main/inventories/package-lock.json';
    expect((await api('PUT', url, { content: lockfile({ 'left-pad': '1.0.0' }) })).statusCode).toBe(201);
    const before = await inventoryRows();
    const broken = await api('PUT', url, { content: '{ "lockfileVersion": 3, "packages": ' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'content' } });
    expect(broken.json().error.message).toMatch(/^package-lock\.json: not valid JSON/);
    const unknown = await api('PUT', url, { format: 'left-pad.lock', content: 'x' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toMatch(/Supported formats: .*package-lock\.json/);
    const unnamed = await api('PUT', '/branches/main/inventories/deps.bin', { content: 'x' });
    expect(unnamed.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'format' } });
    const raw = await ctx.app.inject({
      method: 'PUT',
      url: `/api/v1/projects/${project.slug}${url}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      payload: lockfile({}),
    });
    expect(raw.statusCode).toBe(415);
    expect(errorCode(raw)).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await api('PUT', '/branches/no-such/inventories/package-lock.json', { content: '{}' })).statusCode).toBe(
      404,
    );
    expect(await inventoryRows()).toEqual(before);
    await api('DELETE', url);
  });

  it('registers a lockfile from the page with JavaScript off, shows its findings, and triages one', async () => {
    const inbox = await browser.get(`/p/${project.slug}/inbox`);
    expect(inbox.body).toContain(`href="/p/${project.slug}/dependencies"`);
    const page = await browser.get(`/p/${project.slug}/dependencies`);
    expect(page.statusCode).toBe(200);
    const branches = await ctx.deps.db
      .selectFrom('release_branches')
      .select(['id', 'name'])
      .where('project_id', '=', project.id)
      .execute();
    const main = branches.find((b) => b.name === 'main');
    if (!main) throw new Error('no main branch');
    const action = `/p/${project.slug}/dependencies/branches/${main.id}/inventories`;
    expect(page.body).toContain(`action="${action}" enctype="multipart/form-data"`);
    expect(page.body).toMatch(/<input id="file-[^"]+" type="file" name="file"\/>/);

    const upload = async (content: string, fields: Record<string, string> = {}) => {
      const form = await browser.get(`/p/${project.slug}/dependencies`);
      const { payload, contentType } = await multipartBody(
        { _csrf: csrfFrom(form.body), name: '', format: '', ...fields },
        [{ filename: 'package-lock.json', content, type: 'application/json' }],
        'file',
      );
      const res = await ctx.app.inject({
        method: 'POST',
        url: action,
        headers: { cookie: cookieHeader(browser.jar), 'content-type': contentType, accept: 'text/html' },
        payload,
      });
      absorbCookies(browser.jar, res.headers['set-cookie']);
      return res;
    };
    const bad = await upload('not json at all');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('data-code="VALIDATION_FAILED"');
    expect(bad.body).toContain('package-lock.json: not valid JSON');
    expect(await inventoryRows()).toEqual([]);

    const done = await upload(lockfile({ minimist: '1.2.0', 'left-pad': '1.3.0' }));
    expect(done.statusCode).toBe(303);
    const shown = await browser.get(String(done.headers.location));
    expect(shown.body).toContain('Registered package-lock.json: 1 new finding(s).');
    expect(shown.body).toContain('data-inventory="package-lock.json"');
    expect(shown.body).toContain(
      '<a href="https://example.org/advisories/TEST-0002" rel="noopener noreferrer">TEST-0002</a>',
    );
    expect(shown.body).toContain('minimist@1.2.0');
    expect(shown.body).toContain('1.2.6');
    expect(shown.body).toContain('badge sev-critical');
    const findingUrl = /href="(\/p\/[^"]+\/dependencies\/findings\/[^"]+)"/.exec(shown.body)?.[1];
    if (!findingUrl) throw new Error('no link to the finding');
    expect((await browser.get(`/p/${project.slug}/dependencies?state=fixed`)).body).not.toContain('minimist@1.2.0');

    const refused = await browser.submit(findingUrl, findingUrl, {
      state: 'not_affected',
      justification: '',
      owner: '',
      note: 'x',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('data-code="VALIDATION_FAILED"');
    const saved = await browser.submit(findingUrl, findingUrl, {
      state: 'fixed',
      justification: 'component_not_present',
      owner: member.id,
      note: 'Upgraded.',
    });
    expect(saved.statusCode).toBe(303);
    const after = await browser.get(String(saved.headers.location));
    expect(after.body).toContain('Saved.');
    expect(after.body).toContain('<option value="fixed" selected>');
    expect((await browser.get(`/p/${project.slug}/dependencies?state=fixed`)).body).toContain('minimist@1.2.0');

    const listedPage = await browser.get(`/p/${project.slug}/dependencies`);
    const remove = /action="(\/p\/[^"]+\/dependencies\/inventories\/[^"]+\/remove)"/.exec(listedPage.body)?.[1];
    if (!remove) throw new Error('no remove button');
    expect((await browser.post(remove, { _csrf: csrfFrom(listedPage.body) })).statusCode).toBe(303);
    expect(await inventoryRows()).toEqual([]);

    // Pasted rather than uploaded (a plain form post): it needs a name to tell its format by.
    const paste = (name: string) =>
      browser.submit(`/p/${project.slug}/dependencies`, action, {
        name,
        format: '',
        content: lockfile({ ms: '2.0.0' }),
      });
    const unnamed = await paste('');
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.body).toContain('Give the pasted file’s name.');
    expect((await paste('api/package-lock.json')).statusCode).toBe(303);
    expect((await inventoryRows()).map((r) => [r.name, r.package_count])).toEqual([['api/package-lock.json', 1]]);
  });
});
