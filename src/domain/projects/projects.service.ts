import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import { DomainError } from '../../errors.js';
import type { ProjectRole } from '../../policies/actor.js';
import { newId } from '../ids.js';
import { type Member, type Project, type ReleaseBranch, SLUG } from './projects.js';
import { branchRows, findProjectRow, toBranch, toProject } from './projects.repository.js';

export interface ProjectInput {
  slug: string;
  name: string;
  repositoryUrl?: string | null;
  securityContact?: string | null;
  ackTargetHours?: number;
}

function validate(input: ProjectInput): void {
  if (!SLUG.test(input.slug)) {
    throw new DomainError('VALIDATION_FAILED', 'A slug is 1 to 40 lowercase letters, digits and inner hyphens.', {
      field: 'slug',
    });
  }
  if (!input.name.trim() || input.name.length > 200) {
    throw new DomainError('VALIDATION_FAILED', 'A project needs a name.', { field: 'name' });
  }
  if (input.repositoryUrl && !/^https?:\/\/\S+$/.test(input.repositoryUrl)) {
    throw new DomainError('VALIDATION_FAILED', 'The repository URL must start with http:// or https://.', {
      field: 'repositoryUrl',
    });
  }
  const hours = input.ackTargetHours;
  if (hours !== undefined && (!Number.isInteger(hours) || hours < 1 || hours > 24 * 30)) {
    throw new DomainError('VALIDATION_FAILED', 'The acknowledgement target is 1 to 720 hours.', {
      field: 'ackTargetHours',
    });
  }
}

export async function createProject(trx: Trx, clock: Clock, input: ProjectInput): Promise<Project> {
  validate(input);
  if (await findProjectRow(trx, { slug: input.slug })) throw new DomainError('SLUG_TAKEN');
  const now = iso(clock.now());
  const row = {
    id: newId(),
    slug: input.slug,
    name: input.name.trim(),
    repository_url: input.repositoryUrl || null,
    security_contact: input.securityContact || null,
    ack_target_hours: input.ackTargetHours ?? 24,
    ack_template: null,
    created_at: now,
    updated_at: now,
  };
  await trx.insertInto('projects').values(row).execute();
  return toProject(row);
}

export async function getProjectBySlug(db: DbOrTrx, slug: string): Promise<Project | undefined> {
  const row = await findProjectRow(db, { slug });
  return row ? toProject(row) : undefined;
}

/** The project for a slug from a URL, or PROJECT_NOT_FOUND. */
export async function requireProject(db: DbOrTrx, slug: string): Promise<Project> {
  const project = await getProjectBySlug(db, slug);
  if (!project) throw new DomainError('PROJECT_NOT_FOUND');
  return project;
}

export async function getProjectById(db: DbOrTrx, id: string): Promise<Project | undefined> {
  const row = await findProjectRow(db, { id });
  return row ? toProject(row) : undefined;
}

export async function listProjects(db: DbOrTrx, filter: { ids?: string[] } = {}): Promise<Project[]> {
  let q = db.selectFrom('projects').selectAll();
  if (filter.ids) {
    if (filter.ids.length === 0) return [];
    q = q.where('id', 'in', filter.ids);
  }
  return (await q.orderBy('name').execute()).map(toProject);
}

export async function listBranches(db: DbOrTrx, projectId: string): Promise<ReleaseBranch[]> {
  return (await branchRows(db, projectId)).map(toBranch);
}

export async function addMember(
  trx: Trx,
  clock: Clock,
  options: { projectId: string; userId: string; role: ProjectRole },
): Promise<void> {
  const existing = await trx
    .selectFrom('memberships')
    .select('role')
    .where('project_id', '=', options.projectId)
    .where('user_id', '=', options.userId)
    .executeTakeFirst();
  if (existing) {
    await trx
      .updateTable('memberships')
      .set({ role: options.role })
      .where('project_id', '=', options.projectId)
      .where('user_id', '=', options.userId)
      .execute();
    return;
  }
  await trx
    .insertInto('memberships')
    .values({
      project_id: options.projectId,
      user_id: options.userId,
      role: options.role,
      created_at: iso(clock.now()),
    })
    .execute();
}

export async function listMembers(db: DbOrTrx, projectId: string): Promise<Member[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.name', 'users.away', 'memberships.role'])
    .where('memberships.project_id', '=', projectId)
    .orderBy('users.name')
    .execute();
  return rows.map((r) => ({
    userId: r.id,
    email: r.email,
    name: r.name,
    role: r.role as ProjectRole,
    away: r.away === 1,
  }));
}
