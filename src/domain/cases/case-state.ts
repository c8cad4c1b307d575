import { DomainError } from '../../errors.js';

/*
 * A case's lifecycle. A case opens in triage when a report is accepted, and moves on as the fix is
 * prepared and released:
 *
 *   triage --start_fix--> fix_in_progress --fix_ready--> fix_ready --schedule--> scheduled --publish--> published --close--> closed
 *                               ^                            |                      |
 *                               +--------reopen_fix----------+------unschedule------+ (back to fix_ready)
 *
 * - fix_ready is normally reached automatically, when every affected supported branch has an approved
 *   patch (patches.service); a member may also mark it by hand.
 * - scheduled: an embargo is active and distributors are notified; unschedule cancels the go.
 * - publish is done by the go job at the release time (or at once after an embargo break).
 * - close: after publication, or from any earlier state for a case that turns out not to need a fix
 *   (reason required).
 * - break_embargo (leak or exploitation seen) does not change the state: it sets embargo_broken_at and
 *   expedites the release; allowed from triage up to scheduled, once.
 */

export const CASE_STATES = ['triage', 'fix_in_progress', 'fix_ready', 'scheduled', 'published', 'closed'] as const;
export type CaseState = (typeof CASE_STATES)[number];

export const CASE_ACTIONS = [
  'start_fix',
  'fix_ready',
  'reopen_fix',
  'schedule',
  'unschedule',
  'publish',
  'close',
  'break_embargo',
] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/** The actions a member takes by hand; schedule, unschedule and publish belong to the embargo and the go. */
export const MANUAL_CASE_ACTIONS = ['start_fix', 'fix_ready', 'reopen_fix', 'close', 'break_embargo'] as const;
export type ManualCaseAction = (typeof MANUAL_CASE_ACTIONS)[number];

const BEFORE_PUBLICATION: readonly CaseState[] = ['triage', 'fix_in_progress', 'fix_ready', 'scheduled'];

const allowedFrom: Record<CaseAction, readonly CaseState[]> = {
  start_fix: ['triage'],
  fix_ready: ['fix_in_progress'],
  reopen_fix: ['fix_ready', 'scheduled'],
  schedule: ['fix_ready'],
  unschedule: ['scheduled'],
  publish: ['scheduled'],
  close: [...BEFORE_PUBLICATION, 'published'],
  break_embargo: BEFORE_PUBLICATION,
};

const target: Record<Exclude<CaseAction, 'break_embargo'>, CaseState> = {
  start_fix: 'fix_in_progress',
  fix_ready: 'fix_ready',
  reopen_fix: 'fix_in_progress',
  schedule: 'scheduled',
  unschedule: 'fix_ready',
  publish: 'published',
  close: 'closed',
};

export function canCaseTransition(from: CaseState, action: CaseAction, embargoBroken = false): boolean {
  if (action === 'break_embargo' && embargoBroken) return false;
  return allowedFrom[action].includes(from);
}

/** The state after `action` (break_embargo keeps it), or INVALID_TRANSITION. */
export function nextCaseState(from: CaseState, action: CaseAction, embargoBroken = false): CaseState {
  if (!canCaseTransition(from, action, embargoBroken)) {
    throw new DomainError('INVALID_TRANSITION', `A case in state ${from} cannot ${action.replace('_', ' ')}.`, {
      from,
      action,
    });
  }
  return action === 'break_embargo' ? from : target[action];
}

/** Whether the case's content is still under embargo (not yet published or closed). */
export function isEmbargoedState(state: CaseState): boolean {
  return BEFORE_PUBLICATION.includes(state);
}
