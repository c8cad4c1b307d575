import crypto from 'node:crypto';
import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import { findBranchRow } from '../projects/projects.repository.js';
import { sanitizeFilename } from '../reports/attachments.js';
import { caseMoved } from '../severity/case-reminders.js';
import { insertHistory, lockCase } from './cases.repository.js';
import { affectedBranchIdsSupportedOn } from './affected.repository.js';
import type { CaseState } from './case-state.js';
import { transitionCase } from './case-transitions.service.js';
import type { Case } from './cases.js';
import { findCaseRow } from './cases.repository.js';
import { type ParsedPatch, type PatchKind, parsePatch } from './patch-parse.js';
import {
  currentPatchStatuses,
  findPatchRow,
  insertPatch,
  insertReview,
  type PatchListRow,
  patchRowsOfCase,
  type ReviewListRow,
  reviewRowsOf,
  supersedePatches,
  updatePatchStatus,
} from './patches.repository.js';

// Private patches: per release branch, the fix as a format-patch series or a diff, reviewed by the
// project's members. A new upload for a branch supersedes the one before. When every affected
// supported branch's current patch is approved, a case being fixed moves to fix_ready by itself.

export const PATCH_STATUSES = ['in_review', 'approved', 'changes_requested', 'superseded'] as const;
export type PatchStatus = (typeof PATCH_STATUSES)[number];
export const REVIEW_VERDICTS = ['approve', 'request_changes', 'comment'] as const;
export type ReviewVerdict = (typeof REVIEW_VERDICTS)[number];

export interface PatchReview {
  id: string;
  reviewerId: string | null;
  reviewerName: string | null;
  verdict: ReviewVerdict;
  comment: string | null;
  at: string;
}

export interface PatchSummary {
  id: string;
  branchId: string;
  branchName: string;
  filename: string;
  kind: PatchKind;
  sha256: string;
  status: PatchStatus;
  uploadedBy: string | null;
  uploaderName: string | null;
  uploadedAt: string;
  reviews: PatchReview[];
}

/** A branch's patches: the current one, and those it superseded (newest first). */
export interface BranchPatches {
  branchId: string;
  branchName: string;
  latest: PatchSummary;
  superseded: PatchSummary[];
}

export interface PatchDetail extends PatchSummary {
  /** Exactly as uploaded. */
  content: string;
  parsed: ParsedPatch;
}

type CaseRef = Pick<Case, 'id' | 'projectId' | 'number'>;

interface Acting {
  actor: Actor;
  origin: RequestOrigin;
  theCase: CaseRef;
}

const COMMENT_MAX = 10_000;
const FIX_READY_REASON = 'Every affected supported branch has an approved patch.';

const userIdOf = (actor: Actor) => (actor.kind === 'user' ? actor.userId : null);

function toReview(row: ReviewListRow): PatchReview {
  return {
    id: row.id,
    reviewerId: row.reviewer_id,
    reviewerName: row.reviewer_name,
    verdict: row.verdict as ReviewVerdict,
    comment: row.comment,
    at: row.at,
  };
}

function toSummary(row: PatchListRow, reviews: readonly ReviewListRow[]): PatchSummary {
  return {
    id: row.id,
    branchId: row.branch_id,
    branchName: row.branch_name,
    filename: row.filename,
    kind: row.kind as PatchKind,
    sha256: row.sha256,
    status: row.status as PatchStatus,
    uploadedBy: row.uploaded_by,
    uploaderName: row.uploader_name,
    uploadedAt: row.uploaded_at,
    reviews: reviews.filter((r) => r.patch_id === row.id).map(toReview),
  };
}

function history(trx: Trx, deps: Pick<Deps, 'clock'>, input: Acting, change: string, value: object, reason?: string) {
  return insertHistory(trx, {
    id: newId(),
    case_id: input.theCase.id,
    project_id: input.theCase.projectId,
    at: iso(deps.clock.now()),
    actor_user_id: userIdOf(input.actor),
    actor_label: actorLabel(input.actor),
    change,
    previous: null,
    value: JSON.stringify(value),
    reason: reason ?? null,
  });
}

export interface PatchUpload extends Acting {
  branchId: string;
  /** The uploaded file's name; a pasted patch may leave it blank. */
  filename: string;
  content: string;
}

/**
 * Stores a patch for a branch of the case's project (NOT_FOUND for another project's branch) after
 * checking that it holds a diff, and supersedes the branch's previous patch. Neither the history
 * nor the audit log holds the patch's text: only its name and SHA-256.
 */
