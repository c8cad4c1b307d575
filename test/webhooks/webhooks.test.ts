import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { transitionCase } from '../../src/domain/cases/case-transitions.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { deliverWebhook } from '../../src/domain/webhooks/deliver.js';
import { signPayload, verifySignature } from '../../src/domain/webhooks/signature.js';
import { addWebhook, validateWebhookUrl } from '../../src/domain/webhooks/webhooks.service.js';
import { DomainError } from '../../src/errors.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { makeProject } from '../support/factories.js';
import { startReceiver } from './receiver.js';

const system = { kind: 'system', label: 'webhooks-test' } as const;
const TITLE = 'Secret heap overflow in the frobnicator';

describe('webhook signatures', () => {
  it('verifies its own signature and nothing else', () => {
    const body = '{"event":"ping"}';
    const header = signPayload('s3cret', '1700000000', body);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature('s3cret', '1700000000', body, header)).toBe(true);
    expect(verifySignature('s3cret', 1700000000, body, header)).toBe(true);
    expect(verifySignature('other', '1700000000', body, header)).toBe(false);
    expect(verifySignature('s3cret', '1700000001', body, header)).toBe(false);
    expect(verifySignature('s3cret', '1700000000', `${body} `, header)).toBe(false);
    expect(verifySignature('s3cret', '1700000000', body, header.slice(0, -1))).toBe(false);
    expect(verifySignature('s3cret', '1700000000', body, undefined)).toBe(false);
  });
});

describe('webhook URLs', () => {
  const refusal = async (url: string, allowPrivate = false) =>
    validateWebhookUrl(url, { allowPrivate }).then(
      () => 'accepted',
      (e: unknown) => (e instanceof DomainError ? `${e.code}:${String(e.details?.field)}` : String(e)),
    );

  it('refuses other schemes, credentials, long URLs and non-public addresses', async () => {
    for (const url of [
      'ftp://203.0.113.7/hook',
      'javascript:alert(1)',
      'not a url',
      'https://user:pw@203.0.113.7/hook',
      `https://203.0.113.7/${'a'.repeat(2000)}`,
      'http://127.0.0.1:8080/hook',
      'http://0.0.0.0/hook',
      'http://10.1.2.3/hook',
      'http://172.20.0.1/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://[::]/hook',
      'http://[fe80::1]/hook',
      'http://[fd00::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://2130706433/hook', // 127.0.0.1 written as one number
      'http://localhost:9/hook', // resolves (hosts file) to loopback
    ]) {
      expect(await refusal(url), url).toBe('VALIDATION_FAILED:url');
    }
  });

  it('accepts public https and http URLs, and private ones only when allowed', async () => {
    expect(await validateWebhookUrl(' https://203.0.113.7/hook?x=1 ', { allowPrivate: false })).toBe(
      'https://203.0.113.7/hook?x=1',
    );
    expect(await refusal('http://[2001:db8::5]:8443/hook')).toBe('accepted');
    expect(await refusal('http://127.0.0.1:8080/hook', true)).toBe('accepted');
    expect(await refusal('http://localhost:9/hook', true)).toBe('accepted');
    // Credentials and schemes stay refused even then.
    expect(await refusal('http://a:b@127.0.0.1/hook', true)).toBe('VALIDATION_FAILED:url');
  });
});

