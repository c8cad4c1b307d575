import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { queueEmail } from '../../mail/outbox.js';
import type { Actor } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { hasAnyMembership } from '../projects/projects.repository.js';
import { revokeAllApiTokensOfUser } from './api-tokens.repository.js';
import { accountSetupLink, type SetupLink } from './setup.service.js';
import type { User } from './users.js';
import { caseGrantsOfUser, distributorsOfUser, findUserRowById, toUser } from './users.repository.js';
import { createUser } from './users.service.js';

// Instance administration: invitations, disabling and the instance admin flag. Callers check the
// 'instance.manage' policy; these functions keep the invariants and write the audit trail.

type AdminDeps = Pick<Deps, 'clock' | 'config'>;

export interface ActedBy {
  actor: Actor;
  origin: RequestOrigin;
}

async function audit(trx: Trx, deps: AdminDeps, by: ActedBy, action: string, userId: string, detail?: object) {
  await recordAudit(trx, deps.clock, {
    actor: by.actor,
    origin: by.origin,
    projectId: null,
    action,
    subjectType: 'user',
    subjectId: userId,
    ...(detail ? { detail: { ...detail } } : {}),
  });
}

async function sendSetupLink(trx: Trx, deps: AdminDeps, user: User): Promise<SetupLink> {
  const link = await accountSetupLink(trx, deps, user.id);
  await queueEmail(trx, deps, {
    to: user.email,
    projectId: null,
    reportId: null,
    email: { template: 'account-setup', name: user.name, setupUrl: link.url, expiresAt: link.expiresAt },
  });
  return link;
}

/** Creates an account without a password and mails (and returns, to show once) its setup link. */
export async function inviteUser(
  trx: Trx,
  deps: AdminDeps,
  input: { by: ActedBy; email: string; name: string; isInstanceAdmin: boolean },
): Promise<{ user: User; link: SetupLink }> {
  const user = await createUser(trx, deps.clock, {
    email: input.email,
    name: input.name,
    isInstanceAdmin: input.isInstanceAdmin,
  });
  const link = await sendSetupLink(trx, deps, user);
  await audit(trx, deps, input.by, 'user.created', user.id, { isInstanceAdmin: user.isInstanceAdmin });
  return { user, link };
}

/**
 * A fresh setup link for an account still waiting for its password (the old link stops working),
 * always mailed. It is returned for the admin to hand over only while the account belongs to no
 * project (`link` is null otherwise): whoever uses the link signs in as that person, and a member
 * reads their projects' reports, which are need-to-know. Never for an account with a password.
 */
export async function resendSetupLink(
  trx: Trx,
  deps: AdminDeps,
  input: { by: ActedBy; userId: string },
): Promise<{ user: User; link: SetupLink | null }> {
  const user = await requireUserById(trx, input.userId);
  if (user.hasPassword) throw new DomainError('CONFLICT', 'This account already has a password.');
  const link = await sendSetupLink(trx, deps, user);
  // Shown only for an account that can read nothing embargoed: no project, no invited case and no
  // distributor (an instance admin holding such a setup link could otherwise sign in as them).
  const shown =
    !(await hasAnyMembership(trx, user.id)) &&
    (await caseGrantsOfUser(trx, user.id)).size === 0 &&
    (await distributorsOfUser(trx, user.id)).size === 0;
  await audit(trx, deps, input.by, 'user.setup_link_issued', user.id, { shown });
  return { user, link: shown ? link : null };
}

export async function setUserDisabled(
  trx: Trx,
  deps: AdminDeps,
  input: { by: ActedBy; userId: string; disabled: boolean },
): Promise<void> {
  const user = await requireUserById(trx, input.userId);
  if (user.disabled === input.disabled) return;
  if (input.disabled) await refuseLastInstanceAdmin(trx, user);
  await trx
    .updateTable('users')
    .set({ disabled: input.disabled ? 1 : 0, updated_at: iso(deps.clock.now()) })
    .where('id', '=', user.id)
    .execute();
  // findSession and findApiTokenActor refuse disabled users already; deleting the sessions and
  // revoking the API tokens also ends them for good, so enabling the account again revives neither.
  if (input.disabled) {
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await revokeAllApiTokensOfUser(trx, { userId: user.id, at: iso(deps.clock.now()) });
  }
  await audit(trx, deps, input.by, input.disabled ? 'user.disabled' : 'user.enabled', user.id);
}

export async function setInstanceAdmin(
  trx: Trx,
  deps: AdminDeps,
  input: { by: ActedBy; userId: string; isInstanceAdmin: boolean },
): Promise<void> {
  const user = await requireUserById(trx, input.userId);
  if (user.isInstanceAdmin === input.isInstanceAdmin) return;
  if (!input.isInstanceAdmin) await refuseLastInstanceAdmin(trx, user);
  await trx
    .updateTable('users')
    .set({ is_instance_admin: input.isInstanceAdmin ? 1 : 0, updated_at: iso(deps.clock.now()) })
    .where('id', '=', user.id)
    .execute();
  await audit(
    trx,
    deps,
    input.by,
    input.isInstanceAdmin ? 'user.instance_admin_granted' : 'user.instance_admin_revoked',
    user.id,
  );
}

async function requireUserById(trx: Trx, userId: string): Promise<User> {
  const row = await findUserRowById(trx, userId);
  if (!row) throw new DomainError('NOT_FOUND');
  return toUser(row);
}

/**
 * Throws LAST_ADMIN when `user` is the only instance admin who can sign in (enabled, with a password).
 * Touching every admin row first takes their row locks on PostgreSQL, so two admins demoting each
 * other at the same moment are serialised and the second one sees the first one's change.
 */
async function refuseLastInstanceAdmin(trx: Trx, user: User): Promise<void> {
  if (!user.isInstanceAdmin || user.disabled || !user.hasPassword) return;
  await trx
    .updateTable('users')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('is_instance_admin', '=', 1)
    .execute();
  const other = await trx
    .selectFrom('users')
    .select('id')
    .where('is_instance_admin', '=', 1)
    .where('disabled', '=', 0)
    .where('password_hash', 'is not', null)
    .where('id', '!=', user.id)
    .limit(1)
    .executeTakeFirst();
  if (!other)
    throw new DomainError('LAST_ADMIN', 'The last instance admin who can sign in cannot be removed or disabled.');
}
