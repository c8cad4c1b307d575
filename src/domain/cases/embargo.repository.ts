import type { Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { EmbargoesTable, EmbargoRevisionsTable } from './embargo.table.js';

export type EmbargoRow = Selectable<EmbargoesTable>;
export type EmbargoRevisionRow = Selectable<EmbargoRevisionsTable>;

/** The project's stored policy as JSON text; undefined: the defaults apply. */
export async function findEmbargoPolicyText(db: DbOrTrx, projectId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('embargo_policies')
    .select('policy')
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return row?.policy;
}

export async function findEmbargoRow(db: DbOrTrx, caseId: string): Promise<EmbargoRow | undefined> {
  return db.selectFrom('embargoes').selectAll().where('case_id', '=', caseId).executeTakeFirst();
}

export async function insertEmbargoRow(trx: Trx, row: EmbargoRow): Promise<void> {
  await trx.insertInto('embargoes').values(row).execute();
}

export async function updateEmbargoRow(
  trx: Trx,
  caseId: string,
  change: Partial<Omit<EmbargoRow, 'case_id' | 'project_id' | 'created_at'>>,
): Promise<void> {
  await trx.updateTable('embargoes').set(change).where('case_id', '=', caseId).execute();
}

export async function insertRevisionRow(trx: Trx, row: EmbargoRevisionRow): Promise<void> {
  await trx.insertInto('embargo_revisions').values(row).execute();
}

/** The embargo's revisions, newest first (the id breaks ties between two in the same millisecond). */
export async function revisionRows(db: DbOrTrx, caseId: string): Promise<EmbargoRevisionRow[]> {
  return db
    .selectFrom('embargo_revisions')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** Every embargo of the project with its case's number and state, by release time. */
export async function projectEmbargoRows(
  db: DbOrTrx,
  projectId: string,
): Promise<(EmbargoRow & { case_number: number; case_state: string })[]> {
  return db
    .selectFrom('embargoes')
    .innerJoin('cases', 'cases.id', 'embargoes.case_id')
    .selectAll('embargoes')
    .select(['cases.number as case_number', 'cases.state as case_state'])
    .where('embargoes.project_id', '=', projectId)
    .orderBy('embargoes.release_at')
    .orderBy('cases.number')
    .execute();
}

/** Every embargo of the given projects with its project and case, by release time. */
export async function embargoRowsOfProjects(
  db: DbOrTrx,
  projectIds: readonly string[],
): Promise<(EmbargoRow & { case_number: number; case_state: string; project_slug: string; project_name: string })[]> {
  if (projectIds.length === 0) return [];
  return db
    .selectFrom('embargoes')
    .innerJoin('cases', 'cases.id', 'embargoes.case_id')
    .innerJoin('projects', 'projects.id', 'embargoes.project_id')
    .selectAll('embargoes')
    .select([
      'cases.number as case_number',
      'cases.state as case_state',
      'projects.slug as project_slug',
      'projects.name as project_name',
    ])
    .where('embargoes.project_id', 'in', projectIds)
    .orderBy('embargoes.release_at')
    .orderBy('projects.slug')
    .orderBy('cases.number')
    .execute();
}