describe.each(engines())('webhook deliveries on %s', (engine) => {
  let ctx: TestContext;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { env: { EMBARGO_WEBHOOK_ALLOW_PRIVATE: '1' } });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await ctx.close();
  });

  const tx = <T>(fn: (trx: Trx) => Promise<T>): Promise<T> => ctx.deps.db.transaction().execute(fn);
  const hook = (project: Project, path = '/hook') =>
    tx((trx) =>
      addWebhook(trx, ctx.deps, {
        by: { actor: system, origin: noOrigin },
        projectId: project.id,
        url: receiver.url(path),
      }),
    );
  const move = (theCase: Case, action: 'start_fix' | 'break_embargo' | 'close') =>
    tx((trx) =>
      transitionCase(trx, ctx.deps, {
        actor: system,
        origin: noOrigin,
        theCase,
        action,
        ...(action === 'start_fix' ? {} : { reason: 'Seen in the wild' }),
      }),
    );
  const deliveriesOf = (projectId: string) =>
    ctx.deps.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('created_at')
      .execute();
  const delivery = (id: string) =>
    ctx.deps.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const deliver = (deliveryId: string, attempt = 1, maxAttempts = 8, deps = ctx.deps) =>
    deliverWebhook(deps, { deliveryId, attempt, maxAttempts });
  const receivedFor = (deliveryId: string) =>
    receiver.received.filter((r) => r.headers['x-embargo-delivery'] === deliveryId);

  it("queues one delivery and one job per webhook on a state change, in the change's transaction", async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const theCase = await makeCase(ctx, project, system, TITLE);
    // Accepting the report (no webhook yet) queued nothing.
    expect(await deliveriesOf(project.id)).toHaveLength(0);
    const first = await hook(project, '/a');
    const second = await hook(project, '/b');

    await move(theCase, 'start_fix');
    const rows = await deliveriesOf(project.id);
    expect(rows.map((r) => r.webhook_id).sort()).toEqual([first.webhook.id, second.webhook.id].sort());
    for (const row of rows) {
      expect(row.event).toBe('case.state_changed');
      expect(row.status).toBe('pending');
      expect(JSON.parse(row.payload)).toEqual({
        id: row.id,
        event: 'case.state_changed',
        at: ctx.clock.now().toISOString(),
        project: { slug: project.slug },
        case: { number: theCase.number, state: 'fix_in_progress', previousState: 'triage', embargoBroken: false },
      });
      expect(row.payload).not.toContain('frobnicator');
    }
    const jobs = await ctx.deps.db.selectFrom('jobs').select('payload').where('kind', '=', 'webhook.deliver').execute();
    const queued = jobs.map((j) => (JSON.parse(j.payload) as { deliveryId: string }).deliveryId);
    for (const row of rows) expect(queued.filter((id) => id === row.id)).toHaveLength(1);

    // A refused transition (it rolls back) leaves no delivery behind.
    await expect(move(theCase, 'start_fix')).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(await deliveriesOf(project.id)).toHaveLength(2);
  });

  it('posts a signed delivery once, even when the job runs twice', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const theCase = await makeCase(ctx, project, system, TITLE);
    const { secret } = await hook(project);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    await move(theCase, 'break_embargo');
    const [row] = await deliveriesOf(project.id);
    if (!row) throw new Error('no delivery');

    ctx.clock.advance(MINUTE_MS);
    await deliver(row.id);
    await deliver(row.id);
    const got = receivedFor(row.id);
    expect(got).toHaveLength(1);
    const [req] = got;
    if (!req) throw new Error('not received');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-embargo-event']).toBe('case.state_changed');
    expect(req.headers['x-embargo-timestamp']).toBe(String(Math.floor(ctx.clock.now().getTime() / 1000)));
    const timestamp = String(req.headers['x-embargo-timestamp']);
    expect(verifySignature(secret, timestamp, req.body, String(req.headers['x-embargo-signature']))).toBe(true);
    expect(verifySignature('another secret', timestamp, req.body, String(req.headers['x-embargo-signature']))).toBe(
      false,
    );
    const body = JSON.parse(req.body) as { case: Record<string, unknown> };
    expect(body.case).toEqual({
      number: theCase.number,
      state: 'triage',
      previousState: 'triage',
      embargoBroken: true,
    });
    expect(req.body).not.toContain('frobnicator');

    const stored = await delivery(row.id);
    expect(stored).toMatchObject({
      status: 'delivered',
      attempts: 1,
      last_status_code: 200,
      last_error: null,
      delivered_at: ctx.clock.now().toISOString(),
    });
    // The secret is stored sealed, never in clear.
    const sealed = await ctx.deps.db
      .selectFrom('webhooks')
      .select('secret_sealed')
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    expect(sealed.secret_sealed).not.toContain(secret);
  });

  it('retries on a 500 until the receiver takes it, and marks the last failed attempt failed', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const theCase = await makeCase(ctx, project, system, TITLE);
    await hook(project);
    await move(theCase, 'start_fix');
    const [row] = await deliveriesOf(project.id);
    if (!row) throw new Error('no delivery');

    receiver.answer(500);
    await expect(deliver(row.id, 1)).rejects.toThrow(/HTTP 500/);
    expect(await delivery(row.id)).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500 });
    await deliver(row.id, 2);
    expect(await delivery(row.id)).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 200 });
    expect(receivedFor(row.id)).toHaveLength(2);
    // Both attempts carry the same delivery id, so the receiver can drop the repeat.
    expect(new Set(receivedFor(row.id).map((r) => JSON.parse(r.body).id))).toEqual(new Set([row.id]));

    await move(theCase, 'close');
    const failing = (await deliveriesOf(project.id)).find((d) => d.id !== row.id);
    if (!failing) throw new Error('no second delivery');
    receiver.answer(503, 503);
    await expect(deliver(failing.id, 1, 2)).rejects.toThrow(/HTTP 503/);
    await expect(deliver(failing.id, 2, 2)).rejects.toThrow(/HTTP 503/);
    expect(await delivery(failing.id)).toMatchObject({ status: 'failed', attempts: 2, last_status_code: 503 });
  });

  it('refuses at delivery a target that is not public when private targets are not allowed (DNS too)', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const theCase = await makeCase(ctx, project, system, TITLE);
    // Added while allowed; then the setting is off (or a public name now resolves to loopback).
    await hook(project);
    await tx((trx) =>
      addWebhook(trx, ctx.deps, {
        by: { actor: system, origin: noOrigin },
        projectId: project.id,
        url: `http://localhost:${receiver.port}/by-name`,
      }),
    );
    await move(theCase, 'start_fix');
    const strict = { ...ctx.deps, config: { ...ctx.deps.config, webhooks: { allowPrivate: false } } };
    const before = receiver.received.length;
    for (const row of await deliveriesOf(project.id)) {
      await expect(deliver(row.id, 1, 8, strict)).rejects.toThrow(/public/);
      expect(await delivery(row.id)).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null });
    }
    expect(receiver.received.length).toBe(before);
  });

  it('does nothing for a delivery whose webhook was removed', async () => {
    await expect(deliver('00000000-0000-4000-8000-000000000000')).resolves.toBeUndefined();
  });
});
