import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import { isUniqueViolation } from '../../db/dialect.js';
import type { Trx } from '../../db/types.js';
import { DomainError } from '../../errors.js';
import type { ProjectRole } from '../../policies/actor.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { getUserByEmail } from '../users/users.service.js';
import {
  deleteMembership,
  hasOtherAdmin,
  lockProjectRow,
  membershipRole,
  updateMembershipRole,
} from './projects.repository.js';
import { addMember } from './projects.service.js';

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

const ROLES: readonly string[] = ['admin', 'security'] satisfies ProjectRole[];

export function validateRole(value: string): ProjectRole {
  if (!ROLES.includes(value)) {
    throw new DomainError('VALIDATION_FAILED', 'A role is admin or security.', { field: 'role' });
  }
  return value as ProjectRole;
}

function audit(
  trx: Trx,
  clock: Clock,
  by: ActedBy,
  o: { projectId: string; userId: string },
  action: string,
  detail: object,
) {
  return recordAudit(trx, clock, {
    ...by,
    projectId: o.projectId,
    action,
    subjectType: 'user',
    subjectId: o.userId,
    detail: { ...detail },
  });
}

/** Adds an existing account to the project; a current member is a CONFLICT (change the role instead). */
export async function addMemberByEmail(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; email: string; role: string },
): Promise<void> {
  const role = validateRole(options.role);
  const user = options.email.trim() ? await getUserByEmail(trx, options.email) : undefined;
  if (!user) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'No account has this email address; an instance admin creates accounts.',
      {
        field: 'email',
      },
    );
  }
  // An account still waiting for its password may be in the hands of whoever saw its setup link
  // (the instance admin who created it), so it joins a project only once its owner has signed in.
  if (!user.hasPassword) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'This account has not set its password yet; add it once its owner has used their setup link.',
      { field: 'email' },
    );
  }
  const already = () =>
    new DomainError('CONFLICT', 'This person is already a member; change their role instead.', { field: 'email' });
  if (await membershipRole(trx, options.projectId, user.id)) throw already();
  try {
    await addMember(trx, clock, { projectId: options.projectId, userId: user.id, role });
  } catch (err) {
    // Added by someone else between the check above and this insert. Not an idempotent success:
    // on PostgreSQL the failed insert has aborted this transaction, and the roles may differ.
    throw isUniqueViolation(err) ? already() : err;
  }
  await audit(trx, clock, options.by, { projectId: options.projectId, userId: user.id }, 'member.added', { role });
}

/** Changes a member's role; demoting the project's last admin is LAST_ADMIN. */
export async function setMemberRole(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; userId: string; role: string },
): Promise<void> {
  const role = validateRole(options.role);
  await lockProjectRow(trx, options.projectId, iso(clock.now()));
  const current = await membershipRole(trx, options.projectId, options.userId);
  if (!current) throw new DomainError('NOT_FOUND');
  if (current === role) return;
  if (current === 'admin') await refuseLastAdmin(trx, options.projectId, options.userId);
  await updateMembershipRole(trx, options.projectId, options.userId, role);
  await audit(trx, clock, options.by, options, 'member.role_changed', { from: current, to: role });
}

/** Removes a member; removing the project's last admin is LAST_ADMIN. */
export async function removeMember(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; userId: string },
): Promise<void> {
  await lockProjectRow(trx, options.projectId, iso(clock.now()));
  const current = await membershipRole(trx, options.projectId, options.userId);
  if (!current) throw new DomainError('NOT_FOUND');
  if (current === 'admin') await refuseLastAdmin(trx, options.projectId, options.userId);
  await deleteMembership(trx, options.projectId, options.userId);
  await audit(trx, clock, options.by, options, 'member.removed', { role: current });
}

async function refuseLastAdmin(trx: Trx, projectId: string, userId: string): Promise<void> {
  if (!(await hasOtherAdmin(trx, projectId, userId))) {
    throw new DomainError('LAST_ADMIN', 'A project needs at least one admin: make someone else admin first.');
  }
}
