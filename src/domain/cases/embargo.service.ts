import { DAY_MS, iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import { caseMoved } from '../severity/case-reminders.js';
import { insertHistory, lockCase } from './cases.repository.js';
import { caseSeverity } from '../severity/case-severity.service.js';
import type { CaseState } from './case-state.js';
import { transitionCase } from './case-transitions.service.js';
import type { Case } from './cases.js';
import { findCaseRow, toCase } from './cases.repository.js';
import { defaultEmbargoPolicy, type EmbargoPolicy, parseEmbargoPolicy } from './embargo-policy.js';
import { checkRelease, type EmbargoTimeline, parseInstant, planTimeline, proposeRelease } from './embargo-timeline.js';
import { getAdvisory } from '../advisories/advisories.service.js';
import { announceCancelled, announceRevision } from '../release/embargo-notices.js';
import { enqueueSteps } from '../release/step-jobs.js';
import {
  type EmbargoRevisionRow,
  type EmbargoRow,
  findEmbargoPolicyText,
  findEmbargoRow,
  insertEmbargoRow,
  insertRevisionRow,
  embargoRowsOfProjects,
  projectEmbargoRows,
  revisionRows,
  updateEmbargoRow,
} from './embargo.repository.js';

/*
 * The embargo of a case, one per case, with its planned timeline stored on its row (later work
 * schedules the notices and the go from it). States:
 *
 *   proposed --activate--> active --revise--> revised (still in force; revise again: revised)
 *       |  (revise: stays proposed)     \           |
 *       +----------------------------- broken (the case's embargo broke) / lifted (released)
 *
 * - propose: while the case is in fix_in_progress or fix_ready, once per case.
 * - activate: the case must be fix_ready; it moves to scheduled (the reporter is told the date). An
 *   active or revised embargo whose case went back to fix_ready (unschedule, reopen) activates again.
 * - revise: a new release time and a reason, recorded as a revision with the time it replaces; the
 *   timeline is planned again and a scheduled case stays scheduled.
 * - The distributor notice is kept when its time has passed (the distributors were told then); a
 *   future one moves with the release. The maximum embargo counts from it (EMBARGO_TOO_LONG).
 */

export const EMBARGO_STATES = ['proposed', 'active', 'revised', 'lifted', 'broken'] as const;
export type EmbargoState = (typeof EMBARGO_STATES)[number];
/** States in which the embargo still holds and may be revised or activated. */
const OPEN: readonly EmbargoState[] = ['proposed', 'active', 'revised'];

type EmbargoDeps = Pick<Deps, 'clock' | 'config'>;

/** The timeline as stored: UTC instants in ISO text. */
export interface TimelineView {
  distributorNoticeAt: string | null;
  publicNoticeAt: string | null;
  prereleaseNoticeAt: string | null;
  releaseAt: string;
  retrospectiveAt: string | null;
}

export interface EmbargoRevision {
  at: string;
  actorLabel: string;
  previousReleaseAt: string | null;
  releaseAt: string;
  reason: string | null;
}

/** When each step of the timeline was done; null while it is to come. */
export interface TimelineDone {
  distributorNotice: string | null;
  publicNotice: string | null;
  prereleaseNotice: string | null;
  release: string | null;
  retrospective: string | null;
}

export interface Embargo extends TimelineView {
  caseId: string;
  projectId: string;
  state: EmbargoState;
  done: TimelineDone;
  createdAt: string;
  updatedAt: string;
  /** Newest first; the first planning is a revision with no previous time. */
  revisions: EmbargoRevision[];
}

export interface EmbargoChange {
  actor: Actor;
  origin: RequestOrigin;
  theCase: Pick<Case, 'id' | 'projectId'>;
}

const REASON_MAX = 2000;

const timelineText = (t: EmbargoTimeline): TimelineView => ({
  distributorNoticeAt: iso(t.distributorNoticeAt),
  publicNoticeAt: iso(t.publicNoticeAt),
  prereleaseNoticeAt: iso(t.prereleaseNoticeAt),
  releaseAt: iso(t.releaseAt),
  retrospectiveAt: iso(t.retrospectiveAt),
});

const timelineColumns = (t: TimelineView) => ({
  release_at: t.releaseAt,
  distributor_notice_at: t.distributorNoticeAt,
  public_notice_at: t.publicNoticeAt,
  prerelease_notice_at: t.prereleaseNoticeAt,
  retrospective_at: t.retrospectiveAt,
});

const toRevision = (r: EmbargoRevisionRow): EmbargoRevision => ({
  at: r.at,
  actorLabel: r.actor_label,
  previousReleaseAt: r.previous_release_at,
  releaseAt: r.release_at,
  reason: r.reason,
});

function toEmbargo(row: EmbargoRow, revisions: EmbargoRevisionRow[]): Embargo {
  return {
    caseId: row.case_id,
    projectId: row.project_id,
    state: row.state as EmbargoState,
    releaseAt: row.release_at,
    distributorNoticeAt: row.distributor_notice_at,
    publicNoticeAt: row.public_notice_at,
    prereleaseNoticeAt: row.prerelease_notice_at,
    retrospectiveAt: row.retrospective_at,
    done: {
      distributorNotice: row.distributor_notice_done_at,
      publicNotice: row.public_notice_done_at,
      prereleaseNotice: row.prerelease_notice_done_at,
      release: row.released_at,
      retrospective: row.retrospective_done_at,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revisions: revisions.map(toRevision),
  };
}

/** The project's embargo policy: its own, or the defaults. */
export async function getEmbargoPolicy(db: DbOrTrx, projectId: string): Promise<EmbargoPolicy> {
  const text = await findEmbargoPolicyText(db, projectId);
  return text === undefined ? defaultEmbargoPolicy : parseEmbargoPolicy(JSON.parse(text));
}

/** The case's embargo with its revisions, or null. Embargoed content: the caller audits the read. */
export async function getEmbargo(db: DbOrTrx, caseId: string): Promise<Embargo | null> {
  const row = await findEmbargoRow(db, caseId);
  return row ? toEmbargo(row, await revisionRows(db, caseId)) : null;
}

/** What an embargo planned now would look like: the proposed slot (by effective severity) and its timeline. */
export async function proposedTimeline(db: DbOrTrx, deps: Pick<Deps, 'clock'>, theCase: Case): Promise<TimelineView> {
  const policy = await getEmbargoPolicy(db, theCase.projectId);
  const now = deps.clock.now();
  const { effective } = await caseSeverity(db, theCase);
  const releaseAt = proposeRelease(now, policy, effective.severity);
  return timelineText(planTimeline({ releaseAt, policy, notBefore: now }));
}

/** Every embargo of the project with its case's number and state, by release time. */
export async function projectEmbargoes(
  db: DbOrTrx,
  projectId: string,
): Promise<(Omit<Embargo, 'revisions'> & { caseNumber: number; caseState: CaseState })[]> {
  return (await projectEmbargoRows(db, projectId)).map((row) => {
    const { revisions: _, ...embargo } = toEmbargo(row, []);
    return { ...embargo, caseNumber: row.case_number, caseState: row.case_state as CaseState };
  });
}

/** Every embargo of the given projects (a member's calendar across projects), by release time. */
export async function embargoesOfProjects(
  db: DbOrTrx,
  projectIds: readonly string[],
): Promise<
  (Omit<Embargo, 'revisions'> & {
    caseNumber: number;
    caseState: CaseState;
    projectSlug: string;
    projectName: string;
  })[]
> {
  return (await embargoRowsOfProjects(db, projectIds)).map((row) => {
    const { revisions: _, ...embargo } = toEmbargo(row, []);
    return {
      ...embargo,
      caseNumber: row.case_number,
      caseState: row.case_state as CaseState,
      projectSlug: row.project_slug,
      projectName: row.project_name,
    };
  });
}

async function mustGet(db: DbOrTrx, caseId: string): Promise<Embargo> {
  const embargo = await getEmbargo(db, caseId);
  if (!embargo) throw new DomainError('NOT_FOUND', 'The case has no embargo.');
  return embargo;
}

async function lockedCase(trx: Trx, theCase: EmbargoChange['theCase']): Promise<Case> {
  await lockCase(trx, theCase.id);
  const row = await findCaseRow(trx, { projectId: theCase.projectId, id: theCase.id });
  if (!row) throw new DomainError('NOT_FOUND', 'No such case.');
  return toCase(row);
}

const optionalInstant = (text: string | null | undefined, field: string): Date | null =>
  text?.trim() ? parseInstant(text, field) : null;

async function record(
  trx: Trx,
  deps: EmbargoDeps,
  input: EmbargoChange & {
    theCase: Case;
    change: string;
    previous: string | null;
    value: string;
    reason: string | null;
  },
): Promise<string> {
  const now = deps.clock.now();
  const at = iso(now);
  const c = input.theCase;
  const revisionId = newId();
  await insertRevisionRow(trx, {
    id: revisionId,
    case_id: c.id,
    at,
    actor_user_id: input.actor.kind === 'user' ? input.actor.userId : null,
    actor_label: actorLabel(input.actor),
    previous_release_at: input.previous,
    release_at: input.value,
    reason: input.reason,
  });
  await insertHistory(trx, {
    id: newId(),
    case_id: c.id,
    project_id: c.projectId,
    at,
    actor_user_id: input.actor.kind === 'user' ? input.actor.userId : null,
    actor_label: actorLabel(input.actor),
    change: input.change,
    previous: input.previous === null ? null : JSON.stringify(input.previous),
    value: JSON.stringify(input.value),
    reason: input.reason,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: c.projectId,
    action: input.change,
    subjectType: 'case',
    subjectId: c.id,
    detail: {
      number: c.number,
      previous: input.previous,
      releaseAt: input.value,
      ...(input.reason ? { reason: input.reason } : {}),
    },
  });
  await caseMoved(trx, deps, { caseId: c.id, projectId: c.projectId, at: now });
  return revisionId;
}

export interface ProposeEmbargoInput extends EmbargoChange {
  /** As typed (parseInstant); empty: the proposed slot for the case's effective severity. */
  releaseAt?: string | null;
  /** When the distributors are (or were) told; empty: distributorNoticeDays before the release. */
  distributorNoticeAt?: string | null;
}

/**
 * Plans the case's embargo (state proposed) with its timeline; the case must be in fix_in_progress
 * or fix_ready with its embargo unbroken (INVALID_TRANSITION), and have no embargo yet (CONFLICT).
 */
export async function proposeEmbargo(trx: Trx, deps: EmbargoDeps, input: ProposeEmbargoInput): Promise<Embargo> {
  const theCase = await lockedCase(trx, input.theCase);
  if (!['fix_in_progress', 'fix_ready'].includes(theCase.state) || theCase.embargoBrokenAt) {
    throw new DomainError(
      'INVALID_TRANSITION',
      theCase.embargoBrokenAt
        ? 'The embargo of this case was broken: release as soon as possible instead.'
        : 'An embargo is planned once the fix is in progress or ready.',
      { from: theCase.state, action: 'propose_embargo' },
    );
  }
  if (await findEmbargoRow(trx, theCase.id)) {
    throw new DomainError('CONFLICT', 'The case already has an embargo: revise it instead.');
  }
  const now = deps.clock.now();
  const policy = await getEmbargoPolicy(trx, theCase.projectId);
  const chosen = optionalInstant(input.releaseAt, 'releaseAt');
  const releaseAt = chosen ?? proposeRelease(now, policy, (await caseSeverity(trx, theCase)).effective.severity);
  const distributorNoticeAt = optionalInstant(input.distributorNoticeAt, 'distributorNoticeAt');
  const timeline = planTimeline({ releaseAt, policy, notBefore: now, distributorNoticeAt });
  checkRelease({ releaseAt, now, policy, distributorNoticeAt: timeline.distributorNoticeAt });
  await insertEmbargoRow(trx, newEmbargoRow(theCase, 'proposed', timelineText(timeline), iso(now)));
  await record(trx, deps, {
    ...input,
    theCase,
    change: 'embargo.proposed',
    previous: null,
    value: iso(releaseAt),
    reason: null,
  });
  return mustGet(trx, theCase.id);
}

async function openEmbargo(trx: Trx, caseId: string): Promise<EmbargoRow> {
  const row = await findEmbargoRow(trx, caseId);
  if (!row) throw new DomainError('NOT_FOUND', 'The case has no embargo yet: propose one first.');
  if (!OPEN.includes(row.state as EmbargoState)) {
    throw new DomainError('INVALID_TRANSITION', `The embargo is ${row.state}: it can no longer change.`, {
      from: row.state,
    });
  }
  return row;
}

/**
 * Puts the embargo in force: the case must be fix_ready and moves to scheduled, telling its
 * reporters the release time; the embargo becomes active (a revised one stays revised).
 */
export async function activateEmbargo(trx: Trx, deps: EmbargoDeps, input: EmbargoChange): Promise<Embargo> {
  const theCase = await lockedCase(trx, input.theCase);
  const row = await openEmbargo(trx, theCase.id);
  if (theCase.state !== 'fix_ready') {
    throw new DomainError('INVALID_TRANSITION', 'The embargo is put in force once the fix is ready.', {
      from: theCase.state,
      action: 'schedule',
    });
  }
  const now = deps.clock.now();
  const policy = await getEmbargoPolicy(trx, theCase.projectId);
  const releaseAt = new Date(row.release_at);
  checkRelease({
    releaseAt,
    now,
    policy,
    distributorNoticeAt: new Date(row.distributor_notice_at ?? row.release_at),
  });
  await requireSummary(trx, theCase);
  await transitionCase(trx, deps, { ...input, theCase, action: 'schedule', releaseAt: row.release_at });
  await updateEmbargoRow(trx, theCase.id, {
    state: row.state === 'revised' ? 'revised' : 'active',
    updated_at: iso(now),
  });
  await enqueueSteps(trx, deps, await mustGetRow(trx, theCase.id));
  return mustGet(trx, theCase.id);
}

/** A new embargo's row: its timeline, and no step done yet. */
function newEmbargoRow(
  theCase: Pick<Case, 'id' | 'projectId'>,
  state: EmbargoState,
  timeline: TimelineView,
  at: string,
): EmbargoRow {
  return {
    case_id: theCase.id,
    project_id: theCase.projectId,
    state,
    ...timelineColumns(timeline),
    created_at: at,
    updated_at: at,
    distributor_notice_done_at: null,
    public_notice_done_at: null,
    prerelease_notice_done_at: null,
    released_at: null,
    retrospective_done_at: null,
  };
}

/** A release at once has no notice ahead of it: the embargo is broken. */
const NO_NOTICES = { distributorNoticeAt: null, publicNoticeAt: null, prereleaseNoticeAt: null } as const;
const retrospectiveAt = (release: Date, policy: EmbargoPolicy) =>
  iso(new Date(release.getTime() + policy.retrospectiveDays * DAY_MS));

async function mustGetRow(trx: Trx, caseId: string): Promise<EmbargoRow> {
  const row = await findEmbargoRow(trx, caseId);
  if (!row) throw new DomainError('NOT_FOUND', 'The case has no embargo.');
  return row;
}

/** Distributors are sent the advisory draft, and the go publishes it: it needs at least its summary. */
async function requireSummary(db: DbOrTrx, theCase: Case): Promise<void> {
  if (!(await getAdvisory(db, theCase)).summary) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'Write the advisory draft (at least its summary) first: distributors are sent it, and the release publishes it.',
      { field: 'advisory' },
    );
  }
}

