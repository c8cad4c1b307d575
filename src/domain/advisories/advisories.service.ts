import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import type { Case } from '../cases/cases.js';
import { findCaseRow, insertHistory, lockCase, lockProjectCaseNumbers } from '../cases/cases.repository.js';
import { newId } from '../ids.js';
import { caseMoved } from '../severity/case-reminders.js';
import {
  ADVISORY_PROSE_FIELDS,
  type Advisory,
  type AdvisoryMeta,
  type AdvisoryText,
  CREDIT_TYPES,
  type Credit,
  type CreditType,
  emptyAdvisoryMeta,
  emptyAdvisoryText,
} from './advisories.js';
import type { AdvisoryRecord, RecordReference, RecordRevision } from './advisory-record.js';
import { advisoryMetaColumns } from './advisory-meta.js';
import { buildAdvisoryRecord } from './advisory-record.service.js';
import { markCveIdPublished } from './cve-ids.service.js';
import { getProjectById } from '../projects/projects.service.js';
import { storeProjectVuln } from '../scan/vulndb.service.js';
import { toOsv } from '../../formats/osv.js';
import {
  type AdvisoryRow,
  countPublicIds,
  ensureAdvisoryRow,
  findAdvisoryRow,
  findPublishedAdvisoryRow,
  insertAdvisoryRow,
  insertRevisionRow,
  publishedAdvisoryRows,
  updateAdvisoryRow,
} from './advisories.repository.js';

// The advisory draft of a case. Callers check 'case.advisory.edit' (changes) and 'case.read'
// (reads, which they audit: the draft is embargoed content). Publication is the go's
// (release/the-go.service.ts), in its transaction.

const SUMMARY_MAX = 300;
const PROSE_MAX = 20_000;
const CREDITS_MAX = 50;
const CREDIT_NAME_MAX = 200;

const invalid = (field: string, message: string) => new DomainError('VALIDATION_FAILED', message, { field });

function toAdvisory(row: AdvisoryRow): Advisory {
  return {
    caseId: row.case_id,
    projectId: row.project_id,
    publicId: row.public_id,
    publishedAt: row.published_at,
    updatedAt: row.updated_at,
    summary: row.summary,
    details: row.details,
    affected: row.affected_text,
    howToCheck: row.check_text,
    upgrade: row.upgrade_text,
    mitigations: row.mitigations_text,
    detection: row.detection_text,
    credits: JSON.parse(row.credits) as Credit[],
    aliases: JSON.parse(row.aliases) as string[],
    related: JSON.parse(row.related) as string[],
    references: JSON.parse(row.references_json) as RecordReference[],
    cveId: row.cve_id,
    cveRequestedFrom: row.cve_requested_from,
    cveRequestedAt: row.cve_requested_at,
    revision: row.revision,
    modifiedAt: row.modified_at,
    withdrawnAt: row.withdrawn_at,
    withdrawnReason: row.withdrawn_reason,
  };
}

/** The columns of the advisory's text as stored. */
export const advisoryTextColumns = (t: AdvisoryText) => ({
  summary: t.summary,
  details: t.details,
  affected_text: t.affected,
  check_text: t.howToCheck,
  upgrade_text: t.upgrade,
  mitigations_text: t.mitigations,
  detection_text: t.detection,
  credits: JSON.stringify(t.credits),
});

/** A credit's contact list: at most 5 http(s) URLs or mailto: addresses. */
function creditContact(raw: unknown, i: number): string[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length > 5) throw invalid(`credits.${i}.contact`, 'At most 5 contacts per credit.');
  return list.map((c: unknown) => {
    const text = typeof c === 'string' ? c.trim() : '';
    if (!/^(https?:\/\/\S+|mailto:\S+@\S+)$/.test(text) || text.length > 500) {
      throw invalid(`credits.${i}.contact`, 'A contact is an http(s) URL or a mailto: address.');
    }
    return text;
  });
}

/**
 * Checks a draft as submitted (unknown: a form or JSON body): VALIDATION_FAILED names the field. The
 * summary is one line; prose keeps its line breaks (CRLF becomes LF); credits need a name and an OSV type.
 */
