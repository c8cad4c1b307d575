import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * The only place that knows which engine runs. Differences are capabilities, not name checks
 * scattered through the code.
 */
export type Engine = 'sqlite' | 'postgres';

export function engineOf(db: Kysely<any>): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Reads a counter from a driver result: pg returns bigint counts as strings. */
export function toNumber(value: string | number | bigint | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

/** Binary columns come back as Buffer from both drivers; normalise anything array-like. */
export function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new Error('expected a binary column value');
}

/**
 * The schema unqualified names resolve to, on engines that have schemas. Tools that look tables up
 * by name (Kysely's migrator) must be told it, or they see same-named tables in other schemas.
 */
export async function currentSchema(db: Kysely<any>): Promise<string | undefined> {
  if (engineOf(db) !== 'postgres') return undefined;
  const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return result.rows[0]?.schema;
}

// What each driver reports for a duplicate key: pg's SQLSTATE, better-sqlite3's extended result code.
const UNIQUE_VIOLATION_CODES: ReadonlySet<unknown> = new Set([
  '23505',
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
]);

/**
 * Whether a database error is a unique (or primary key) violation: the losing side of two
 * simultaneous check-then-insert writes. On PostgreSQL it also aborts the transaction, so it can
 * only be translated and rethrown, never recovered from in the same transaction.
 */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && UNIQUE_VIOLATION_CODES.has((err as { code?: unknown }).code);
}
