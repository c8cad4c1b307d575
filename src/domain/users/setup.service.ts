import { addMs, DAY_MS, HOUR_MS, iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { hashToken, newSecretToken } from '../ids.js';
import {
  deleteUnusedTokens,
  findPasswordToken,
  hasUsableInstanceAdmin,
  insertPasswordToken,
  markPasswordTokenUsed,
  type PasswordTokenRow,
} from './password-tokens.repository.js';
import { actorOfUser } from './user-actor.js';
import type { PasswordTokenPurpose, User } from './users.js';
import { findUserRowById, toUser } from './users.repository.js';
import { createUser, setPassword, validatePassword } from './users.service.js';

type SetupDeps = Pick<Deps, 'clock' | 'config'>;

const FIRST_ADMIN_TTL_MS = 24 * HOUR_MS;
const ACCOUNT_SETUP_TTL_MS = 7 * DAY_MS;

export interface SetupLink {
  url: string;
  expiresAt: string;
}

/** What a valid link lets its holder do, for rendering its page. */
export type SetupTokenInfo =
  { purpose: 'first-admin' } | { purpose: 'setup'; userId: string; email: string; name: string };

function setupUrl(publicUrl: URL, token: string): string {
  return `${publicUrl.href.replace(/\/+$/, '')}/setup/${token}`;
}

async function issue(
  trx: Trx,
  deps: SetupDeps,
  options: { purpose: PasswordTokenPurpose; userId: string | null; ttlMs: number },
): Promise<SetupLink> {
  // Only the newest link of a kind works: an older one may sit in a forgotten mailbox or terminal.
  await deleteUnusedTokens(trx, { purpose: options.purpose, ...(options.userId ? { userId: options.userId } : {}) });
  const token = newSecretToken();
  const now = deps.clock.now();
  const expiresAt = iso(addMs(now, options.ttlMs));
  await insertPasswordToken(trx, {
    tokenHash: hashToken(token),
    userId: options.userId,
    purpose: options.purpose,
    createdAt: iso(now),
    expiresAt,
  });
  return { url: setupUrl(deps.config.publicUrl, token), expiresAt };
}

/** A link to create the first instance admin (valid 24 h), or undefined once an admin can sign in. */
export async function issueFirstAdminLink(trx: Trx, deps: SetupDeps): Promise<string | undefined> {
  if (await hasUsableInstanceAdmin(trx)) return undefined;
  return (await issue(trx, deps, { purpose: 'first-admin', userId: null, ttlMs: FIRST_ADMIN_TTL_MS })).url;
}

/** A link for an invited user to choose a password (valid 7 days); earlier links of the user stop working. */
export async function issueAccountSetupLink(trx: Trx, deps: SetupDeps, userId: string): Promise<string> {
  return (await accountSetupLink(trx, deps, userId)).url;
}

/** Like issueAccountSetupLink, with the expiry the invitation email states. */
export async function accountSetupLink(trx: Trx, deps: SetupDeps, userId: string): Promise<SetupLink> {
  if (!(await findUserRowById(trx, userId))) throw new DomainError('NOT_FOUND');
  return issue(trx, deps, { purpose: 'setup', userId, ttlMs: ACCOUNT_SETUP_TTL_MS });
}

async function liveToken(db: DbOrTrx, deps: SetupDeps, token: string): Promise<PasswordTokenRow> {
  const row = await findPasswordToken(db, hashToken(token));
  if (!row || row.used_at !== null || row.expires_at <= iso(deps.clock.now())) {
    throw new DomainError('SETUP_TOKEN_INVALID');
  }
  // A first-admin link is moot once an admin exists (for example one made from the command line).
  if (row.purpose === 'first-admin' && (await hasUsableInstanceAdmin(db))) throw new DomainError('SETUP_TOKEN_INVALID');
  return row;
}

/** Checks a link without using it up, or throws SETUP_TOKEN_INVALID. */
export async function inspectSetupToken(db: DbOrTrx, deps: SetupDeps, token: string): Promise<SetupTokenInfo> {
  const row = await liveToken(db, deps, token);
  if (row.purpose === 'first-admin') return { purpose: 'first-admin' };
  const user = row.purpose === 'setup' && row.user_id ? await findUserRowById(db, row.user_id) : undefined;
  if (!user) throw new DomainError('SETUP_TOKEN_INVALID');
  return { purpose: 'setup', userId: user.id, email: user.email, name: user.name };
}

export interface ConsumeSetupInput {
  token: string;
  password: string;
  /** First admin only: the account's address and name, typed on the setup page. */
  email?: string;
  name?: string;
  origin: RequestOrigin;
}

/** Uses a link once: creates the first instance admin, or sets an invited user's password. */
export async function consumeSetupToken(trx: Trx, deps: SetupDeps, input: ConsumeSetupInput): Promise<User> {
  const info = await inspectSetupToken(trx, deps, input.token);
  validatePassword(input.password);
  if (!(await markPasswordTokenUsed(trx, hashToken(input.token), iso(deps.clock.now())))) {
    throw new DomainError('SETUP_TOKEN_INVALID');
  }
  let user: User;
  if (info.purpose === 'first-admin') {
    user = await createUser(trx, deps.clock, {
      email: input.email ?? '',
      name: input.name ?? '',
      password: input.password,
      isInstanceAdmin: true,
    });
  } else {
    await setPassword(trx, deps.clock, info.userId, input.password);
    const row = await findUserRowById(trx, info.userId);
    if (!row) throw new DomainError('SETUP_TOKEN_INVALID');
    user = toUser(row);
  }
  await recordAudit(trx, deps.clock, {
    actor: actorOfUser(user),
    origin: input.origin,
    projectId: null,
    action: info.purpose === 'first-admin' ? 'user.first_admin_created' : 'user.password_set',
    subjectType: 'user',
    subjectId: user.id,
  });
  return user;
}