export function parseAdvisoryText(raw: unknown): AdvisoryText {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid('advisory', 'Send the advisory as an object.');
  const o = raw as Record<string, unknown>;
  const text = (field: string, max: number): string => {
    const value = o[field] ?? '';
    if (typeof value !== 'string') throw invalid(field, `${field} must be text.`);
    const clean = value.replace(/\r\n?/g, '\n').trim();
    if (clean.length > max) throw invalid(field, `${field} is longer than ${max} characters.`);
    return clean;
  };
  const summary = text('summary', SUMMARY_MAX);
  if (/\n/.test(summary)) throw invalid('summary', 'The summary is one line.');
  const prose = Object.fromEntries(ADVISORY_PROSE_FIELDS.map((f) => [f, text(f, PROSE_MAX)])) as Record<
    (typeof ADVISORY_PROSE_FIELDS)[number],
    string
  >;
  const rawCredits = o.credits ?? [];
  if (!Array.isArray(rawCredits)) throw invalid('credits', 'Credits are a list.');
  if (rawCredits.length > CREDITS_MAX) throw invalid('credits', `At most ${CREDITS_MAX} credits.`);
  const credits = rawCredits.map((c: unknown, i): Credit => {
    const entry = (c ?? {}) as Record<string, unknown>;
    const name = typeof entry.name === 'string' ? entry.name.replace(/\s+/g, ' ').trim() : '';
    if (!name || name.length > CREDIT_NAME_MAX) {
      throw invalid(`credits.${i}.name`, `Each credit names someone (at most ${CREDIT_NAME_MAX} characters).`);
    }
    const type = typeof entry.type === 'string' ? entry.type.toUpperCase() : 'OTHER';
    if (!(CREDIT_TYPES as readonly string[]).includes(type)) {
      throw invalid(`credits.${i}.type`, `A credit's type is one of ${CREDIT_TYPES.join(', ')}.`);
    }
    const contact = creditContact(entry.contact, i);
    return { name, type: type as CreditType, ...(contact.length ? { contact } : {}) };
  });
  return { summary, ...prose, credits };
}

/** The case's advisory, or an empty draft. Embargoed until published: the caller audits the read. */
export async function getAdvisory(db: DbOrTrx, theCase: Pick<Case, 'id' | 'projectId'>): Promise<Advisory> {
  const row = await findAdvisoryRow(db, theCase.id);
  if (row) return toAdvisory(row);
  return {
    ...emptyAdvisoryText,
    ...emptyAdvisoryMeta,
    caseId: theCase.id,
    projectId: theCase.projectId,
    publicId: null,
    publishedAt: null,
    updatedAt: null,
    cveId: null,
    cveRequestedFrom: null,
    cveRequestedAt: null,
    revision: 0,
    modifiedAt: null,
    withdrawnAt: null,
    withdrawnReason: null,
  };
}

/**
 * The credits a new draft starts with: each reporter of the case as they asked to be credited when
 * reporting (by name, as "an anonymous reporter", or not at all).
 */
export async function suggestedCredits(db: DbOrTrx, caseId: string): Promise<Credit[]> {
  const reports = await db
    .selectFrom('reports')
    .select(['reporter_name', 'credit'])
    .where('case_id', '=', caseId)
    .orderBy('received_at')
    .execute();
  return reports.flatMap((r): Credit[] => {
    if (r.credit === 'name' && r.reporter_name?.trim()) return [{ name: r.reporter_name.trim(), type: 'FINDER' }];
    if (r.credit === 'anonymous') return [{ name: 'An anonymous reporter', type: 'FINDER' }];
    return [];
  });
}

/** Which fields differ, for the history (names only: the text itself is embargoed and stays out of the audit log). */
function changedFields(before: AdvisoryText, after: AdvisoryText): string[] {
  const keys = ['summary', ...ADVISORY_PROSE_FIELDS] as const;
  const changed: string[] = keys.filter((k) => before[k] !== after[k]);
  if (JSON.stringify(before.credits) !== JSON.stringify(after.credits)) changed.push('credits');
  return changed;
}

/**
 * A change of the draft in the case history and the audit log: field names and counts only, the
 * text itself is embargoed and stays out of both.
 */
async function recordDraftChange(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: {
    actor: Actor;
    origin: RequestOrigin;
    caseRow: { id: string; project_id: string; number: number };
    at: string;
    change: string;
    value: unknown;
    fields: string[];
  },
): Promise<void> {
  const { caseRow } = input;
  await insertHistory(trx, {
    id: newId(),
    case_id: caseRow.id,
    project_id: caseRow.project_id,
    at: input.at,
    actor_user_id: input.actor.kind === 'user' ? input.actor.userId : null,
    actor_label: actorLabel(input.actor),
    change: input.change,
    previous: null,
    value: JSON.stringify(input.value),
    reason: null,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: caseRow.project_id,
    action: 'case.advisory_drafted',
    subjectType: 'case',
    subjectId: caseRow.id,
    detail: { number: caseRow.number, fields: input.fields },
  });
}

