import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type {
  AnnouncementsTable,
  AnnouncementTemplatesTable,
  ListSubscriptionsTable,
  MailingListsTable,
} from './announcements.table.js';

export type ListRow = Selectable<MailingListsTable>;
export type SubscriptionRow = Selectable<ListSubscriptionsTable>;
export type AnnouncementRow = Selectable<AnnouncementsTable>;
export type TemplateRow = Selectable<AnnouncementTemplatesTable>;

export async function listRows(db: DbOrTrx, projectId: string): Promise<(ListRow & { subscribers: number })[]> {
  const rows = await db
    .selectFrom('mailing_lists')
    .leftJoin('list_subscriptions', (join) =>
      join
        .onRef('list_subscriptions.list_id', '=', 'mailing_lists.id')
        .on('list_subscriptions.status', '=', 'confirmed'),
    )
    .selectAll('mailing_lists')
    .select((eb) => eb.fn.count('list_subscriptions.id').as('subscribers'))
    .where('mailing_lists.project_id', '=', projectId)
    .groupBy([
      'mailing_lists.id',
      'mailing_lists.project_id',
      'mailing_lists.name',
      'mailing_lists.description',
      'mailing_lists.kinds',
      'mailing_lists.created_at',
    ])
    .orderBy('mailing_lists.name')
    .execute();
  return rows.map((r) => ({ ...r, subscribers: Number(r.subscribers) }));
}

export async function findListRow(db: DbOrTrx, projectId: string, listId: string): Promise<ListRow | undefined> {
  return db
    .selectFrom('mailing_lists')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', listId)
    .executeTakeFirst();
}

export async function insertListRow(trx: Trx, row: ListRow): Promise<void> {
  await trx.insertInto('mailing_lists').values(row).execute();
}

export async function deleteListRow(trx: Trx, listId: string): Promise<void> {
  await trx.deleteFrom('mailing_lists').where('id', '=', listId).execute();
}

export async function findSubscriptionRow(
  db: DbOrTrx,
  by: { listId: string; email: string } | { id: string },
): Promise<SubscriptionRow | undefined> {
  const q = db.selectFrom('list_subscriptions').selectAll();
  return (
    'id' in by ? q.where('id', '=', by.id) : q.where('list_id', '=', by.listId).where('email', '=', by.email)
  ).executeTakeFirst();
}

export async function findSubscriptionByTokenHash(db: DbOrTrx, hash: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('list_subscriptions').selectAll().where('confirm_token_hash', '=', hash).executeTakeFirst();
}

export async function insertSubscriptionRow(trx: Trx, row: SubscriptionRow): Promise<void> {
  await trx.insertInto('list_subscriptions').values(row).execute();
}

export async function updateSubscriptionRow(
  trx: Trx,
  id: string,
  change: Partial<Omit<SubscriptionRow, 'id' | 'list_id' | 'project_id' | 'email' | 'created_at'>>,
): Promise<void> {
  await trx.updateTable('list_subscriptions').set(change).where('id', '=', id).execute();
}

export async function subscriptionRowsOfList(db: DbOrTrx, listId: string, limit: number): Promise<SubscriptionRow[]> {
  return db
    .selectFrom('list_subscriptions')
    .selectAll()
    .where('list_id', '=', listId)
    .orderBy('email')
    .limit(limit)
    .execute();
}

export async function findTemplateRow(db: DbOrTrx, projectId: string, kind: string): Promise<TemplateRow | undefined> {
  return db
    .selectFrom('announcement_templates')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('kind', '=', kind)
    .executeTakeFirst();
}

export async function saveTemplateRow(trx: Trx, row: TemplateRow): Promise<void> {
  await trx
    .insertInto('announcement_templates')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['project_id', 'kind']).doUpdateSet({
        subject: row.subject,
        body: row.body,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
      }),
    )
    .execute();
}

export async function deleteTemplateRow(trx: Trx, projectId: string, kind: string): Promise<void> {
  await trx.deleteFrom('announcement_templates').where('project_id', '=', projectId).where('kind', '=', kind).execute();
}

