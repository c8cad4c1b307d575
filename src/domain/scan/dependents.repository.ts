import type { Insertable, Selectable, Updateable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { DependentsTable, InventoriesTable, InventoryPackagesTable } from './scan.table.js';
import { chunks, IDS_PER_STATEMENT } from '../../db/batches.js';

// Dependents and their inventories. A dependent's inventory has no branch and no project of its
// own (the dependent row says whose it is), so the branch monitoring's queries never see it.

export type DependentRow = Selectable<DependentsTable>;
export type DependentInventoryRow = Selectable<InventoriesTable>;

export async function insertDependent(trx: Trx, row: Insertable<DependentsTable>): Promise<void> {
  await trx.insertInto('dependents').values(row).execute();
}

/** Inserts unless a dependent of the same id exists (concurrent requests then share one row). */
export async function insertDependentIfAbsent(trx: Trx, row: Insertable<DependentsTable>): Promise<void> {
  await trx
    .insertInto('dependents')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/**
 * Deletes the outside subscribers still pending that asked before `before`, with their inventories
 * (the foreign keys cascade); returns how many.
 */
export async function deletePendingBefore(trx: Trx, before: string): Promise<number> {
  const result = await trx
    .deleteFrom('dependents')
    .where('status', '=', 'pending')
    .where('project_id', 'is', null)
    .where('created_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function updateDependent(trx: Trx, id: string, patch: Updateable<DependentsTable>): Promise<void> {
  await trx.updateTable('dependents').set(patch).where('id', '=', id).execute();
}

export async function findDependent(
  db: DbOrTrx,
  by: { id: string } | { confirmHash: string } | { manageHash: string },
): Promise<DependentRow | undefined> {
  const q = db.selectFrom('dependents').selectAll();
  if ('id' in by) return q.where('id', '=', by.id).executeTakeFirst();
  if ('confirmHash' in by) return q.where('confirm_token_hash', '=', by.confirmHash).executeTakeFirst();
  return q.where('manage_token_hash', '=', by.manageHash).executeTakeFirst();
}

export async function dependentsByIds(db: DbOrTrx, ids: readonly string[]): Promise<DependentRow[]> {
  const out: DependentRow[] = [];
  for (const part of chunks(ids, IDS_PER_STATEMENT)) {
    out.push(...(await db.selectFrom('dependents').selectAll().where('id', 'in', part).execute()));
  }
  return out;
}

/** The project's own dependent row (a project registers under one, of a fixed id). */
export async function findProjectDependent(db: DbOrTrx, id: string): Promise<DependentRow | undefined> {
  return db
    .selectFrom('dependents')
    .selectAll()
    .where('id', '=', id)
    .where('project_id', 'is not', null)
    .executeTakeFirst();
}

export async function inventoriesOfDependent(db: DbOrTrx, dependentId: string): Promise<DependentInventoryRow[]> {
  return db.selectFrom('inventories').selectAll().where('dependent_id', '=', dependentId).orderBy('name').execute();
}

export async function findDependentInventory(
  db: DbOrTrx,
  dependentId: string,
  by: { id: string } | { name: string },
): Promise<DependentInventoryRow | undefined> {
  const q = db.selectFrom('inventories').selectAll().where('dependent_id', '=', dependentId);
  return ('id' in by ? q.where('id', '=', by.id) : q.where('name', '=', by.name)).executeTakeFirst();
}

/** Deletes every inventory of a dependent; their package rows go with them (ON DELETE CASCADE). */
export async function deleteInventoriesOfDependent(trx: Trx, dependentId: string): Promise<void> {
  await trx.deleteFrom('inventories').where('dependent_id', '=', dependentId).execute();
}

/** The packages of some inventories (a dependent's current matches). */
export async function packagesOfInventories(
  db: DbOrTrx,
  inventoryIds: readonly string[],
): Promise<Selectable<InventoryPackagesTable>[]> {
  if (inventoryIds.length === 0) return [];
  return db.selectFrom('inventory_packages').selectAll().where('inventory_id', 'in', inventoryIds).execute();
}

export interface IndexRow {
  dependent_id: string;
  dependent_project_id: string | null;
  inventory_id: string;
  uploaded_at: string;
  package_key: string;
  ecosystem: string;
  name: string;
  version: string;
}

/**
 * The reverse index: every package row under `keys` of an active dependent's inventory, with the
 * inventory's upload time. One probe of inventory_packages_key_idx per key, then the two primary keys.
 */
export async function activeDependentPackages(db: DbOrTrx, keys: readonly string[]): Promise<IndexRow[]> {
  const out: IndexRow[] = [];
  for (const part of chunks(keys, IDS_PER_STATEMENT)) {
    out.push(
      ...(await db
        .selectFrom('inventory_packages as p')
        .innerJoin('inventories as i', 'i.id', 'p.inventory_id')
        .innerJoin('dependents as d', 'd.id', 'i.dependent_id')
        .select([
          'd.id as dependent_id',
          'd.project_id as dependent_project_id',
          'i.id as inventory_id',
          'i.uploaded_at',
          'p.package_key',
          'p.ecosystem',
          'p.name',
          'p.version',
        ])
        .where('p.package_key', 'in', part)
        .where('d.status', '=', 'active')
        .execute()),
    );
  }
  return out;
}
