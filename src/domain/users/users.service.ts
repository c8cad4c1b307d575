import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import { isUniqueViolation } from '../../db/dialect.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import { DomainError } from '../../errors.js';
import { newId } from '../ids.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from './password.js';
import { normaliseEmail, type User } from './users.js';
import { findUserRowByEmail, toUser } from './users.repository.js';
import { revokeAllApiTokensOfUser } from './api-tokens.repository.js';

const EMAIL = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$|^[^\s@<>()[\],;:"]+@localhost$/;

export function validateEmail(email: string): string {
  const e = normaliseEmail(email);
  if (e.length > 254 || !EMAIL.test(e))
    throw new DomainError('VALIDATION_FAILED', 'Enter a valid email address.', { field: 'email' });
  return e;
}

export function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > 1024) {
    throw new DomainError('VALIDATION_FAILED', `A password needs at least ${MIN_PASSWORD_LENGTH} characters.`, {
      field: 'password',
    });
  }
}

export interface CreateUserInput {
  email: string;
  name: string;
  password?: string;
  isInstanceAdmin?: boolean;
}

export async function createUser(trx: Trx, clock: Clock, input: CreateUserInput): Promise<User> {
  const email = validateEmail(input.email);
  const name = input.name.trim();
  if (!name || name.length > 200) throw new DomainError('VALIDATION_FAILED', 'A name is required.', { field: 'name' });
  if (input.password !== undefined) validatePassword(input.password);
  if (await findUserRowByEmail(trx, email)) throw new DomainError('EMAIL_TAKEN');
  const now = iso(clock.now());
  const row = {
    id: newId(),
    email,
    name,
    password_hash: input.password === undefined ? null : await hashPassword(input.password),
    is_instance_admin: input.isInstanceAdmin ? 1 : 0,
    disabled: 0,
    away: 0,
    created_at: now,
    updated_at: now,
  };
  try {
    await trx.insertInto('users').values(row).execute();
  } catch (err) {
    // Someone created the same address between the check above and this insert.
    throw isUniqueViolation(err) ? new DomainError('EMAIL_TAKEN') : err;
  }
  return toUser(row);
}

export async function setPassword(trx: Trx, clock: Clock, userId: string, password: string): Promise<void> {
  validatePassword(password);
  await trx
    .updateTable('users')
    .set({ password_hash: await hashPassword(password), updated_at: iso(clock.now()) })
    .where('id', '=', userId)
    .execute();
  // A new password ends every existing session of the account, and its API tokens: whoever took
  // over a session could have made one, and it must not outlive the password change.
  await trx.deleteFrom('sessions').where('user_id', '=', userId).execute();
  await revokeAllApiTokensOfUser(trx, { userId, at: iso(clock.now()) });
}

export async function getUserByEmail(db: DbOrTrx, email: string): Promise<User | undefined> {
  const row = await findUserRowByEmail(db, normaliseEmail(email));
  return row ? toUser(row) : undefined;
}

export async function listUsers(db: DbOrTrx): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('email').execute();
  return rows.map(toUser);
}
