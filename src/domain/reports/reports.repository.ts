import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import { toBuffer } from '../../db/dialect.js';
import type { DbOrTrx } from '../../db/types.js';
import { newId } from '../ids.js';
import type { CheckedAttachment } from './attachments.js';
import type { CloseReason, ReportStatus } from './report-state.js';
import type {
  AttachmentMeta,
  CreditPreference,
  EntryAuthor,
  EntryKind,
  Report,
  ReportEntry,
  ReportSource,
} from './reports.js';
import type { AttachmentsTable, ReportEntriesTable, ReportsTable } from './reports.table.js';

// The only file that builds SQL for reports, their timeline entries and attachments.

export function toReport(row: Selectable<ReportsTable>): Report {
  return {
    id: row.id,
    projectId: row.project_id,
    trackingId: row.tracking_id,
    source: row.source as ReportSource,
    title: row.title,
    description: row.description,
    affectedVersions: row.affected_versions,
    reproduction: row.reproduction,
    impact: row.impact,
    reporterName: row.reporter_name,
    reporterEmail: row.reporter_email,
    credit: row.credit as CreditPreference,
    status: row.status as ReportStatus,
    closeReason: row.close_reason as CloseReason | null,
    duplicateOfId: row.duplicate_of_id,
    caseId: row.case_id,
    receivedAt: row.received_at,
    ackDueAt: row.ack_due_at,
    acknowledgedAt: row.acknowledged_at,
    closedAt: row.closed_at,
    lastActivityAt: row.last_activity_at,
  };
}

export async function findReportById(db: DbOrTrx, id: string): Promise<Report | undefined> {
  const row = await db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toReport(row) : undefined;
}

/** The report a private status link points at; callers hash the token with hashToken first. */
export async function findReportByStatusTokenHash(db: DbOrTrx, tokenHash: string): Promise<Report | undefined> {
  const row = await db.selectFrom('reports').selectAll().where('status_token_hash', '=', tokenHash).executeTakeFirst();
  return row ? toReport(row) : undefined;
}

export async function insertReport(db: DbOrTrx, row: Insertable<ReportsTable>): Promise<void> {
  await db.insertInto('reports').values(row).execute();
}

/**
 * Updates columns of one report (give `updated_at` with every change). With `ifStatus`, only while the
 * report is still in that state, so a concurrent state change is not overwritten. Returns whether it changed.
 */
