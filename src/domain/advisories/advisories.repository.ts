import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { AdvisoriesTable, AdvisoryRevisionsTable } from './advisories.table.js';

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

export async function insertRevisionRow(trx: Trx, row: Insertable<AdvisoryRevisionsTable>): Promise<void> {
  await trx.insertInto('advisory_revisions').values(row).execute();
}

export async function revisionRows(db: DbOrTrx, caseId: string): Promise<Selectable<AdvisoryRevisionsTable>[]> {
  return db.selectFrom('advisory_revisions').selectAll().where('case_id', '=', caseId).orderBy('number').execute();
}

/** Creates an empty draft row for the case when it has none yet (a CVE id can come before any text). */
export async function ensureAdvisoryRow(
  trx: Trx,
  input: { id: string; caseId: string; projectId: string; at: string },
): Promise<void> {
  await trx
    .insertInto('advisories')
    .values({
      id: input.id,
      case_id: input.caseId,
      project_id: input.projectId,
      public_id: null,
      summary: '',
      details: '',
      affected_text: '',
      check_text: '',
      upgrade_text: '',
      mitigations_text: '',
      detection_text: '',
      credits: '[]',
      published_at: null,
      created_at: input.at,
      updated_at: input.at,
      updated_by: null,
    })
    .onConflict((oc) => oc.column('case_id').doNothing())
    .execute();
}

/** Published advisories' current records (with their project's slug), newest first; every project when none is named. */
export async function publishedRecordRows(
  db: DbOrTrx,
  input: { projectId?: string; limit: number },
): Promise<{ record: string | null; project_id: string }[]> {
  let q = db
    .selectFrom('advisories')
    .select(['record', 'project_id'])
    .where('published_at', 'is not', null)
    .where('record', 'is not', null);
  if (input.projectId) q = q.where('project_id', '=', input.projectId);
  return q.orderBy('published_at', 'desc').orderBy('public_id', 'desc').limit(input.limit).execute();
}

/** A published advisory by its public id, in any project (public ids are unique on the instance). */
export async function findPublishedAdvisoryRowById(db: DbOrTrx, publicId: string): Promise<AdvisoryRow | undefined> {
  return db
    .selectFrom('advisories')
    .selectAll()
    .where('public_id', '=', publicId)
    .where('published_at', 'is not', null)
    .executeTakeFirst();
}