export interface ReviseEmbargoInput extends EmbargoChange {
  releaseAt: string;
  reason: string;
  distributorNoticeAt?: string | null;
}

/**
 * Moves the release (reason required), recording the revision with the time it replaces and
 * planning the timeline again. An active embargo becomes revised; a proposed one stays proposed.
 */
export async function reviseEmbargo(trx: Trx, deps: EmbargoDeps, input: ReviseEmbargoInput): Promise<Embargo> {
  const reason = input.reason.trim();
  if (!reason) {
    throw new DomainError('VALIDATION_FAILED', 'Say why the release moves: the reason is kept.', { field: 'reason' });
  }
  if (reason.length > REASON_MAX) {
    throw new DomainError('VALIDATION_FAILED', `The reason is longer than ${REASON_MAX} characters.`, {
      field: 'reason',
    });
  }
  const releaseAt = parseInstant(input.releaseAt, 'releaseAt');
  const theCase = await lockedCase(trx, input.theCase);
  const row = await openEmbargo(trx, theCase.id);
  if (iso(releaseAt) === row.release_at) {
    throw new DomainError('VALIDATION_FAILED', 'The release is already planned for that time.', {
      field: 'releaseAt',
    });
  }
  const now = deps.clock.now();
  const policy = await getEmbargoPolicy(trx, theCase.projectId);
  const told =
    row.distributor_notice_at && row.distributor_notice_at <= iso(now) ? new Date(row.distributor_notice_at) : null;
  const distributorNoticeAt = optionalInstant(input.distributorNoticeAt, 'distributorNoticeAt') ?? told;
  const timeline = planTimeline({ releaseAt, policy, notBefore: now, distributorNoticeAt });
  checkRelease({ releaseAt, now, policy, distributorNoticeAt: timeline.distributorNoticeAt });
  const columns = timelineColumns(timelineText(timeline));
  await updateEmbargoRow(trx, theCase.id, {
    state: row.state === 'proposed' ? 'proposed' : 'revised',
    ...columns,
    // A pre-release notice already sent is sent again a day before the new time, if that is still ahead.
    ...(row.prerelease_notice_done_at && (columns.prerelease_notice_at ?? '') > iso(now)
      ? { prerelease_notice_done_at: null }
      : {}),
    updated_at: iso(now),
  });
  const revisionId = await record(trx, deps, {
    ...input,
    theCase,
    change: 'embargo.revised',
    previous: row.release_at,
    value: iso(releaseAt),
    reason,
  });
  if (theCase.state === 'scheduled') await enqueueSteps(trx, deps, await mustGetRow(trx, theCase.id));
  await announceRevision(trx, deps, { theCase, before: row, releaseAt: iso(releaseAt), reason, revisionId });
  return mustGet(trx, theCase.id);
}