export async function uploadPatch(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: PatchUpload,
): Promise<PatchSummary> {
  if (!input.branchId.trim()) {
    throw new DomainError('VALIDATION_FAILED', 'Choose the release branch this patch is for.', { field: 'branchId' });
  }
  const parsed = parsePatch(input.content);
  await lockCase(trx, input.theCase.id);
  const branch = await findBranchRow(trx, { projectId: input.theCase.projectId, id: input.branchId });
  if (!branch) throw new DomainError('NOT_FOUND', 'No such release branch in this project.', { field: 'branchId' });
  const filename = input.filename.trim()
    ? sanitizeFilename(input.filename)
    : `${sanitizeFilename(branch.name)}.${parsed.kind === 'diff' ? 'diff' : 'patch'}`;
  const sha256 = crypto.createHash('sha256').update(input.content, 'utf8').digest('hex');
  const now = deps.clock.now();
  const superseded = await supersedePatches(trx, input.theCase.id, branch.id);
  const id = newId();
  await insertPatch(trx, {
    id,
    case_id: input.theCase.id,
    branch_id: branch.id,
    filename,
    kind: parsed.kind,
    content: input.content,
    sha256,
    status: 'in_review',
    uploaded_by: userIdOf(input.actor),
    uploaded_at: iso(now),
  });
  await history(trx, deps, input, 'patch.uploaded', { branch: branch.name, filename, sha256 });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.theCase.projectId,
    action: 'case.patch.uploaded',
    subjectType: 'case',
    subjectId: input.theCase.id,
    detail: { number: input.theCase.number, patchId: id, branchId: branch.id, filename, sha256, superseded },
  });
  await caseMoved(trx, deps, { caseId: input.theCase.id, projectId: input.theCase.projectId, at: now });
  // A fix that was ready (or scheduled) now has an unreviewed patch: it is not ready any more.
  await reopenFixIfReady(trx, deps, input, branch.id, `A new patch for ${branch.name} was uploaded and needs review.`);
  const row = await findPatchRow(trx, input.theCase.id, id);
  if (!row) throw new DomainError('NOT_FOUND', 'No such patch.');
  return toSummary(row, []);
}

/**
 * Moves a fix_ready or scheduled case back to fix_in_progress, in the caller's transaction, when the
 * branch is one the fix needs (affected and supported): a patch for another branch changes nothing.
 */
async function reopenFixIfReady(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: Acting,
  branchId: string,
  reason: string,
): Promise<void> {
  const row = await findCaseRow(trx, { projectId: input.theCase.projectId, id: input.theCase.id });
  const state = row?.state as CaseState | undefined;
  if (state !== 'fix_ready' && state !== 'scheduled') return;
  const needed = await affectedBranchIdsSupportedOn(trx, {
    caseId: input.theCase.id,
    projectId: input.theCase.projectId,
    today: iso(deps.clock.now()).slice(0, 10),
  });
  if (!needed.includes(branchId)) return;
  const { actor, origin, theCase } = input;
  await transitionCase(trx, deps, { actor, origin, theCase, action: 'reopen_fix', reason });
}

export interface PatchReviewInput extends Acting {
  patchId: string;
  verdict: string;
  comment?: string | null;
}

const nextStatus: Record<ReviewVerdict, (current: PatchStatus) => PatchStatus> = {
  approve: () => 'approved',
  request_changes: () => 'changes_requested',
  comment: (current) => current,
};

/**
 * Records a review of a patch of the case and sets the patch's status from its verdict. Nobody
 * approves their own upload. After an approval, moves the case to fix_ready when that completes it
 * (see `checkFixReady`). Returns the patch and whether the case became fix-ready.
 */
export async function reviewPatch(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: PatchReviewInput,
): Promise<{ patch: PatchSummary; fixReady: boolean }> {
  const verdict = REVIEW_VERDICTS.find((v) => v === input.verdict);
  if (!verdict) {
    throw new DomainError('VALIDATION_FAILED', 'Choose approve, request changes or comment.', { field: 'verdict' });
  }
  const comment = input.comment?.trim() || null;
  if (comment && comment.length > COMMENT_MAX) {
    throw new DomainError('VALIDATION_FAILED', `A review comment is at most ${COMMENT_MAX} characters.`, {
      field: 'comment',
    });
  }
  if (!comment && verdict !== 'approve') {
    throw new DomainError(
      'VALIDATION_FAILED',
      verdict === 'request_changes' ? 'Say what has to change in the patch.' : 'Write the comment.',
      { field: 'comment' },
    );
  }
  await lockCase(trx, input.theCase.id);
  const row = await findPatchRow(trx, input.theCase.id, input.patchId);
  if (!row) throw new DomainError('NOT_FOUND', 'No such patch in this case.');
  const current = row.status as PatchStatus;
  if (current === 'superseded' && verdict !== 'comment') {
    throw new DomainError(
      'INVALID_TRANSITION',
      `A newer patch replaced this one for ${row.branch_name}: review that one instead.`,
      { from: current, action: verdict },
    );
  }
  if (verdict === 'approve' && row.uploaded_by !== null && row.uploaded_by === userIdOf(input.actor)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'You uploaded this patch, so you cannot approve it: another member has to review it.',
      { field: 'verdict' },
    );
  }
  const now = deps.clock.now();
  const status = nextStatus[verdict](current);
  await insertReview(trx, {
    id: newId(),
    patch_id: row.id,
    reviewer_id: userIdOf(input.actor),
    verdict,
    comment,
    at: iso(now),
  });
  if (status !== current) await updatePatchStatus(trx, row.id, status);
  const value = { branch: row.branch_name, filename: row.filename, verdict, status };
  await history(trx, deps, input, 'patch.reviewed', value, comment ?? undefined);
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.theCase.projectId,
    action: 'case.patch.reviewed',
    subjectType: 'case',
    subjectId: input.theCase.id,
    detail: {
      number: input.theCase.number,
      patchId: row.id,
      branchId: row.branch_id,
      verdict,
      from: current,
      to: status,
    },
  });
  await caseMoved(trx, deps, { caseId: input.theCase.id, projectId: input.theCase.projectId, at: now });
  if (verdict === 'request_changes' && current === 'approved') {
    const why = `Changes were requested on the approved patch for ${row.branch_name}.`;
    await reopenFixIfReady(trx, deps, input, row.branch_id, why);
  }
  const fixReady = verdict === 'approve' ? await checkFixReady(trx, deps, input) : false;
  const reviews = await reviewRowsOf(trx, [row.id]);
  return { patch: toSummary({ ...row, status }, reviews), fixReady };
}

