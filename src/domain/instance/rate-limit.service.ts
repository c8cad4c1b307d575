import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import type { DbOrTrx } from '../../db/types.js';

export interface RateLimitRule {
  /** What is counted, e.g. `intake:<address>`. */
  bucket: string;
  /** Hits allowed per window. */
  limit: number;
  windowMs: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Seconds until the current window ends (0 when allowed). */
  retryAfterSeconds: number;
}

/**
 * Counts one hit in a fixed window and says whether it is within the limit. The count is a single
 * upsert, so several processes sharing a database count together. Inside a transaction the hit
 * rolls back with it: a refused or failed submission does not use up the sender's allowance.
 */
export async function hit(db: DbOrTrx, clock: Clock, rule: RateLimitRule): Promise<RateLimitResult> {
  const now = clock.now().getTime();
  const windowStart = Math.floor(now / rule.windowMs) * rule.windowMs;
  const row = await db
    .insertInto('rate_limit_counters')
    .values({ bucket: rule.bucket, window_start: iso(new Date(windowStart)), count: 1 })
    .onConflict((oc) =>
      oc.columns(['bucket', 'window_start']).doUpdateSet((eb) => ({ count: eb('rate_limit_counters.count', '+', 1) })),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  if (Number(row.count) <= rule.limit) return { allowed: true, retryAfterSeconds: 0 };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((windowStart + rule.windowMs - now) / 1000)) };
}

/** Drops counters whose window started before `before`; pass a time older than the longest window. */
export async function pruneRateLimits(db: DbOrTrx, before: Date): Promise<number> {
  const result = await db.deleteFrom('rate_limit_counters').where('window_start', '<', iso(before)).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * The part of a client address that identifies one sender: the whole IPv4 address, or the /64
 * prefix of an IPv6 address (one host usually holds a whole /64, so counting single addresses
 * would let it submit without limit).
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!ip.includes(':')) return ip;
  const [head = '', tail] = ip.toLowerCase().split('%')[0]?.split('::') ?? [];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
