import type { Insertable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { CaseCollaboratorsTable } from './fix.table.js';

/** A grant with the invited account's name and address. */
export interface CollaboratorRow {
  id: string;
  case_id: string;
  project_id: string;
  user_id: string;
  invited_at: string;
  revoked_at: string | null;
  name: string;
  email: string;
}

const withUser = (db: DbOrTrx) =>
  db
    .selectFrom('case_collaborators')
    .innerJoin('users', 'users.id', 'case_collaborators.user_id')
    .select([
      'case_collaborators.id',
      'case_collaborators.case_id',
      'case_collaborators.project_id',
      'case_collaborators.user_id',
      'case_collaborators.invited_at',
      'case_collaborators.revoked_at',
      'users.name',
      'users.email',
    ]);

export async function insertCollaborator(trx: Trx, row: Insertable<CaseCollaboratorsTable>): Promise<void> {
  await trx.insertInto('case_collaborators').values(row).execute();
}

/** The case's grants, live ones first, each group newest first. */
export async function collaboratorRowsOfCase(db: DbOrTrx, caseId: string): Promise<CollaboratorRow[]> {
  const rows = await withUser(db)
    .where('case_collaborators.case_id', '=', caseId)
    .orderBy('case_collaborators.invited_at', 'desc')
    .orderBy('case_collaborators.id', 'desc')
    .execute();
  // Sorted here rather than in SQL: "nulls first" is spelled differently by the two engines.
  return [...rows.filter((r) => r.revoked_at === null), ...rows.filter((r) => r.revoked_at !== null)];
}

export async function findCollaboratorRow(
  db: DbOrTrx,
  by: { caseId: string; id: string },
): Promise<CollaboratorRow | undefined> {
  return withUser(db)
    .where('case_collaborators.case_id', '=', by.caseId)
    .where('case_collaborators.id', '=', by.id)
    .executeTakeFirst();
}

/** Whether the account holds a grant on the case that was not revoked. */
export async function hasLiveGrant(db: DbOrTrx, by: { caseId: string; userId: string }): Promise<boolean> {
  const row = await db
    .selectFrom('case_collaborators')
    .select('id')
    .where('case_id', '=', by.caseId)
    .where('user_id', '=', by.userId)
    .where('revoked_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Ends a grant; false when it was already revoked. */
export async function markCollaboratorRevoked(
  trx: Trx,
  change: { id: string; at: string; by: string | null },
): Promise<boolean> {
  const result = await trx
    .updateTable('case_collaborators')
    .set({ revoked_at: change.at, revoked_by: change.by })
    .where('id', '=', change.id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The cases an account may open as a collaborator, with their project: numbers only, never titles. */
export async function sharedCaseRows(
  db: DbOrTrx,
  userId: string,
): Promise<{ case_id: string; number: number; project_name: string; project_slug: string; invited_at: string }[]> {
  return db
    .selectFrom('case_collaborators')
    .innerJoin('cases', 'cases.id', 'case_collaborators.case_id')
    .innerJoin('projects', 'projects.id', 'case_collaborators.project_id')
    .select([
      'cases.id as case_id',
      'cases.number',
      'projects.name as project_name',
      'projects.slug as project_slug',
      'case_collaborators.invited_at',
    ])
    .where('case_collaborators.user_id', '=', userId)
    .where('case_collaborators.revoked_at', 'is', null)
    .orderBy('projects.name')
    .orderBy('cases.number')
    .execute();
}
