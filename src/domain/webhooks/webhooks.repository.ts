import type { Insertable, Selectable, Updateable } from 'kysely';
import type { DbOrTrx } from '../../db/types.js';
import type { WebhookDeliveriesTable, WebhooksTable } from '../cases/embargo.table.js';

// The only file that builds SQL for webhooks and their deliveries.

export type WebhookRow = Selectable<WebhooksTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;

export async function webhookRows(db: DbOrTrx, projectId: string, options: { enabledOnly?: boolean } = {}) {
  let q = db.selectFrom('webhooks').selectAll().where('project_id', '=', projectId);
  if (options.enabledOnly) q = q.where('enabled', '=', 1);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** One webhook; with `projectId`, only if it belongs to that project. */
export async function findWebhookRow(
  db: DbOrTrx,
  where: { id: string; projectId?: string },
): Promise<WebhookRow | undefined> {
  let q = db.selectFrom('webhooks').selectAll().where('id', '=', where.id);
  if (where.projectId !== undefined) q = q.where('project_id', '=', where.projectId);
  return q.executeTakeFirst();
}

export async function insertWebhookRow(db: DbOrTrx, row: Insertable<WebhooksTable>): Promise<void> {
  await db.insertInto('webhooks').values(row).execute();
}

/** Removes the webhook; its deliveries go with it (foreign key cascade). */
export async function deleteWebhookRow(db: DbOrTrx, id: string): Promise<void> {
  await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
  await db.deleteFrom('webhooks').where('id', '=', id).execute();
}

export async function insertDeliveryRow(db: DbOrTrx, row: Insertable<WebhookDeliveriesTable>): Promise<void> {
  await db.insertInto('webhook_deliveries').values(row).execute();
}

export async function findDeliveryRow(db: DbOrTrx, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The latest deliveries of a project's webhooks, newest first. */
export async function recentDeliveryRows(db: DbOrTrx, projectId: string, limit: number): Promise<DeliveryRow[]> {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Records an attempt's outcome unless the delivery is already delivered; returns whether a row
 * changed, so an attempt that lost a race to another one does not overwrite its success.
 */
export async function updateUndeliveredRow(
  db: DbOrTrx,
  id: string,
  patch: Updateable<WebhookDeliveriesTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set(patch)
    .where('id', '=', id)
    .where('status', '!=', 'delivered')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
