import type { Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { UsersTable } from '../users/users.table.js';

export type UserRow = Selectable<UsersTable>;

/** A person as the Fix Team section shows them. */
export interface PersonRow {
  id: string;
  name: string;
  email: string;
  away: number;
}

/**
 * Takes the project row's write lock without changing it, so two transactions choosing a Fix Lead
 * by round-robin in the same project run one after the other and the second sees the first's choice.
 */
export async function lockProjectForLeads(trx: Trx, projectId: string): Promise<void> {
  await trx
    .updateTable('projects')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', projectId)
    .execute();
}

/** The project's members who may be proposed as Fix Lead: enabled and not away, every role. */
export async function availableMemberRows(db: DbOrTrx, projectId: string): Promise<UserRow[]> {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .selectAll('users')
    .where('memberships.project_id', '=', projectId)
    .where('memberships.role', 'in', ['admin', 'security'])
    .where('users.disabled', '=', 0)
    .where('users.away', '=', 0)
    .execute();
}

/** An enabled member of the project (away or not), or undefined. */
export async function enabledMemberRow(db: DbOrTrx, projectId: string, userId: string): Promise<PersonRow | undefined> {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.name', 'users.email', 'users.away'])
    .where('memberships.project_id', '=', projectId)
    .where('users.id', '=', userId)
    .where('users.disabled', '=', 0)
    .executeTakeFirst();
}

export async function personRow(db: DbOrTrx, userId: string): Promise<PersonRow | undefined> {
  return db.selectFrom('users').select(['id', 'name', 'email', 'away']).where('id', '=', userId).executeTakeFirst();
}

/** Every "made Fix Lead" entry of the project's case histories: when, and the JSON of who. */
export async function leadHistoryOfProject(
  db: DbOrTrx,
  projectId: string,
): Promise<{ at: string; value: string | null }[]> {
  return db
    .selectFrom('case_history')
    .select(['at', 'value'])
    .where('project_id', '=', projectId)
    .where('change', '=', 'fix.lead')
    .execute();
}

/** Whether the case ever had a Fix Lead (its history has a 'fix.lead' entry). */
export async function everHadLead(db: DbOrTrx, caseId: string): Promise<boolean> {
  const row = await db
    .selectFrom('case_history')
    .select('id')
    .where('case_id', '=', caseId)
    .where('change', '=', 'fix.lead')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The case's Fix Lead and owner; the caller holds the case's lock. */
export async function updateFixLead(trx: Trx, caseId: string, userId: string): Promise<void> {
  await trx.updateTable('cases').set({ fix_lead_id: userId, owner_id: userId }).where('id', '=', caseId).execute();
}

/** Adds someone to the case's team; false when they already were in it. */
export async function insertTeamMember(
  trx: Trx,
  row: { case_id: string; user_id: string; added_at: string; added_by: string | null },
): Promise<boolean> {
  const existing = await trx
    .selectFrom('case_team')
    .select('user_id')
    .where('case_id', '=', row.case_id)
    .where('user_id', '=', row.user_id)
    .executeTakeFirst();
  if (existing) return false;
  await trx.insertInto('case_team').values(row).execute();
  return true;
}

/** Removes someone from the case's team; false when they were not in it. */
export async function deleteTeamMember(trx: Trx, caseId: string, userId: string): Promise<boolean> {
  const result = await trx
    .deleteFrom('case_team')
    .where('case_id', '=', caseId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** The people on the case's team (the service orders them). */
export async function teamRows(db: DbOrTrx, caseId: string): Promise<PersonRow[]> {
  return db
    .selectFrom('case_team')
    .innerJoin('users', 'users.id', 'case_team.user_id')
    .select(['users.id', 'users.name', 'users.email', 'users.away'])
    .where('case_team.case_id', '=', caseId)
    .execute();
}

/** Marks an account away (1) or back (0); false when it already was. */
export async function updateAway(trx: Trx, userId: string, away: boolean, at: string): Promise<boolean> {
  const result = await trx
    .updateTable('users')
    .set({ away: away ? 1 : 0, updated_at: at })
    .where('id', '=', userId)
    .where('away', '=', away ? 0 : 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
