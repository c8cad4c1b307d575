import { addMs, iso, MINUTE_MS } from '../../clock.js';
import type { Db, DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, anonymous } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { hashToken } from '../ids.js';
import {
  clearFailuresOf,
  deleteLoginFailure,
  insertLoginFailure,
  purgeFailuresBefore,
  recentFailureTimes,
} from './login-failures.repository.js';
import { dummyHashPromise, verifyPassword } from './password.js';
import { createSession, deleteSession } from './sessions.service.js';
import { actorOfUser } from './user-actor.js';
import { normaliseEmail, type User } from './users.js';
import { findUserRowByEmail, toUser } from './users.repository.js';

type LoginDeps = Pick<Deps, 'clock' | 'config'>;

// One address may try several accounts (a shared office NAT), so it gets more room than an account.
const IP_FACTOR = 4;

export interface LoginInput {
  email: string;
  password: string;
  origin: RequestOrigin;
}

/**
 * A failed sign-in is a result, not a throw: the caller must commit the transaction so the audit
 * entry (and the removal of a throttled attempt's row) are kept, then throw `error`.
 */
export type LoginResult = { ok: true; token: string; user: User } | { ok: false; error: DomainError };

/**
 * Throttling keys on a hash of the typed address: people sometimes type their password into the
 * email field, and the table should not keep it in clear.
 */
function emailKey(email: string): string {
  return hashToken(`login:${normaliseEmail(email)}`);
}

/**
 * Seconds until the attempt may be retried, or undefined when not throttled: the failures other
 * than this attempt's own row must stay under the limit. Shared by all processes via the table.
 */
async function throttledFor(
  db: DbOrTrx,
  deps: LoginDeps,
  key: { email: string; ip: string },
  attemptId: string,
): Promise<number | undefined> {
  const max = deps.config.login.maxFailures;
  // 0 turns throttling off (EMBARGO_LOGIN_MAX_FAILURES=0), for instances behind their own limiter.
  if (max <= 0) return undefined;
  const now = deps.clock.now();
  const windowMs = deps.config.login.windowMinutes * MINUTE_MS;
  const since = iso(addMs(now, -windowMs));
  const waits: number[] = [];
  for (const [column, value, limit] of [
    ['email', key.email, max],
    ['ip', key.ip, max * IP_FACTOR],
  ] as const) {
    const times = await recentFailureTimes(db, { column, value, since, limit, exceptId: attemptId });
    // The limit-th newest failure is the one whose ageing out brings the count back under the limit.
    const oldest = times[limit - 1];
    if (oldest !== undefined) waits.push(Date.parse(oldest) + windowMs - now.getTime());
  }
  if (waits.length === 0) return undefined;
  return Math.max(1, Math.ceil(Math.max(...waits) / 1000));
}

/** The verdict of checkLogin, carried into completeLogin. */
export interface LoginCheck {
  key: { email: string; ip: string };
  origin: RequestOrigin;
  /** This attempt's row in login_failures, committed before anything was counted. */
  attemptId: string;
  verdict:
    | { kind: 'throttled'; retryAfterSeconds: number }
    | { kind: 'failed'; userId: string | null; reason: string }
    | { kind: 'ok'; user: User };
}

/**
 * Step one, outside any transaction: the throttle and the password. The attempt is first stored
 * as a failure and committed, then the failures are counted: so simultaneous attempts, in this
 * process or another, each count the ones that came before, and of any burst at most
 * maxFailures reach the password check. completeLogin removes the row unless the attempt failed.
 * scrypt takes tens of milliseconds and must not hold a transaction meanwhile (on SQLite that is
 * the only connection).
 */
