import { iso } from '../../clock.js';
import type { Deps } from '../../deps.js';
import { noOrigin } from '../audit/audit.js';
import { publishAnnouncement } from '../announcements/announcements.service.js';
import type { Case } from '../cases/cases.js';
import { findCaseRow, insertHistory, lockCase, toCase } from '../cases/cases.repository.js';
import { type EmbargoRow, findEmbargoRow, updateEmbargoRow } from '../cases/embargo.repository.js';
import { messageRecipients, notifyDistributors } from '../distributors/notices.service.js';
import { newId } from '../ids.js';
import type { EmbargoStep, PayloadOf } from '../outbox/job-types.js';
import { getProjectById } from '../projects/projects.service.js';
import type { Trx } from '../../db/types.js';
import { announcementText, casePublicValues } from './announcement-text.js';
import { storeRetrospectiveDraft } from './retrospective.service.js';
import { doneAt, plannedAt, STEP_COLUMNS } from './step-jobs.js';
import { runTheGo } from './the-go.service.js';
import { mailTeamOfStep } from './team-mail.js';

/*
 * Running a step of an embargo's timeline (the embargo.step job). Under the case's lock, in one
 * transaction with its effects, the step is checked and done once:
 * - stale: the job's time is not the step's planned time any more (the date moved: a newer job
 *   carries the new time), or the step is done (a retry after a crash that came after the commit);
 * - held: the case is not scheduled (the go was called off, or the fix reopened); activating the
 *   embargo again enqueues the steps anew;
 * - otherwise the step is done and marked done in the same transaction.
 * A job that runs before its time (a clock behind another process's) fails and is retried later.
 */

export type StepOutcome = 'done' | 'stale' | 'held';

const TIMELINE_ACTOR = { kind: 'system', label: 'embargo timeline' } as const;

async function history(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  theCase: Case,
  change: string,
  value: unknown,
): Promise<void> {
  await insertHistory(trx, {
    id: newId(),
    case_id: theCase.id,
    project_id: theCase.projectId,
    at: iso(deps.clock.now()),
    actor_user_id: null,
    actor_label: TIMELINE_ACTOR.label,
    change,
    previous: null,
    value: JSON.stringify(value),
    reason: null,
  });
}

type StepDeps = Pick<Deps, 'clock' | 'config'>;

const perform: Record<EmbargoStep, (trx: Trx, deps: StepDeps, theCase: Case, row: EmbargoRow) => Promise<void>> = {
  async distributor_notice(trx, deps, theCase, row) {
    const sent = await notifyDistributors(trx, deps, {
      actor: TIMELINE_ACTOR,
      origin: noOrigin,
      theCase,
      releaseAt: row.release_at,
    });
    if (sent.distributors === 0)
      await history(trx, deps, theCase, 'distributors.notified', { distributors: [], recipients: 0 });
    await mailTeamOfStep(trx, deps, { theCase, step: 'distributors-notified', count: sent.recipients });
  },
  async public_notice(trx, deps, theCase, row) {
    const project = await getProjectById(trx, theCase.projectId);
    if (!project) return;
    const values = await casePublicValues(trx, deps, { project, theCase, releaseAt: row.release_at });
    const text = await announcementText(trx, { projectId: project.id, kind: 'fix_forthcoming', values });
    const announcement = await publishAnnouncement(trx, deps, {
      projectId: project.id,
      caseId: theCase.id,
      kind: 'fix_forthcoming',
      dedupeKey: 'fix_forthcoming',
      subject: text.subject,
      body: text.body,
    });
    await history(trx, deps, theCase, 'announcement.fix_forthcoming', { announcement: announcement.id });
    await mailTeamOfStep(trx, deps, { theCase, step: 'fix-forthcoming', count: null });
  },
  async prerelease_notice(trx, deps, theCase, row) {
    const sent = await messageRecipients(trx, deps, {
      theCase,
      message: { kind: 'prerelease', dedupeKey: `prerelease:${row.release_at}`, releaseAt: row.release_at },
    });
    await history(trx, deps, theCase, 'distributors.prerelease', { recipients: sent });
    await mailTeamOfStep(trx, deps, { theCase, step: 'prerelease', count: sent });
  },
  async release(trx, deps, theCase, row) {
    await runTheGo(trx, deps, { theCase, embargo: row });
  },
  async retrospective(trx, deps, theCase, row) {
    if (await storeRetrospectiveDraft(trx, deps, { theCase, embargo: row })) {
      await history(trx, deps, theCase, 'retrospective.drafted', null);
      await mailTeamOfStep(trx, deps, { theCase, step: 'retrospective', count: null });
    }
  },
};

/** Whether the step may run in the case's state: every step but the retrospective needs a scheduled case. */
function runnable(step: EmbargoStep, theCase: Case, row: EmbargoRow): boolean {
  if (step === 'retrospective') return row.released_at !== null;
  return theCase.state === 'scheduled';
}

export async function runEmbargoStep(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  payload: Omit<PayloadOf<'embargo.step'>, 'kind'>,
): Promise<StepOutcome> {
  return deps.db.transaction().execute(async (trx) => {
    await lockCase(trx, payload.caseId);
    const row = await findEmbargoRow(trx, payload.caseId);
    if (!row || plannedAt(row, payload.step) !== payload.dueAt || doneAt(row, payload.step)) return 'stale';
    const caseRow = await findCaseRow(trx, { projectId: row.project_id, id: row.case_id });
    if (!caseRow) return 'stale';
    const theCase = toCase(caseRow);
    if (!runnable(payload.step, theCase, row)) return 'held';
    const now = deps.clock.now();
    if (now.getTime() < Date.parse(payload.dueAt)) {
      throw new Error(`the ${payload.step} step is not due until ${payload.dueAt}`);
    }
    await perform[payload.step](trx, deps, theCase, row);
    const at = iso(deps.clock.now());
    await updateEmbargoRow(trx, theCase.id, { [STEP_COLUMNS[payload.step].done]: at, updated_at: at });
    return 'done';
  });
}
