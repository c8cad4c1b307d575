import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iso, MINUTE_MS } from '../../src/clock.js';
import type { JobPayload } from '../../src/domain/outbox/job-types.js';
import { enqueue } from '../../src/domain/outbox/outbox.js';
import { claimDueJobs, completeJob } from '../../src/jobs/queue.js';
import { createWorker, exponentialBackoff, type JobHandlers } from '../../src/jobs/worker.js';
import { createLogger } from '../../src/logger.js';
import { ManualClock } from '../support/clock.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';

const logger = createLogger({ level: 'silent', stream: new Writable({ write: (_c, _e, done) => done() }) });

describe.each(engines())('job queue on %s', (engine) => {
  let t: TestDatabase;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(() => t.destroy());

  const job = (emailId: string): JobPayload => ({ kind: 'email.send', emailId });
  const add = (payload: JobPayload, options?: Parameters<typeof enqueue>[3]) =>
    t.db.transaction().execute((trx) => enqueue(trx, clock, payload, options));
  const jobRow = (id: string) => t.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  /** Settles every job left by an earlier test, so no test sees another's leftovers. */
  const drain = () =>
    t.db
      .updateTable('jobs')
      .set({ completed_at: iso(clock.now()) })
      .where('completed_at', 'is', null)
      .execute();

  it('round-trips the payload union through the table', async () => {
    await drain();
    const payload = job('email-1');
    const id = await add(payload);
    const [claimed, ...rest] = await claimDueJobs(t.db, clock, { workerId: 'w1', limit: 10, lockMs: MINUTE_MS });
    expect(rest).toEqual([]);
    expect(claimed).toEqual({ id, payload, attempts: 1, maxAttempts: 8 });
  });

  it('gives each due job to exactly one of two workers claiming at once', async () => {
    await drain();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await add(job(`e-${i}`)));
    const claimAll = async (workerId: string) => {
      const mine: string[] = [];
      for (;;) {
        const batch = await claimDueJobs(t.db, clock, { workerId, limit: 3, lockMs: MINUTE_MS });
        if (batch.length === 0) return mine;
        mine.push(...batch.map((j) => j.id));
      }
    };
    const [a, b] = await Promise.all([claimAll('worker-a'), claimAll('worker-b')]);
    expect([...a, ...b].sort()).toEqual([...ids].sort());
    expect(new Set([...a, ...b]).size).toBe(ids.length);
    for (const id of a) expect((await jobRow(id)).claimed_by).toBe('worker-a');
    for (const id of b) expect((await jobRow(id)).claimed_by).toBe('worker-b');
  });

  it('lets another worker take a job over once its lock expires, and ignores the late owner', async () => {
    await drain();
    const id = await add(job('locked'));
    expect(await claimDueJobs(t.db, clock, { workerId: 'dies', limit: 10, lockMs: MINUTE_MS })).toHaveLength(1);
    expect(await claimDueJobs(t.db, clock, { workerId: 'other', limit: 10, lockMs: MINUTE_MS })).toEqual([]);
    clock.advance(MINUTE_MS + 1);
    const [taken] = await claimDueJobs(t.db, clock, { workerId: 'other', limit: 10, lockMs: MINUTE_MS });
    expect(taken).toMatchObject({ id, attempts: 2 });
    // The first worker wakes up and reports success: its claim is gone, so nothing changes.
    await completeJob(t.db, clock, id, 'dies');
    expect((await jobRow(id)).completed_at).toBeNull();
    await completeJob(t.db, clock, id, 'other');
    expect((await jobRow(id)).completed_at).not.toBeNull();
  });

  it('parks, instead of reclaiming, a job whose worker died during its last attempt', async () => {
    await drain();
    const id = await add(job('kills-its-worker'), { maxAttempts: 2 });
    const claim = (workerId: string) => claimDueJobs(t.db, clock, { workerId, limit: 10, lockMs: MINUTE_MS });
    expect(await claim('dies-1')).toMatchObject([{ id, attempts: 1 }]);
    clock.advance(MINUTE_MS + 1);
    expect(await claim('dies-2')).toMatchObject([{ id, attempts: 2 }]); // one attempt was left
    clock.advance(MINUTE_MS + 1);
    expect(await claim('would-be-third')).toEqual([]);
    const row = await jobRow(id);
    expect(row).toMatchObject({
      attempts: 2,
      claimed_by: null,
      lock_expires_at: null,
      completed_at: null,
      last_error: 'worker died during the last attempt',
    });
    expect(row.failed_at).toBe(iso(clock.now()));
    clock.advance(24 * 60 * MINUTE_MS);
    expect(await claim('much-later')).toEqual([]);
    expect((await jobRow(id)).attempts).toBe(2);
  });

  it('does not park a job at its last attempt while its worker still holds the lock', async () => {
    await drain();
    const id = await add(job('slow-last-attempt'), { maxAttempts: 1 });
    expect(await claimDueJobs(t.db, clock, { workerId: 'slow', limit: 10, lockMs: MINUTE_MS })).toHaveLength(1);
    clock.advance(MINUTE_MS - 1);
    expect(await claimDueJobs(t.db, clock, { workerId: 'other', limit: 10, lockMs: MINUTE_MS })).toEqual([]);
    expect(await jobRow(id)).toMatchObject({ claimed_by: 'slow', failed_at: null });
    await completeJob(t.db, clock, id, 'slow');
    expect((await jobRow(id)).completed_at).not.toBeNull();
  });

  it('retries a failed job after its backoff, honouring run_at, then parks it as failed', async () => {
    await drain();
    const runs: number[] = [];
    const handlers: JobHandlers = {
      'email.send': {
        async handle(_payload, ctx) {
          runs.push(ctx.attempt);
          throw new Error(`boom ${ctx.attempt}`);
        },
        backoffMs: exponentialBackoff(1000, 3000),
      },
      'mail.process': { handle: async () => {}, backoffMs: () => 1000 },
      'case.remind': { handle: async () => {}, backoffMs: () => 1000 },
      'webhook.deliver': { handle: async () => {}, backoffMs: () => 1000 },
      'embargo.step': { handle: async () => {}, backoffMs: () => 1000 },
      'announcement.fanout': { handle: async () => {}, backoffMs: () => 1000 },
      'case.dependents': { handle: async () => {}, backoffMs: () => 1000 },
      'cve.sync': { handle: async () => {}, backoffMs: () => 1000 },
      'vulndb.changed': { handle: async () => {}, backoffMs: () => 1000 },
    };
    const worker = createWorker({ db: t.db, clock, logger, handlers, pollMs: 1000, concurrency: 2 });
    const id = await add(job('always-fails'), { maxAttempts: 4 });

    expect(await worker.runDue()).toBe(1);
    expect(await worker.runDue()).toBe(0); // not due before its backoff
    let row = await jobRow(id);
    expect(row).toMatchObject({ attempts: 1, claimed_by: null, last_error: 'boom 1', failed_at: null });
    expect(Date.parse(row.run_at) - clock.now().getTime()).toBe(1000);

    clock.advance(999);
    expect(await worker.runDue()).toBe(0);
    clock.advance(1);
    expect(await worker.runDue()).toBe(1); // attempt 2, next in 2 s
    clock.advance(2000);
    expect(await worker.runDue()).toBe(1); // attempt 3, next in 3 s (capped)
    row = await jobRow(id);
    expect(Date.parse(row.run_at) - clock.now().getTime()).toBe(3000);
    clock.advance(3000);
    expect(await worker.runDue()).toBe(1); // attempt 4 of 4: parked

    row = await jobRow(id);
    expect(row).toMatchObject({ attempts: 4, last_error: 'boom 4', completed_at: null });
    expect(row.failed_at).not.toBeNull();
    clock.advance(24 * 60 * MINUTE_MS);
    expect(await worker.runDue()).toBe(0);
    expect(runs).toEqual([1, 2, 3, 4]);
  });

  it('does not run a job before its run_at and completes it once it ran', async () => {
    await drain();
    const seen: string[] = [];
    const handlers: JobHandlers = {
      'email.send': {
        async handle(payload) {
          seen.push(payload.emailId);
        },
        backoffMs: () => 1000,
      },
      'mail.process': { handle: async () => {}, backoffMs: () => 1000 },
      'case.remind': { handle: async () => {}, backoffMs: () => 1000 },
      'webhook.deliver': { handle: async () => {}, backoffMs: () => 1000 },
      'embargo.step': { handle: async () => {}, backoffMs: () => 1000 },
      'announcement.fanout': { handle: async () => {}, backoffMs: () => 1000 },
      'case.dependents': { handle: async () => {}, backoffMs: () => 1000 },
      'cve.sync': { handle: async () => {}, backoffMs: () => 1000 },
      'vulndb.changed': { handle: async () => {}, backoffMs: () => 1000 },
    };
    const worker = createWorker({ db: t.db, clock, logger, handlers, pollMs: 1000, concurrency: 2 });
    const id = await add(job('later'), { runAt: new Date(clock.now().getTime() + 10 * MINUTE_MS) });
    expect(await worker.runDue()).toBe(0);
    clock.advance(10 * MINUTE_MS);
    expect(await worker.runDue()).toBe(1);
    expect(await worker.runDue()).toBe(0);
    expect(seen).toEqual(['later']);
    expect((await jobRow(id)).completed_at).not.toBeNull();
  });
});