export async function checkLogin(db: Db, deps: LoginDeps, input: LoginInput): Promise<LoginCheck> {
  // Inside a transaction the row would be invisible to other processes until too late.
  if (db.isTransaction) throw new Error('checkLogin must run outside a transaction');
  const email = normaliseEmail(input.email);
  const key = { email: emailKey(email), ip: input.origin.ip ?? 'unknown' };
  const attemptId = await insertLoginFailure(db, { emailKey: key.email, ip: key.ip, at: iso(deps.clock.now()) });
  const check = (verdict: LoginCheck['verdict']): LoginCheck => ({ key, origin: input.origin, attemptId, verdict });

  const retryAfterSeconds = await throttledFor(db, deps, key, attemptId);
  if (retryAfterSeconds !== undefined) return check({ kind: 'throttled', retryAfterSeconds });

  // No stored address is longer than 254 characters (validateEmail); longer input is not looked up.
  const row = email.length <= 254 ? await findUserRowByEmail(db, email) : undefined;
  // Always run scrypt, against a dummy hash when there is no usable one, so timing reveals nothing.
  const matches = await verifyPassword(input.password, row?.password_hash ?? (await dummyHashPromise));
  if (!row) return check({ kind: 'failed', userId: null, reason: 'unknown-account' });
  const reason =
    row.password_hash === null
      ? 'no-password'
      : !matches
        ? 'wrong-password'
        : row.disabled === 1
          ? 'disabled'
          : undefined;
  return check(reason ? { kind: 'failed', userId: row.id, reason } : { kind: 'ok', user: toUser(row) });
}

/**
 * Step two, in a transaction: keeps the attempt's failure row (which throttles the next attempts)
 * when the password check failed, or removes it and opens the session.
 */
export async function completeLogin(trx: Trx, deps: LoginDeps, check: LoginCheck): Promise<LoginResult> {
  const { verdict, key, origin } = check;
  if (verdict.kind !== 'ok') {
    const now = deps.clock.now();
    if (verdict.kind === 'failed') {
      await purgeFailuresBefore(trx, iso(addMs(now, -deps.config.login.windowMinutes * MINUTE_MS)));
    } else {
      // A refused attempt checked no password: counting it would keep an account under attack
      // throttled for as long as the attack lasts.
      await deleteLoginFailure(trx, check.attemptId);
    }
    await recordAudit(trx, deps.clock, {
      actor: anonymous,
      origin,
      projectId: null,
      action: 'user.login_failed',
      subjectType: 'user',
      subjectId: verdict.kind === 'failed' ? verdict.userId : null,
      detail: { reason: verdict.kind === 'failed' ? verdict.reason : 'throttled' },
    });
    // One message for every cause: the form must not tell which accounts exist or are disabled.
    const error =
      verdict.kind === 'throttled'
        ? new DomainError('LOGIN_THROTTLED', undefined, { retryAfterSeconds: verdict.retryAfterSeconds })
        : new DomainError('LOGIN_FAILED');
    return { ok: false, error };
  }

  const { user } = verdict;
  // The attempt's own row carries the account key, so it goes with the account's failures.
  await clearFailuresOf(trx, key.email);
  const token = await createSession(trx, deps.clock, { userId: user.id, days: deps.config.sessionDays, origin });
  await recordAudit(trx, deps.clock, {
    actor: actorOfUser(user),
    origin,
    projectId: null,
    action: 'user.login',
    subjectType: 'user',
    subjectId: user.id,
  });
  return { ok: true, token, user };
}

/** Both steps: the check outside any transaction, then the outcome in one. */
export async function login(db: Db, deps: LoginDeps, input: LoginInput): Promise<LoginResult> {
  const check = await checkLogin(db, deps, input);
  return db.transaction().execute((trx) => completeLogin(trx, deps, check));
}

/** Ends the session of this cookie token. */
export async function logout(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { token: string; actor: Actor; origin: RequestOrigin },
) {
  await deleteSession(trx, input.token);
  if (input.actor.kind !== 'user') return;
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: null,
    action: 'user.logout',
    subjectType: 'user',
    subjectId: input.actor.userId,
  });
}