export interface SaveAdvisoryInput {
  actor: Actor;
  origin: RequestOrigin;
  theCase: Pick<Case, 'id' | 'projectId'>;
  text: AdvisoryText;
}

/**
 * Saves the draft, under the case's lock. A published advisory is not edited here (its updates are
 * revisions of a public record): INVALID_TRANSITION. Nothing changed: nothing is written.
 */
export async function saveAdvisoryDraft(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: SaveAdvisoryInput,
): Promise<{ advisory: Advisory; changed: string[] }> {
  await lockCase(trx, input.theCase.id);
  const caseRow = await findCaseRow(trx, { projectId: input.theCase.projectId, id: input.theCase.id });
  if (!caseRow) throw new DomainError('NOT_FOUND', 'No such case.');
  const before = await getAdvisory(trx, input.theCase);
  if (before.publishedAt) {
    throw new DomainError('INVALID_TRANSITION', 'The advisory is published: it is no longer a draft.', {
      from: 'published',
      action: 'edit_draft',
    });
  }
  if (caseRow.state === 'closed') {
    throw new DomainError('INVALID_TRANSITION', 'The case is closed.', { from: 'closed', action: 'edit_draft' });
  }
  if (!input.text.summary && caseRow.state === 'scheduled') {
    throw invalid(
      'summary',
      'The release is scheduled: the advisory needs its summary, which becomes its public title.',
    );
  }
  const changed = changedFields(before, input.text);
  if (changed.length === 0) return { advisory: before, changed };
  const now = deps.clock.now();
  const at = iso(now);
  const by = input.actor.kind === 'user' ? input.actor.userId : null;
  if (before.updatedAt === null) {
    await insertAdvisoryRow(trx, {
      id: newId(),
      case_id: caseRow.id,
      project_id: caseRow.project_id,
      public_id: null,
      ...advisoryTextColumns(input.text),
      published_at: null,
      created_at: at,
      updated_at: at,
      updated_by: by,
    });
  } else {
    await updateAdvisoryRow(trx, caseRow.id, { ...advisoryTextColumns(input.text), updated_at: at, updated_by: by });
  }
  await recordDraftChange(trx, deps, {
    ...input,
    caseRow,
    at,
    change: 'advisory.draft',
    value: changed,
    fields: changed,
  });
  await caseMoved(trx, deps, { caseId: caseRow.id, projectId: caseRow.project_id, at: now });
  return { advisory: await getAdvisory(trx, input.theCase), changed };
}

/** The prefix of a project's public ids: its slug in capitals (DEMO), then the year. */
export function publicIdPrefix(slug: string, at: Date): string {
  return `${slug.toUpperCase()}-${at.getUTCFullYear()}-`;
}

/**
 * Publishes the case's advisory (for the go, in its transaction, under the case's lock): assigns the
 * next public id of the project's year (under the project's row lock, so two releases at once
 * number apart), sets the publication time and freezes the public record as revision 1. A case is
 * scheduled only with a summary (the embargo's activation checks it); should one still be missing,
 * the public id stands in, never the case's title (the reporter's words). Idempotent: a published
 * advisory is returned as it is.
 */
export async function publishAdvisory(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { theCase: Case; projectSlug: string },
): Promise<Advisory> {
  const existing = await getAdvisory(trx, input.theCase);
  if (existing.publishedAt) return existing;
  const project = await getProjectById(trx, input.theCase.projectId);
  if (!project) throw new DomainError('NOT_FOUND', 'No such project.');
  const now = deps.clock.now();
  const at = iso(now);
  await lockProjectCaseNumbers(trx, input.theCase.projectId);
  const prefix = publicIdPrefix(input.projectSlug, now);
  const publicId = `${prefix}${String((await countPublicIds(trx, input.theCase.projectId, prefix)) + 1).padStart(4, '0')}`;
  if (existing.updatedAt === null) {
    await insertAdvisoryRow(trx, {
      id: newId(),
      case_id: input.theCase.id,
      project_id: input.theCase.projectId,
      public_id: publicId,
      ...advisoryTextColumns({ ...emptyAdvisoryText, summary: `Security advisory ${publicId}` }),
      published_at: at,
      created_at: at,
      updated_at: at,
      updated_by: null,
    });
  } else {
    await updateAdvisoryRow(trx, input.theCase.id, {
      public_id: publicId,
      published_at: at,
      ...(existing.summary ? {} : { summary: `Security advisory ${publicId}` }),
    });
  }
  const advisory = await getAdvisory(trx, input.theCase);
  const revision: RecordRevision = { number: 1, date: at, summary: 'Initial publication' };
  const record = await buildAdvisoryRecord(trx, deps, {
    theCase: input.theCase,
    project,
    advisory,
    publicId,
    published: at,
    modified: at,
    withdrawn: null,
    revisions: [revision],
  });
  await storeRevision(trx, deps, { theCase: input.theCase, record, revision, actorLabel: 'the go' });
  await markCveIdPublished(trx, deps, { theCase: input.theCase, cveId: advisory.cveId, at });
  return getAdvisory(trx, input.theCase);
}

