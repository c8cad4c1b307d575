import type { Selectable } from 'kysely';
import type { DbOrTrx } from '../../db/types.js';
import type { SeverityPoliciesTable } from './severity.table.js';

export type SeverityPolicyRow = Selectable<SeverityPoliciesTable> & { updated_by_name: string | null };

/** The project's stored policy with the name of whoever last changed it; undefined: the defaults apply. */
export async function findSeverityPolicyRow(db: DbOrTrx, projectId: string): Promise<SeverityPolicyRow | undefined> {
  return db
    .selectFrom('severity_policies')
    .leftJoin('users', 'users.id', 'severity_policies.updated_by')
    .select([
      'severity_policies.project_id',
      'severity_policies.policy',
      'severity_policies.updated_at',
      'severity_policies.updated_by',
      'users.name as updated_by_name',
    ])
    .where('severity_policies.project_id', '=', projectId)
    .executeTakeFirst();
}

/**
 * Takes the row's write lock (on PostgreSQL) for the rest of the transaction by writing it
 * unchanged, so that two simultaneous changes each audit the policy the other left as `previous`.
 */
export async function lockSeverityPolicyRow(db: DbOrTrx, projectId: string): Promise<void> {
  // The project row, not the policy row: a project that never saved a policy has no policy row to
  // lock, and two first saves would then both record the defaults as "previous".
  await db
    .updateTable('projects')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', projectId)
    .execute();
}

export async function upsertSeverityPolicyRow(db: DbOrTrx, row: SeverityPoliciesTable): Promise<void> {
  await db
    .insertInto('severity_policies')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('project_id')
        .doUpdateSet({ policy: row.policy, updated_at: row.updated_at, updated_by: row.updated_by }),
    )
    .execute();
}

/** Returns whether a row was there to delete. */
export async function deleteSeverityPolicyRow(db: DbOrTrx, projectId: string): Promise<boolean> {
  const result = await db.deleteFrom('severity_policies').where('project_id', '=', projectId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
