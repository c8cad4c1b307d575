import type { Selectable } from 'kysely';
import type { DbOrTrx } from '../../db/types.js';
import type { PasswordTokenPurpose } from './users.js';
import type { PasswordTokensTable } from './users.table.js';

export type PasswordTokenRow = Selectable<PasswordTokensTable>;

export async function insertPasswordToken(
  db: DbOrTrx,
  row: {
    tokenHash: string;
    userId: string | null;
    purpose: PasswordTokenPurpose;
    createdAt: string;
    expiresAt: string;
  },
): Promise<void> {
  await db
    .insertInto('password_tokens')
    .values({
      token_hash: row.tokenHash,
      user_id: row.userId,
      purpose: row.purpose,
      created_at: row.createdAt,
      expires_at: row.expiresAt,
      used_at: null,
    })
    .execute();
}

export async function findPasswordToken(db: DbOrTrx, tokenHash: string): Promise<PasswordTokenRow | undefined> {
  return db.selectFrom('password_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/**
 * Marks a token used only if nobody did first; true when this call won. The conditional UPDATE is
 * what makes a link single-use when two requests race, on either engine.
 */
export async function markPasswordTokenUsed(db: DbOrTrx, tokenHash: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('password_tokens')
    .set({ used_at: at })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes the unused tokens of a purpose (and of one user, when given), so only the newest link works. */
export async function deleteUnusedTokens(
  db: DbOrTrx,
  filter: { purpose: PasswordTokenPurpose; userId?: string },
): Promise<void> {
  let q = db.deleteFrom('password_tokens').where('purpose', '=', filter.purpose).where('used_at', 'is', null);
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  await q.execute();
}

/** Whether an instance admin who can sign in (has a password) exists. */
export async function hasUsableInstanceAdmin(db: DbOrTrx): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('is_instance_admin', '=', 1)
    .where('password_hash', 'is not', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
