import type { Clock } from '../../clock.js';
import { addMs, DAY_MS, iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { hashToken, newId, newSecretToken } from '../ids.js';
import {
  type ApiTokenListRow,
  countLiveApiTokens,
  findApiTokenByHash,
  findOwnApiToken,
  insertApiToken,
  listApiTokenRows,
  lockUserRow,
  markApiTokenRevoked,
  touchApiToken,
} from './api-tokens.repository.js';
import { caseGrantsOfUser, distributorsOfUser, findUserRowById, rolesOfUser } from './users.repository.js';

// Personal API tokens: a team member's credential for the JSON API, which never reads the session
// cookie. Only the SHA-256 of a token is stored; the token itself is shown once, at creation.
// Callers check the 'account.tokens.manage' policy; a user only ever reaches their own tokens.

/** Every token starts with this, so secret scanners and people can tell what leaked. */
export const API_TOKEN_PREFIX = 'emb_';
/** The lifetimes offered; null is "never expires". */
export const API_TOKEN_LIFETIMES_DAYS = [30, 90, 365] as const;
/** Live (unrevoked, unexpired) tokens per user: enough for every script, few enough to review. */
export const MAX_LIVE_API_TOKENS = 20;
export const API_TOKEN_NAME_MAX = 100;
// last_used_at is refreshed at most this often, so API reads do not turn every request into a write.
const TOUCH_EVERY_MS = 5 * 60_000;

type UserActor = Extract<Actor, { kind: 'user' }>;
type TokenDeps = Pick<Deps, 'clock'>;

/** A token as its owner sees it: never its hash. */
export interface ApiToken {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export type ApiTokenState = 'active' | 'expired' | 'revoked';

export function apiTokenState(token: ApiToken, now: Date): ApiTokenState {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= iso(now)) return 'expired';
  return 'active';
}

function toApiToken(row: ApiTokenListRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export function validateTokenName(value: string): string {
  const name = value.trim();
  // Refusing control characters is the point: the name is shown in lists and the audit log.
  if (name.length < 1 || name.length > API_TOKEN_NAME_MAX || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new DomainError('VALIDATION_FAILED', `A token name is 1 to ${API_TOKEN_NAME_MAX} characters on one line.`, {
      field: 'name',
    });
  }
  return name;
}

function validateLifetime(days: number | null): number | null {
  if (days === null || (API_TOKEN_LIFETIMES_DAYS as readonly number[]).includes(days)) return days;
  throw new DomainError('VALIDATION_FAILED', 'A token expires after 30, 90 or 365 days, or never.', {
    field: 'expiresInDays',
  });
}

/** Creates a token for the actor and returns it: the only time the plaintext exists outside its owner's hands. */
export async function createApiToken(
  trx: Trx,
  deps: TokenDeps,
  input: { actor: UserActor; origin: RequestOrigin; name: string; expiresInDays: number | null },
): Promise<{ id: string; token: string; expiresAt: string | null }> {
  const name = validateTokenName(input.name);
  const days = validateLifetime(input.expiresInDays);
  const userId = input.actor.userId;
  const now = deps.clock.now();
  await lockUserRow(trx, userId);
  if ((await countLiveApiTokens(trx, { userId, now: iso(now) })) >= MAX_LIVE_API_TOKENS) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `At most ${MAX_LIVE_API_TOKENS} tokens can be active at once; revoke one you no longer use.`,
    );
  }
  const id = newId();
  const token = API_TOKEN_PREFIX + newSecretToken();
  const expiresAt = days === null ? null : iso(addMs(now, days * DAY_MS));
  await insertApiToken(trx, {
    id,
    user_id: userId,
    name,
    token_hash: hashToken(token),
    created_at: iso(now),
    expires_at: expiresAt,
    last_used_at: null,
    revoked_at: null,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: null,
    action: 'api-token.created',
    subjectType: 'api-token',
    subjectId: id,
    detail: { name, expiresAt },
  });
  return { id, token, expiresAt };
}

/** The user's tokens, newest first, revoked and expired ones included. */
export async function listApiTokens(db: DbOrTrx, userId: string): Promise<ApiToken[]> {
  return (await listApiTokenRows(db, userId)).map(toApiToken);
}

/** Revokes one of the actor's own tokens; another user's token id is NOT_FOUND. Revoking twice changes nothing. */
export async function revokeApiToken(
  trx: Trx,
  deps: TokenDeps,
  input: { actor: UserActor; origin: RequestOrigin; tokenId: string },
): Promise<void> {
  const row = await findOwnApiToken(trx, { userId: input.actor.userId, id: input.tokenId });
  if (!row) throw new DomainError('NOT_FOUND');
  if (!(await markApiTokenRevoked(trx, { id: row.id, at: iso(deps.clock.now()) }))) return;
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: null,
    action: 'api-token.revoked',
    subjectType: 'api-token',
    subjectId: row.id,
    detail: { name: row.name },
  });
}

/**
 * The actor a bearer token acts as (built like the session actor), or undefined when the token is
 * unknown, expired or revoked, or its user is disabled.
 */
export async function findApiTokenActor(db: DbOrTrx, clock: Clock, token: string): Promise<UserActor | undefined> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return undefined;
  const row = await findApiTokenByHash(db, hashToken(token));
  const now = clock.now();
  if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= iso(now))) return undefined;
  const user = await findUserRowById(db, row.user_id);
  if (!user || user.disabled === 1) return undefined;
  if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) > TOUCH_EVERY_MS) {
    await touchApiToken(db, { id: row.id, at: iso(now) });
  }
  return {
    kind: 'user',
    userId: user.id,
    email: user.email,
    name: user.name,
    isInstanceAdmin: user.is_instance_admin === 1,
    roles: await rolesOfUser(db, user.id),
    caseGrants: await caseGrantsOfUser(db, user.id),
    distributorOf: await distributorsOfUser(db, user.id),
  };
}
