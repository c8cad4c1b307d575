import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/*
 * better-sqlite3 as Kysely sees it, with prepared statements kept by their SQL. Kysely prepares
 * every query afresh; preparing costs more than running an indexed lookup (the matcher's
 * generation probe: 14 us prepared each time, 6 us reused), and a bulk import sends the same
 * 400-row INSERT thousands of times. SQLite re-prepares a kept statement by itself when the schema
 * changes, so a kept one never runs against a stale plan. A statement cannot run twice at once,
 * and never is: Kysely runs one query at a time on SQLite's one connection, a stream included.
 */

/** Statements kept, least recently used dropped first. */
const KEPT = 256;

export function withStatementCache(db: SQLite.Database, kept = KEPT): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      const found = statements.get(sql);
      if (found) {
        // Moved to the end: the Map's order is the recency order.
        statements.delete(sql);
        statements.set(sql, found);
        return found as unknown as SqliteStatement;
      }
      const stmt = db.prepare(sql);
      statements.set(sql, stmt);
      if (statements.size > kept) statements.delete(statements.keys().next().value as string);
      return stmt as unknown as SqliteStatement;
    },
  };
}
