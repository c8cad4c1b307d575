import type { DbOrTrx } from '../db/types.js';

// The only file that builds SQL for threading mail to reporters (reports, their inbound messages).

export interface ReportForMail {
  project_id: string;
  tracking_id: string;
  source: string;
  title: string;
  reporter_email: string | null;
  reporter_pgp_key: string | null;
}

export async function findReportForMail(db: DbOrTrx, reportId: string): Promise<ReportForMail | undefined> {
  return db
    .selectFrom('reports')
    .select(['project_id', 'tracking_id', 'source', 'title', 'reporter_email', 'reporter_pgp_key'])
    .where('id', '=', reportId)
    .executeTakeFirst();
}

/** The detail of the report's 'submitted' timeline entry (JSON text), which says whether it came encrypted. */
export async function submittedDetail(db: DbOrTrx, reportId: string): Promise<string | null> {
  const row = await db
    .selectFrom('report_entries')
    .select('detail')
    .where('report_id', '=', reportId)
    .where('kind', '=', 'submitted')
    .executeTakeFirst();
  return row?.detail ?? null;
}

/** The detail (JSON text) of every timeline entry of the report that has one. */
export async function entryDetails(db: DbOrTrx, reportId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('report_entries')
    .select('detail')
    .where('report_id', '=', reportId)
    .where('detail', 'is not', null)
    .execute();
  return rows.map((r) => r.detail).filter((d): d is string => d !== null);
}

/** Message-IDs of the mail filed on the report (by its reporter or members), oldest first. */
export async function inboundMessageIds(db: DbOrTrx, reportId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('inbound_messages')
    .select('message_id')
    .where('report_id', '=', reportId)
    .where('message_id', 'is not', null)
    .where('status', 'in', ['received', 'processing', 'processed'])
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows
    .map((r) => r.message_id)
    .filter((id): id is string => id !== null)
    .reverse();
}

/** Records the headers an email is sent with, while it is still queued. */
export async function saveEmailHeaders(db: DbOrTrx, options: { id: string; headers: string }): Promise<void> {
  await db
    .updateTable('outbound_emails')
    .set({ headers: options.headers })
    .where('id', '=', options.id)
    .where('status', '=', 'queued')
    .execute();
}
