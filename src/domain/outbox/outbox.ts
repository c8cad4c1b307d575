import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import { newId } from '../ids.js';
import type { JobPayload } from './job-types.js';

// The transactional outbox: a side effect of a state change (an email, processing of received
// mail) is a job row written in the same transaction as the change, so it exists exactly when the
// change commits. The worker in src/jobs/ claims and runs these rows.

export interface EnqueueOptions {
  runAt?: Date;
  maxAttempts?: number;
}

/**
 * Adds a job in the caller's transaction: it exists exactly when the state change that caused it
 * commits (the transactional outbox).
 */
export async function enqueue(trx: Trx, clock: Clock, job: JobPayload, options: EnqueueOptions = {}): Promise<string> {
  const now = clock.now();
  const id = newId();
  await trx
    .insertInto('jobs')
    .values({
      id,
      kind: job.kind,
      payload: JSON.stringify(job),
      run_at: iso(options.runAt ?? now),
      max_attempts: options.maxAttempts ?? 8,
      claimed_by: null,
      lock_expires_at: null,
      completed_at: null,
      failed_at: null,
      last_error: null,
      created_at: iso(now),
    })
    .execute();
  return id;
}
