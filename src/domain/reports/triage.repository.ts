import { type Selectable, sql, type Updateable } from 'kysely';
import { toNumber } from '../../db/dialect.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { ReportStatus } from './report-state.js';
import type { ReportsTable } from './reports.table.js';

// The team side's SQL: finding a project's report, guarded state changes, and the inbox. Timeline
// entries and attachments go through reports.repository.ts.

export type ReportRow = Selectable<ReportsTable>;

/** A report of one project, by id or tracking id; another project's report is simply not found. */
export async function findProjectReportRow(
  db: DbOrTrx,
  projectId: string,
  ref: { id: string } | { trackingId: string },
): Promise<ReportRow | undefined> {
  const q = db.selectFrom('reports').selectAll().where('project_id', '=', projectId);
  return ('id' in ref ? q.where('id', '=', ref.id) : q.where('tracking_id', '=', ref.trackingId)).executeTakeFirst();
}

const TRACKING_ID = /^[A-Za-z]+-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}$/;

/** As findProjectReportRow, from a URL segment holding either the id or the tracking id. */
export async function findProjectReportRowByRef(db: DbOrTrx, projectId: string, ref: string) {
  return findProjectReportRow(db, projectId, TRACKING_ID.test(ref) ? { trackingId: ref.toUpperCase() } : { id: ref });
}

export async function trackingIdOf(db: DbOrTrx, reportId: string): Promise<string | undefined> {
  const row = await db.selectFrom('reports').select('tracking_id').where('id', '=', reportId).executeTakeFirst();
  return row?.tracking_id;
}

/**
 * Updates a report only if it is still in `expected` state: two people acting on the same report
 * at once cannot both move it. Returns whether the row changed.
 */
export async function updateReportIfStatus(
  trx: Trx,
  id: string,
  expected: ReportStatus,
  set: Updateable<ReportsTable>,
): Promise<boolean> {
  const result = await trx
    .updateTable('reports')
    .set(set)
    .where('id', '=', id)
    .where('status', '=', expected)
    .executeTakeFirst();
  return toNumber(result.numUpdatedRows) === 1;
}

export async function setReportCase(trx: Trx, id: string, caseId: string, at: string): Promise<void> {
  await trx.updateTable('reports').set({ case_id: caseId, updated_at: at }).where('id', '=', id).execute();
}

export async function touchReport(trx: Trx, id: string, at: string): Promise<void> {
  await trx.updateTable('reports').set({ last_activity_at: at, updated_at: at }).where('id', '=', id).execute();
}

const URGENCY = sql<number>`case status when 'new' then 0 when 'needs_info' then 1 when 'acknowledged' then 1 else 2 end`;

/**
 * The inbox, most urgent first: unacknowledged reports by deadline, then open ones stalest first,
 * then finished ones most recently changed first. Each CASE is null outside its group, so engines'
 * different null ordering never matters.
 */
export async function inboxRows(db: DbOrTrx, options: { projectId: string; statuses: ReportStatus[]; limit: number }) {
  if (options.statuses.length === 0) return [];
  return db
    .selectFrom('reports')
    .select([
      'id',
      'tracking_id',
      'title',
      'status',
      'close_reason',
      'reporter_name',
      'received_at',
      'ack_due_at',
      'acknowledged_at',
      'last_activity_at',
      'updated_at',
    ])
    .where('project_id', '=', options.projectId)
    .where('status', 'in', options.statuses)
    .orderBy(URGENCY)
    .orderBy(sql`case when status = 'new' then ack_due_at end`, 'asc')
    .orderBy(sql`case when status in ('needs_info', 'acknowledged') then last_activity_at end`, 'asc')
    .orderBy(sql`case when status in ('accepted', 'closed') then updated_at end`, 'desc')
    .orderBy('received_at', 'asc')
    .orderBy('id')
    .limit(options.limit)
    .execute();
}

export async function statusCountRows(db: DbOrTrx, projectId: string) {
  const rows = await db
    .selectFrom('reports')
    .select((eb) => ['status', eb.fn.countAll().as('n')])
    .where('project_id', '=', projectId)
    .groupBy('status')
    .execute();
  return rows.map((r) => ({ status: r.status, count: toNumber(r.n as string | number | bigint) }));
}
