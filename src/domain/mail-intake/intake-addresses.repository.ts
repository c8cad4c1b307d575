import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx } from '../../db/types.js';
import type { IntakeAddressesTable } from './mail-intake.table.js';

// The only file that builds SQL for intake addresses and the lookups mail routing needs.

export type IntakeAddressRow = Selectable<IntakeAddressesTable>;

export async function intakeAddressRows(db: DbOrTrx, projectId: string): Promise<IntakeAddressRow[]> {
  return db.selectFrom('intake_addresses').selectAll().where('project_id', '=', projectId).orderBy('address').execute();
}

export async function findIntakeAddressRow(
  db: DbOrTrx,
  by: { address: string } | { id: string; projectId: string },
): Promise<IntakeAddressRow | undefined> {
  const q = db.selectFrom('intake_addresses').selectAll();
  return (
    'address' in by
      ? q.where('address', '=', by.address)
      : q.where('id', '=', by.id).where('project_id', '=', by.projectId)
  ).executeTakeFirst();
}

/** Inserts unless the address is taken (by any project); returns whether it was inserted. */
export async function insertIntakeAddressRow(db: DbOrTrx, row: Insertable<IntakeAddressesTable>): Promise<boolean> {
  const result = await db
    .insertInto('intake_addresses')
    .values(row)
    .onConflict((oc) => oc.column('address').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function deleteIntakeAddressRow(db: DbOrTrx, id: string): Promise<void> {
  await db.deleteFrom('intake_addresses').where('id', '=', id).execute();
}

/** The project and tracking id of a report, for mail to its reply address. */
export async function findReportForTrackingId(
  db: DbOrTrx,
  trackingId: string,
): Promise<{ id: string; project_id: string } | undefined> {
  return db.selectFrom('reports').select(['id', 'project_id']).where('tracking_id', '=', trackingId).executeTakeFirst();
}
