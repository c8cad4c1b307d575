import crypto from 'node:crypto';
import { addMs, DAY_MS, iso } from '../../clock.js';
import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { hashToken } from '../ids.js';
import { instanceSecret } from '../instance/instance.service.js';

/*
 * The links of an outside subscriber's mail. The confirmation link is a random secret whose hash is
 * stored; it works for CONFIRM_TTL_MS after the request, like a mailing list's. The manage link
 * (registrations, replacing them, unsubscribing) goes in every alert, which a job sends long after
 * the subscriber last saw a page: so it is derived from the dependent's id under the instance's
 * key (an HMAC, as list unsubscribe links are) rather than kept, and only its hash is stored, for
 * the lookup. Should the key change, the next alert stores the new link's hash and carries it.
 */

export const CONFIRM_TTL_MS = 7 * DAY_MS;

const base = (deps: Pick<Deps, 'config'>) => deps.config.publicUrl.href.replace(/\/+$/, '');

/** When a pending registration's confirmation link stops working. */
export function confirmExpiresAt(createdAt: string): string {
  return iso(addMs(new Date(createdAt), CONFIRM_TTL_MS));
}

/** The request time before which a pending registration's link has expired, at `now`. */
export function confirmExpiredBefore(now: Date): string {
  return iso(addMs(now, -CONFIRM_TTL_MS));
}

export function confirmUrl(deps: Pick<Deps, 'config'>, token: string): string {
  return `${base(deps)}/dependents/confirm/${token}`;
}

/**
 * The instance's key, read as buildDeps reads it: from configuration, else from the database. Jobs
 * get Deps without the key, and every process must sign with the same one.
 */
export function linkSecret(db: DbOrTrx, deps: Pick<Deps, 'clock' | 'config'>): Promise<Buffer> {
  return instanceSecret(db, deps.clock, deps.config.secret);
}

/** The manage token of a dependent and the hash stored to find it. */
export function manageToken(secret: Buffer, dependentId: string): { token: string; hash: string } {
  const token = crypto.createHmac('sha256', secret).update(`dependents.manage:${dependentId}`).digest('base64url');
  return { token, hash: hashToken(token) };
}

export function manageUrl(deps: Pick<Deps, 'config'>, token: string): string {
  return `${base(deps)}/dependents/manage/${token}`;
}

/** Where a project's members manage its registrations. */
export function projectDependentsUrl(deps: Pick<Deps, 'config'>, projectSlug: string): string {
  return `${base(deps)}/p/${projectSlug}/settings/dependents`;
}

/** "a***@example.org": enough for the team to tell subscribers apart, not to write to them. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}
