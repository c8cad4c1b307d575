import type { DbOrTrx } from '../../db/types.js';
import { newId } from '../ids.js';

export async function insertLoginFailure(
  db: DbOrTrx,
  row: { emailKey: string; ip: string; at: string },
): Promise<void> {
  await db.insertInto('login_failures').values({ id: newId(), email: row.emailKey, ip: row.ip, at: row.at }).execute();
}

/**
 * The times of the most recent failures since `since` for one account key or one address, newest
 * first; at most `limit` of them (enough to decide and to compute when the oldest one ages out).
 */
export async function recentFailureTimes(
  db: DbOrTrx,
  filter: { column: 'email' | 'ip'; value: string; since: string; limit: number },
): Promise<string[]> {
  const rows = await db
    .selectFrom('login_failures')
    .select('at')
    .where(filter.column, '=', filter.value)
    .where('at', '>', filter.since)
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
