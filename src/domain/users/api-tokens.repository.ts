import type { Selectable } from 'kysely';
import { toNumber } from '../../db/dialect.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { ApiTokensTable } from './users.table.js';

export type ApiTokenRow = Selectable<ApiTokensTable>;
/** A row without its hash: what listings read, so the hash never travels further than a lookup. */
export type ApiTokenListRow = Omit<ApiTokenRow, 'token_hash'>;

export async function insertApiToken(trx: Trx, row: ApiTokenRow): Promise<void> {
  await trx.insertInto('api_tokens').values(row).execute();
}

export async function findApiTokenByHash(db: DbOrTrx, tokenHash: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** A user's token by id; someone else's id finds nothing. */
export async function findOwnApiToken(
  db: DbOrTrx,
  options: { userId: string; id: string },
): Promise<ApiTokenListRow | undefined> {
  return db
    .selectFrom('api_tokens')
    .select(['id', 'user_id', 'name', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'])
    .where('id', '=', options.id)
    .where('user_id', '=', options.userId)
    .executeTakeFirst();
}

/** Newest first. */
export async function listApiTokenRows(db: DbOrTrx, userId: string): Promise<ApiTokenListRow[]> {
  return db
    .selectFrom('api_tokens')
    .select(['id', 'user_id', 'name', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
}

/** Tokens that still work at `now`: neither revoked nor expired. */
export async function countLiveApiTokens(db: DbOrTrx, options: { userId: string; now: string }): Promise<number> {
  const row = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('user_id', '=', options.userId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', options.now)]))
    .executeTakeFirstOrThrow();
  return toNumber(row.n as string | number | bigint);
}

/** Sets revoked_at unless it is set already; true when this call revoked the token. */
export async function markApiTokenRevoked(trx: Trx, options: { id: string; at: string }): Promise<boolean> {
  const result = await trx
    .updateTable('api_tokens')
    .set({ revoked_at: options.at })
    .where('id', '=', options.id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Revokes every live token of a user (when the account is disabled, so enabling it again revives none). */
export async function revokeAllApiTokensOfUser(trx: Trx, options: { userId: string; at: string }): Promise<void> {
  await trx
    .updateTable('api_tokens')
    .set({ revoked_at: options.at })
    .where('user_id', '=', options.userId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function touchApiToken(db: DbOrTrx, options: { id: string; at: string }): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: options.at }).where('id', '=', options.id).execute();
}

/**
 * Takes the user's row lock on PostgreSQL (a no-op update), so two requests creating tokens for one
 * user at once are serialised and the per-user limit holds; SQLite serialises writers anyway.
 */
export async function lockUserRow(trx: Trx, userId: string): Promise<void> {
  await trx
    .updateTable('users')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', userId)
    .execute();
}