/**
 * Calls the go off before it starts: the case goes back to fix_ready and the embargo is held
 * (proposed: it is not put back in force by itself); those already told hear that the release is
 * postponed. Refused once the go ran (the case is published): INVALID_TRANSITION.
 */
export async function cancelRelease(
  trx: Trx,
  deps: EmbargoDeps,
  input: EmbargoChange & { reason: string },
): Promise<Embargo> {
  const theCase = await lockedCase(trx, input.theCase);
  const row = await openEmbargo(trx, theCase.id);
  await transitionCase(trx, deps, { ...input, theCase, action: 'unschedule', reason: input.reason });
  const at = iso(deps.clock.now());
  await updateEmbargoRow(trx, theCase.id, { state: 'proposed', updated_at: at });
  await announceCancelled(trx, deps, { theCase, row, reason: input.reason.trim(), at });
  return mustGet(trx, theCase.id);
}

/**
 * After the embargo broke: publishes as soon as possible. The case must have its fix ready (or be
 * scheduled); it is scheduled for now, and the go's job is enqueued due now, so the worker runs it
 * at once (and exactly once, like any go). A case with no embargo yet gets one, broken.
 */
export async function releaseNow(
  trx: Trx,
  deps: EmbargoDeps,
  input: EmbargoChange & { reason?: string | null },
): Promise<Embargo> {
  const theCase = await lockedCase(trx, input.theCase);
  if (!theCase.embargoBrokenAt) {
    throw new DomainError(
      'INVALID_TRANSITION',
      'Release now is for a broken embargo; otherwise revise the release time.',
      {
        from: theCase.state,
        action: 'release_now',
      },
    );
  }
  if (theCase.state !== 'fix_ready' && theCase.state !== 'scheduled') {
    throw new DomainError('INVALID_TRANSITION', 'The fix must be ready before it is released.', {
      from: theCase.state,
      action: 'release_now',
    });
  }
  await requireSummary(trx, theCase);
  const now = deps.clock.now();
  const at = iso(now);
  const policy = await getEmbargoPolicy(trx, theCase.projectId);
  const existing = await findEmbargoRow(trx, theCase.id);
  if (existing?.released_at) throw new DomainError('CONFLICT', 'The case is already released.');
  if (!existing) {
    const timeline = { ...NO_NOTICES, releaseAt: at, retrospectiveAt: retrospectiveAt(now, policy) };
    await insertEmbargoRow(trx, newEmbargoRow(theCase, 'broken', timeline, at));
  } else {
    await updateEmbargoRow(trx, theCase.id, {
      release_at: at,
      retrospective_at: retrospectiveAt(now, policy),
      updated_at: at,
    });
  }
  await record(trx, deps, {
    ...input,
    theCase,
    change: 'embargo.revised',
    previous: existing?.release_at ?? null,
    value: at,
    reason: input.reason?.trim() || 'The embargo is broken: released at once.',
  });
  if (theCase.state === 'fix_ready') {
    await transitionCase(trx, deps, { ...input, theCase, action: 'schedule', releaseAt: at });
  }
  await enqueueSteps(trx, deps, await mustGetRow(trx, theCase.id), ['release', 'retrospective']);
  return mustGet(trx, theCase.id);
}

