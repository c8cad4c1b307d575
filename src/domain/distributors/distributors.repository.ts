import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type {
  DistributorAcceptancesTable,
  DistributorContactsTable,
  DistributorMessagesTable,
  DistributorNoticesTable,
  DistributorProgramsTable,
  DistributorRecipientsTable,
  DistributorsTable,
} from './distributors.table.js';

export type ProgramRow = Selectable<DistributorProgramsTable>;
export type DistributorRow = Selectable<DistributorsTable>;
export type AcceptanceRow = Selectable<DistributorAcceptancesTable>;
export type NoticeRow = Selectable<DistributorNoticesTable>;
export type RecipientRow = Selectable<DistributorRecipientsTable>;
export type ContactRow = Selectable<DistributorContactsTable> & { name: string; email: string };

export async function findProgramRow(db: DbOrTrx, projectId: string): Promise<ProgramRow | undefined> {
  return db.selectFrom('distributor_programs').selectAll().where('project_id', '=', projectId).executeTakeFirst();
}

export async function saveProgramRow(trx: Trx, row: ProgramRow): Promise<void> {
  await trx
    .insertInto('distributor_programs')
    .values(row)
    .onConflict((oc) =>
      oc.column('project_id').doUpdateSet({
        criteria: row.criteria,
        terms: row.terms,
        terms_version: row.terms_version,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
      }),
    )
    .execute();
}

/** The project's distributors not removed, by name. */
export async function distributorRows(db: DbOrTrx, projectId: string): Promise<DistributorRow[]> {
  return db
    .selectFrom('distributors')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('removed_at', 'is', null)
    .orderBy('name')
    .orderBy('id')
    .execute();
}

export async function findDistributorRow(
  db: DbOrTrx,
  projectId: string,
  id: string,
): Promise<DistributorRow | undefined> {
  return db
    .selectFrom('distributors')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
}

export async function insertDistributorRow(trx: Trx, row: Insertable<DistributorsTable>): Promise<void> {
  await trx.insertInto('distributors').values(row).execute();
}

export async function markDistributorRemoved(trx: Trx, id: string, at: string): Promise<void> {
  await trx.updateTable('distributors').set({ removed_at: at }).where('id', '=', id).execute();
  await trx
    .updateTable('distributor_contacts')
    .set({ removed_at: at })
    .where('distributor_id', '=', id)
    .where('removed_at', 'is', null)
    .execute();
}

/** Live contacts of the given distributors, with their account's name and address. */
export async function contactRows(db: DbOrTrx, distributorIds: readonly string[]): Promise<ContactRow[]> {
  if (distributorIds.length === 0) return [];
  return db
    .selectFrom('distributor_contacts')
    .innerJoin('users', 'users.id', 'distributor_contacts.user_id')
    .selectAll('distributor_contacts')
    .select(['users.name as name', 'users.email as email'])
    .where('distributor_contacts.distributor_id', 'in', distributorIds)
    .where('distributor_contacts.removed_at', 'is', null)
    .where('users.disabled', '=', 0)
    .orderBy('users.email')
    .execute();
}

export async function findContactRow(
  db: DbOrTrx,
  distributorId: string,
  contactId: string,
): Promise<ContactRow | undefined> {
  return db
    .selectFrom('distributor_contacts')
    .innerJoin('users', 'users.id', 'distributor_contacts.user_id')
    .selectAll('distributor_contacts')
    .select(['users.name as name', 'users.email as email'])
    .where('distributor_contacts.distributor_id', '=', distributorId)
    .where('distributor_contacts.id', '=', contactId)
    .where('distributor_contacts.removed_at', 'is', null)
    .executeTakeFirst();
}

export async function insertContactRow(trx: Trx, row: Insertable<DistributorContactsTable>): Promise<void> {
  await trx.insertInto('distributor_contacts').values(row).execute();
}

export async function markContactRemoved(trx: Trx, id: string, at: string): Promise<void> {
  await trx.updateTable('distributor_contacts').set({ removed_at: at }).where('id', '=', id).execute();
}

export async function insertAcceptanceRow(trx: Trx, row: Insertable<DistributorAcceptancesTable>): Promise<void> {
  await trx.insertInto('distributor_acceptances').values(row).execute();
}