export async function updateReport(
  db: DbOrTrx,
  id: string,
  patch: Updateable<ReportsTable>,
  options: { ifStatus?: ReportStatus } = {},
): Promise<boolean> {
  let q = db.updateTable('reports').set(patch).where('id', '=', id);
  if (options.ifStatus) q = q.where('status', '=', options.ifStatus);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface NewEntry {
  reportId: string;
  kind: EntryKind;
  visibility: 'public' | 'internal';
  authorKind: EntryAuthor;
  authorUserId?: string | null;
  body?: string | null;
  statusFrom?: ReportStatus | null;
  statusTo?: ReportStatus | null;
  /** Ids, states and reasons (see ReportEntry.detail); stored as JSON text. */
  detail?: Record<string, unknown> | null;
  createdAt: string;
}

/** Appends one line to a report's timeline and returns its id. */
export async function insertEntry(db: DbOrTrx, entry: NewEntry): Promise<string> {
  const id = newId();
  await db
    .insertInto('report_entries')
    .values({
      id,
      report_id: entry.reportId,
      kind: entry.kind,
      visibility: entry.visibility,
      author_kind: entry.authorKind,
      author_user_id: entry.authorUserId ?? null,
      body: entry.body ?? null,
      status_from: entry.statusFrom ?? null,
      status_to: entry.statusTo ?? null,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
      created_at: entry.createdAt,
    })
    .execute();
  return id;
}

const META_COLUMNS = ['id', 'entry_id', 'filename', 'content_type', 'size', 'sha256', 'created_at'] as const;
type MetaRow = Pick<Selectable<AttachmentsTable>, (typeof META_COLUMNS)[number]>;

function toMeta(row: MetaRow): AttachmentMeta {
  return {
    id: row.id,
    filename: row.filename,
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
    createdAt: row.created_at,
  };
}

function toEntry(row: Selectable<ReportEntriesTable> & { author_name: string | null }, files: AttachmentMeta[]) {
  const entry: ReportEntry = {
    id: row.id,
    reportId: row.report_id,
    kind: row.kind as EntryKind,
    visibility: row.visibility as 'public' | 'internal',
    authorKind: row.author_kind as EntryAuthor,
    authorName: row.author_kind === 'team' ? row.author_name : null,
    body: row.body,
    statusFrom: row.status_from as ReportStatus | null,
    statusTo: row.status_to as ReportStatus | null,
    detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
    createdAt: row.created_at,
    attachments: files,
  };
  return entry;
}

/** A report's timeline, oldest first, each entry with its attachments. Internal notes only when asked. */
export async function listEntries(
  db: DbOrTrx,
  reportId: string,
  options: { includeInternal: boolean },
): Promise<ReportEntry[]> {
  let q = db
    .selectFrom('report_entries')
    .leftJoin('users', 'users.id', 'report_entries.author_user_id')
    .selectAll('report_entries')
    .select('users.name as author_name')
    .where('report_entries.report_id', '=', reportId);
  if (!options.includeInternal) q = q.where('report_entries.visibility', '=', 'public');
  // Entries written in one instant (a reply and the status change it causes) keep their causal order.
  const rows = await q
    .orderBy('report_entries.created_at')
    .orderBy(sql`case report_entries.kind when 'submitted' then 0 when 'status' then 2 else 1 end`)
    .orderBy('report_entries.id')
    .execute();
  const files = await db
    .selectFrom('attachments')
    .select(META_COLUMNS)
    .where('report_id', '=', reportId)
    .orderBy('created_at')
    .orderBy('filename')
    .execute();
  const byEntry = new Map<string, AttachmentMeta[]>();
  for (const f of files) {
    if (!f.entry_id) continue;
    byEntry.set(f.entry_id, [...(byEntry.get(f.entry_id) ?? []), toMeta(f)]);
  }
  return rows.map((row) => toEntry(row, byEntry.get(row.id) ?? []));
}

/** Stores a checked file, attached to a timeline entry. */
export async function insertAttachment(
  db: DbOrTrx,
  input: { reportId: string; entryId: string | null; file: CheckedAttachment; createdAt: string },
): Promise<AttachmentMeta> {
  const row = {
    id: newId(),
    report_id: input.reportId,
    entry_id: input.entryId,
    filename: input.file.filename,
    content_type: input.file.contentType,
    size: input.file.size,
    sha256: input.file.sha256,
    content: input.file.content,
    created_at: input.createdAt,
  };
  await db.insertInto('attachments').values(row).execute();
  return toMeta(row);
}

/** Attachments of a report (metadata only). Without `includeInternal`, only those of public entries. */
export async function listAttachments(
  db: DbOrTrx,
  reportId: string,
  options: { includeInternal: boolean },
): Promise<AttachmentMeta[]> {
  let q = db
    .selectFrom('attachments')
    .leftJoin('report_entries', 'report_entries.id', 'attachments.entry_id')
    .select(META_COLUMNS.map((c) => `attachments.${c}` as const))
    .where('attachments.report_id', '=', reportId);
  if (!options.includeInternal) q = q.where('report_entries.visibility', '=', 'public');
  const rows = await q.orderBy('attachments.created_at').orderBy('attachments.filename').execute();
  return rows.map(toMeta);
}

/**
 * One attachment with its bytes, only if it belongs to `reportId` (an id from another report
 * finds nothing) and, without `includeInternal`, only if it hangs on a public entry.
 */
export async function readAttachment(
  db: DbOrTrx,
  options: { reportId: string; attachmentId: string; includeInternal: boolean },
): Promise<{ meta: AttachmentMeta; content: Buffer } | undefined> {
  let q = db
    .selectFrom('attachments')
    .leftJoin('report_entries', 'report_entries.id', 'attachments.entry_id')
    .select([...META_COLUMNS.map((c) => `attachments.${c}` as const), 'attachments.content'])
    .where('attachments.report_id', '=', options.reportId)
    .where('attachments.id', '=', options.attachmentId);
  if (!options.includeInternal) q = q.where('report_entries.visibility', '=', 'public');
  const row = await q.executeTakeFirst();
  return row ? { meta: toMeta(row), content: toBuffer(row.content) } : undefined;
}
