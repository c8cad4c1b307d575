import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { connect, type Database } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export type EngineName = 'sqlite' | 'postgres';

export interface TestDatabase {
  engine: EngineName;
  db: Database;
  /** The URL a second process or connection can use. */
  url: string;
  destroy(): Promise<void>;
}

/** SQLite always; PostgreSQL when EMBARGO_TEST_POSTGRES_URL is set (CI sets it and checks it). */
export function engines(): EngineName[] {
  return process.env.EMBARGO_TEST_POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A fresh, migrated database: a new SQLite file, or a new PostgreSQL database on the test server. */
export async function createTestDatabase(
  engine: EngineName,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-test-'));
    const url = `sqlite:${path.join(dir, 'test.sqlite')}`;
    const db = connect({ url });
    if (migrate) await migrateToLatest(db);
    return {
      engine,
      db,
      url,
      async destroy() {
        await db.destroy().catch(() => {});
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const base = process.env.EMBARGO_TEST_POSTGRES_URL;
  if (!base) throw new Error('EMBARGO_TEST_POSTGRES_URL is not set');
  // A database of its own, not a schema: Kysely's migrator introspects every schema of the
  // database, and another file dropping its schema at that moment makes the catalog query fail.
  const name = `embargo_t_${crypto.randomBytes(6).toString('hex')}`;
  await adminQuery(base, `create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = connect({ url: url.toString(), poolSize: 5 });
  if (migrate) await migrateToLatest(db);
  return {
    engine,
    db,
    url: url.toString(),
    async destroy() {
      // Tolerates a pool the test already closed, so the database is always dropped.
      await db.destroy().catch(() => {});
      await adminQuery(base, `drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