/** Every acceptance of the given distributors, newest first. */
export async function acceptanceRows(db: DbOrTrx, distributorIds: readonly string[]): Promise<AcceptanceRow[]> {
  if (distributorIds.length === 0) return [];
  return db
    .selectFrom('distributor_acceptances')
    .selectAll()
    .where('distributor_id', 'in', distributorIds)
    .orderBy('accepted_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

export async function noticeRowsOfCase(
  db: DbOrTrx,
  caseId: string,
): Promise<(NoticeRow & { distributor_name: string })[]> {
  return db
    .selectFrom('distributor_notices')
    .innerJoin('distributors', 'distributors.id', 'distributor_notices.distributor_id')
    .selectAll('distributor_notices')
    .select('distributors.name as distributor_name')
    .where('distributor_notices.case_id', '=', caseId)
    .orderBy('distributors.name')
    .orderBy('distributor_notices.id')
    .execute();
}

export async function findNoticeRow(db: DbOrTrx, noticeId: string): Promise<NoticeRow | undefined> {
  return db.selectFrom('distributor_notices').selectAll().where('id', '=', noticeId).executeTakeFirst();
}

export async function insertNoticeRow(trx: Trx, row: NoticeRow): Promise<void> {
  await trx.insertInto('distributor_notices').values(row).execute();
}

export async function insertRecipientRow(trx: Trx, row: RecipientRow): Promise<void> {
  await trx.insertInto('distributor_recipients').values(row).execute();
}

export async function recipientRowsOfNotices(db: DbOrTrx, noticeIds: readonly string[]): Promise<RecipientRow[]> {
  if (noticeIds.length === 0) return [];
  return db
    .selectFrom('distributor_recipients')
    .selectAll()
    .where('notice_id', 'in', noticeIds)
    .orderBy('email')
    .orderBy('id')
    .execute();
}

/** Every recipient of the case's notices whose contact is still live: who hears of later changes. */
export async function liveRecipientRowsOfCase(
  db: DbOrTrx,
  caseId: string,
): Promise<(RecipientRow & { pgp_key: string | null; distributor_name: string; project_id: string })[]> {
  return db
    .selectFrom('distributor_recipients')
    .innerJoin('distributor_notices', 'distributor_notices.id', 'distributor_recipients.notice_id')
    .innerJoin('distributor_contacts', 'distributor_contacts.id', 'distributor_recipients.contact_id')
    .innerJoin('distributors', 'distributors.id', 'distributor_notices.distributor_id')
    .selectAll('distributor_recipients')
    .select([
      'distributor_contacts.pgp_key as pgp_key',
      'distributors.name as distributor_name',
      'distributor_notices.project_id as project_id',
    ])
    .where('distributor_notices.case_id', '=', caseId)
    .where('distributor_contacts.removed_at', 'is', null)
    .where('distributors.removed_at', 'is', null)
    .orderBy('distributor_recipients.email')
    .execute();
}

export async function findRecipientByTokenHash(db: DbOrTrx, hash: string): Promise<RecipientRow | undefined> {
  return db.selectFrom('distributor_recipients').selectAll().where('ack_token_hash', '=', hash).executeTakeFirst();
}

/** Records the first acknowledgement only: a second click changes nothing. */
export async function markRecipientAcknowledged(
  trx: Trx,
  id: string,
  change: { at: string; by: string },
): Promise<boolean> {
  const result = await trx
    .updateTable('distributor_recipients')
    .set({ acknowledged_at: change.at, acknowledged_by: change.by })
    .where('id', '=', id)
    .where('acknowledged_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Inserts the message unless the recipient already has one with this key; returns whether it did. */
export async function insertMessageRowOnce(trx: Trx, row: Selectable<DistributorMessagesTable>): Promise<boolean> {
  const existing = await trx
    .selectFrom('distributor_messages')
    .select('id')
    .where('recipient_id', '=', row.recipient_id)
    .where('dedupe_key', '=', row.dedupe_key)
    .executeTakeFirst();
  if (existing) return false;
  await trx.insertInto('distributor_messages').values(row).execute();
  return true;
}

export async function messageRowsOfCase(
  db: DbOrTrx,
  caseId: string,
): Promise<(Selectable<DistributorMessagesTable> & { email_status: string; encrypted: number })[]> {
  return db
    .selectFrom('distributor_messages')
    .innerJoin('outbound_emails', 'outbound_emails.id', 'distributor_messages.email_id')
    .selectAll('distributor_messages')
    .select(['outbound_emails.status as email_status'])
    .select((eb) =>
      eb.case().when('outbound_emails.encrypt_to_key', 'is not', null).then(1).else(0).end().as('encrypted'),
    )
    .where('distributor_messages.case_id', '=', caseId)
    .orderBy('distributor_messages.created_at')
    .orderBy('distributor_messages.id')
    .execute();
}

/** The notices of the distributors the user is a live contact of, newest first, with the project and case. */
export async function noticeRowsForContact(
  db: DbOrTrx,
  userId: string,
): Promise<
  (NoticeRow & {
    distributor_name: string;
    project_slug: string;
    project_name: string;
    case_number: number;
    case_state: string;
    case_embargoed: number;
  })[]
> {
  return db
    .selectFrom('distributor_notices')
    .innerJoin('distributors', 'distributors.id', 'distributor_notices.distributor_id')
    .innerJoin('distributor_contacts', 'distributor_contacts.distributor_id', 'distributors.id')
    .innerJoin('projects', 'projects.id', 'distributor_notices.project_id')
    .innerJoin('cases', 'cases.id', 'distributor_notices.case_id')
    .selectAll('distributor_notices')
    .select([
      'distributors.name as distributor_name',
      'projects.slug as project_slug',
      'projects.name as project_name',
      'cases.number as case_number',
      'cases.state as case_state',
      'cases.embargoed as case_embargoed',
    ])
    .where('distributor_contacts.user_id', '=', userId)
    .where('distributor_contacts.removed_at', 'is', null)
    .where('distributors.removed_at', 'is', null)
    .orderBy('distributor_notices.notified_at', 'desc')
    .orderBy('distributor_notices.id')
    .execute();
}
