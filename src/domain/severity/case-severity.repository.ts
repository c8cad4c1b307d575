import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { CasesTable } from '../cases/cases.table.js';
import type { CaseSeverityTable } from './severity.table.js';

export type CaseSeverityRow = Selectable<CaseSeverityTable>;

export async function findSeverityRow(db: DbOrTrx, caseId: string): Promise<CaseSeverityRow | undefined> {
  return db.selectFrom('case_severity').selectAll().where('case_id', '=', caseId).executeTakeFirst();
}

/** Inserts or replaces the case's severity row (the caller holds the case's lock). */
export async function saveSeverityRow(trx: Trx, row: Insertable<CaseSeverityTable>): Promise<void> {
  const { case_id: caseId, ...rest } = row;
  const updated = await trx.updateTable('case_severity').set(rest).where('case_id', '=', caseId).executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) await trx.insertInto('case_severity').values(row).execute();
}

/** Moves the pending reminder from `dueAt` to `next`; false when `dueAt` is no longer the pending one. */
export async function advanceReminder(trx: Trx, caseId: string, dueAt: string, next: string | null): Promise<boolean> {
  const result = await trx
    .updateTable('case_severity')
    .set({ next_reminder_at: next })
    .where('case_id', '=', caseId)
    .where('next_reminder_at', '=', dueAt)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setNextReminder(trx: Trx, caseId: string, next: string | null): Promise<void> {
  await trx.updateTable('case_severity').set({ next_reminder_at: next }).where('case_id', '=', caseId).execute();
}

export async function cweIdsOfCase(db: DbOrTrx, caseId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('case_cwes')
    .select('cwe_id')
    .where('case_id', '=', caseId)
    .orderBy('cwe_id')
    .execute();
  return rows.map((r) => Number(r.cwe_id));
}

/** Adds a CWE to a case; false when the case already had it. */
export async function insertCaseCwe(
  trx: Trx,
  row: { case_id: string; cwe_id: number; added_at: string; added_by: string | null },
): Promise<boolean> {
  const existing = await trx
    .selectFrom('case_cwes')
    .select('cwe_id')
    .where('case_id', '=', row.case_id)
    .where('cwe_id', '=', row.cwe_id)
    .executeTakeFirst();
  if (existing) return false;
  await trx.insertInto('case_cwes').values(row).execute();
  return true;
}

/** Removes a CWE from a case; false when the case did not have it. */
export async function deleteCaseCwe(trx: Trx, caseId: string, cweId: number): Promise<boolean> {
  const result = await trx
    .deleteFrom('case_cwes')
    .where('case_id', '=', caseId)
    .where('cwe_id', '=', cweId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** A case row with its project's name and slug (for reminder mail), or undefined. */
export async function caseWithProject(
  db: DbOrTrx,
  caseId: string,
): Promise<{ theCase: Selectable<CasesTable>; project: { name: string; slug: string } } | undefined> {
  const theCase = await db.selectFrom('cases').selectAll().where('id', '=', caseId).executeTakeFirst();
  if (!theCase) return undefined;
  const project = await db
    .selectFrom('projects')
    .select(['name', 'slug'])
    .where('id', '=', theCase.project_id)
    .executeTakeFirstOrThrow();
  return { theCase, project };
}

/** Who a reminder goes to: the owner while enabled and a member; otherwise the project's enabled admins. */
export async function reminderRecipients(db: DbOrTrx, ownerId: string | null, projectId: string): Promise<string[]> {
  if (ownerId) {
    const owner = await db
      .selectFrom('users')
      .innerJoin('memberships', 'memberships.user_id', 'users.id')
      .select('users.email')
      .where('users.id', '=', ownerId)
      .where('users.disabled', '=', 0)
      .where('memberships.project_id', '=', projectId)
      .executeTakeFirst();
    if (owner) return [owner.email];
  }
  const admins = await db
    .selectFrom('users')
    .innerJoin('memberships', 'memberships.user_id', 'users.id')
    .select('users.email')
    .where('memberships.project_id', '=', projectId)
    .where('memberships.role', '=', 'admin')
    .where('users.disabled', '=', 0)
    .orderBy('users.email')
    .execute();
  return admins.map((a) => a.email);
}

/** The severity rows of a project's cases with when each case last moved. */
export async function severityRowsOfProject(
  db: DbOrTrx,
  projectId: string,
): Promise<{ case_id: string; effective_severity: string; next_reminder_at: string | null; updated_at: string }[]> {
  return db
    .selectFrom('case_severity')
    .innerJoin('cases', 'cases.id', 'case_severity.case_id')
    .select([
      'case_severity.case_id',
      'case_severity.effective_severity',
      'case_severity.next_reminder_at',
      'cases.updated_at',
    ])
    .where('case_severity.project_id', '=', projectId)
    .execute();
}
