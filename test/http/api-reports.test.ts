import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, iso } from '../../src/clock.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { insertEntry, updateReport } from '../../src/domain/reports/reports.repository.js';
import { attachmentBodyLimit } from '../../src/http/api/api-input.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { makeProject, makeUser } from '../support/factories.js';
import { rowCounts } from '../support/intake.js';

const REPORT = {
  title: 'Path traversal in the archive extractor',
  description: 'Entries named `../x` escape the target directory. Marker: WALRUS-API-TEXT.',
  reporterEmail: 'lin@example.net',
  credit: 'anonymous',
};

describe.each(engines())('reports JSON API on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let addressSeq = 0;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { env: { EMBARGO_INTAKE_PER_HOUR: '2' } });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Acme Archive' });
    await makeUser(ctx.deps.db, ctx.clock, { project });
  });
  afterAll(() => ctx.close());

  function post(url: string, body: unknown, options: { contentType?: string; address?: string } = {}) {
    return ctx.app.inject({
      method: 'POST',
      url,
      remoteAddress: options.address ?? `10.2.0.${++addressSeq}`,
      headers: { 'content-type': options.contentType ?? 'application/json' },
      payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
  }
  const reportsUrl = () => `/api/v1/projects/${project.slug}/reports`;
  const tokenOf = (statusUrl: string) => statusUrl.split('/status/')[1] ?? '';

  it('files a report and answers 201 with the status URL, the only time it is returned', async () => {
    const before = await rowCounts(ctx.deps.db);
    const content = Buffer.from('#!/bin/sh\necho pwned\n');
    const res = await post(reportsUrl(), {
      ...REPORT,
      attachments: [{ filename: 'poc.sh', contentType: 'text/x-sh', contentBase64: content.toString('base64') }],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['id', 'status', 'statusUrl', 'trackingId']);
    expect(body.status).toBe('new');
    expect(body.trackingId).toMatch(/^R-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(body.statusUrl).toMatch(/^http:\/\/localhost:8080\/status\/[A-Za-z0-9_-]{43}$/);
    const after = await rowCounts(ctx.deps.db);
    expect(after.reports).toBe(before.reports + 1);
    expect(after.attachments).toBe(before.attachments + 1);
    expect(after.outbound_emails).toBe(before.outbound_emails + 2);
    const row = await ctx.deps.db
      .selectFrom('reports')
      .select(['source', 'credit', 'status_token_hash'])
      .where('id', '=', body.id)
      .executeTakeFirstOrThrow();
    expect(row.source).toBe('api');
    expect(row.credit).toBe('anonymous');
    expect(row.status_token_hash).not.toContain(tokenOf(body.statusUrl));

    const token = tokenOf(body.statusUrl);
    const view = await ctx.app.inject({ method: 'GET', url: `/api/v1/status/${token}` });
    expect(view.statusCode).toBe(200);
    const json = view.json();
    expect(json).toMatchObject({
      trackingId: body.trackingId,
      project: { slug: project.slug, name: 'Acme Archive' },
      status: 'new',
      statusLabel: 'Received',
      report: { title: REPORT.title },
    });
    expect(json.entries).toHaveLength(1);
    const [file] = json.entries[0].attachments;
    expect(file.sha256).toBe(crypto.createHash('sha256').update(content).digest('hex'));
    expect(JSON.stringify(json)).not.toContain(token);

    const download = await ctx.app.inject({ method: 'GET', url: `/api/v1/status/${token}/attachments/${file.id}` });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(content)).toBe(true);
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['content-disposition']).toBe("attachment; filename*=UTF-8''poc.sh");
    expect(download.headers['content-security-policy']).toBe('sandbox');
  });

  it('lists the routes in an OpenAPI 3.1 document, with the shared error schema and no pages', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body);
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBe('Embargo API');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/projects/{slug}/reports',
        '/api/v1/status/{token}',
        '/api/v1/status/{token}/messages',
      ]),
    );
    expect(Object.keys(doc.paths).every((p: string) => p.startsWith('/api/'))).toBe(true);
    expect(doc.paths['/api/openapi.json']).toBeUndefined();
    const submit = doc.paths['/api/v1/projects/{slug}/reports'].post;
    expect(submit.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(['201', '400', '413', '415', '429']));
    expect(JSON.stringify(submit.responses['400'])).toContain('#/components/schemas/ErrorResponse');
    expect(doc.components.schemas.ErrorResponse.properties.error.required).toEqual(['code', 'message']);
  });

  async function expectRefused(send: () => ReturnType<typeof post>, status: number, code: string) {
    const before = await rowCounts(ctx.deps.db);
    const res = await send();
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe('string');
    expect(await rowCounts(ctx.deps.db)).toEqual(before);
    return body;
  }

  it('refuses unknown properties instead of dropping them', async () => {
    const body = await expectRefused(
      () => post(reportsUrl(), { ...REPORT, severity: 'critical' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(body.error.details).toBeDefined();
    await expectRefused(
      () => post(reportsUrl(), { ...REPORT, attachments: [{ filename: 'a', contentBase64: '', extra: 1 }] }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('refuses missing fields and wrong types without coercing them', async () => {
    await expectRefused(() => post(reportsUrl(), { title: 'No description' }), 400, 'VALIDATION_FAILED');
    await expectRefused(() => post(reportsUrl(), { ...REPORT, title: 12345 }), 400, 'VALIDATION_FAILED');
    await expectRefused(() => post(reportsUrl(), { ...REPORT, credit: 'fame' }), 400, 'VALIDATION_FAILED');
    await expectRefused(() => post(reportsUrl(), { ...REPORT, title: '   ' }), 400, 'VALIDATION_FAILED');
    await expectRefused(() => post(reportsUrl(), { ...REPORT, reporterEmail: 'a@b' }), 400, 'VALIDATION_FAILED');
    await expectRefused(() => post(reportsUrl(), '{"title": '), 400, 'VALIDATION_FAILED');
    await expectRefused(
      () => post(reportsUrl(), { ...REPORT, attachments: [{ filename: 'a.txt', contentBase64: 'not base64!' }] }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('refuses a reporter address carrying URL syntax, naming the field, and takes + and dots', async () => {
    const body = await expectRefused(
      () => post(reportsUrl(), { ...REPORT, reporterEmail: 'x@evil.com?bcc=spy%40attacker.org' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(body.error.details).toEqual({ field: 'reporterEmail' });
    const ok = await post(reportsUrl(), { ...REPORT, reporterEmail: 'first.last+tag@example.org' });
    expect(ok.statusCode).toBe(201);
    const row = await ctx.deps.db
      .selectFrom('reports')
      .select('reporter_email')
      .where('id', '=', ok.json().id)
      .executeTakeFirstOrThrow();
    expect(row.reporter_email).toBe('first.last+tag@example.org');
  });

  it('limits reporter messages per report with 429 RATE_LIMITED, storing nothing', async () => {
    const token = tokenOf((await post(reportsUrl(), REPORT)).json().statusUrl);
    const address = '10.9.8.7';
    for (let i = 0; i < ctx.deps.config.replies.perReportPerHour; i++) {
      expect((await post(`/api/v1/status/${token}/messages`, { body: `note ${i}` }, { address })).statusCode).toBe(201);
    }
    const body = await expectRefused(
      () => post(`/api/v1/status/${token}/messages`, { body: 'one too many' }, { address }),
      429,
      'RATE_LIMITED',
    );
    expect(body.error.details.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('refuses bodies that are not JSON with 415', async () => {
    const form = new URLSearchParams({ title: 't', description: 'd' }).toString();
    await expectRefused(
      () => post(reportsUrl(), form, { contentType: 'application/x-www-form-urlencoded' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectRefused(
      () => post(reportsUrl(), JSON.stringify(REPORT), { contentType: 'text/plain' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('refuses an unknown project', async () => {
    await expectRefused(() => post('/api/v1/projects/no-such/reports', REPORT), 404, 'PROJECT_NOT_FOUND');
  });

  it('refuses too many attachments, one too large, and a body over the limit', async () => {
    const tiny = { filename: 'a.txt', contentBase64: Buffer.from('a').toString('base64') };
    await expectRefused(
      () => post(reportsUrl(), { ...REPORT, attachments: Array.from({ length: 6 }, () => tiny) }),
      413,
      'TOO_MANY_ATTACHMENTS',
    );
    const big = Buffer.alloc(ctx.deps.config.intake.maxAttachmentBytes + 1, 1).toString('base64');
    await expectRefused(
      () => post(reportsUrl(), { ...REPORT, attachments: [{ filename: 'big.bin', contentBase64: big }] }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    const oversized = Buffer.alloc(attachmentBodyLimit(ctx.deps.config) + 1, 0x20);
    await expectRefused(() => post(reportsUrl(), oversized), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('limits submissions per address with Retry-After, and lets them through after the window', async () => {
    const address = '10.9.9.9';
    for (let i = 0; i < 2; i++) expect((await post(reportsUrl(), REPORT, { address })).statusCode).toBe(201);
    const before = await rowCounts(ctx.deps.db);
    const res = await post(reportsUrl(), REPORT, { address });
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.json().error.details.retryAfterSeconds).toBe(Number(res.headers['retry-after']));
    expect(await rowCounts(ctx.deps.db)).toEqual(before);
    ctx.clock.advance(HOUR_MS);
    expect((await post(reportsUrl(), REPORT, { address })).statusCode).toBe(201);
  });

  it('ignores cookies: no session and no CSRF token under /api/', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: reportsUrl(),
      remoteAddress: '10.3.0.1',
      headers: { 'content-type': 'application/json', cookie: 'embargo_session=whatever; embargo_csrf=x' },
      payload: JSON.stringify(REPORT),
    });
    expect(res.statusCode).toBe(201);
  });

  it('shows the reporter view without internal notes, and takes messages', async () => {
    const created = (await post(reportsUrl(), REPORT)).json();
    const token = tokenOf(created.statusUrl);
    const at = iso(ctx.clock.now());
    await insertEntry(ctx.deps.db, {
      reportId: created.id,
      kind: 'note',
      visibility: 'internal',
      authorKind: 'team',
      body: 'INTERNAL-NOTE-API',
      createdAt: at,
    });
    await updateReport(ctx.deps.db, created.id, { status: 'needs_info', acknowledged_at: at, updated_at: at });

    const reply = await post(`/api/v1/status/${token}/messages`, {
      body: 'The archive is attached.',
      attachments: [{ filename: 'evil.zip', contentBase64: Buffer.from('PK').toString('base64') }],
    });
    expect(reply.statusCode).toBe(201);
    expect(reply.json()).toEqual({ entryId: expect.any(String), status: 'acknowledged' });

    const view = (await ctx.app.inject({ method: 'GET', url: `/api/v1/status/${token}` })).json();
    expect(view.status).toBe('acknowledged');
    expect(view.entries.map((e: { kind: string }) => e.kind)).toEqual(['submitted', 'message', 'status']);
    expect(JSON.stringify(view)).not.toContain('INTERNAL-NOTE-API');
    expect(view.entries[1].attachments[0].filename).toBe('evil.zip');
  });

  it('answers a wrong status token with 404 STATUS_TOKEN_INVALID', async () => {
    const wrong = crypto.randomBytes(32).toString('base64url');
    const view = await ctx.app.inject({ method: 'GET', url: `/api/v1/status/${wrong}` });
    expect(view.statusCode).toBe(404);
    expect(view.json().error.code).toBe('STATUS_TOKEN_INVALID');
    await expectRefused(() => post(`/api/v1/status/${wrong}/messages`, { body: 'hello' }), 404, 'STATUS_TOKEN_INVALID');
  });

  it('logs neither the token nor the report text', async () => {
    const created = (await post(reportsUrl(), REPORT)).json();
    const token = tokenOf(created.statusUrl);
    await ctx.app.inject({ method: 'GET', url: `/api/v1/status/${token}` });
    await post(`/api/v1/status/${token}/messages`, { body: 'WALRUS reply' });
    const logs = ctx.logs();
    expect(logs).toContain('/api/v1/status/[redacted]');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain('WALRUS');
  });
});
