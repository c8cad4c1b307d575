import crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/clock.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode, FormClient, rowCounts } from '../support/intake.js';

const REPORT = {
  title: 'SQL injection in the search endpoint',
  description: 'The `q` parameter is concatenated into SQL. Unique marker: ZEBRA-PAYLOAD-771.',
  affectedVersions: '2.0 to 2.4',
  reproduction: '1. GET /search?q=%27%20or%201=1--',
  impact: 'Read any row.',
  reporterName: 'Grace',
  reporterEmail: 'grace@example.net',
  credit: 'name',
};

describe.each(engines())('report form on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let memberEmail: string;
  let addressSeq = 0;
  // Each test sends from its own address, so the hourly limit of one test never touches another.
  const client = () => new FormClient(ctx.app, `10.1.0.${++addressSeq}`);
  const formUrl = () => `/p/${project.slug}/report`;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { env: { EMBARGO_INTAKE_PER_HOUR: '3' } });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Acme Parser' });
    memberEmail = (await makeUser(ctx.deps.db, ctx.clock, { project })).email;
  });
  afterAll(() => ctx.close());

  it('shows the form with every field, a CSRF token and the honeypot', async () => {
    const res = await client().get(formUrl());
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('enctype="multipart/form-data"');
    for (const name of ['title', 'description', 'affectedVersions', 'reproduction', 'impact', 'reporterEmail']) {
      expect(res.body).toContain(`name="${name}"`);
    }
    expect(res.body).toContain('type="file"');
    expect(res.body).toMatch(/class="hp"[^>]*>\s*<label for="website">Leave this empty<\/label>/);
    expect(res.body).toContain('name="_csrf"');
    expect(res.body).toContain('Markdown');
  });

  it('answers an unknown project with 404 PROJECT_NOT_FOUND', async () => {
    const res = await client().get('/p/no-such-project/report');
    expect(res.statusCode).toBe(404);
    expect(errorCode(res)).toBe('PROJECT_NOT_FOUND');
  });

  it('files a report with attachments and shows the private link once', async () => {
    const before = await rowCounts(ctx.deps.db);
    const browser = client();
    const res = await browser.submit(formUrl(), formUrl(), REPORT, [
      { filename: 'poc.py', content: 'print("pwned")\n', type: 'text/x-python' },
      { filename: '../../etc/passwd', content: Buffer.from([0, 1, 2, 3]) },
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    const trackingId = /R-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(res.body)?.[0];
    const link = /http:\/\/localhost:8080\/status\/([A-Za-z0-9_-]{43})/.exec(res.body);
    expect(trackingId).toBeDefined();
    const token = link?.[1] ?? '';
    expect(token).toHaveLength(43);

    const after = await rowCounts(ctx.deps.db);
    expect(after.reports).toBe(before.reports + 1);
    expect(after.attachments).toBe(before.attachments + 2);
    expect(after.audit_log).toBe(before.audit_log + 1);
    const row = await ctx.deps.db
      .selectFrom('reports')
      .selectAll()
      .where('tracking_id', '=', trackingId ?? '')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'new', source: 'web', title: REPORT.title, credit: 'name' });
    expect(row.ack_due_at).toBe(new Date(ctx.clock.now().getTime() + 24 * HOUR_MS).toISOString());
    // The token is stored only as its hash: no column of any row holds it.
    expect(row.status_token_hash).toBe(crypto.createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);
    const audit = await ctx.deps.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject_id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(audit.action).toBe('report.submitted');
    expect(audit.actor_kind).toBe('reporter');
    expect(audit.detail ?? '').not.toContain('ZEBRA');

    const files = await ctx.deps.db
      .selectFrom('attachments')
      .select(['filename', 'size', 'sha256'])
      .where('report_id', '=', row.id)
      .orderBy('filename')
      .execute();
    expect(files.map((f) => f.filename)).toEqual(['passwd', 'poc.py']);
    const poc = files.find((f) => f.filename === 'poc.py');
    expect(poc?.sha256).toBe(crypto.createHash('sha256').update('print("pwned")\n').digest('hex'));

    const mails = await ctx.deps.db
      .selectFrom('outbound_emails')
      .select(['to_address', 'template', 'text_body'])
      .where('report_id', '=', row.id)
      .execute();
    expect(mails.map((m) => `${m.template}:${m.to_address}`).sort()).toEqual(
      [`report-received:${REPORT.reporterEmail}`, `team-new-report:${memberEmail}`].sort(),
    );
    expect(after.jobs).toBe(before.jobs + 2);

    const status = await browser.get(`/status/${token}`);
    expect(status.statusCode).toBe(200);
    expect(status.body).toContain(trackingId);
    expect(status.body).toContain('Acme Parser');
  });

  it('files a report without optional fields or files, and sends no reporter email without an address', async () => {
    const before = await rowCounts(ctx.deps.db);
    const res = await client().submit(formUrl(), formUrl(), { title: 'Short', description: 'Just this.' });
    expect(res.statusCode).toBe(200);
    const after = await rowCounts(ctx.deps.db);
    expect(after.reports).toBe(before.reports + 1);
    expect(after.attachments).toBe(before.attachments);
    expect(after.outbound_emails).toBe(before.outbound_emails + 1); // the team only
  });

  async function expectRefused(
    send: () => Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>,
    status: number,
    code: string,
  ) {
    const before = await rowCounts(ctx.deps.db);
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(errorCode(res)).toBe(code);
    expect(await rowCounts(ctx.deps.db)).toEqual(before);
    return res;
  }

  it('refuses a post without the CSRF token and stores nothing', async () => {
    const browser = client();
    await browser.get(formUrl());
    await expectRefused(() => browser.postMultipart(formUrl(), REPORT), 403, 'CSRF_TOKEN_INVALID');
  });

  it('re-renders the form with the input kept when a required field is missing', async () => {
    const res = await expectRefused(
      () => client().submit(formUrl(), formUrl(), { ...REPORT, title: '   ' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(res.body).toContain('A title is required.');
    expect(res.body).toContain('ZEBRA-PAYLOAD-771');
    expect(res.body).toContain('value="grace@example.net"');
    expect(res.body).toContain('name="_csrf"');
  });

  it('refuses a malformed email address or credit choice', async () => {
    const bad = await expectRefused(
      () => client().submit(formUrl(), formUrl(), { ...REPORT, reporterEmail: 'not an address' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(bad.body).toContain('aria-invalid="true"');
    await expectRefused(
      () => client().submit(formUrl(), formUrl(), { ...REPORT, credit: 'fame' }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('refuses a reporter address carrying URL syntax, storing nothing, and takes + and dots', async () => {
    for (const reporterEmail of [
      'x@evil.com?bcc=spy%40attacker.org',
      'x@evil.com&cc=spy',
      'x=y@example.org',
      'a/b@example.org',
      'a\\b@example.org',
      'x@example.org#top',
      'x\t@example.org',
    ]) {
      const res = await expectRefused(
        () => client().submit(formUrl(), formUrl(), { ...REPORT, reporterEmail }),
        400,
        'VALIDATION_FAILED',
      );
      expect(res.body).toMatch(/id="reporterEmail"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="reporterEmail"/);
    }
    const ok = await client().submit(formUrl(), formUrl(), { ...REPORT, reporterEmail: 'first.last+tag@example.org' });
    expect(ok.statusCode).toBe(200);
    const trackingId = /R-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(ok.body)?.[0] ?? '';
    const row = await ctx.deps.db
      .selectFrom('reports')
      .select('reporter_email')
      .where('tracking_id', '=', trackingId)
      .executeTakeFirstOrThrow();
    expect(row.reporter_email).toBe('first.last+tag@example.org');
  });

  it("links the team to the reporter's exact address, even one stored with URL syntax before it was refused", async () => {
    const res = await client().submit(formUrl(), formUrl(), REPORT);
    const trackingId = /R-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(res.body)?.[0] ?? '';
    const { id } = await ctx.deps.db
      .selectFrom('reports')
      .select('id')
      .where('tracking_id', '=', trackingId)
      .executeTakeFirstOrThrow();
    await ctx.deps.db
      .updateTable('reports')
      .set({ reporter_email: 'x@evil.com?bcc=spy%40attacker.org' })
      .where('id', '=', id)
      .execute();
    const browser = new Browser(ctx.app);
    await login(browser, memberEmail);
    const page = await browser.get(`/p/${project.slug}/reports/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('href="mailto:x@evil.com%3Fbcc%3Dspy%2540attacker.org"');
    expect(page.body).not.toContain('mailto:x@evil.com?');
  });

  it('refuses a multipart body on every route but those that take uploads, before reading it', async () => {
    const uploads = new Set([
      'POST /p/:slug/report',
      'POST /status/:token/messages',
      'POST /p/:slug/cases/:number/patches',
      // An upstream advisory's JSON file, pasted or uploaded.
      'POST /p/:slug/cases/import',
      // A branch's lockfile or SBOM, uploaded or pasted.
      'POST /p/:slug/dependencies/branches/:branchId/inventories',
      // A dependent's lockfile or SBOM: the public registration, its manage link, the project's own.
      'POST /dependents/subscribe',
      'POST /dependents/manage/:token',
      'POST /p/:slug/settings/dependents',
      // RFC 8058: a mail client's one-click unsubscribe may post multipart/form-data; it is read only
      // up to 4 KB (public-lists.tsx), so the big body below is refused with 413 there.
      'POST /p/:slug/lists/unsubscribe/:token',
    ]);
    const routes = ctx.app.routeList.filter(
      (r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method) && !uploads.has(`${r.method} ${r.url}`),
    );
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      // Never ended: a route that waited for the whole body would never answer.
      const body = new PassThrough();
      body.write('--b\r\ncontent-disposition: form-data; name="attachments"; filename="big.bin"\r\n\r\n');
      body.write(Buffer.alloc(64 * 1024, 0x41));
      const res = await ctx.app.inject({
        method: route.method as 'POST',
        url: route.url.replace(/:[A-Za-z]+/g, 'x'),
        remoteAddress: '10.1.9.9',
        headers: { 'content-type': 'multipart/form-data; boundary=b', accept: 'text/html' },
        payload: body,
      });
      body.destroy();
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(415);
      expect(errorCode(res), `${route.method} ${route.url}`).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('refuses an over-long description', async () => {
    await expectRefused(
      () => client().submit(formUrl(), formUrl(), { ...REPORT, description: 'x'.repeat(50_001) }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('refuses a filled honeypot as spam and stores nothing', async () => {
    await expectRefused(
      () => client().submit(formUrl(), formUrl(), { ...REPORT, website: 'http://spam.example' }),
      400,
      'SPAM_SUSPECTED',
    );
  });

  it('refuses a posted report for an unknown project', async () => {
    const browser = client();
    const page = await browser.get(formUrl());
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    await expectRefused(
      () => browser.postMultipart('/p/nope/report', { _csrf: csrf, ...REPORT }),
      404,
      'PROJECT_NOT_FOUND',
    );
  });

  it('refuses more attachments than allowed', async () => {
    const files = Array.from({ length: 6 }, (_, i) => ({ filename: `f${i}.txt`, content: `file ${i}` }));
    await expectRefused(() => client().submit(formUrl(), formUrl(), REPORT, files), 413, 'TOO_MANY_ATTACHMENTS');
  });

  it('refuses an attachment over the size limit', async () => {
    const big = Buffer.alloc(ctx.deps.config.intake.maxAttachmentBytes + 1, 0x41);
    await expectRefused(
      () => client().submit(formUrl(), formUrl(), REPORT, [{ filename: 'big.bin', content: big }]),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('limits reports per address per hour, keeps the text when refusing, and resets after the window', async () => {
    const browser = client();
    for (let i = 0; i < 3; i++) {
      expect((await browser.submit(formUrl(), formUrl(), REPORT)).statusCode).toBe(200);
    }
    const refused = await expectRefused(() => browser.submit(formUrl(), formUrl(), REPORT), 429, 'RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).toContain('ZEBRA-PAYLOAD-771');
    // Another address is not affected.
    expect((await client().submit(formUrl(), formUrl(), REPORT)).statusCode).toBe(200);
    ctx.clock.advance(HOUR_MS);
    expect((await browser.submit(formUrl(), formUrl(), REPORT)).statusCode).toBe(200);
  });

  it('logs neither status tokens nor report text', async () => {
    const res = await client().submit(formUrl(), formUrl(), REPORT);
    const token = /\/status\/([A-Za-z0-9_-]{43})/.exec(res.body)?.[1] ?? '';
    await client().get(`/status/${token}`);
    const logs = ctx.logs();
    expect(logs).toContain('/status/[redacted]');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain('ZEBRA-PAYLOAD-771');
    expect(logs).not.toContain(REPORT.title);
  });
});
