import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import type { DbOrTrx } from '../../db/types.js';
import type { InboundMessagesTable } from './mail-intake.table.js';

// The only file that builds SQL for inbound messages.

export type InboundRow = Selectable<InboundMessagesTable>;

/**
 * Inserts one message; returns false (and writes nothing) when an IMAP message with the same
 * account, UIDVALIDITY and UID is already stored. ON CONFLICT DO NOTHING rather than catching the
 * unique violation: on PostgreSQL that would abort the caller's transaction.
 */
export async function insertInboundRow(db: DbOrTrx, row: Insertable<InboundMessagesTable>): Promise<boolean> {
  const result = await db
    .insertInto('inbound_messages')
    .values(row)
    .onConflict((oc) => oc.columns(['imap_account_id', 'imap_uid_validity', 'imap_uid']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/**
 * Retires the UIDs taken so far from an IMAP account whose settings now point at another mailbox
 * (server, port, user or folder): their UIDVALIDITY becomes `<uidvalidity>#<retiredAs>`, which no
 * server sends. The new mailbox's UIDs then never collide with the old one's in the unique key
 * (account, UIDVALIDITY, UID), even when both mailboxes share a UIDVALIDITY, while a message of
 * the old mailbox met again (by Message-ID) still counts as taken under another UIDVALIDITY.
 */
export async function retireImapUids(db: DbOrTrx, options: { accountId: string; retiredAs: string }): Promise<void> {
  await db
    .updateTable('inbound_messages')
    .set({ imap_uid_validity: sql<string>`imap_uid_validity || ${`#${options.retiredAs}`}` })
    .where('imap_account_id', '=', options.accountId)
    .where('imap_uid_validity', 'not like', '%#%')
    .execute();
}

export async function findInboundByImapUid(
  db: DbOrTrx,
  key: { accountId: string; uidValidity: string; uid: number },
): Promise<{ id: string } | undefined> {
  return db
    .selectFrom('inbound_messages')
    .select('id')
    .where('imap_account_id', '=', key.accountId)
    .where('imap_uid_validity', '=', key.uidValidity)
    .where('imap_uid', '=', key.uid)
    .executeTakeFirst();
}

export async function findInboundRow(db: DbOrTrx, id: string): Promise<InboundRow | undefined> {
  return db.selectFrom('inbound_messages').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Sets the outcome of a message still in `fromStatus`; returns whether this call changed it. */
export async function updateInboundRow(
  db: DbOrTrx,
  id: string,
  fromStatus: string,
  patch: Updateable<InboundMessagesTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('inbound_messages')
    .set(patch)
    .where('id', '=', id)
    .where('status', '=', fromStatus)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

const LIST_COLUMNS = [
  'id',
  'source',
  'project_id',
  'envelope_from',
  'envelope_to',
  'message_id',
  'size',
  'status',
  'reason',
  'report_id',
  'received_at',
  'processed_at',
] as const;
// Enough of a raw message for its headers, without reading megabytes of attachments per row.
const HEAD_BYTES = 64 * 1024;

export type InboundListRow = Pick<InboundRow, (typeof LIST_COLUMNS)[number]> & { raw_head: unknown };

/** A position in a newest-first list: the (received_at, id) of the last message shown. */
export interface InboundRowCursor {
  receivedAt: string;
  id: string;
}

/**
 * A project's messages, newest first, with the first bytes of the raw copy (null once cleared);
 * with `before`, only those after that cursor (messages received in the same instant are not skipped).
 */
export async function listInboundRows(
  db: DbOrTrx,
  filter: { projectId: string; statuses?: readonly string[]; limit: number; before?: InboundRowCursor },
): Promise<InboundListRow[]> {
  let q = db
    .selectFrom('inbound_messages')
    .select(LIST_COLUMNS)
    // substr on a blob (SQLite) or bytea (PostgreSQL) returns bytes on both.
    .select(sql<unknown>`substr(raw, 1, ${sql.lit(HEAD_BYTES)})`.as('raw_head'))
    .where('project_id', '=', filter.projectId);
  if (filter.statuses) q = q.where('status', 'in', [...filter.statuses]);
  const { before } = filter;
  if (before) {
    q = q.where((eb) =>
      eb.or([
        eb('received_at', '<', before.receivedAt),
        eb.and([eb('received_at', '=', before.receivedAt), eb('id', '<', before.id)]),
      ]),
    );
  }
  return q.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

export async function countInboundRows(
  db: DbOrTrx,
  filter: { projectId: string; statuses: readonly string[] },
): Promise<number> {
  const row = await db
    .selectFrom('inbound_messages')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('project_id', '=', filter.projectId)
    .where('status', 'in', [...filter.statuses])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Whether a 'mail.process' job for the message may still run: not completed, not parked, and either
 * with attempts left or running now (its lock not expired). One that used its last attempt and whose
 * lock expired is exhausted: nothing will process the message any more.
 */
export async function hasLiveProcessJob(db: DbOrTrx, inboundId: string, now: string): Promise<boolean> {
  // The payload is JSON text written by enqueue; ids are UUIDs, so LIKE needs no escaping.
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('kind', '=', 'mail.process')
    .where('payload', 'like', `%"inboundId":"${inboundId}"%`)
    .where('completed_at', 'is', null)
    .where('failed_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('attempts', '<', eb.ref('max_attempts')),
        eb.and([eb('claimed_by', 'is not', null), eb('lock_expires_at', '>=', now)]),
      ]),
    )
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Whether one of `messageIds` is the Message-ID of mail about `reportId`'s thread: an email we sent
 * about a report, or an inbound message filed on one. Returns the report id, limited to `projectId`.
 */
export async function findReportByThreadIds(
  db: DbOrTrx,
  options: { projectId: string; messageIds: readonly string[] },
): Promise<string | undefined> {
  if (options.messageIds.length === 0) return undefined;
  const ids = [...options.messageIds];
  const out = await db
    .selectFrom('outbound_emails')
    .select('report_id')
    .where('project_id', '=', options.projectId)
    .where('report_id', 'is not', null)
    .where('message_id', 'in', ids)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (out?.report_id) return out.report_id;
  const inbound = await db
    .selectFrom('inbound_messages')
    .select('report_id')
    .where('project_id', '=', options.projectId)
    .where('report_id', 'is not', null)
    .where('message_id', 'in', ids)
    .orderBy('received_at', 'desc')
    .executeTakeFirst();
  return inbound?.report_id ?? undefined;
}

/** Another message of the project with this Message-ID that already became a report or a message. */
export async function findProcessedByMessageId(
  db: DbOrTrx,
  options: { projectId: string; messageId: string; excludeId: string },
): Promise<{ id: string; report_id: string | null } | undefined> {
  return db
    .selectFrom('inbound_messages')
    .select(['id', 'report_id'])
    .where('project_id', '=', options.projectId)
    .where('message_id', '=', options.messageId)
    .where('status', '=', 'processed')
    .where('id', '!=', options.excludeId)
    .executeTakeFirst();
}
