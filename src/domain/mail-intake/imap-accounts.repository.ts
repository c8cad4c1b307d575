import type { Insertable, Selectable, Updateable } from 'kysely';
import type { DbOrTrx } from '../../db/types.js';
import type { ImapAccount } from './imap-accounts.js';
import type { ImapAccountsTable } from './mail-intake.table.js';

// The only file that builds SQL for IMAP accounts: their settings, and the lease and cursor that
// make each message be taken once (see mail/inbound/imap-poller.ts).

export type ImapAccountRow = Selectable<ImapAccountsTable>;

export function toImapAccount(row: ImapAccountRow): ImapAccount {
  return {
    id: row.id,
    projectId: row.project_id,
    host: row.host,
    port: row.port,
    secure: row.secure === 1,
    username: row.username,
    mailbox: row.mailbox,
    enabled: row.enabled === 1,
    uidValidity: row.uid_validity,
    lastUid: row.last_uid,
    lastPolledAt: row.last_polled_at,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

export async function imapAccountRows(db: DbOrTrx, projectId: string): Promise<ImapAccountRow[]> {
  return db
    .selectFrom('imap_accounts')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** One account; with `projectId`, only if it belongs to that project. */
export async function findImapAccountRow(
  db: DbOrTrx,
  where: { id: string; projectId?: string },
): Promise<ImapAccountRow | undefined> {
  let q = db.selectFrom('imap_accounts').selectAll().where('id', '=', where.id);
  if (where.projectId !== undefined) q = q.where('project_id', '=', where.projectId);
  return q.executeTakeFirst();
}

export async function insertImapAccountRow(db: DbOrTrx, row: Insertable<ImapAccountsTable>): Promise<void> {
  await db.insertInto('imap_accounts').values(row).execute();
}

export async function updateImapAccountRow(
  db: DbOrTrx,
  id: string,
  patch: Updateable<ImapAccountsTable>,
): Promise<void> {
  await db.updateTable('imap_accounts').set(patch).where('id', '=', id).execute();
}

export async function deleteImapAccountRow(db: DbOrTrx, id: string): Promise<void> {
  await db.deleteFrom('imap_accounts').where('id', '=', id).execute();
}

/**
 * Takes the account's lease for `owner` until `until`: a conditional UPDATE that changes one row
 * for exactly one taker, as the job queue's claim does. A lease whose holder died expires.
 * `polledBefore` makes it take only an account not polled since then (the poller's schedule).
 */
export async function takeImapLease(
  db: DbOrTrx,
  options: { id: string; owner: string; now: string; until: string; polledBefore?: string },
): Promise<boolean> {
  let q = db
    .updateTable('imap_accounts')
    .set({ lease_owner: options.owner, lease_expires_at: options.until })
    .where('id', '=', options.id)
    .where('enabled', '=', 1)
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', options.now)]));
  const polledBefore = options.polledBefore;
  if (polledBefore !== undefined) {
    q = q.where((eb) => eb.or([eb('last_polled_at', 'is', null), eb('last_polled_at', '<=', polledBefore)]));
  }
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Moves the cursor to `uid` and renews the lease, only while `owner` holds the lease, the mailbox is
 * the one the cursor belongs to and the cursor is behind `uid`. Returns false otherwise: the caller
 * then rolls back what it stored in the same transaction.
 */
export async function advanceImapCursor(
  db: DbOrTrx,
  options: { id: string; owner: string; uidValidity: string; uid: number; leaseUntil: string },
): Promise<boolean> {
  const result = await db
    .updateTable('imap_accounts')
    .set({ last_uid: options.uid, lease_expires_at: options.leaseUntil })
    .where('id', '=', options.id)
    .where('lease_owner', '=', options.owner)
    .where('uid_validity', '=', options.uidValidity)
    .where('last_uid', '<', options.uid)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Starts the cursor again at 0 for a mailbox of a new UIDVALIDITY, while `owner` holds the lease. */
export async function restartImapCursor(
  db: DbOrTrx,
  options: { id: string; owner: string; uidValidity: string },
): Promise<boolean> {
  const result = await db
    .updateTable('imap_accounts')
    .set({ uid_validity: options.uidValidity, last_uid: 0 })
    .where('id', '=', options.id)
    .where('lease_owner', '=', options.owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Ends `owner`'s lease and records the poll's outcome (null error: it succeeded). */
export async function releaseImapLease(
  db: DbOrTrx,
  options: { id: string; owner: string; polledAt: string; error: string | null },
): Promise<void> {
  await db
    .updateTable('imap_accounts')
    .set({ lease_owner: null, lease_expires_at: null, last_polled_at: options.polledAt, last_error: options.error })
    .where('id', '=', options.id)
    .where('lease_owner', '=', options.owner)
    .execute();
}

/** Enabled accounts not polled since `polledBefore` and not leased (or whose lease expired). */
export async function dueImapAccountIds(
  db: DbOrTrx,
  options: { now: string; polledBefore: string; limit: number },
): Promise<string[]> {
  const rows = await db
    .selectFrom('imap_accounts')
    .select('id')
    .where('enabled', '=', 1)
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', options.now)]))
    .where((eb) => eb.or([eb('last_polled_at', 'is', null), eb('last_polled_at', '<=', options.polledBefore)]))
    // Never-polled accounts first, on both engines (they sort NULL differently).
    .orderBy((eb) => eb.fn.coalesce('last_polled_at', eb.val('')))
    .orderBy('id')
    .limit(options.limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Whether a message with this Message-ID was already taken from the account under an earlier
 * UIDVALIDITY: after a server renumbers a mailbox, its old messages come back with new UIDs.
 */
export async function takenUnderOtherUidValidity(
  db: DbOrTrx,
  key: { accountId: string; uidValidity: string; messageId: string },
): Promise<boolean> {
  const row = await db
    .selectFrom('inbound_messages')
    .select('id')
    .where('imap_account_id', '=', key.accountId)
    .where('message_id', '=', key.messageId)
    .where('imap_uid_validity', '!=', key.uidValidity)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