/**
 * Puts an embargo that was in force back in force when the case's fix is ready again (after a new
 * patch reopened it), if its release is still ahead; for transitionCase on 'fix_ready', under the
 * case's lock. Returns whether the case was scheduled again.
 */
export async function resumeEmbargo(trx: Trx, deps: EmbargoDeps, theCase: Case): Promise<boolean> {
  const row = await findEmbargoRow(trx, theCase.id);
  if (!row || (row.state !== 'active' && row.state !== 'revised') || theCase.embargoBrokenAt) return false;
  const now = deps.clock.now();
  if (row.release_at <= iso(now) || !(await getAdvisory(trx, theCase)).summary) return false;
  await transitionCase(trx, deps, {
    actor: { kind: 'system', label: 'embargo' },
    origin: { ip: null, userAgent: null },
    theCase,
    action: 'schedule',
    reason: 'The fix is ready again: the embargo in force schedules the release.',
    releaseAt: row.release_at,
  });
  await enqueueSteps(trx, deps, row);
  return true;
}

async function endEmbargo(trx: Trx, deps: Pick<Deps, 'clock'>, caseId: string, state: EmbargoState): Promise<boolean> {
  const row = await findEmbargoRow(trx, caseId);
  if (!row || !OPEN.includes(row.state as EmbargoState)) return false;
  await updateEmbargoRow(trx, caseId, { state, updated_at: iso(deps.clock.now()) });
  return true;
}

/**
 * Marks the case's embargo broken, if it has one still open; for transitionCase on 'break_embargo',
 * in its transaction and under its case lock (it records the history and audit). Returns whether it changed.
 */
export function embargoBroken(trx: Trx, deps: Pick<Deps, 'clock'>, caseId: string): Promise<boolean> {
  return endEmbargo(trx, deps, caseId, 'broken');
}

/** Marks the case's embargo lifted, if still open; for transitionCase on 'publish'. Returns whether it changed. */
export function embargoLifted(trx: Trx, deps: Pick<Deps, 'clock'>, caseId: string): Promise<boolean> {
  return endEmbargo(trx, deps, caseId, 'lifted');
}