/**
 * Moves a case in fix_in_progress to fix_ready (which tells its reporters) when each of its affected
 * branches still supported today has a current patch, approved; there must be at least one such
 * branch. Returns whether it moved. Called after every approval; the caller holds the case's lock.
 */
export async function checkFixReady(trx: Trx, deps: Pick<Deps, 'clock' | 'config'>, input: Acting): Promise<boolean> {
  const row = await findCaseRow(trx, { projectId: input.theCase.projectId, id: input.theCase.id });
  if ((row?.state as CaseState | undefined) !== 'fix_in_progress') return false;
  // The repository query, not affected.service: that service calls this function (no import cycle).
  const branches = await affectedBranchIdsSupportedOn(trx, {
    caseId: input.theCase.id,
    projectId: input.theCase.projectId,
    today: iso(deps.clock.now()).slice(0, 10),
  });
  if (branches.length === 0) return false;
  const statuses = await currentPatchStatuses(trx, input.theCase.id);
  if (!branches.every((b) => statuses.get(b) === 'approved')) return false;
  const { actor, origin, theCase } = input;
  await transitionCase(trx, deps, { actor, origin, theCase, action: 'fix_ready', reason: FIX_READY_REASON });
  return true;
}

/** The case's patches by branch (branches by name): no content, and no audit (callers audit their read). */
export async function casePatches(db: DbOrTrx, caseId: string): Promise<BranchPatches[]> {
  const rows = await patchRowsOfCase(db, caseId);
  const reviews = await reviewRowsOf(
    db,
    rows.map((r) => r.id),
  );
  const byBranch = new Map<string, PatchSummary[]>();
  for (const row of rows) {
    const list = byBranch.get(row.branch_id) ?? [];
    list.push(toSummary(row, reviews));
    byBranch.set(row.branch_id, list);
  }
  return [...byBranch.values()].flatMap((list) => {
    const latest = list.find((p) => p.status !== 'superseded') ?? list[0];
    if (!latest) return [];
    return [
      {
        branchId: latest.branchId,
        branchName: latest.branchName,
        latest,
        superseded: list.filter((p) => p !== latest),
      },
    ];
  });
}

/** A patch of the case with its content and parsed diff, or NOT_FOUND; no audit (see `viewPatch`). */
export async function getPatch(db: DbOrTrx, theCase: Pick<Case, 'id'>, patchId: string): Promise<PatchDetail> {
  const row = await findPatchRow(db, theCase.id, patchId);
  if (!row) throw new DomainError('NOT_FOUND', 'No such patch in this case.');
  const reviews = await reviewRowsOf(db, [row.id]);
  return { ...toSummary(row, reviews), content: row.content, parsed: parsePatch(row.content) };
}

/** Reads a patch as embargoed content: audited 'case.patch.viewed' (`download` for the raw file). */
export async function viewPatch(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: Acting & { patchId: string; download?: boolean },
): Promise<PatchDetail> {
  const patch = await getPatch(trx, input.theCase, input.patchId);
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.theCase.projectId,
    action: 'case.patch.viewed',
    subjectType: 'case',
    subjectId: input.theCase.id,
    detail: {
      number: input.theCase.number,
      patchId: patch.id,
      branchId: patch.branchId,
      ...(input.download ? { download: true } : {}),
    },
  });
  return patch;
}

/** The case's patches for a reader outside the case page (which audits its own view): audited. */
export async function viewCasePatches(trx: Trx, deps: Pick<Deps, 'clock'>, input: Acting): Promise<BranchPatches[]> {
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.theCase.projectId,
    action: 'case.patches.viewed',
    subjectType: 'case',
    subjectId: input.theCase.id,
    detail: { number: input.theCase.number },
  });
  return casePatches(trx, input.theCase.id);
}
