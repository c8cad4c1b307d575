import type { Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { EmbargoPoliciesTable } from './embargo.table.js';

export type EmbargoPolicyRow = Selectable<EmbargoPoliciesTable> & { updated_by_name: string | null };

/** The project's stored policy with the name of whoever last changed it; undefined: the defaults apply. */
export async function findEmbargoPolicyRow(db: DbOrTrx, projectId: string): Promise<EmbargoPolicyRow | undefined> {
  return db
    .selectFrom('embargo_policies')
    .leftJoin('users', 'users.id', 'embargo_policies.updated_by')
    .select([
      'embargo_policies.project_id',
      'embargo_policies.policy',
      'embargo_policies.updated_at',
      'embargo_policies.updated_by',
      'users.name as updated_by_name',
    ])
    .where('embargo_policies.project_id', '=', projectId)
    .executeTakeFirst();
}

/**
 * Takes the project row's write lock (on PostgreSQL) for the rest of the transaction, so that two
 * simultaneous changes each audit the policy the other left as `previous`. The project row, since a
 * project that never saved a policy has no policy row to lock.
 */
export async function lockProjectPolicies(trx: Trx, projectId: string): Promise<void> {
  await trx
    .updateTable('projects')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', projectId)
    .execute();
}

export async function upsertEmbargoPolicyRow(trx: Trx, row: Selectable<EmbargoPoliciesTable>): Promise<void> {
  await trx
    .insertInto('embargo_policies')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('project_id')
        .doUpdateSet({ policy: row.policy, updated_at: row.updated_at, updated_by: row.updated_by }),
    )
    .execute();
}

/** Returns whether a row was there to delete. */
export async function deleteEmbargoPolicyRow(trx: Trx, projectId: string): Promise<boolean> {
  const result = await trx.deleteFrom('embargo_policies').where('project_id', '=', projectId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
