import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { queueEmail } from '../../mail/outbox.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import { membershipRole } from '../projects/projects.repository.js';
import { caseMoved } from '../severity/case-reminders.js';
import { insertHistory, lockCase } from './cases.repository.js';
import { accountSetupLink } from '../users/setup.service.js';
import { findUserRowByEmail, toUser } from '../users/users.repository.js';
import { createUser, validateEmail } from '../users/users.service.js';
import type { User } from '../users/users.js';
import type { Case } from './cases.js';
import { findCaseRow } from './cases.repository.js';
import {
  type CollaboratorRow,
  collaboratorRowsOfCase,
  findCollaboratorRow,
  hasLiveGrant,
  insertCollaborator,
  markCollaboratorRevoked,
  sharedCaseRows,
} from './collaborators.repository.js';
import { getProjectById } from '../projects/projects.service.js';

// External collaborators: people outside a project invited by email to one of its cases (the
// upstream maintainer of a dependency, a distribution's packager). A grant admits its holder to
// that case alone (policy.ts isCollaboratorOf); the actor is rebuilt from live grants on every
// request, so a revocation takes effect on the holder's next request. Callers check the
// 'case.collaborators.manage' policy; these functions keep the invariants and write the trail.

type CollaboratorDeps = Pick<Deps, 'clock' | 'config'>;

export interface Collaborator {
  id: string;
  userId: string;
  name: string;
  email: string;
  invitedAt: string;
  /** Set once access was withdrawn; a person invited again gets a new grant. */
  revokedAt: string | null;
}

export interface CollaboratorChange {
  actor: Actor;
  origin: RequestOrigin;
  /** The case as the caller found it in the project of the URL. */
  theCase: Pick<Case, 'id' | 'projectId'>;
}

function toCollaborator(row: CollaboratorRow): Collaborator {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    email: row.email,
    invitedAt: row.invited_at,
    revokedAt: row.revoked_at,
  };
}

const NAME_MAX = 200;

/** The case's grants, live ones first. */
export async function listCollaborators(db: DbOrTrx, caseId: string): Promise<Collaborator[]> {
  return (await collaboratorRowsOfCase(db, caseId)).map(toCollaborator);
}

/** The account for an invitation: an existing one that may be given a grant, or a new one without a password. */
async function inviteeAccount(
  trx: Trx,
  deps: CollaboratorDeps,
  input: { projectId: string; caseId: string; email: string; name: string | undefined },
): Promise<{ user: User; newAccount: boolean }> {
  const existing = await findUserRowByEmail(trx, input.email);
  if (!existing) {
    const name = input.name?.trim() || input.email.split('@')[0] || input.email;
    if (name.length > NAME_MAX) {
      throw new DomainError('VALIDATION_FAILED', `A name is at most ${NAME_MAX} characters.`, { field: 'name' });
    }
    return { user: await createUser(trx, deps.clock, { email: input.email, name }), newAccount: true };
  }
  const user = toUser(existing);
  if (user.disabled) {
    throw new DomainError('VALIDATION_FAILED', 'This account is disabled; an instance admin can enable it.', {
      field: 'email',
    });
  }
  if (await membershipRole(trx, input.projectId, user.id)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'This person is already on the security team of this project and sees its cases.',
      { field: 'email' },
    );
  }
  if (await hasLiveGrant(trx, { caseId: input.caseId, userId: user.id })) {
    throw new DomainError('CONFLICT', 'This person is already invited to this case.', { field: 'email' });
  }
  return { user, newAccount: false };
}

/**
 * Mails a setup link to an account still waiting for its password. The link is issued afresh even
 * for an older account: any earlier link (which the instance admin who created the account may have
 * seen) stops working, so only the mailbox's owner can become this collaborator.
 *
 * The mail is filed under the case's project, not as instance mail: its body (the link) is then
 * readable by the project's members, who see the case anyway, and not by instance admins, who do not.
 * It says nothing of the case: no title, no number.
 */
async function mailInvitation(trx: Trx, deps: CollaboratorDeps, user: User, projectId: string): Promise<void> {
  const link = user.hasPassword ? null : await accountSetupLink(trx, deps, user.id);
  const project = await getProjectById(trx, projectId);
  await queueEmail(trx, deps, {
    to: user.email,
    projectId,
    reportId: null,
    email: {
      template: 'case-invitation',
      name: user.name,
      projectName: project?.name ?? 'a project',
      signInUrl: `${deps.config.publicUrl.href.replace(/\/+$/, '')}/login`,
      setupUrl: link?.url ?? null,
      expiresAt: link?.expiresAt ?? null,
    },
  });
}

/**
 * Invites someone outside the project to one case by email: an existing account gets a grant (not
 * a disabled one, not a member of the project); an unknown address gets a new account without a
 * password and a setup link by mail. Re-inviting someone whose grant was revoked makes a new grant.
 */
