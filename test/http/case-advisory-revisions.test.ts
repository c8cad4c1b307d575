import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { publishAdvisory, saveAdvisoryDraft } from '../../src/domain/advisories/advisories.service.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Case } from '../../src/domain/cases/cases.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { SESSION_COOKIE } from '../../src/http/plugins/auth.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { ADVISORY, SYSTEM } from '../support/disclosure.js';
import { Browser, makeProject, makeUser } from '../support/factories.js';

// The advisory page's and the API's forms beyond the draft: other ids and references, the CVE id
// (requested elsewhere, or assigned from a CNA pool), and after publication the revisions and the
// withdrawal, with their refusals.

describe.each(engines())('advisory ids, CVE ids, revisions and withdrawal on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let admin: User;
  let member: User;
  let outsider: User;
  let tokens: { admin: string; member: string; outsider: string };
  let browser: Browser;

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  const api = (token: string, method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown) =>
    ctx.app.inject({
      method,
      url,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  const caseApi = (c: Pick<Case, 'number'>) => `/api/v1/projects/${project.slug}/cases/${c.number}/advisory`;
  const page = (c: Pick<Case, 'number'>) => `/p/${project.slug}/cases/${c.number}/advisory`;
  const advisoryOf = async (c: Pick<Case, 'number'>) => (await api(tokens.admin, 'GET', caseApi(c))).json().advisory;
  const tokenOf = async (user: User) =>
    (
      await tx((trx) =>
        createApiToken(trx, ctx.deps, { actor: actorOfUser(user), origin: noOrigin, name: 't', expiresInDays: 30 }),
      )
    ).token;
  const settings = (cveSource: 'cna' | 'request') =>
    api(tokens.admin, 'PUT', `/api/v1/projects/${project.slug}/security-settings`, {
      publisherName: null,
      cveSource,
      cveRequestFrom: 'GitHub',
      bountyText: null,
      bountyUrl: null,
      securityTxtDays: 180,
    });
  /** A case whose advisory the go published (revision 1). */
  const publishedCase = async () => {
    const c = await makeCase(ctx, project, SYSTEM, 'Overflow in the parser');
    await tx((trx) =>
      saveAdvisoryDraft(trx, ctx.deps, {
        actor: actorOf(admin, project, 'admin'),
        origin: noOrigin,
        theCase: c,
        text: ADVISORY,
      }),
    );
    await tx((trx) => publishAdvisory(trx, ctx.deps, { theCase: c, projectSlug: project.slug }));
    return c;
  };

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    admin = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', name: 'Ada Admin' });
    member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security', name: 'Sam Security' });
    outsider = await makeUser(ctx.deps.db, ctx.clock, { name: 'Olga Outsider' });
    tokens = { admin: await tokenOf(admin), member: await tokenOf(member), outsider: await tokenOf(outsider) };
    browser = new Browser(ctx.app);
    browser.jar[SESSION_COOKIE] = await tx((trx) =>
      createSession(trx, ctx.clock, { userId: member.id, days: 30, origin: noOrigin }),
    );
  });
  afterAll(() => ctx.close());

  it('saves aliases, related ids and references by form and by API, refusing bad ones with their field', async () => {
    const c = await makeCase(ctx, project);
    const saved = await browser.submit(page(c), `${page(c)}/meta`, {
      aliases: 'GHSA-abcd-efgh-ijkl\nGO-2026-0001',
      related: 'GHSA-zzzz-yyyy-xxxx',
      references: 'FIX https://example.org/commit/1\nhttps://example.org/blog',
    });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`${page(c)}?meta=1`);
    expect(await advisoryOf(c)).toMatchObject({
      aliases: ['GHSA-abcd-efgh-ijkl', 'GO-2026-0001'],
      related: ['GHSA-zzzz-yyyy-xxxx'],
      references: [
        { type: 'FIX', url: 'https://example.org/commit/1' },
        { type: 'WEB', url: 'https://example.org/blog' },
      ],
    });
    const shown = await browser.get(page(c));
    expect(shown.body).toContain('FIX https://example.org/commit/1');

    // A CVE id is not an alias; a form refusal keeps what was typed.
    const refused = await browser.submit(page(c), `${page(c)}/meta`, { aliases: 'CVE-2026-1234', references: '' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('data-code="VALIDATION_FAILED"');
    expect(refused.body).toMatch(/name="aliases"[^>]*aria-invalid="true"[^>]*>CVE-2026-1234</);

    const byApi = await api(tokens.member, 'PUT', `${caseApi(c)}/meta`, {
      aliases: ['GHSA-1111-2222-3333'],
      references: [{ type: 'ADVISORY', url: 'https://example.org/a' }],
    });
    expect(byApi.statusCode).toBe(200);
    expect(byApi.json().advisory).toMatchObject({ aliases: ['GHSA-1111-2222-3333'], related: [] });
    const bad = await api(tokens.member, 'PUT', `${caseApi(c)}/meta`, { references: [{ url: 'ftp://example.org' }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'references.0.url' } });
  });

  it('records a CVE request for a project that is no CNA, then the id when it comes', async () => {
    expect((await settings('request')).statusCode).toBe(200);
    const c = await makeCase(ctx, project);
    const form = await browser.get(page(c));
    expect(form.body).toContain('name="requestedFrom"');
    expect(form.body).toContain('value="GitHub"');
    expect(form.body).not.toContain('Assign the next CVE id');
    const requested = await browser.submit(page(c), `${page(c)}/cve-request`, { requestedFrom: 'GitHub', cveId: '' });
    expect(requested.statusCode).toBe(303);
    expect(await advisoryOf(c)).toMatchObject({ cveId: null, cveRequestedFrom: 'GitHub' });

    const typed = await api(tokens.member, 'PUT', `${caseApi(c)}/cve-request`, {
      requestedFrom: 'GitHub',
      cveId: 'cve-2026-4242',
    });
    expect(typed.statusCode).toBe(200);
    expect(typed.json().advisory).toMatchObject({ cveId: 'CVE-2026-4242', cveRequestedFrom: 'GitHub' });

    const bad = await browser.submit(page(c), `${page(c)}/cve-request`, { requestedFrom: 'GitHub', cveId: 'CVE-26-1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('data-code="VALIDATION_FAILED"');
    expect(bad.body).toMatch(/id="cve-id"[^>]*value="CVE-26-1"/);
    // Only a CNA assigns from a pool.
    const assign = await api(tokens.member, 'POST', `${caseApi(c)}/cve`, {});
    expect(assign.statusCode).toBe(409);
    expect(assign.json().error.code).toBe('INVALID_TRANSITION');
  });

  it('assigns the next id of a CNA pool, a chosen one, and removes it back to the pool', async () => {
    expect((await settings('cna')).statusCode).toBe(200);
    const pool = `/api/v1/projects/${project.slug}/cve-ids`;
    const added = await api(tokens.admin, 'POST', pool, {
      cveIds: ['CVE-2026-10002', 'CVE-2026-9999', 'CVE-2025-0001'],
    });
    expect(added.statusCode).toBe(201);
    const c = await makeCase(ctx, project);
    const form = await browser.get(page(c));
    expect(form.body).toContain('Assign the next CVE id');
    // The lowest free id of the year: sequence numbers compare as numbers.
    expect((await browser.submit(page(c), `${page(c)}/cve`, {})).statusCode).toBe(303);
    expect((await advisoryOf(c)).cveId).toBe('CVE-2026-9999');
    const listed = (await api(tokens.member, 'GET', pool)).json().cveIds;
    expect(listed.find((p: { cveId: string }) => p.cveId === 'CVE-2026-9999')).toMatchObject({
      state: 'assigned',
      caseNumber: c.number,
    });
    // A chosen id replaces it; the first goes back to the pool.
    const chosen = await api(tokens.member, 'POST', `${caseApi(c)}/cve`, { cveId: 'CVE-2025-0001' });
    expect(chosen.statusCode).toBe(200);
    expect(chosen.json().advisory.cveId).toBe('CVE-2025-0001');
    const removed = await api(tokens.member, 'DELETE', `${caseApi(c)}/cve`);
    expect(removed.json().advisory.cveId).toBeNull();
    const after = (await api(tokens.member, 'GET', pool)).json().cveIds;
    expect(after.every((p: { state: string }) => p.state === 'reserved')).toBe(true);
    // The remove button, without JavaScript.
    await browser.submit(page(c), `${page(c)}/cve`, { cveId: 'CVE-2026-10002' });
    expect((await browser.submit(page(c), `${page(c)}/cve/remove`, {})).statusCode).toBe(303);
    expect((await advisoryOf(c)).cveId).toBeNull();
    // The case's history tells each change of the id, before and after.
    const history = await browser.get(`/p/${project.slug}/cases/${c.number}`);
    expect(history.statusCode).toBe(200);
    expect(history.body).toMatch(/CVE id<\/strong>: <del>CVE-2026-10002<\/del> → <ins>none<\/ins>/);
    const unknown = await api(tokens.member, 'POST', `${caseApi(c)}/cve`, { cveId: 'CVE-2026-77777' });
    expect(unknown.statusCode).toBe(404);
    await settings('request');
  });

  it('publishes a revision of a published advisory: the revision and the public record move on', async () => {
    const c = await publishedCase();
    const before = await advisoryOf(c);
    expect(before).toMatchObject({ revision: 1, withdrawnAt: null });
    const form = await browser.get(page(c));
    expect(form.body).toContain('Publish a revision');
    expect(form.body).not.toContain('Save the draft');
    ctx.clock.advance(3600_000);

    // "What changed" is required, named as the form names it.
    const missing = await browser.submit(page(c), `${page(c)}/revisions`, {
      summary: 'Heap overflow in the widget parser (corrected)',
      details: 'Typed text is kept.',
      revisionSummary: '',
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('data-code="VALIDATION_FAILED"');
    expect(missing.body).toMatch(/id="revision-summary"[^>]*aria-invalid="true"/);
    expect(missing.body).toContain('Typed text is kept.');

    const revised = await browser.submit(page(c), `${page(c)}/revisions`, {
      summary: 'Heap overflow in the widget parser (corrected)',
      details: ADVISORY.details,
      upgrade: 'Install 1.4.3.',
      'credits.0.name': 'Ada Reporter',
      'credits.0.type': 'FINDER',
      aliases: 'GHSA-aaaa-bbbb-cccc',
      references: 'FIX https://example.org/fix',
      cveId: '',
      revisionSummary: 'Corrected the fixed version',
    });
    expect(revised.statusCode).toBe(303);
    const after = await advisoryOf(c);
    expect(after).toMatchObject({
      revision: 2,
      summary: 'Heap overflow in the widget parser (corrected)',
      upgrade: 'Install 1.4.3.',
      aliases: ['GHSA-aaaa-bbbb-cccc'],
    });
    expect(after.modifiedAt).not.toBe(before.modifiedAt);
    const revisions = (await api(tokens.member, 'GET', `${caseApi(c)}/revisions`)).json().revisions;
    expect(revisions.map((r: { number: number; summary: string }) => [r.number, r.summary])).toEqual([
      [1, 'Initial publication'],
      [2, 'Corrected the fixed version'],
    ]);
    expect(revisions[1].publicUrl).toBe(`http://localhost:8080/p/${project.slug}/advisories/${after.publicId}`);
    const publicPage = await ctx.app.inject({ method: 'GET', url: `/p/${project.slug}/advisories/${after.publicId}` });
    expect(publicPage.statusCode).toBe(200);
    expect(publicPage.body).toContain('Heap overflow in the widget parser (corrected)');
    // The advisory page lists the revisions with links to the public page.
    const listed = await browser.get(page(c));
    expect(listed.body).toContain(`href="/p/${project.slug}/advisories/${after.publicId}"`);
    expect(listed.body).toContain('data-revision="2"');

    // The API: text replaced whole, summary one line; refusals name the field in the whole body.
    const byApi = await api(tokens.member, 'POST', `${caseApi(c)}/revisions`, {
      summary: 'CVE id assigned',
      cveId: 'CVE-2026-5555',
    });
    expect(byApi.statusCode).toBe(201);
    expect(byApi.json()).toMatchObject({ revision: 3, advisory: { cveId: 'CVE-2026-5555' } });
    const noTitle = await api(tokens.member, 'POST', `${caseApi(c)}/revisions`, {
      summary: 'x',
      text: { summary: '' },
    });
    expect(noTitle.statusCode).toBe(400);
    expect(noTitle.json().error.details.field).toBe('text.summary');
    const badMeta = await api(tokens.member, 'POST', `${caseApi(c)}/revisions`, {
      summary: 'x',
      meta: { aliases: ['not an id'] },
    });
    expect(badMeta.json().error.details.field).toBe('meta.aliases.0');
    const noSummary = await api(tokens.member, 'POST', `${caseApi(c)}/revisions`, { summary: ' ' });
    expect(noSummary.statusCode).toBe(400);
    expect(noSummary.json().error.details.field).toBe('summary');
    expect((await advisoryOf(c)).revision).toBe(3);
  });

  it('refuses to revise a draft, withdraws once (with the confirmation), and refuses after', async () => {
    const draft = await makeCase(ctx, project);
    // An empty draft (nothing saved yet) and a saved one are both drafts.
    const revisingDraft = await api(tokens.member, 'POST', `${caseApi(draft)}/revisions`, { summary: 'x' });
    expect(revisingDraft.statusCode).toBe(409);
    await api(tokens.member, 'PUT', `${caseApi(draft)}/meta`, {});
    const notPublished = await api(tokens.member, 'POST', `${caseApi(draft)}/revisions`, { summary: 'x' });
    expect(notPublished.statusCode).toBe(409);
    expect(notPublished.json().error.code).toBe('INVALID_TRANSITION');

    const c = await publishedCase();
    const unconfirmed = await browser.submit(page(c), `${page(c)}/withdraw`, { reason: 'Not a vulnerability' });
    expect(unconfirmed.statusCode).toBe(400);
    expect(unconfirmed.body).toContain('data-code="VALIDATION_FAILED"');
    expect(unconfirmed.body).toContain('value="Not a vulnerability"');
    const noReason = await api(tokens.member, 'POST', `${caseApi(c)}/withdraw`, { reason: '' });
    expect(noReason.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'reason' } });

    const withdrawn = await browser.submit(page(c), `${page(c)}/withdraw`, {
      reason: 'Not a vulnerability',
      confirm: '1',
    });
    expect(withdrawn.statusCode).toBe(303);
    const after = await advisoryOf(c);
    expect(after).toMatchObject({ revision: 2, withdrawnReason: 'Not a vulnerability' });
    expect(after.withdrawnAt).not.toBeNull();
    const shown = await browser.get(page(c));
    expect(shown.body).toContain('data-advisory-withdrawn');
    expect(shown.body).not.toContain('Publish a revision');
    const casePage = await browser.get(`/p/${project.slug}/cases/${c.number}`);
    expect(casePage.body).toContain('data-advisory-withdrawn');

    const twice = await api(tokens.member, 'POST', `${caseApi(c)}/withdraw`, { reason: 'Again' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('INVALID_TRANSITION');
    const revise = await api(tokens.member, 'POST', `${caseApi(c)}/revisions`, { summary: 'x' });
    expect(revise.statusCode).toBe(409);
    // A form refusal the page no longer has a form for is shown on top, with its code.
    const late = await browser.submit(page(c), `${page(c)}/meta`, { aliases: '' });
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('data-code="INVALID_TRANSITION"');
  });

  it('hides cases from outsiders (404) and keeps the project settings to admins (403)', async () => {
    const c = await publishedCase();
    for (const [method, url, body] of [
      ['GET', `${caseApi(c)}/revisions`, undefined],
      ['PUT', `${caseApi(c)}/meta`, {}],
      ['POST', `${caseApi(c)}/cve`, {}],
      ['PUT', `${caseApi(c)}/cve-request`, { requestedFrom: 'x' }],
      ['POST', `${caseApi(c)}/revisions`, { summary: 'x' }],
      ['POST', `${caseApi(c)}/withdraw`, { reason: 'x' }],
    ] as const) {
      const res = await api(tokens.outsider, method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const put = await settings('request');
    expect(put.statusCode).toBe(200);
    const byMember = await api(tokens.member, 'PUT', `/api/v1/projects/${project.slug}/security-settings`, {
      publisherName: null,
      cveSource: 'cna',
      cveRequestFrom: null,
      bountyText: null,
      bountyUrl: null,
      securityTxtDays: 180,
    });
    expect(byMember.statusCode).toBe(403);
    expect((await api(tokens.member, 'GET', `/api/v1/projects/${project.slug}/security-settings`)).statusCode).toBe(
      200,
    );
    expect((await browser.get(`/p/${project.slug}/settings/security`)).statusCode).toBe(403);
    expect((await browser.get(`/p/${project.slug}/settings/cve-ids`)).statusCode).toBe(403);
    const pool = await api(tokens.member, 'POST', `/api/v1/projects/${project.slug}/cve-ids`, {
      cveIds: ['CVE-2026-31337'],
    });
    expect(pool.statusCode).toBe(403);
  });

  it('saves the security settings by form, naming a refused field', async () => {
    const adminBrowser = new Browser(ctx.app);
    adminBrowser.jar[SESSION_COOKIE] = await tx((trx) =>
      createSession(trx, ctx.clock, { userId: admin.id, days: 30, origin: noOrigin }),
    );
    const url = `/p/${project.slug}/settings/security`;
    const form = {
      publisherName: 'Widget Security Team',
      cveSource: 'cna',
      cveRequestFrom: '',
      bountyText: 'We pay for critical bugs.',
      bountyUrl: 'https://example.org/bounty',
      securityTxtDays: '90',
    };
    expect((await adminBrowser.submit(url, url, form)).statusCode).toBe(303);
    const stored = (await api(tokens.admin, 'GET', `/api/v1/projects/${project.slug}/security-settings`)).json();
    expect(stored.settings).toEqual({
      publisherName: 'Widget Security Team',
      cveSource: 'cna',
      cveRequestFrom: null,
      bountyText: 'We pay for critical bugs.',
      bountyUrl: 'https://example.org/bounty',
      securityTxtDays: 90,
    });
    const refused = await adminBrowser.submit(url, url, {
      ...form,
      bountyUrl: 'http://example.org',
      securityTxtDays: '90',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('data-code="VALIDATION_FAILED"');
    expect(refused.body).toMatch(/id="bountyUrl"[^>]*value="http:\/\/example.org"[^>]*aria-invalid="true"/);
    const nav = await adminBrowser.get(`/p/${project.slug}/settings`);
    expect(nav.body).toContain(`href="/p/${project.slug}/settings/security"`);
    expect(nav.body).toContain(`href="/p/${project.slug}/settings/cve-ids"`);
    await settings('request');
  });
});
