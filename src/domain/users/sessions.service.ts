import type { Clock } from '../../clock.js';
import { addMs, DAY_MS, iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { RequestOrigin } from '../audit/audit.js';
import { hashToken, newSecretToken } from '../ids.js';
import type { SessionInfo } from './users.js';
import { caseGrantsOfUser, distributorsOfUser, findUserRowById, rolesOfUser, toUser } from './users.repository.js';

// last_seen_at is refreshed at most this often, so reads do not turn every request into a write.
const TOUCH_EVERY_MS = 5 * 60_000;

/** Opens a session and returns the cookie token; only its hash is stored. */
export async function createSession(
  trx: Trx,
  clock: Clock,
  options: { userId: string; days: number; origin: RequestOrigin },
): Promise<string> {
  const token = newSecretToken();
  const now = clock.now();
  await trx
    .insertInto('sessions')
    .values({
      id_hash: hashToken(token),
      user_id: options.userId,
      created_at: iso(now),
      last_seen_at: iso(now),
      expires_at: iso(addMs(now, options.days * DAY_MS)),
      ip: options.origin.ip,
      user_agent: options.origin.userAgent?.slice(0, 300) ?? null,
    })
    .execute();
  return token;
}

/** A session with what its actor is built from; the grants are read afresh, so a revocation ends access at once. */
export interface LiveSession extends SessionInfo {
  /** caseId -> projectId of the cases the user was invited to as a collaborator (not revoked). */
  caseGrants: Map<string, string>;
  /** distributorId -> projectId of the distributors the user is a contact of. */
  distributorOf: Map<string, string>;
}

/** The live session for a cookie token, or undefined when unknown, expired or its user is disabled. */
export async function findSession(db: DbOrTrx, clock: Clock, token: string): Promise<LiveSession | undefined> {
  const idHash = hashToken(token);
  const session = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  const now = clock.now();
  if (!session || session.expires_at <= iso(now)) return undefined;
  const row = await findUserRowById(db, session.user_id);
  if (!row || row.disabled === 1) return undefined;
  if (now.getTime() - Date.parse(session.last_seen_at) > TOUCH_EVERY_MS) {
    await db
      .updateTable('sessions')
      .set({ last_seen_at: iso(now) })
      .where('id_hash', '=', idHash)
      .execute();
  }
  return {
    user: toUser(row),
    sessionIdHash: idHash,
    roles: await rolesOfUser(db, row.id),
    caseGrants: await caseGrantsOfUser(db, row.id),
    distributorOf: await distributorsOfUser(db, row.id),
  };
}

export async function deleteSession(db: DbOrTrx, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', hashToken(token)).execute();
}
