import type { ExpressionBuilder } from 'kysely';
import type { Clock } from '../clock.js';
import { addMs, iso } from '../clock.js';
import type { DB } from '../db/schema.js';
import type { DbOrTrx } from '../db/types.js';
import type { JobPayload } from '../domain/outbox/job-types.js';

/** Not claimed, or claimed by a worker whose lock expired with attempts left. */
function claimable(now: string) {
  return (eb: ExpressionBuilder<DB, 'jobs'>) =>
    eb.or([
      eb('claimed_by', 'is', null),
      eb.and([eb('lock_expires_at', '<', now), eb('attempts', '<', eb.ref('max_attempts'))]),
    ]);
}

/** Jobs whose worker died (lock expired) during their last allowed attempt: failed, not run again. */
async function parkAbandonedLastAttempts(db: DbOrTrx, now: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ failed_at: now, claimed_by: null, lock_expires_at: null, last_error: ABANDONED })
    .where('completed_at', 'is', null)
    .where('failed_at', 'is', null)
    .where('claimed_by', 'is not', null)
    .where('lock_expires_at', '<', now)
    .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
    .execute();
}

const ABANDONED = 'worker died during the last attempt';

export interface ClaimedJob {
  id: string;
  payload: JobPayload;
  attempts: number;
  maxAttempts: number;
}

/**
 * Claims up to `limit` due jobs for `workerId`. A claim is a conditional UPDATE that succeeds for
 * exactly one worker, so several processes on one PostgreSQL never run the same job at once; a
 * claim whose lock expired (its worker died) can be taken again, unless that was its last attempt:
 * such a job is parked as failed, or a job that kills its worker would be run forever.
 */
export async function claimDueJobs(
  db: DbOrTrx,
  clock: Clock,
  options: { workerId: string; limit: number; lockMs: number },
): Promise<ClaimedJob[]> {
  const now = iso(clock.now());
  await parkAbandonedLastAttempts(db, now);
  const candidates = await db
    .selectFrom('jobs')
    .select(['id'])
    .where('completed_at', 'is', null)
    .where('failed_at', 'is', null)
    .where('run_at', '<=', now)
    .where(claimable(now))
    .orderBy('run_at')
    .limit(options.limit)
    .execute();
  const claimed: ClaimedJob[] = [];
  for (const { id } of candidates) {
    const result = await db
      .updateTable('jobs')
      .set((eb) => ({
        claimed_by: options.workerId,
        lock_expires_at: iso(addMs(clock.now(), options.lockMs)),
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', id)
      .where('completed_at', 'is', null)
      .where('failed_at', 'is', null)
      .where(claimable(now))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) continue; // another worker won this one
    const row = await db
      .selectFrom('jobs')
      .select(['payload', 'attempts', 'max_attempts'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    claimed.push({
      id,
      payload: JSON.parse(row.payload) as JobPayload,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
    });
  }
  return claimed;
}

/** Extends a running job's claim by `lockMs` from now; only while `workerId` still holds it. */
export async function renewClaim(
  db: DbOrTrx,
  clock: Clock,
  options: { id: string; workerId: string; lockMs: number },
): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ lock_expires_at: iso(addMs(clock.now(), options.lockMs)) })
    .where('id', '=', options.id)
    .where('claimed_by', '=', options.workerId)
    .where('completed_at', 'is', null)
    .execute();
}

export async function completeJob(db: DbOrTrx, clock: Clock, id: string, workerId: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ completed_at: iso(clock.now()), claimed_by: null, lock_expires_at: null, last_error: null })
    .where('id', '=', id)
    .where('claimed_by', '=', workerId)
    .execute();
}

/** Records a failure: the job runs again after `retryInMs`, or is parked as failed when out of attempts. */
export async function failJob(
  db: DbOrTrx,
  clock: Clock,
  options: { id: string; workerId: string; error: string; retryInMs: number | null },
): Promise<void> {
  const now = clock.now();
  await db
    .updateTable('jobs')
    .set(
      options.retryInMs === null
        ? { failed_at: iso(now), claimed_by: null, lock_expires_at: null, last_error: options.error }
        : {
            run_at: iso(addMs(now, options.retryInMs)),
            claimed_by: null,
            lock_expires_at: null,
            last_error: options.error,
          },
    )
    .where('id', '=', options.id)
    .where('claimed_by', '=', options.workerId)
    .execute();
}
