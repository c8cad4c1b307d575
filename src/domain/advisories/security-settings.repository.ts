import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { ProjectSecuritySettingsTable } from './advisories.table.js';

export type SecuritySettingsRow = Selectable<ProjectSecuritySettingsTable>;

export async function findSecuritySettingsRow(
  db: DbOrTrx,
  projectId: string,
): Promise<SecuritySettingsRow | undefined> {
  return db.selectFrom('project_security_settings').selectAll().where('project_id', '=', projectId).executeTakeFirst();
}

export async function saveSecuritySettingsRow(trx: Trx, row: Insertable<ProjectSecuritySettingsTable>): Promise<void> {
  const { project_id: _, ...change } = row;
  await trx
    .insertInto('project_security_settings')
    .values(row)
    .onConflict((oc) => oc.column('project_id').doUpdateSet(change))
    .execute();
}
