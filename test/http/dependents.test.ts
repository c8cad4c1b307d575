import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, iso } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { activateEmbargo, getEmbargo, proposeEmbargo } from '../../src/domain/cases/embargo.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { alertDependentsSince } from '../../src/domain/scan/dependent-alerts.service.js';
import { recordsFromFile } from '../../src/domain/scan/osv-files.js';
import { importOsvRecords } from '../../src/domain/scan/vulndb.service.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { SESSION_COOKIE } from '../../src/http/plugins/auth.js';
import { testWorker } from '../mail/support.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { readyCase } from '../support/disclosure.js';
import { absorbCookies, Browser, cookieHeader, csrfFrom, makeProject, makeUser } from '../support/factories.js';
import { multipartBody } from '../support/intake.js';

// The dependents' pages and API with JavaScript off: the public registration form (a lockfile or
// package URLs), the confirmation link (GET shows, POST confirms), the manage link (replace, remove,
// unsubscribe), refusals that store nothing, the project's own registrations, and the case page
// listing who was told at the go.

const LOCK = JSON.stringify({
  name: 'shop',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'shop', version: '1.0.0', dependencies: { 'left-pad': '^1.2.0' } },
    'node_modules/left-pad': { version: '1.2.0' },
  },
});

describe.each(engines())('dependents pages and API on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let admin: User;
  let member: User;
  let adminToken: string;
  let memberToken: string;
  let client = 0;

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  /** A browser from an address of its own, so that the per-client limit is this test's alone. */
  const browser = () => {
    client += 1;
    return { jar: {} as Record<string, string>, ip: `198.51.100.${client}` };
  };
  const get = async (b: ReturnType<typeof browser>, url: string) => {
    const res = await ctx.app.inject({
      method: 'GET',
      url,
      remoteAddress: b.ip,
      headers: { cookie: cookieHeader(b.jar), accept: 'text/html' },
    });
    absorbCookies(b.jar, res.headers['set-cookie']);
    return res;
  };
  /** Loads `page` for its CSRF token and posts the form as multipart, the file (if any) as `file`. */
  const submit = async (
    b: ReturnType<typeof browser>,
    page: string,
    action: string,
    fields: Record<string, string>,
    file?: { filename: string; content: string },
  ) => {
    const csrf = csrfFrom((await get(b, page)).body);
    const { payload, contentType } = await multipartBody({ _csrf: csrf, ...fields }, file ? [file] : [], 'file');
    const res = await ctx.app.inject({
      method: 'POST',
      url: action,
      remoteAddress: b.ip,
      headers: { cookie: cookieHeader(b.jar), 'content-type': contentType, accept: 'text/html' },
      payload,
    });
    absorbCookies(b.jar, res.headers['set-cookie']);
    return res;
  };
  /** A plain URL-encoded form post (the buttons without a file). */
  const post = async (
    b: ReturnType<typeof browser>,
    page: string,
    action: string,
    fields: Record<string, string> = {},
  ) => {
    const csrf = csrfFrom((await get(b, page)).body);
    const res = await ctx.app.inject({
      method: 'POST',
      url: action,
      remoteAddress: b.ip,
      headers: {
        cookie: cookieHeader(b.jar),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
      },
      payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
    });
    absorbCookies(b.jar, res.headers['set-cookie']);
    return res;
  };
  const counts = async () => ({
    dependents: (await ctx.deps.db.selectFrom('dependents').select('id').execute()).length,
    inventories: (await ctx.deps.db.selectFrom('inventories').select('id').execute()).length,
    emails: (await ctx.deps.db.selectFrom('outbound_emails').select('id').execute()).length,
  });
  const confirmLink = async (email: string) => {
    const mail = await ctx.deps.db
      .selectFrom('outbound_emails')
      .select('text_body')
      .where('to_address', '=', email)
      .where('template', '=', 'dependent-confirm')
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    return /\/dependents\/confirm\/[A-Za-z0-9_-]+/.exec(mail.text_body)?.[0] ?? '';
  };
  const api = (method: 'GET' | 'POST', url: string, body?: unknown, bearer?: string) =>
    ctx.app.inject({
      method,
      url,
      remoteAddress: `203.0.113.${(client += 1) % 250}`,
      headers: {
        accept: 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    ctx = await createTestContext(engine, { env: { EMBARGO_LIST_REQUESTS_PER_HOUR: '3' } });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    admin = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', email: `admin-${engine}@widget.example` });
    member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    const tokenOf = async (u: User) =>
      (
        await tx((trx) =>
          createApiToken(trx, ctx.deps, { actor: actorOfUser(u), origin: noOrigin, name: 't', expiresInDays: 30 }),
        )
      ).token;
    adminToken = await tokenOf(admin);
    memberToken = await tokenOf(member);
  });
  afterAll(() => ctx.close());

  it('registers a lockfile from the form, confirms by POST only, and manages it from the manage link', async () => {
    const b = browser();
    const form = await get(b, '/dependents/subscribe');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('enctype="multipart/form-data"');
    const sent = await submit(
      b,
      '/dependents/subscribe',
      '/dependents/subscribe',
      { name: 'Acme Shop', email: 'ada@shop.example', purls: '' },
      { filename: 'package-lock.json', content: LOCK },
    );
    expect(sent.statusCode).toBe(200);
    expect(sent.body).toContain('data-dependents-page="requested"');
    const link = await confirmLink('ada@shop.example');

    // GET changes nothing (mail scanners follow links).
    const shown = await get(b, link);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('data-registration="package-lock.json"');
    const pending = await ctx.deps.db
      .selectFrom('dependents')
      .select('status')
      .where('email', '=', 'ada@shop.example')
      .executeTakeFirstOrThrow();
    expect(pending.status).toBe('pending');
    const confirmed = await post(b, link, link);
    expect(confirmed.statusCode).toBe(303);
    const manage = String(confirmed.headers.location).split('?')[0] ?? '';
    expect(manage).toMatch(/^\/dependents\/manage\/[A-Za-z0-9_-]{40,}$/);
    // Used once.
    expect((await post(b, '/dependents/subscribe', link)).statusCode).toBe(404);

    // What affects the registration now is on the manage page.
    await tx((trx) =>
      importOsvRecords(
        trx,
        ctx.deps,
        recordsFromFile(
          'r.json',
          new TextEncoder().encode(
            JSON.stringify({
              id: 'GHSA-left-left-left',
              modified: '2020-01-01T00:00:00Z',
              published: '2020-01-01T00:00:00Z',
              summary: 'Old left-pad bug',
              affected: [
                {
                  package: { ecosystem: 'npm', name: 'left-pad' },
                  ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }],
                },
              ],
            }),
          ),
        ),
      ),
    );
    let page = await get(b, `${manage}?done=confirmed`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Confirmed');
    expect(page.body).toContain('data-match="GHSA-left-left-left"');
    expect(page.body).toContain('1.3.0');

    // Another registration (package URLs), then removing the lockfile.
    const added = await submit(b, manage, manage, { purls: 'pkg:cargo/smallvec@1.6.0\n# a comment\n' });
    expect(added.statusCode).toBe(303);
    page = await get(b, manage);
    expect(page.body).toContain('data-registration="package URLs"');
    const lockId = /name="registration" value="([^"]+)"/.exec(
      page.body.slice(page.body.indexOf('data-registration="package-lock.json"')),
    )?.[1];
    expect(lockId).toBeDefined();
    const removed = await post(b, manage, `${manage}/remove`, { registration: lockId ?? '' });
    expect(removed.statusCode).toBe(303);
    page = await get(b, manage);
    expect(page.body).not.toContain('data-registration="package-lock.json"');

    // Unsubscribing deletes the registrations; the link then says so.
    const gone = await post(b, manage, `${manage}/unsubscribe`);
    expect(gone.statusCode).toBe(303);
    page = await get(b, manage);
    expect(page.body).toContain('data-dependents-page="unsubscribed"');
    const dependent = await ctx.deps.db
      .selectFrom('dependents')
      .select(['id', 'status'])
      .where('email', '=', 'ada@shop.example')
      .executeTakeFirstOrThrow();
    expect(dependent.status).toBe('unsubscribed');
    expect(
      await ctx.deps.db.selectFrom('inventories').select('id').where('dependent_id', '=', dependent.id).execute(),
    ).toEqual([]);
    // No token in the logs.
    expect(ctx.logs()).not.toContain(link.split('/').pop() ?? '');
    expect(ctx.logs()).not.toContain(manage.split('/').pop() ?? '');
  });

  it('refuses a bad lockfile, an unknown file and a bad package URL with 400, storing nothing', async () => {
    const b = browser();
    const before = await counts();
    const broken = await submit(
      b,
      '/dependents/subscribe',
      '/dependents/subscribe',
      { name: 'Acme', email: 'bad@shop.example', purls: '' },
      { filename: 'package-lock.json', content: '{"lockfileVersion": 3, "packages": ' },
    );
    expect(broken.statusCode).toBe(400);
    expect(broken.body).toContain('data-code="VALIDATION_FAILED"');
    const unknown = await submit(
      b,
      '/dependents/subscribe',
      '/dependents/subscribe',
      { name: 'Acme', email: 'bad@shop.example', purls: '' },
      { filename: 'notes.txt', content: 'left-pad 1.2.0' },
    );
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('is not a lockfile or SBOM');
    const purl = await submit(b, '/dependents/subscribe', '/dependents/subscribe', {
      name: 'Acme',
      email: 'bad@shop.example',
      purls: 'pkg:npm/left-pad@1.2.0\nnot a purl',
    });
    expect(purl.statusCode).toBe(400);
    expect(purl.body).toContain('Line 2');
    // What was typed is kept.
    expect(purl.body).toContain('pkg:npm/left-pad@1.2.0');
    const viaApi = await api('POST', '/api/v1/dependents', {
      name: 'Acme',
      email: 'bad@shop.example',
      file: { name: 'Cargo.lock', content: 'this is [not toml' },
    });
    expect(viaApi.statusCode).toBe(400);
    expect(viaApi.json().error.code).toBe('VALIDATION_FAILED');
    expect(await counts()).toEqual(before);
  });

  it('limits requests per client address, and answers the API the same way as the form', async () => {
    const b = browser();
    const fields = { name: 'Acme', email: 'many@shop.example', purls: 'pkg:npm/left-pad@1.2.0' };
    for (let i = 0; i < 3; i++) {
      expect((await submit(b, '/dependents/subscribe', '/dependents/subscribe', fields)).statusCode).toBe(200);
    }
    const refused = await submit(b, '/dependents/subscribe', '/dependents/subscribe', fields);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    // Three mails a day at most to one address, whoever asks: the fourth request is answered alike.
    const ok = await api('POST', '/api/v1/dependents', {
      name: 'Acme',
      email: 'many@shop.example',
      purls: ['pkg:npm/left-pad'],
    });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ status: 'confirmation-sent' });
    const mails = await ctx.deps.db
      .selectFrom('outbound_emails')
      .select('id')
      .where('to_address', '=', 'many@shop.example')
      .execute();
    expect(mails).toHaveLength(3);
  });

  it("registers the project's own dependencies (admins), over the page and the API, and mails its members", async () => {
    const browserOf = async (u: User) => {
      const b = new Browser(ctx.app);
      b.jar[SESSION_COOKIE] = await tx((trx) =>
        createSession(trx, ctx.clock, { userId: u.id, days: 30, origin: noOrigin }),
      );
      return b;
    };
    const asMember = await browserOf(member);
    expect((await asMember.get(`/p/${project.slug}/settings/dependents`)).statusCode).toBe(403);
    expect((await api('GET', `/api/v1/projects/${project.slug}/dependents`, undefined, memberToken)).statusCode).toBe(
      403,
    );

    const asAdmin = await browserOf(admin);
    const url = `/p/${project.slug}/settings/dependents`;
    const page = await asAdmin.get(url);
    expect(page.statusCode).toBe(200);
    const { payload, contentType } = await multipartBody(
      { _csrf: csrfFrom(page.body), purls: 'pkg:golang/golang.org/x/net@0.1.0' },
      [],
      'file',
    );
    const saved = await ctx.app.inject({
      method: 'POST',
      url,
      headers: { cookie: cookieHeader(asAdmin.jar), 'content-type': contentType, accept: 'text/html' },
      payload,
    });
    expect(saved.statusCode).toBe(303);
    expect((await asAdmin.get(url)).body).toContain('data-registration="package URLs"');

    const since = iso(ctx.clock.now());
    const posted = await api(
      'POST',
      `/api/v1/projects/${project.slug}/dependents`,
      { file: { name: 'package-lock.json', content: LOCK } },
      adminToken,
    );
    expect(posted.statusCode).toBe(201);
    expect(posted.json().registration).toMatchObject({
      name: 'package-lock.json',
      format: 'package-lock.json',
      packageCount: 1,
    });
    const listed = await api('GET', `/api/v1/projects/${project.slug}/dependents`, undefined, adminToken);
    expect(listed.json().registrations.map((r: { name: string }) => r.name)).toEqual([
      'package URLs',
      'package-lock.json',
    ]);

    ctx.clock.advance(DAY_MS);
    await tx((trx) =>
      importOsvRecords(
        trx,
        ctx.deps,
        recordsFromFile(
          'go.json',
          new TextEncoder().encode(
            JSON.stringify({
              id: 'GO-2026-0001',
              modified: iso(ctx.clock.now()),
              published: iso(ctx.clock.now()),
              summary: 'HTTP/2 rapid reset in x/net',
              affected: [
                {
                  package: { ecosystem: 'Go', name: 'golang.org/x/net' },
                  ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.17.0' }] }],
                },
              ],
            }),
          ),
        ),
      ),
    );
    await alertDependentsSince(ctx.deps, { since });
    for (const to of [admin.email, member.email]) {
      const mails = await ctx.deps.db
        .selectFrom('outbound_emails')
        .select('text_body')
        .where('to_address', '=', to)
        .where('template', '=', 'dependent-alert')
        .execute();
      expect(mails, to).toHaveLength(1);
      expect(mails[0]?.text_body).toContain('golang.org/x/net 0.1.0 (Go): GO-2026-0001');
      expect(mails[0]?.text_body).toContain('upgrade to 0.17.0 or later');
    }
  });

  it("lists the dependents told at the go on the case's page, addresses masked", async () => {
    const b = browser();
    await submit(b, '/dependents/subscribe', '/dependents/subscribe', {
      name: 'Acme Shop',
      email: 'carol@shop.example',
      purls: 'pkg:npm/widget-page@1.1.0',
    });
    const link = await confirmLink('carol@shop.example');
    expect((await post(b, link, link)).statusCode).toBe(303);
    const lead = actorOf(admin, project, 'admin');
    const { theCase } = await readyCase(ctx, project, admin, { packageName: 'widget-page' });
    const by = { actor: lead, origin: noOrigin, theCase };
    await tx((trx) => proposeEmbargo(trx, ctx.deps, by));
    await tx((trx) => activateEmbargo(trx, ctx.deps, by));
    const embargo = await getEmbargo(ctx.deps.db, theCase.id);
    ctx.clock.set(embargo?.releaseAt ?? '');
    const worker = testWorker(ctx);
    while ((await worker.runDue()) > 0) {
      // the go, then its jobs
    }
    const asAdmin = new Browser(ctx.app);
    asAdmin.jar[SESSION_COOKIE] = await tx((trx) =>
      createSession(trx, ctx.clock, { userId: admin.id, days: 30, origin: noOrigin }),
    );
    const page = await asAdmin.get(`/p/${project.slug}/cases/${theCase.number}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-case-dependents="1"');
    expect(page.body).toContain('Acme Shop (c***@shop.example)');
    expect(page.body).toContain('widget-page@1.1.0');
    expect(page.body).not.toContain('carol@shop.example');
  });
});
