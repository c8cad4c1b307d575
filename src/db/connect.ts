import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';
import { withStatementCache } from './statement-cache.js';

export type Database = Kysely<DB>;

export interface ConnectOptions {
  /** `sqlite:<path>`, a bare file path, or a postgres:// URL. */
  url: string;
  /** PostgreSQL schema to use (tests give each file its own). */
  schema?: string;
  poolSize?: number;
  /** Told about errors of idle pooled connections (e.g. the server restarted); they are not fatal. */
  onIdleError?: (err: Error) => void;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function connect(options: ConnectOptions): Database {
  if (isPostgresUrl(options.url)) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // Without a listener, a server closing an idle connection (a restart, a failover, an admin's
    // pg_terminate_backend) is an unhandled 'error' event that kills the process. The pool drops that
    // client and the next query opens a new one.
    pool.on('error', (err) => options.onIdleError?.(err));
    return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  }
  const file = options.url.replace(/^sqlite:/, '');
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  return new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}
