import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Case, CaseState } from './cases.js';
import type { CaseHistoryTable, CasesTable } from './cases.table.js';

export type CaseRow = Selectable<CasesTable>;

export function toCase(row: CaseRow): Case {
  return {
    id: row.id,
    projectId: row.project_id,
    number: row.number,
    title: row.title,
    state: row.state as CaseState,
    embargoed: row.embargoed === 1,
    createdBy: row.created_by,
    ownerId: row.owner_id,
    fixLeadId: row.fix_lead_id,
    embargoBrokenAt: row.embargo_broken_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Takes the project row's write lock until the transaction ends, so two transactions numbering
 * cases of the same project run one after the other. The UPDATE changes nothing; on PostgreSQL it
 * still locks the row (a concurrent one waits for our commit), and SQLite serializes writers anyway.
 */
export async function lockProjectCaseNumbers(trx: Trx, projectId: string): Promise<void> {
  await trx
    .updateTable('projects')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', projectId)
    .execute();
}

export async function maxCaseNumber(trx: Trx, projectId: string): Promise<number> {
  const row = await trx
    .selectFrom('cases')
    .select((eb) => eb.fn.max('number').as('max'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return row?.max == null ? 0 : Number(row.max);
}

export async function insertCase(trx: Trx, row: CaseRow): Promise<void> {
  await trx.insertInto('cases').values(row).execute();
}

export async function findCaseRow(
  db: DbOrTrx,
  by: { projectId: string } & ({ number: number } | { id: string }),
): Promise<CaseRow | undefined> {
  const q = db.selectFrom('cases').selectAll().where('project_id', '=', by.projectId);
  return ('number' in by ? q.where('number', '=', by.number) : q.where('id', '=', by.id)).executeTakeFirst();
}

/** The reports accepted into a case (normally one), as id and tracking id. */
export async function reportsOfCase(db: DbOrTrx, caseId: string): Promise<{ id: string; tracking_id: string }[]> {
  return db
    .selectFrom('reports')
    .select(['id', 'tracking_id'])
    .where('case_id', '=', caseId)
    .orderBy('received_at')
    .execute();
}

/** The reports accepted into a case with what is needed to tell their reporters of progress. */
export async function reportersOfCase(
  db: DbOrTrx,
  caseId: string,
): Promise<{ id: string; project_id: string; tracking_id: string; reporter_email: string | null }[]> {
  return db
    .selectFrom('reports')
    .select(['id', 'project_id', 'tracking_id', 'reporter_email'])
    .where('case_id', '=', caseId)
    .orderBy('received_at')
    .execute();
}

/** Sets a case's state (and when its embargo broke); the caller holds the case's lock. */
export async function updateCaseState(
  trx: Trx,
  caseId: string,
  change: { state: string; at: string; embargoBrokenAt?: string },
): Promise<void> {
  await trx
    .updateTable('cases')
    .set({
      state: change.state,
      updated_at: change.at,
      ...(change.embargoBrokenAt ? { embargo_broken_at: change.embargoBrokenAt } : {}),
    })
    .where('id', '=', caseId)
    .execute();
}

/** Marks the case embargoed or not (the go makes it public); the caller holds the case's lock. */
export async function setCaseEmbargoed(trx: Trx, caseId: string, embargoed: boolean): Promise<void> {
  await trx
    .updateTable('cases')
    .set({ embargoed: embargoed ? 1 : 0 })
    .where('id', '=', caseId)
    .execute();
}

/** Whether the report's reporter was already told of this milestone (a 'progress' entry). */
export async function milestoneTold(db: DbOrTrx, reportId: string, milestone: string): Promise<boolean> {
  const row = await db
    .selectFrom('report_entries')
    .select('id')
    .where('report_id', '=', reportId)
    .where('kind', '=', 'progress')
    .where('detail', '=', JSON.stringify({ milestone }))
    .executeTakeFirst();
  return row !== undefined;
}

// The case history (append-only) and the case row's lock: shared by every area of a case.

export type CaseHistoryRow = Selectable<CaseHistoryTable>;

export async function insertHistory(trx: Trx, row: Insertable<CaseHistoryTable>): Promise<void> {
  await trx.insertInto('case_history').values(row).execute();
}

export async function historyOfCase(db: DbOrTrx, caseId: string): Promise<CaseHistoryRow[]> {
  return db
    .selectFrom('case_history')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/**
 * Takes the case row's write lock without changing it: later writers of the same case wait for this
 * transaction (PostgreSQL row lock; SQLite serializes writers anyway).
 */
export async function lockCase(trx: Trx, caseId: string): Promise<void> {
  await trx
    .updateTable('cases')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', caseId)
    .execute();
}

/** Records that the case moved at `at`. */
export async function touchCase(trx: Trx, caseId: string, at: string): Promise<void> {
  await trx.updateTable('cases').set({ updated_at: at }).where('id', '=', caseId).execute();
}
