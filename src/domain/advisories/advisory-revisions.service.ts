import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import type { Case } from '../cases/cases.js';
import { findCaseRow, insertHistory, lockCase, toCase } from '../cases/cases.repository.js';
import { newId } from '../ids.js';
import { getProjectById } from '../projects/projects.service.js';
import type { AdvisoryMeta, AdvisoryText } from './advisories.js';
import { findAdvisoryRow, revisionRows, updateAdvisoryRow } from './advisories.repository.js';
import { advisoryTextColumns, getAdvisory, storeRevision } from './advisories.service.js';
import type { AdvisoryRecord, RecordRevision } from './advisory-record.js';
import { buildAdvisoryRecord } from './advisory-record.service.js';
import { advisoryMetaColumns } from './advisory-meta.js';
import { enqueueCveSync, parseCveId } from './cve-ids.service.js';

/*
 * A published advisory is a public record: it is never edited in place. A revision rebuilds the
 * record from the case as it stands now (the team may have corrected a fixed version or a score)
 * and from the advisory's text, bumps the revision and the modified date, and keeps the previous
 * record. Withdrawal is a last revision: the page stays, and every format says it was withdrawn.
 * Callers check 'case.advisory.revise'.
 */

const SUMMARY_MAX = 300;

function changeSummary(raw: string): string {
  const text = raw.replace(/\s+/g, ' ').trim();
  if (!text || text.length > SUMMARY_MAX) {
    throw new DomainError('VALIDATION_FAILED', `Say in one line (at most ${SUMMARY_MAX} characters) what changed.`, {
      field: 'summary',
    });
  }
  return text;
}

async function publishedFor(trx: Trx, theCase: Pick<Case, 'id' | 'projectId'>) {
  await lockCase(trx, theCase.id);
  const caseRow = await findCaseRow(trx, { projectId: theCase.projectId, id: theCase.id });
  const row = await findAdvisoryRow(trx, theCase.id);
  if (!caseRow) throw new DomainError('NOT_FOUND', 'No such case.');
  // A case with nothing saved yet has an (empty) draft all the same: not published, not missing.
  if (!row?.published_at || !row.public_id || !row.record) {
    throw new DomainError('INVALID_TRANSITION', 'The advisory is not published yet: edit its draft.', {
      from: 'draft',
      action: 'revise',
    });
  }
  if (row.withdrawn_at) {
    throw new DomainError('INVALID_TRANSITION', 'The advisory was withdrawn.', { from: 'withdrawn', action: 'revise' });
  }
  return { caseRow, row, record: JSON.parse(row.record) as AdvisoryRecord };
}

export interface ReviseInput {
  actor: Actor;
  origin: RequestOrigin;
  theCase: Pick<Case, 'id' | 'projectId'>;
  /** One line for the revision history: what changed and why. */
  summary: string;
  /** New text and metadata; left out, they stay as they are. */
  text?: AdvisoryText;
  meta?: AdvisoryMeta;
  /** A CVE id that came after publication (typed in), or null to keep the current one. */
  cveId?: string | null;
}

async function newRevision(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: ReviseInput & { withdrawnReason?: string },
): Promise<AdvisoryRecord> {
  const { caseRow, row, record: previous } = await publishedFor(trx, input.theCase);
  const summary = changeSummary(input.summary);
  const at = iso(deps.clock.now());
  const by = input.actor.kind === 'user' ? input.actor.userId : null;
  const change: Parameters<typeof updateAdvisoryRow>[2] = { updated_at: at, updated_by: by };
  if (input.text) {
    const t = input.text;
    if (!t.summary)
      throw new DomainError('VALIDATION_FAILED', 'A published advisory keeps its summary.', { field: 'summary' });
    Object.assign(change, advisoryTextColumns(t));
  }
  if (input.meta) Object.assign(change, advisoryMetaColumns(input.meta));
  if (input.cveId) change.cve_id = parseCveId(input.cveId);
  if (input.withdrawnReason !== undefined) {
    change.withdrawn_at = at;
    change.withdrawn_reason = input.withdrawnReason;
  }
  await updateAdvisoryRow(trx, caseRow.id, change);
  const project = await getProjectById(trx, caseRow.project_id);
  if (!project) throw new DomainError('NOT_FOUND', 'No such project.');
  const revision: RecordRevision = { number: row.revision + 1, date: at, summary };
  const record = await buildAdvisoryRecord(trx, deps, {
    theCase: toCase(caseRow),
    project,
    advisory: await getAdvisory(trx, input.theCase),
    publicId: row.public_id ?? previous.id,
    published: previous.published,
    modified: at,
    withdrawn: input.withdrawnReason !== undefined ? { at, reason: input.withdrawnReason } : null,
    revisions: [...previous.revisions, revision],
  });
  await storeRevision(trx, deps, { theCase: input.theCase, record, revision, actorLabel: actorLabel(input.actor) });
  await insertHistory(trx, {
    id: newId(),
    case_id: caseRow.id,
    project_id: caseRow.project_id,
    at,
    actor_user_id: by,
    actor_label: actorLabel(input.actor),
    change: input.withdrawnReason !== undefined ? 'advisory.withdrawn' : 'advisory.revised',
    previous: String(row.revision),
    value: String(revision.number),
    reason: summary,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: caseRow.project_id,
    action: input.withdrawnReason !== undefined ? 'advisory.withdrawn' : 'advisory.revised',
    subjectType: 'case',
    subjectId: caseRow.id,
    detail: { number: caseRow.number, publicId: record.id, revision: revision.number },
  });
  await enqueueCveSync(trx, deps, caseRow.id);
  return record;
}

/** Publishes a new revision of a published advisory. */
export function reviseAdvisory(trx: Trx, deps: Pick<Deps, 'clock' | 'config'>, input: ReviseInput) {
  return newRevision(trx, deps, input);
}

/** Withdraws a published advisory with the reason: a last revision that every format marks withdrawn. */
export function withdrawAdvisory(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { actor: Actor; origin: RequestOrigin; theCase: Pick<Case, 'id' | 'projectId'>; reason: string },
) {
  const reason = changeSummary(input.reason);
  return newRevision(trx, deps, { ...input, summary: `Withdrawn: ${reason}`, withdrawnReason: reason });
}

/** The revisions of a published advisory, oldest first, each with the record as it was then. */
export async function advisoryRevisions(
  db: DbOrTrx,
  caseId: string,
): Promise<{ number: number; at: string; summary: string; actorLabel: string; record: AdvisoryRecord }[]> {
  return (await revisionRows(db, caseId)).map((r) => ({
    number: r.number,
    at: r.at,
    summary: r.summary,
    actorLabel: r.actor_label,
    record: JSON.parse(r.record) as AdvisoryRecord,
  }));
}
