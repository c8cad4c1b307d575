import type { Selectable } from 'kysely';
import type { DbOrTrx } from '../../db/types.js';
import type { ProjectRole } from '../../policies/actor.js';
import type { User } from './users.js';
import type { UsersTable } from './users.table.js';

export type UserRow = Selectable<UsersTable>;

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    isInstanceAdmin: row.is_instance_admin === 1,
    disabled: row.disabled === 1,
    away: row.away === 1,
    hasPassword: row.password_hash !== null,
    createdAt: row.created_at,
  };
}

export async function findUserRowByEmail(db: DbOrTrx, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findUserRowById(db: DbOrTrx, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function rolesOfUser(db: DbOrTrx, userId: string): Promise<Map<string, ProjectRole>> {
  const rows = await db
    .selectFrom('memberships')
    .select(['project_id', 'role'])
    .where('user_id', '=', userId)
    .execute();
  return new Map(rows.map((r) => [r.project_id, r.role as ProjectRole]));
}

/** distributorId -> projectId for every distributor (not removed) the user is a contact (not removed) of. */
export async function distributorsOfUser(db: DbOrTrx, userId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('distributor_contacts')
    .innerJoin('distributors', 'distributors.id', 'distributor_contacts.distributor_id')
    .select(['distributors.id as distributor_id', 'distributors.project_id as project_id'])
    .where('distributor_contacts.user_id', '=', userId)
    .where('distributor_contacts.removed_at', 'is', null)
    .where('distributors.removed_at', 'is', null)
    .execute();
  return new Map(rows.map((r) => [r.distributor_id, r.project_id]));
}

/** caseId -> projectId for every case the user was invited to and whose grant was not revoked. */
export async function caseGrantsOfUser(db: DbOrTrx, userId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('case_collaborators')
    .select(['case_id', 'project_id'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
  return new Map(rows.map((r) => [r.case_id, r.project_id]));
}