export async function findAnnouncementByKey(
  db: DbOrTrx,
  by: { projectId: string; caseId: string; dedupeKey: string },
): Promise<AnnouncementRow | undefined> {
  return db
    .selectFrom('announcements')
    .selectAll()
    .where('project_id', '=', by.projectId)
    .where('case_id', '=', by.caseId)
    .where('dedupe_key', '=', by.dedupeKey)
    .executeTakeFirst();
}

export async function insertAnnouncementRow(trx: Trx, row: Insertable<AnnouncementsTable>): Promise<void> {
  await trx.insertInto('announcements').values(row).execute();
}

export async function findAnnouncementRow(db: DbOrTrx, id: string): Promise<AnnouncementRow | undefined> {
  return db.selectFrom('announcements').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Takes the announcement row's write lock, so one fan-out batch runs at a time. */
export async function lockAnnouncement(trx: Trx, id: string): Promise<void> {
  await trx
    .updateTable('announcements')
    .set((eb) => ({ published_at: eb.ref('published_at') }))
    .where('id', '=', id)
    .execute();
}

export async function markFannedOut(trx: Trx, id: string, at: string): Promise<void> {
  await trx.updateTable('announcements').set({ fanned_out_at: at }).where('id', '=', id).execute();
}

/**
 * Up to `limit` confirmed subscriptions (confirmed by `confirmedBy`) of the project's lists that carry
 * `kind`, that have no copy of the announcement yet, by id. Lists' kinds are JSON text: matched by
 * the quoted kind, which no other kind contains.
 */
export async function pendingSubscriptionRows(
  db: DbOrTrx,
  input: { announcementId: string; projectId: string; kind: string; confirmedBy: string; limit: number },
): Promise<(SubscriptionRow & { list_name: string })[]> {
  return db
    .selectFrom('list_subscriptions')
    .innerJoin('mailing_lists', 'mailing_lists.id', 'list_subscriptions.list_id')
    .selectAll('list_subscriptions')
    .select('mailing_lists.name as list_name')
    .where('mailing_lists.project_id', '=', input.projectId)
    .where('mailing_lists.kinds', 'like', `%"${input.kind}"%`)
    .where('list_subscriptions.status', '=', 'confirmed')
    .where('list_subscriptions.confirmed_at', '<=', input.confirmedBy)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('announcement_deliveries')
            .select('announcement_deliveries.subscription_id')
            .whereRef('announcement_deliveries.subscription_id', '=', 'list_subscriptions.id')
            .where('announcement_deliveries.announcement_id', '=', input.announcementId),
        ),
      ),
    )
    .orderBy('list_subscriptions.id')
    .limit(input.limit)
    .execute();
}

/** Of `emails`, those that already have a copy of the announcement (through another list). */
export async function deliveredEmails(
  db: DbOrTrx,
  announcementId: string,
  emails: readonly string[],
): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const rows = await db
    .selectFrom('announcement_deliveries')
    .innerJoin('list_subscriptions', 'list_subscriptions.id', 'announcement_deliveries.subscription_id')
    .select('list_subscriptions.email')
    .where('announcement_deliveries.announcement_id', '=', announcementId)
    .where('announcement_deliveries.email_id', '!=', '')
    .where('list_subscriptions.email', 'in', emails)
    .execute();
  return new Set(rows.map((r) => r.email));
}

export async function insertDeliveryRow(
  trx: Trx,
  row: { announcement_id: string; subscription_id: string; email_id: string; created_at: string },
): Promise<void> {
  await trx.insertInto('announcement_deliveries').values(row).execute();
}

/** The project's announcements, newest first. */
export async function announcementRows(db: DbOrTrx, projectId: string, limit: number): Promise<AnnouncementRow[]> {
  return db
    .selectFrom('announcements')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function announcementRowsOfCase(db: DbOrTrx, caseId: string): Promise<AnnouncementRow[]> {
  return db
    .selectFrom('announcements')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('published_at')
    .orderBy('id')
    .execute();
}

export async function deliveryCount(db: DbOrTrx, announcementId: string): Promise<number> {
  const row = await db
    .selectFrom('announcement_deliveries')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('announcement_id', '=', announcementId)
    .where('email_id', '!=', '')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
