import os from 'node:os';
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { newId } from '../domain/ids.js';
import type { Logger } from '../logger.js';
import type { JobKind, PayloadOf } from '../domain/outbox/job-types.js';
import { claimDueJobs, completeJob, failJob, renewClaim } from './queue.js';
import { failpoint } from '../failpoints.js';
import type { JobPayload } from '../domain/outbox/job-types.js';

/** What a failpoint after a job may name besides the kind: the step of an embargo.step job. */
const failpointDetail = (payload: JobPayload) =>
  payload.kind === 'embargo.step' ? `${payload.kind}:${payload.step}` : payload.kind;

export interface JobContext {
  db: Db;
  clock: Clock;
  logger: Logger;
  jobId: string;
  attempt: number;
  /** The attempt after which the job is parked as failed instead of retried. */
  maxAttempts: number;
}

export interface JobHandler<K extends JobKind> {
  /** Must be idempotent: a job whose worker died after doing its work is run again. */
  handle(payload: PayloadOf<K>, ctx: JobContext): Promise<void>;
  /** Delay before the next attempt after the given (1-based) failed attempt. */
  backoffMs(attempt: number): number;
}

export type JobHandlers = { [K in JobKind]: JobHandler<K> };

/** Exponential backoff from `baseMs`, capped, so a failing SMTP server is not hammered. */
export function exponentialBackoff(baseMs: number, capMs: number): (attempt: number) => number {
  return (attempt) => Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export interface WorkerOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  handlers: JobHandlers;
  pollMs: number;
  concurrency: number;
  /** How long a claim lasts before another worker may take the job over. */
  lockMs?: number;
  workerId?: string;
}

export interface Worker {
  readonly id: string;
  /** Runs every due job once (claims in batches until none is due); returns how many ran. */
  runDue(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
  /** Asks a started worker to poll now instead of waiting for its next tick. */
  wake(): void;
}

export function createWorker(options: WorkerOptions): Worker {
  const id = options.workerId ?? `${os.hostname()}:${process.pid}:${newId().slice(0, 8)}`;
  const lockMs = options.lockMs ?? 5 * 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  async function runOne(job: Awaited<ReturnType<typeof claimDueJobs>>[number]): Promise<void> {
    const handler = options.handlers[job.payload.kind] as JobHandler<JobKind>;
    const log = options.logger.child({ jobId: job.id, kind: job.payload.kind, attempt: job.attempts });
    // The claim is renewed while the job runs, so a long job (a large fan-out) keeps it, and a
    // short lock still frees the job of a worker that died soon after.
    const heartbeat = setInterval(
      () => {
        renewClaim(options.db, options.clock, { id: job.id, workerId: id, lockMs }).catch((err: unknown) =>
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not renew a job claim'),
        );
      },
      Math.max(1000, Math.floor(lockMs / 3)),
    );
    try {
      await handler.handle(job.payload, {
        db: options.db,
        clock: options.clock,
        logger: log,
        jobId: job.id,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
      });
      failpoint('job.after-commit', failpointDetail(job.payload));
      await completeJob(options.db, options.clock, job.id, id);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const retryInMs = job.attempts >= job.maxAttempts ? null : handler.backoffMs(job.attempts);
      log.warn({ err: message, retryInMs }, retryInMs === null ? 'job failed for good' : 'job failed; will retry');
      await failJob(options.db, options.clock, { id: job.id, workerId: id, error: message.slice(0, 500), retryInMs });
    } finally {
      clearInterval(heartbeat);
    }
  }

  async function runDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const jobs = await claimDueJobs(options.db, options.clock, {
        workerId: id,
        limit: options.concurrency,
        lockMs,
      });
      if (jobs.length === 0) return total;
      await Promise.all(jobs.map(runOne));
      total += jobs.length;
    }
  }

  function schedule(delay: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delay);
  }

  function tick(): void {
    if (stopped || running) return;
    running = runDue()
      .catch((err) =>
        options.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'worker poll failed'),
      )
      .finally(() => {
        running = undefined;
        schedule(options.pollMs);
      });
  }

  return {
    id,
    runDue,
    start() {
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    wake() {
      if (!stopped && !running) schedule(0);
    },
  };
}
