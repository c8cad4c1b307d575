import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx } from '../../db/types.js';
import type { Project, ReleaseBranch } from './projects.js';
import type { ProjectsTable, ReleaseBranchesTable } from './projects.table.js';

export function toProject(row: Selectable<ProjectsTable>): Project {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    repositoryUrl: row.repository_url,
    securityContact: row.security_contact,
    ackTargetHours: row.ack_target_hours,
    ackTemplate: row.ack_template,
    createdAt: row.created_at,
  };
}

export function toBranch(row: Selectable<ReleaseBranchesTable>): ReleaseBranch {
  return { id: row.id, name: row.name, endOfSupport: row.end_of_support };
}

export async function findProjectRow(db: DbOrTrx, by: { slug: string } | { id: string }) {
  const q = db.selectFrom('projects').selectAll();
  return ('slug' in by ? q.where('slug', '=', by.slug) : q.where('id', '=', by.id)).executeTakeFirst();
}

export async function branchRows(db: DbOrTrx, projectId: string) {
  return db.selectFrom('release_branches').selectAll().where('project_id', '=', projectId).orderBy('name').execute();
}

export async function findBranchRow(db: DbOrTrx, where: { projectId: string } & ({ id: string } | { name: string })) {
  const q = db.selectFrom('release_branches').selectAll().where('project_id', '=', where.projectId);
  return ('id' in where ? q.where('id', '=', where.id) : q.where('name', '=', where.name)).executeTakeFirst();
}

export async function insertBranchRow(db: DbOrTrx, row: Insertable<ReleaseBranchesTable>): Promise<void> {
  await db.insertInto('release_branches').values(row).execute();
}

export async function updateBranchRow(db: DbOrTrx, id: string, endOfSupport: string | null): Promise<void> {
  await db.updateTable('release_branches').set({ end_of_support: endOfSupport }).where('id', '=', id).execute();
}

/** The numbers of the cases that recorded a status or a patch for the branch. */
export async function casesReferencingBranch(db: DbOrTrx, branchId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('cases')
    .select('cases.number')
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('case_branches')
            .select('case_branches.case_id')
            .whereRef('case_branches.case_id', '=', 'cases.id')
            .where('case_branches.branch_id', '=', branchId),
        ),
        eb.exists(
          eb
            .selectFrom('patches')
            .select('patches.id')
            .whereRef('patches.case_id', '=', 'cases.id')
            .where('patches.branch_id', '=', branchId),
        ),
      ]),
    )
    .orderBy('cases.number')
    .execute();
  return rows.map((r) => Number(r.number));
}

export async function deleteBranchRow(db: DbOrTrx, id: string): Promise<void> {
  await db.deleteFrom('release_branches').where('id', '=', id).execute();
}

export async function membershipRole(db: DbOrTrx, projectId: string, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('memberships')
    .select('role')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.role;
}

export async function updateMembershipRole(db: DbOrTrx, projectId: string, userId: string, role: string) {
  await db
    .updateTable('memberships')
    .set({ role })
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .execute();
}

export async function deleteMembership(db: DbOrTrx, projectId: string, userId: string): Promise<void> {
  await db.deleteFrom('memberships').where('project_id', '=', projectId).where('user_id', '=', userId).execute();
}

/** Whether the account belongs to any project, in any role. */
export async function hasAnyMembership(db: DbOrTrx, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('memberships')
    .select('project_id')
    .where('user_id', '=', userId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the project has an admin other than `userId`. */
export async function hasOtherAdmin(db: DbOrTrx, projectId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('memberships')
    .select('user_id')
    .where('project_id', '=', projectId)
    .where('role', '=', 'admin')
    .where('user_id', '!=', userId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Takes the project row's lock (on PostgreSQL) for the rest of the transaction, so membership
 * changes of one project run one after the other and the "last admin" check cannot be raced.
 */
export async function lockProjectRow(db: DbOrTrx, projectId: string, at: string): Promise<void> {
  await db.updateTable('projects').set({ updated_at: at }).where('id', '=', projectId).execute();
}
