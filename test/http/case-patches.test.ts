import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { renderToString } from 'preact-render-to-string';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { MAX_PATCH_BYTES } from '../../src/domain/cases/patch-parse.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project, ReleaseBranch } from '../../src/domain/projects/projects.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { loadPatchesSection, PatchesSection } from '../../src/http/pages/case-patches.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { absorbCookies, Browser, cookieHeader, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode, multipartBody, type UploadFile } from '../support/intake.js';

const SERIES = fs.readFileSync(new URL('../fixtures/patches/series-rename-binary.patch', import.meta.url), 'utf8');
const HOSTILE = [
  'diff --git a/web/index.html b/web/index.html',
  '--- a/web/index.html',
  '+++ b/web/index.html',
  '@@ -1,2 +1,3 @@ <body onload="x()">',
  ' <p>hello</p>',
  '-<script>alert("old")</script>',
  '+<script>alert("pwned")</script>',
  '+<img src=x onerror=alert(1)>',
  '',
].join('\n');
const small = (marker: string) => `--- a/a.c\n+++ b/a.c\n@@ -1 +1,2 @@\n int a;\n+int ${marker};\n`;

describe.each(engines())('the patch pages and API on %s', (engine) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let project: Project;
  let uploader: User;
  let reviewer: User;
  let outsider: User;
  let main: ReleaseBranch;
  let theCase: Case;
  let caseUrl: string;
  let up: Browser;
  let rev: Browser;
  let stranger: Browser;

  const patchesOf = () =>
    ctx.deps.db
      .selectFrom('patches')
      .select(['id', 'filename', 'kind', 'status', 'content', 'uploaded_by'])
      .where('case_id', '=', theCase.id)
      .orderBy('uploaded_at')
      .execute();
  /** Posts the upload form as a browser does: multipart, with a file field named "file". */
  async function uploadForm(browser: Browser, fields: Record<string, string>, file?: UploadFile) {
    const page = await browser.get('/projects');
    const { payload, contentType } = await multipartBody(
      { _csrf: csrfFrom(page.body), ...fields },
      file ? [file] : [],
      'file',
    );
    const res = await app.inject({
      method: 'POST',
      url: `${caseUrl}/patches`,
      headers: { cookie: cookieHeader(browser.jar), 'content-type': contentType, accept: 'text/html' },
      payload,
    });
    absorbCookies(browser.jar, res.headers['set-cookie']);
    return res;
  }
  const formPost = async (browser: Browser, url: string, form: Record<string, string>) =>
    browser.post(url, { _csrf: csrfFrom((await browser.get('/projects')).body), ...form });
  const newBrowser = async (user: User) => {
    const b = new Browser(app);
    await login(b, user.email);
    return b;
  };

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    app = ctx.app;
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Patch Pages' });
    uploader = await makeUser(ctx.deps.db, ctx.clock, { project, name: 'Ulla Uploader' });
    reviewer = await makeUser(ctx.deps.db, ctx.clock, { project, name: 'Rita Reviewer' });
    outsider = await makeUser(ctx.deps.db, ctx.clock);
    main = await ctx.deps.db.transaction().execute((trx) =>
      addBranch(trx, ctx.clock, {
        by: { actor: actorOf(uploader, project), origin: noOrigin },
        projectId: project.id,
        name: 'main',
        endOfSupport: null,
      }),
    );
    theCase = await makeCase(ctx, project, actorOf(uploader, project));
    caseUrl = `/p/${project.slug}/cases/${theCase.number}`;
    up = await newBrowser(uploader);
    rev = await newBrowser(reviewer);
    stranger = await newBrowser(outsider);
  });
  afterAll(() => ctx.close());

  it('takes a format-patch file from the form and shows it rendered, with line numbers and authors', async () => {
    const res = await uploadForm(
      up,
      { branchId: main.id, content: '', filename: '' },
      { filename: 'series.patch', content: SERIES, type: 'text/x-diff' },
    );
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${caseUrl}#patches`);
    const [stored] = await patchesOf();
    expect(stored).toMatchObject({ filename: 'series.patch', kind: 'format-patch', content: SERIES });

    const page = await rev.get(`${caseUrl}/patches/${stored?.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('/assets/patch.css');
    expect(page.body).toContain('parser: refuse input longer than the buffer');
    expect(page.body).toContain('By Zoë Ünal &lt;zoe@example.org> ·');
    expect(page.body).toMatch(/<code>src\/util.h → include\/util.h<\/code>/);
    expect(page.body).toContain('Binary file: not shown');
    expect(page.body).toContain('\\ No newline at end of file');
    // The added line of src/parser.c is line 5 of the new file and has no old number.
    expect(page.body).toMatch(
      /<tr class="line-add"><td class="ln"><\/td><td class="ln" aria-label="new line 5">5<\/td><td class="code"><span class="mark">\+<\/span>\tif \(len >= n\)<\/td><\/tr>/,
    );
    expect(page.body).toContain('value="approve"');
    // The uploader may not approve their own patch: the form does not offer it.
    const own = await up.get(`${caseUrl}/patches/${stored?.id}`);
    expect(own.body).toContain('name="verdict"');
    expect(own.body).not.toContain('value="approve"');
  });

  it('escapes markup inside a patch, and stores a pasted patch with git’s line breaks', async () => {
    const res = await formPost(up, `${caseUrl}/patches`, {
      branchId: main.id,
      content: HOSTILE.replace(/\n/g, '\r\n'),
      filename: '',
    });
    expect(res.statusCode).toBe(303);
    const latest = (await patchesOf()).at(-1);
    expect(latest).toMatchObject({ filename: 'main.diff', kind: 'diff', content: HOSTILE, status: 'in_review' });
    const page = await rev.get(`${caseUrl}/patches/${latest?.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).not.toContain('<body onload');
    // Preact escapes "<", "&" and '"' in text, which is what keeps markup from starting.
    expect(page.body).toContain('<span class="mark">+</span>&lt;script>alert(&quot;pwned&quot;)&lt;/script></td>');
    expect(page.body).toContain('<span class="mark">+</span>&lt;img src=x onerror=alert(1)></td>');
    expect(page.body).toContain('<code>@@ -1,2 +1,3 @@ &lt;body onload=&quot;x()&quot;></code>');
  });

  it('sends the raw patch as a download, exactly as uploaded, and audits every read', async () => {
    const patch = (await patchesOf()).at(-1);
    const res = await rev.get(`${caseUrl}/patches/${patch?.id}/raw`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/x-diff; charset=utf-8');
    expect(res.headers['content-disposition']).toBe("attachment; filename*=UTF-8''main.diff");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe('sandbox');
    expect(res.body).toBe(HOSTILE);
    const reads = await ctx.deps.db
      .selectFrom('audit_log')
      .select(['actor_label', 'detail'])
      .where('subject_id', '=', theCase.id)
      .where('action', '=', 'case.patch.viewed')
      .execute();
    const mine = reads.filter((r) => r.actor_label === reviewer.email).map((r) => JSON.parse(r.detail ?? '{}'));
    expect(mine.filter((d) => d.patchId === patch?.id && d.download === true)).toHaveLength(1);
    expect(mine.filter((d) => d.patchId === patch?.id && d.download === undefined)).toHaveLength(1);
  });

  it('refuses the uploader’s approval on the page with the reason, and takes another member’s', async () => {
    const patch = (await patchesOf()).at(-1);
    const url = `${caseUrl}/patches/${patch?.id}`;
    const own = await formPost(up, `${url}/review`, { verdict: 'approve', comment: 'LGTM (mine)' });
    expect(own.statusCode).toBe(400);
    expect(own.body).toContain('data-code="VALIDATION_FAILED"');
    expect(own.body).toContain('You uploaded this patch');
    expect(own.body).toContain('LGTM (mine)');
    const noReason = await formPost(rev, `${url}/review`, { verdict: 'request_changes', comment: '' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Say what has to change');

    const ok = await formPost(rev, `${url}/review`, { verdict: 'approve', comment: 'Tested on main.' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`${url}#reviews`);
    expect((await patchesOf()).at(-1)?.status).toBe('approved');
    const page = await rev.get(url);
    expect(page.body).toContain('Tested on main.');
    expect(page.body).toContain('badge patch-approved');
  });

  it('refuses text without a diff, a file and a paste at once, and an oversized file, storing nothing', async () => {
    const before = (await patchesOf()).length;
    const garbage = await uploadForm(up, { branchId: main.id, content: 'Just check the length, thanks!' });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.body).toContain('The patch was not uploaded');
    expect(garbage.body).toContain('holds no diff');
    expect(garbage.body).toContain(`href="${caseUrl}#patches"`);
    const both = await uploadForm(
      up,
      { branchId: main.id, content: small('pasted') },
      { filename: 'f.patch', content: small('file') },
    );
    expect(both.statusCode).toBe(400);
    expect(both.body).toContain('data-code="VALIDATION_FAILED"');
    expect(both.body).toContain('Either choose a file or paste the patch, not both.');
    const big = await uploadForm(
      up,
      { branchId: main.id },
      { filename: 'big.patch', content: Buffer.alloc(MAX_PATCH_BYTES + 1, 0x2b) },
    );
    expect(big.statusCode).toBe(413);
    const noBranch = await uploadForm(up, { branchId: '', content: small('x') });
    expect(noBranch.statusCode).toBe(400);
    expect((await patchesOf()).length).toBe(before);
  });

  it('hides patches from outsiders, sends the signed-out to sign in, and takes multipart only for uploads', async () => {
    const patch = (await patchesOf()).at(-1);
    for (const url of [`${caseUrl}/patches/${patch?.id}`, `${caseUrl}/patches/${patch?.id}/raw`]) {
      expect((await stranger.get(url)).statusCode).toBe(404);
      const anonymous = await new Browser(app).get(url);
      expect(anonymous.statusCode).toBe(303);
      expect(anonymous.headers.location).toMatch(/^\/login\?next=/);
    }
    expect((await uploadForm(stranger, { branchId: main.id, content: small('x') })).statusCode).toBe(404);
    expect((await rev.get(`${caseUrl}/patches/no-such-patch`)).statusCode).toBe(404);
    // The review route parses no multipart body: refused unread.
    const body = new PassThrough();
    body.write('--b\r\ncontent-disposition: form-data; name="verdict"\r\n\r\napprove');
    const res = await app.inject({
      method: 'POST',
      url: `${caseUrl}/patches/${patch?.id}/review`,
      headers: {
        cookie: cookieHeader(rev.jar),
        'content-type': 'multipart/form-data; boundary=b',
        accept: 'text/html',
      },
      payload: body,
    });
    body.destroy();
    expect(res.statusCode).toBe(415);
  });

  it('renders the case page section: current patches, reviews, branches waiting, and the upload form', async () => {
    const lts = await ctx.deps.db.transaction().execute((trx) =>
      addBranch(trx, ctx.clock, {
        by: { actor: actorOf(uploader, project), origin: noOrigin },
        projectId: project.id,
        name: '2.x',
        endOfSupport: null,
      }),
    );
    const props = await loadPatchesSection(ctx.deps, {
      actor: actorOf(reviewer, project),
      project,
      theCase,
      csrfToken: 'csrf-token-value',
    });
    expect(props.branches.map((b) => [b.name, b.supported])).toEqual([
      ['2.x', true],
      ['main', true],
    ]);
    const html = renderToString(PatchesSection(props));
    const latest = (await patchesOf()).at(-1);
    expect(html).toContain('id="patches"');
    expect(html).toContain(`href="${caseUrl}/patches/${latest?.id}"`);
    expect(html).toContain('badge patch-approved');
    expect(html).toContain('Rita Reviewer: approved');
    expect(html).toContain('1 earlier upload');
    expect(html).toContain('No patch yet for 2.x.');
    expect(html).toContain('enctype="multipart/form-data"');
    expect(html).toContain(`<option value="${lts.id}">2.x</option>`);
    expect(html).toContain('value="csrf-token-value"');
    const readOnly = renderToString(PatchesSection({ ...props, canUpload: false, canReview: false }));
    expect(readOnly).not.toContain('<form');
  });

  describe('over the API', () => {
    let upToken: string;
    let revToken: string;
    const tokenOf = async (user: User) =>
      (
        await ctx.deps.db.transaction().execute((trx) =>
          createApiToken(trx, ctx.deps, {
            actor: actorOfUser(user),
            origin: noOrigin,
            name: 'patches',
            expiresInDays: 30,
          }),
        )
      ).token;
    const call = (method: 'GET' | 'POST', url: string, token: string, body?: unknown) =>
      app.inject({
        method,
        url,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    const api = () => `/api/v1/projects/${project.slug}/cases/${theCase.number}/patches`;

    beforeAll(async () => {
      upToken = await tokenOf(uploader);
      revToken = await tokenOf(reviewer);
    });

    it('uploads, lists, reads with parsed files and reviews', async () => {
      const created = await call('POST', api(), upToken, { branchId: main.id, filename: 'v3.patch', content: SERIES });
      expect(created.statusCode).toBe(201);
      const patch = created.json();
      expect(patch).toMatchObject({
        branchName: 'main',
        filename: 'v3.patch',
        kind: 'format-patch',
        status: 'in_review',
      });

      const list = await call('GET', api(), revToken);
      expect(list.statusCode).toBe(200);
      const onMain = list.json().branches.find((b: { branchName: string }) => b.branchName === 'main');
      expect(onMain.latest.id).toBe(patch.id);
      expect(onMain.superseded.length).toBeGreaterThan(0);

      const detail = await call('GET', `${api()}/${patch.id}`, revToken);
      expect(detail.statusCode).toBe(200);
      const body = detail.json();
      expect(body.content).toBe(SERIES);
      expect(body.parsed.parts.map((p: { subject: string }) => p.subject)).toHaveLength(2);
      expect(body.parsed.parts[1].files.map((f: { change: string; binary: boolean }) => [f.change, f.binary])).toEqual([
        ['renamed', false],
        ['added', true],
      ]);
      const actions = await ctx.deps.db
        .selectFrom('audit_log')
        .select('action')
        .where('subject_id', '=', theCase.id)
        .where('actor_label', '=', reviewer.email)
        .execute();
      expect(actions.map((a) => a.action)).toEqual(
        expect.arrayContaining(['case.patches.viewed', 'case.patch.viewed']),
      );

      const self = await call('POST', `${api()}/${patch.id}/reviews`, upToken, { verdict: 'approve' });
      expect(self.statusCode).toBe(400);
      expect(self.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'verdict' } });
      const bad = await call('POST', `${api()}/${patch.id}/reviews`, revToken, { verdict: 'ship-it' });
      expect(bad.statusCode).toBe(400);
      const ok = await call('POST', `${api()}/${patch.id}/reviews`, revToken, { verdict: 'approve', comment: 'Good.' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ fixReady: false, patch: { status: 'approved' } });
      expect(ok.json().patch.reviews).toEqual([
        expect.objectContaining({ verdict: 'approve', comment: 'Good.', reviewerName: 'Rita Reviewer' }),
      ]);
    });

    it('refuses a diff-less upload with field "patch", and outsiders and missing tokens', async () => {
      const bad = await call('POST', api(), upToken, { branchId: main.id, filename: 'x', content: 'no diff here' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'patch' } });
      const outsiderToken = await tokenOf(outsider);
      expect((await call('GET', api(), outsiderToken)).statusCode).toBe(404);
      const anonymous = await app.inject({ method: 'GET', url: api(), headers: { accept: 'application/json' } });
      expect(anonymous.statusCode).toBe(401);
      expect(errorCode(anonymous)).toBe('AUTH_REQUIRED');
    });

    it('documents the four routes in OpenAPI', async () => {
      const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
      const base = '/api/v1/projects/{slug}/cases/{number}/patches';
      expect(Object.keys(doc.paths[base])).toEqual(expect.arrayContaining(['get', 'post']));
      expect(Object.keys(doc.paths[`${base}/{id}`])).toEqual(['get']);
      expect(Object.keys(doc.paths[`${base}/{id}/reviews`])).toEqual(['post']);
      expect(doc.paths[base].post.tags).toEqual(['cases']);
    });
  });
});
