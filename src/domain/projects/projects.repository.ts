import type { Selectable } from 'kysely';
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
