import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import { isUniqueViolation } from '../../db/dialect.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import { DomainError } from '../../errors.js';
import type { ProjectRole } from '../../policies/actor.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import { DEFAULT_ACK_TEMPLATE } from '../reports/ack-template.js';
import { getUserByEmail, validateEmail } from '../users/users.service.js';
import { type Member, type Project, type ReleaseBranch, SLUG } from './projects.js';
import { branchRows, findProjectRow, toBranch, toProject } from './projects.repository.js';

export interface ProjectInput {
  slug: string;
  name: string;
  repositoryUrl?: string | null;
  securityContact?: string | null;
  ackTargetHours?: number;
}

/** What a project admin may change on the settings page; the slug is fixed because links carry it. */
export interface ProjectSettingsInput {
  name: string;
  repositoryUrl: string | null;
  securityContact: string | null;
  ackTargetHours: number;
  /** null (or the default text itself) means "use the default template". */
  ackTemplate: string | null;
}

const HTTP_URL = /^https?:\/\/[^\s<>"]+$/;
const MAX_TEMPLATE = 20_000;

function invalid(field: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, { field });
}

function validateSettings(input: Omit<ProjectInput, 'slug'>): void {
  if (!input.name.trim() || input.name.length > 200)
    throw invalid('name', 'A project needs a name (at most 200 characters).');
  if (input.repositoryUrl && (input.repositoryUrl.length > 500 || !HTTP_URL.test(input.repositoryUrl))) {
    throw invalid('repositoryUrl', 'The repository URL must start with http:// or https://.');
  }
  const contact = input.securityContact;
  if (contact && (contact.length > 500 || !(HTTP_URL.test(contact) || isEmail(contact)))) {
    throw invalid('securityContact', 'The security contact is an email address or an http(s) URL.');
  }
  const hours = input.ackTargetHours;
  if (hours !== undefined && (!Number.isInteger(hours) || hours < 1 || hours > 24 * 30)) {
    throw invalid('ackTargetHours', 'The acknowledgement target is 1 to 720 hours.');
  }
}

function isEmail(value: string): boolean {
  try {
    validateEmail(value);
    return true;
  } catch {
    return false;
  }
}

function validate(input: ProjectInput): void {
  if (!SLUG.test(input.slug)) {
    throw invalid('slug', 'A slug is 1 to 40 lowercase letters, digits and inner hyphens.');
  }
  validateSettings(input);
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
  try {
    await trx.insertInto('projects').values(row).execute();
  } catch (err) {
    // Someone created the same slug between the check above and this insert.
    throw isUniqueViolation(err) ? new DomainError('SLUG_TAKEN') : err;
  }
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

/**
 * A project's members by name. `activeOnly` leaves out disabled accounts: what the team is told
 * (new reports, replies) must not reach someone whose access was withdrawn.
 */
export async function listMembers(
  db: DbOrTrx,
  projectId: string,
  options: { activeOnly?: boolean } = {},
): Promise<Member[]> {
  let q = db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.name', 'users.away', 'memberships.role'])
    .where('memberships.project_id', '=', projectId);
  if (options.activeOnly) q = q.where('users.disabled', '=', 0);
  const rows = await q.orderBy('users.name').execute();
  return rows.map((r) => ({
    userId: r.id,
    email: r.email,
    name: r.name,
    role: r.role as ProjectRole,
    away: r.away === 1,
  }));
}

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

/** The stored form of a submitted template: line endings normalised, and null when it is the default. */
function normaliseTemplate(template: string | null): string | null {
  const text = template?.replace(/\r\n?/g, '\n').trim() ?? '';
  return text === '' || text === DEFAULT_ACK_TEMPLATE.trim() ? null : text;
}

/** Changes a project's settings and audits which fields changed. */
export async function updateProject(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; input: ProjectSettingsInput },
): Promise<Project> {
  const { input } = options;
  validateSettings(input);
  const ackTemplate = normaliseTemplate(input.ackTemplate);
  if (ackTemplate !== null && ackTemplate.length > MAX_TEMPLATE) {
    throw invalid('ackTemplate', `The template is at most ${MAX_TEMPLATE} characters.`);
  }
  const before = await getProjectById(trx, options.projectId);
  if (!before) throw new DomainError('PROJECT_NOT_FOUND');
  const after: Project = {
    ...before,
    name: input.name.trim(),
    repositoryUrl: input.repositoryUrl || null,
    securityContact: input.securityContact || null,
    ackTargetHours: input.ackTargetHours,
    ackTemplate,
  };
  const fields = (['name', 'repositoryUrl', 'securityContact', 'ackTargetHours', 'ackTemplate'] as const).filter(
    (f) => before[f] !== after[f],
  );
  if (fields.length === 0) return before;
  await trx
    .updateTable('projects')
    .set({
      name: after.name,
      repository_url: after.repositoryUrl,
      security_contact: after.securityContact,
      ack_target_hours: after.ackTargetHours,
      ack_template: after.ackTemplate,
      updated_at: iso(clock.now()),
    })
    .where('id', '=', before.id)
    .execute();
  await recordAudit(trx, clock, {
    ...options.by,
    projectId: before.id,
    action: 'project.updated',
    subjectType: 'project',
    subjectId: before.id,
    detail: { fields },
  });
  return after;
}

/**
 * Creates a project from the admin page: nobody becomes a member automatically, except the
 * initial project admin named by email, who must already have an account.
 */
export async function setUpProject(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; input: ProjectInput; initialAdminEmail?: string },
): Promise<Project> {
  // Everything is checked before the first write, so a refusal stores nothing.
  validate(options.input);
  let adminId: string | undefined;
  if (options.initialAdminEmail?.trim()) {
    const admin = await getUserByEmail(trx, options.initialAdminEmail);
    if (!admin) throw invalid('initialAdminEmail', 'No account has this email address; create the user first.');
    adminId = admin.id;
  }
  const project = await createProject(trx, clock, options.input);
  await recordAudit(trx, clock, {
    ...options.by,
    projectId: project.id,
    action: 'project.created',
    subjectType: 'project',
    subjectId: project.id,
    detail: { slug: project.slug },
  });
  if (adminId) {
    await addMember(trx, clock, { projectId: project.id, userId: adminId, role: 'admin' });
    await recordAudit(trx, clock, {
      ...options.by,
      projectId: project.id,
      action: 'member.added',
      subjectType: 'user',
      subjectId: adminId,
      detail: { role: 'admin' },
    });
  }
  return project;
}
