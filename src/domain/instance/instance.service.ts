import crypto from 'node:crypto';
import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import type { DbOrTrx } from '../../db/types.js';

/**
 * The server's HMAC key. From configuration when given; otherwise generated once and kept in the
 * database, so every process sharing a PostgreSQL database signs and checks with the same key.
 */
export async function instanceSecret(db: DbOrTrx, clock: Clock, configured: string | undefined): Promise<Buffer> {
  if (configured) return crypto.createHash('sha256').update(configured).digest();
  await db
    .insertInto('instance_settings')
    .values({ key: 'secret', value: crypto.randomBytes(32).toString('base64'), updated_at: iso(clock.now()) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('instance_settings')
    .select('value')
    .where('key', '=', 'secret')
    .executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64');
}
