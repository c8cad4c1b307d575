import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { EmbargoRow } from '../cases/embargo.repository.js';
import { enqueue } from '../outbox/outbox.js';
import { EMBARGO_STEPS, type EmbargoStep } from '../outbox/job-types.js';

// The timeline's steps as durable jobs: one embargo.step job per step, due at the step's planned
// time and carrying it. A job whose time no longer matches the embargo (the date moved) or whose
// step is done does nothing when it runs (steps.service.ts), so planning again after any change is
// just enqueueing the steps anew: the old jobs go stale by themselves.

/** Where each step's planned time and done time live on the embargo row. */
export const STEP_COLUMNS = {
  distributor_notice: { planned: 'distributor_notice_at', done: 'distributor_notice_done_at' },
  public_notice: { planned: 'public_notice_at', done: 'public_notice_done_at' },
  prerelease_notice: { planned: 'prerelease_notice_at', done: 'prerelease_notice_done_at' },
  release: { planned: 'release_at', done: 'released_at' },
  retrospective: { planned: 'retrospective_at', done: 'retrospective_done_at' },
} as const satisfies Record<EmbargoStep, { planned: keyof EmbargoRow; done: keyof EmbargoRow }>;

export const plannedAt = (row: EmbargoRow, step: EmbargoStep): string | null => row[STEP_COLUMNS[step].planned];
export const doneAt = (row: EmbargoRow, step: EmbargoStep): string | null => row[STEP_COLUMNS[step].done];

/**
 * Enqueues a job for every step of the embargo that is planned and not done yet, at its planned
 * time, in the caller's transaction (the change that planned them). `steps` limits which.
 */
export async function enqueueSteps(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  row: EmbargoRow,
  steps: readonly EmbargoStep[] = EMBARGO_STEPS,
): Promise<void> {
  for (const step of steps) {
    const at = plannedAt(row, step);
    if (!at || doneAt(row, step)) continue;
    // Many attempts: a step that fails (a database hiccup) must still happen, and the go most of all.
    await enqueue(
      trx,
      deps.clock,
      { kind: 'embargo.step', caseId: row.case_id, step, dueAt: at },
      { runAt: new Date(at), maxAttempts: 20 },
    );
  }
}
