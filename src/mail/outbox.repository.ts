import type { Selectable } from 'kysely';
import type { DbOrTrx } from '../db/types.js';
import { EMAIL_STATUSES, type EmailStatus, type OutboundEmail } from './outbound-email.js';
import type { OutboundEmailAttachmentsTable, OutboundEmailsTable } from './outbox.table.js';
import type { EmailBodies } from './settled-bodies.js';

type Row = Selectable<OutboundEmailsTable>;

function toStatus(value: string): EmailStatus {
  if ((EMAIL_STATUSES as readonly string[]).includes(value)) return value as EmailStatus;
  throw new Error(`unknown outbound email status "${value}"`);
}

export function toOutboundEmail(row: Row): OutboundEmail {
  return {
    id: row.id,
    projectId: row.project_id,
    reportId: row.report_id,
    messageId: row.message_id,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    template: row.template,
    status: toStatus(row.status),
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}

export async function insertEmailRow(db: DbOrTrx, row: Omit<Row, 'attempts'>): Promise<void> {
  await db.insertInto('outbound_emails').values(row).execute();
}

export async function insertAttachmentRows(
  db: DbOrTrx,
  rows: Selectable<OutboundEmailAttachmentsTable>[],
): Promise<void> {
  if (rows.length > 0) await db.insertInto('outbound_email_attachments').values(rows).execute();
}

/** The email's attachments, in order. */
export async function attachmentRowsOf(
  db: DbOrTrx,
  emailId: string,
): Promise<Selectable<OutboundEmailAttachmentsTable>[]> {
  return db
    .selectFrom('outbound_email_attachments')
    .selectAll()
    .where('email_id', '=', emailId)
    .orderBy('position')
    .execute();
}

export async function findEmailRow(db: DbOrTrx, id: string): Promise<Row | undefined> {
  return db.selectFrom('outbound_emails').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Newest first. `before` is the (created_at, id) of the last row of the previous page: many emails
 * share a created_at (one change queues several), so the id breaks ties and none is skipped.
 */
export async function listEmailRows(
  db: DbOrTrx,
  filter: { projectId?: string; limit: number; before?: { createdAt: string; id: string } },
): Promise<Row[]> {
  let q = db.selectFrom('outbound_emails').selectAll();
  if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
  const before = filter.before;
  if (before) {
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', before.createdAt),
        eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)]),
      ]),
    );
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

/**
 * queued -> sent, counting the attempt that succeeded. The bodies are replaced by their settled
 * version (see settled-bodies.ts) in the same statement, so no sent row keeps a status token.
 */
export async function markEmailSent(
  db: DbOrTrx,
  options: { id: string; at: string; bodies: EmailBodies },
): Promise<void> {
  await db
    .updateTable('outbound_emails')
    .set((eb) => ({
      status: 'sent',
      sent_at: options.at,
      attempts: eb('attempts', '+', 1),
      text_body: options.bodies.text,
      html_body: options.bodies.html,
    }))
    .where('id', '=', options.id)
    .where('status', '=', 'queued')
    .execute();
}

/** queued -> stored: kept for the "Outgoing mail" page because there is no SMTP server; settled bodies. */
export async function markEmailStored(db: DbOrTrx, options: { id: string; bodies: EmailBodies }): Promise<void> {
  await db
    .updateTable('outbound_emails')
    .set({ status: 'stored', text_body: options.bodies.text, html_body: options.bodies.html })
    .where('id', '=', options.id)
    .where('status', '=', 'queued')
    .execute();
}

/** Counts a failed attempt; the email stays queued for the next one. */
export async function recordEmailFailure(db: DbOrTrx, options: { id: string; error: string }): Promise<void> {
  await db
    .updateTable('outbound_emails')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: options.error }))
    .where('id', '=', options.id)
    .where('status', '=', 'queued')
    .execute();
}

/** Counts the last failed attempt and parks the email as failed (for an admin's retry), with settled bodies. */
export async function markEmailFailed(
  db: DbOrTrx,
  options: { id: string; error: string; bodies: EmailBodies },
): Promise<void> {
  await db
    .updateTable('outbound_emails')
    .set((eb) => ({
      status: 'failed',
      attempts: eb('attempts', '+', 1),
      last_error: options.error,
      text_body: options.bodies.text,
      html_body: options.bodies.html,
    }))
    .where('id', '=', options.id)
    .where('status', '=', 'queued')
    .execute();
}

/** failed -> queued; returns whether the row was failed (so exactly one retry wins). */
export async function requeueFailedEmail(db: DbOrTrx, id: string): Promise<boolean> {
  const result = await db
    .updateTable('outbound_emails')
    .set({ status: 'queued' })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