/** Writes the record as the advisory's current one and keeps it as revision `revision.number`. */
export async function storeRevision(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: {
    theCase: Pick<Case, 'id' | 'projectId'>;
    record: AdvisoryRecord;
    revision: RecordRevision;
    actorLabel: string;
  },
): Promise<void> {
  const json = JSON.stringify(input.record);
  await updateAdvisoryRow(trx, input.theCase.id, {
    record: json,
    revision: input.revision.number,
    modified_at: input.revision.date,
  });
  await insertRevisionRow(trx, {
    id: newId(),
    case_id: input.theCase.id,
    project_id: input.theCase.projectId,
    number: input.revision.number,
    at: input.revision.date,
    summary: input.revision.summary,
    actor_label: input.actorLabel,
    record: json,
  });
  // The published record joins the vulnerability database, so scans and dependents' alerts see it.
  await storeProjectVuln(trx, deps, {
    projectId: input.theCase.projectId,
    caseId: input.theCase.id,
    osv: toOsv(input.record),
  });
}

/** The project's published advisories, newest first: public. */
export async function publishedAdvisories(db: DbOrTrx, projectId: string, limit = 100): Promise<Advisory[]> {
  return (await publishedAdvisoryRows(db, projectId, limit)).map(toAdvisory);
}

/** One published advisory by its public id, or NOT_FOUND (a draft does not exist to the public). */
export async function requirePublishedAdvisory(db: DbOrTrx, projectId: string, publicId: string): Promise<Advisory> {
  const row = await findPublishedAdvisoryRow(db, projectId, publicId);
  if (!row) throw new DomainError('NOT_FOUND', 'No published advisory with this id.');
  return toAdvisory(row);
}

/**
 * Saves the draft's aliases, related ids and references (the CVE id has its own functions,
 * cve-ids.service.ts). A published advisory changes by revision: INVALID_TRANSITION.
 */
export async function saveAdvisoryMeta(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { actor: Actor; origin: RequestOrigin; theCase: Pick<Case, 'id' | 'projectId'>; meta: AdvisoryMeta },
): Promise<Advisory> {
  await lockCase(trx, input.theCase.id);
  const caseRow = await findCaseRow(trx, { projectId: input.theCase.projectId, id: input.theCase.id });
  if (!caseRow) throw new DomainError('NOT_FOUND', 'No such case.');
  const before = await getAdvisory(trx, input.theCase);
  if (before.publishedAt) {
    throw new DomainError('INVALID_TRANSITION', 'The advisory is published: revise it instead.', {
      from: 'published',
      action: 'edit_draft',
    });
  }
  const at = iso(deps.clock.now());
  await ensureAdvisoryRow(trx, { id: newId(), caseId: caseRow.id, projectId: caseRow.project_id, at });
  const by = input.actor.kind === 'user' ? input.actor.userId : null;
  await updateAdvisoryRow(trx, caseRow.id, { ...advisoryMetaColumns(input.meta), updated_at: at, updated_by: by });
  await recordDraftChange(trx, deps, {
    ...input,
    caseRow,
    at,
    change: 'advisory.meta',
    value: { aliases: input.meta.aliases.length, references: input.meta.references.length },
    fields: ['aliases', 'related', 'references'],
  });
  return getAdvisory(trx, input.theCase);
}

/** The current public record of a published advisory by its public id, or NOT_FOUND. */
export async function requirePublicRecord(db: DbOrTrx, projectId: string, publicId: string): Promise<AdvisoryRecord> {
  const row = await findPublishedAdvisoryRow(db, projectId, publicId);
  if (!row?.record) throw new DomainError('NOT_FOUND', 'No published advisory with this id.');
  return JSON.parse(row.record) as AdvisoryRecord;
}
