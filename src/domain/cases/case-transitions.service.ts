import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import { caseMoved } from '../severity/case-reminders.js';
import { insertHistory, lockCase } from './cases.repository.js';
import { queueCaseEvent } from '../webhooks/webhooks.service.js';
import { type CaseMilestone, notifyCaseProgress } from './case-progress.js';
import { type CaseAction, type CaseState, nextCaseState } from './case-state.js';
import type { Case } from './cases.js';
import { findCaseRow, toCase, updateCaseState } from './cases.repository.js';
import { embargoBroken, embargoLifted, resumeEmbargo } from './embargo.service.js';
import { findEmbargoRow } from './embargo.repository.js';
import { announceBroken, announceCancelled } from '../release/embargo-notices.js';

/** Actions that must say why: they undo progress, end the case early or end the embargo. */
const NEEDS_REASON: readonly CaseAction[] = ['reopen_fix', 'unschedule', 'close', 'break_embargo'];
const MILESTONE: Partial<Record<CaseAction, CaseMilestone>> = {
  fix_ready: 'fix-ready',
  schedule: 'scheduled',
  publish: 'published',
};

export interface CaseTransition {
  actor: Actor;
  origin: RequestOrigin;
  /** The case as the caller read it; its state is read again under the case's lock. */
  theCase: Pick<Case, 'id' | 'projectId'>;
  action: CaseAction;
  reason?: string | null;
  /** For 'schedule': the planned release time, told to the reporter. */
  releaseAt?: string | null;
}

/**
 * Moves a case through its lifecycle (case-state.ts), in the caller's transaction: the state is
 * read under the case's row lock, so two concurrent moves cannot both start from the same state.
 * Records the change in the case history (previous state, who, why) and the audit log, restarts the
 * reminder clock and tells the reporters of milestones. INVALID_TRANSITION when not allowed now.
 */
export async function transitionCase(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: CaseTransition,
): Promise<Case> {
  const reason = input.reason?.trim() || null;
  if (NEEDS_REASON.includes(input.action) && !reason) {
    throw new DomainError('VALIDATION_FAILED', 'Say why: the reason is kept in the case history.', {
      field: 'reason',
    });
  }
  if (reason && reason.length > 2000) {
    throw new DomainError('VALIDATION_FAILED', 'The reason is longer than 2000 characters.', { field: 'reason' });
  }
  await lockCase(trx, input.theCase.id);
  const row = await findCaseRow(trx, { projectId: input.theCase.projectId, id: input.theCase.id });
  if (!row) throw new DomainError('NOT_FOUND', 'No such case.');
  const from = row.state as CaseState;
  const to = nextCaseState(from, input.action, row.embargo_broken_at !== null);
  const now = deps.clock.now();
  const at = iso(now);
  const broken = input.action === 'break_embargo';
  await updateCaseState(trx, row.id, { state: to, at, ...(broken ? { embargoBrokenAt: at } : {}) });
  if (broken) {
    await embargoBroken(trx, deps, row.id);
    await announceBroken(trx, deps, { theCase: toCase(row), row: await findEmbargoRow(trx, row.id), reason });
  }
  if (input.action === 'close' && from === 'scheduled') {
    // A scheduled release that will not happen: those told of it must hear so.
    const embargo = await findEmbargoRow(trx, row.id);
    if (embargo) await announceCancelled(trx, deps, { theCase: toCase(row), row: embargo, reason: reason ?? '', at });
  }
  if (input.action === 'publish') await embargoLifted(trx, deps, row.id);
  await insertHistory(trx, {
    id: newId(),
    case_id: row.id,
    project_id: row.project_id,
    at,
    actor_user_id: input.actor.kind === 'user' ? input.actor.userId : null,
    actor_label: actorLabel(input.actor),
    change: broken ? 'embargo.broken' : 'state',
    previous: JSON.stringify(from),
    value: JSON.stringify(broken ? 'broken' : to),
    reason,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: row.project_id,
    action: `case.${input.action}`,
    subjectType: 'case',
    subjectId: row.id,
    detail: { number: row.number, from, to, ...(reason ? { reason } : {}) },
  });
  await caseMoved(trx, deps, { caseId: row.id, projectId: row.project_id, at: now });
  await queueCaseEvent(trx, deps, {
    projectId: row.project_id,
    event: 'case.state_changed',
    data: {
      case: {
        number: row.number,
        state: to,
        previousState: from,
        embargoBroken: broken || row.embargo_broken_at !== null,
      },
    },
  });
  const milestone = MILESTONE[input.action];
  if (milestone) {
    await notifyCaseProgress(trx, deps, { caseId: row.id, milestone, releaseAt: input.releaseAt ?? null });
  }
  const updated = await findCaseRow(trx, { projectId: row.project_id, id: row.id });
  if (!updated) throw new DomainError('NOT_FOUND', 'No such case.');
  // A fix ready again under an embargo that was in force: the release is scheduled again.
  if (input.action === 'fix_ready' && (await resumeEmbargo(trx, deps, toCase(updated)))) {
    const resumed = await findCaseRow(trx, { projectId: row.project_id, id: row.id });
    if (resumed) return toCase(resumed);
  }
  return toCase(updated);
}