export async function inviteCollaborator(
  trx: Trx,
  deps: CollaboratorDeps,
  input: CollaboratorChange & { email: string; name?: string },
): Promise<{ collaborator: Collaborator; newAccount: boolean }> {
  const email = validateEmail(input.email);
  // Under the case's lock, two invitations of the same person cannot both find no live grant.
  await lockCase(trx, input.theCase.id);
  const row = await findCaseRow(trx, { projectId: input.theCase.projectId, id: input.theCase.id });
  if (!row) throw new DomainError('NOT_FOUND', 'No such case.');
  const { user, newAccount } = await inviteeAccount(trx, deps, {
    projectId: row.project_id,
    caseId: row.id,
    email,
    name: input.name,
  });
  await mailInvitation(trx, deps, user, row.project_id);

  const now = deps.clock.now();
  const at = iso(now);
  const id = newId();
  await insertCollaborator(trx, {
    id,
    case_id: row.id,
    project_id: row.project_id,
    user_id: user.id,
    invited_by: input.actor.kind === 'user' ? input.actor.userId : null,
    invited_at: at,
    revoked_at: null,
    revoked_by: null,
  });
  await insertHistory(trx, {
    id: newId(),
    case_id: row.id,
    project_id: row.project_id,
    at,
    actor_user_id: input.actor.kind === 'user' ? input.actor.userId : null,
    actor_label: actorLabel(input.actor),
    change: 'collaborator.invited',
    previous: null,
    // A person as { id, name }: the history is read by every reader of the case, collaborators from
    // other organisations included, so it carries no email address.
    value: JSON.stringify({ id: user.id, name: user.name }),
    reason: null,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: row.project_id,
    action: 'case.collaborator.invited',
    subjectType: 'case',
    subjectId: row.id,
    detail: { number: row.number, collaboratorId: id, userId: user.id, newAccount },
  });
  await caseMoved(trx, deps, { caseId: row.id, projectId: row.project_id, at: now });
  const collaborator = { id, userId: user.id, name: user.name, email: user.email, invitedAt: at, revokedAt: null };
  return { collaborator, newAccount };
}

/**
 * Withdraws a grant of the case (NOT_FOUND for another case's grant). Revoking twice changes
 * nothing and is not recorded again.
 */
export async function revokeCollaborator(
  trx: Trx,
  deps: CollaboratorDeps,
  input: CollaboratorChange & { collaboratorId: string },
): Promise<Collaborator> {
  await lockCase(trx, input.theCase.id);
  const row = await findCaseRow(trx, { projectId: input.theCase.projectId, id: input.theCase.id });
  if (!row) throw new DomainError('NOT_FOUND', 'No such case.');
  const grant = await findCollaboratorRow(trx, { caseId: row.id, id: input.collaboratorId });
  if (!grant) throw new DomainError('NOT_FOUND', 'No such collaborator on this case.');
  const now = deps.clock.now();
  const at = iso(now);
  const by = input.actor.kind === 'user' ? input.actor.userId : null;
  if (!(await markCollaboratorRevoked(trx, { id: grant.id, at, by }))) return toCollaborator(grant);
  await insertHistory(trx, {
    id: newId(),
    case_id: row.id,
    project_id: row.project_id,
    at,
    actor_user_id: by,
    actor_label: actorLabel(input.actor),
    change: 'collaborator.revoked',
    previous: JSON.stringify({ id: grant.user_id, name: grant.name }),
    value: null,
    reason: null,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: row.project_id,
    action: 'case.collaborator.revoked',
    subjectType: 'case',
    subjectId: row.id,
    detail: { number: row.number, collaboratorId: grant.id, userId: grant.user_id },
  });
  await caseMoved(trx, deps, { caseId: row.id, projectId: row.project_id, at: now });
  return { ...toCollaborator(grant), revokedAt: at };
}

/**
 * The policy subject for reading a case named by number in a URL: with the case's id when the case
 * exists, so that its invited collaborators are admitted ('case.read', 'case.patch.upload'). An
 * unknown number gives the project alone, so an outsider is refused exactly as for a real case.
 */
export async function caseSubject(
  db: DbOrTrx,
  by: { projectId: string; number: number },
): Promise<{ projectId: string; caseId?: string }> {
  const row = await findCaseRow(db, by);
  return row ? { projectId: by.projectId, caseId: row.id } : { projectId: by.projectId };
}

/** A case someone was invited to, as their list of shared cases shows it. */
export interface SharedCase {
  caseId: string;
  number: number;
  projectName: string;
  projectSlug: string;
  invitedAt: string;
}

/**
 * The cases shared with an account (live grants), for its projects page. Numbers and project names
 * only: a case's title comes from an embargoed report, and this list is not an audited read.
 */
export async function casesSharedWith(db: DbOrTrx, userId: string): Promise<SharedCase[]> {
  return (await sharedCaseRows(db, userId)).map((r) => ({
    caseId: r.case_id,
    number: Number(r.number),
    projectName: r.project_name,
    projectSlug: r.project_slug,
    invitedAt: r.invited_at,
  }));
}
