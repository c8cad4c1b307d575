import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { InventoriesTable, InventoryPackagesTable } from './scan.table.js';
import { chunks } from '../../db/batches.js';

export type InventoryRow = Selectable<InventoriesTable>;
/** An inventory with the name of the account that uploaded it, when it was one. */
export type InventoryListRow = InventoryRow & { uploader_name: string | null };

// A package row binds 6 values: far below both engines' bound-parameter limits.
const ROWS_PER_INSERT = 1000;

export async function findBranchInventory(db: DbOrTrx, branchId: string, name: string) {
  return db
    .selectFrom('inventories')
    .selectAll()
    .where('branch_id', '=', branchId)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function findInventoryById(db: DbOrTrx, projectId: string, id: string) {
  return db
    .selectFrom('inventories')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .where('branch_id', 'is not', null)
    .executeTakeFirst();
}

/** The inventories of a project's branches (some of them, or one inventory), by branch and name. */
export async function inventoriesOfBranches(
  db: DbOrTrx,
  projectId: string,
  only: { branchIds?: readonly string[]; id?: string } = {},
): Promise<InventoryListRow[]> {
  const { branchIds, id } = only;
  if (branchIds?.length === 0) return [];
  let q = db
    .selectFrom('inventories as i')
    .leftJoin('users as u', 'u.id', 'i.uploaded_by')
    .selectAll('i')
    .select('u.name as uploader_name')
    .where('i.project_id', '=', projectId)
    .where('i.branch_id', 'is not', null);
  if (branchIds) q = q.where('i.branch_id', 'in', branchIds);
  if (id !== undefined) q = q.where('i.id', '=', id);
  return q.orderBy('i.branch_id').orderBy('i.name').execute();
}

/** Deletes an inventory; its package rows go with it (ON DELETE CASCADE). */
export async function deleteInventory(trx: Trx, id: string): Promise<void> {
  await trx.deleteFrom('inventories').where('id', '=', id).execute();
}

export async function insertInventory(
  trx: Trx,
  row: Insertable<InventoriesTable>,
  packages: readonly Insertable<InventoryPackagesTable>[],
): Promise<void> {
  await trx.insertInto('inventories').values(row).execute();
  for (const part of chunks(packages, ROWS_PER_INSERT)) {
    await trx.insertInto('inventory_packages').values(part).execute();
  }
}
