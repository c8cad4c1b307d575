import type { DbOrTrx } from '../../db/types.js';
import { newId } from '../ids.js';

/** Inserts a failure row and returns its id. */
export async function insertLoginFailure(
  db: DbOrTrx,
  row: { emailKey: string; ip: string; at: string },
): Promise<string> {
  const id = newId();
  await db.insertInto('login_failures').values({ id, email: row.emailKey, ip: row.ip, at: row.at }).execute();
  return id;
}

export async function deleteLoginFailure(db: DbOrTrx, id: string): Promise<void> {
  await db.deleteFrom('login_failures').where('id', '=', id).execute();
}

/**
 * The times of the most recent failures since `since` for one account key or one address, newest
 * first, other than the asking attempt's own row; at most `limit` of them (enough to decide and to
 * compute when the oldest one ages out).
 */
export async function recentFailureTimes(
  db: DbOrTrx,
  filter: { column: 'email' | 'ip'; value: string; since: string; limit: number; exceptId: string },
): Promise<string[]> {
  const rows = await db
    .selectFrom('login_failures')
    .select('at')
    .where(filter.column, '=', filter.value)
    .where('at', '>', filter.since)
    .where('id', '!=', filter.exceptId)
    .orderBy('at', 'desc')
    .limit(filter.limit)
    .execute();
  return rows.map((r) => r.at);
}

export async function clearFailuresOf(db: DbOrTrx, emailKey: string): Promise<void> {
  await db.deleteFrom('login_failures').where('email', '=', emailKey).execute();
}

/** Housekeeping: rows older than the window can no longer throttle anyone. */
export async function purgeFailuresBefore(db: DbOrTrx, before: string): Promise<void> {
  await db.deleteFrom('login_failures').where('at', '<=', before).execute();
}
