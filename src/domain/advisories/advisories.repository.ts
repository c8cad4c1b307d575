import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { AdvisoriesTable } from './advisories.table.js';

export type AdvisoryRow = Selectable<AdvisoriesTable>;

export async function findAdvisoryRow(db: DbOrTrx, caseId: string): Promise<AdvisoryRow | undefined> {
  return db.selectFrom('advisories').selectAll().where('case_id', '=', caseId).executeTakeFirst();
}

export async function insertAdvisoryRow(trx: Trx, row: Insertable<AdvisoriesTable>): Promise<void> {
  await trx.insertInto('advisories').values(row).execute();
}

export async function updateAdvisoryRow(
  trx: Trx,
  caseId: string,
  change: Partial<Omit<AdvisoryRow, 'id' | 'case_id' | 'project_id' | 'created_at'>>,
): Promise<void> {
  await trx.updateTable('advisories').set(change).where('case_id', '=', caseId).execute();
}

/** How many of the project's advisories have a public id starting with `prefix` (the year's sequence so far). */
export async function countPublicIds(db: DbOrTrx, projectId: string, prefix: string): Promise<number> {
  const rows = await db
    .selectFrom('advisories')
    .select('public_id')
    .where('project_id', '=', projectId)
    .where('public_id', 'like', `${prefix}%`)
    .execute();
  return rows.length;
}

/** The project's published advisories, newest first. */
export async function publishedAdvisoryRows(db: DbOrTrx, projectId: string, limit: number): Promise<AdvisoryRow[]> {
  return db
    .selectFrom('advisories')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('published_at', 'is not', null)
    .orderBy('published_at', 'desc')
    .orderBy('public_id', 'desc')
    .limit(limit)
    .execute();
}

export async function findPublishedAdvisoryRow(
  db: DbOrTrx,
  projectId: string,
  publicId: string,
): Promise<AdvisoryRow | undefined> {
  return db
    .selectFrom('advisories')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('public_id', '=', publicId)
    .where('published_at', 'is not', null)
    .executeTakeFirst();
}
