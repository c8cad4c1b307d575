import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import type { Case } from './cases.js';
import {
  findCaseRow,
  insertCase,
  lockProjectCaseNumbers,
  maxCaseNumber,
  reportsOfCase,
  toCase,
} from './cases.repository.js';

export interface CaseFromReportInput {
  actor: Actor;
  origin: RequestOrigin;
  report: { id: string; projectId: string; title: string };
}

/**
 * Opens an embargoed case for an accepted report, numbered next in its project. The caller links
 * the report to it in the same transaction.
 *
 * Numbering is max+1 under a lock on the project row rather than "insert, and retry once on a
 * unique violation": on PostgreSQL a failed INSERT aborts the whole transaction (a retry would need
 * a savepoint), and a single retry still loses to a third concurrent accept. The lock only
 * serializes accepts within one project, for the few milliseconds until commit. The unique
 * constraint (project_id, number) stays as the backstop.
 */
export async function createCaseFromReport(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: CaseFromReportInput,
): Promise<Case> {
  const { report } = input;
  return openCase(trx, deps, {
    actor: input.actor,
    origin: input.origin,
    projectId: report.projectId,
    title: report.title,
    auditDetail: { reportId: report.id },
  });
}

/**
 * Opens an embargoed case in triage, numbered next in its project: for an accepted report, or for
 * an imported upstream advisory. `auditDetail` says where it came from.
 */
export async function openCase(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: {
    actor: Actor;
    origin: RequestOrigin;
    projectId: string;
    title: string;
    auditDetail: Record<string, unknown>;
  },
): Promise<Case> {
  await lockProjectCaseNumbers(trx, input.projectId);
  const number = (await maxCaseNumber(trx, input.projectId)) + 1;
  const now = iso(deps.clock.now());
  const row = {
    id: newId(),
    project_id: input.projectId,
    number,
    title: input.title,
    state: 'triage',
    embargoed: 1,
    created_by: input.actor.kind === 'user' ? input.actor.userId : null,
    owner_id: input.actor.kind === 'user' ? input.actor.userId : null,
    fix_lead_id: null,
    embargo_broken_at: null,
    created_at: now,
    updated_at: now,
  };
  await insertCase(trx, row);
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.projectId,
    action: 'case.created',
    subjectType: 'case',
    subjectId: row.id,
    detail: { number, ...input.auditDetail },
  });
  return toCase(row);
}

export interface CaseView {
  case: Case;
  reports: { id: string; trackingId: string }[];
}

/**
 * A case of a project by its number, with the reports it came from, or NOT_FOUND. Its title comes
 * from an embargoed report, so every view is audited like a report view.
 */
export async function getCaseForTeam(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { actor: Actor; origin: RequestOrigin; projectId: string; number: number },
): Promise<CaseView> {
  const row = await findCaseRow(trx, { projectId: input.projectId, number: input.number });
  if (!row) throw new DomainError('NOT_FOUND', 'No case with this number in this project.');
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.projectId,
    action: 'case.viewed',
    subjectType: 'case',
    subjectId: row.id,
  });
  const reports = await reportsOfCase(trx, row.id);
  return { case: toCase(row), reports: reports.map((r) => ({ id: r.id, trackingId: r.tracking_id })) };
}

/** The case a report was accepted into, for links; no audit (it shows no content). */
export async function findCaseNumber(db: DbOrTrx, projectId: string, caseId: string): Promise<number | undefined> {
  return (await findCaseRow(db, { projectId, id: caseId }))?.number;
}

/** A case of a project by its number, or NOT_FOUND; no audit: for changes, which audit themselves. */
export async function requireCase(db: DbOrTrx, projectId: string, number: number): Promise<Case> {
  const row = await findCaseRow(db, { projectId, number });
  if (!row) throw new DomainError('NOT_FOUND', 'No case with this number in this project.');
  return toCase(row);
}

/**
 * Records a read of a case's content: for answers that show it without an audited lookup (a change
 * that changed nothing still answers with the case's data).
 */
export async function auditCaseRead(
  db: DbOrTrx,
  deps: Pick<Deps, 'clock'>,
  by: { actor: Actor; origin: RequestOrigin },
  theCase: Pick<Case, 'id' | 'projectId' | 'number'>,
): Promise<void> {
  await recordAudit(db, deps.clock, {
    actor: by.actor,
    origin: by.origin,
    projectId: theCase.projectId,
    action: 'case.viewed',
    subjectType: 'case',
    subjectId: theCase.id,
    detail: { number: theCase.number },
  });
}
