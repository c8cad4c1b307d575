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
  /** The URL (with schema for PostgreSQL) a second process or connection can use. */
  url: string;
  schema: string | undefined;
  destroy(): Promise<void>;
}

/** SQLite always; PostgreSQL when EMBARGO_TEST_POSTGRES_URL is set (CI sets it and checks it). */
export function engines(): EngineName[] {
  return process.env.EMBARGO_TEST_POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A fresh, migrated database: a new SQLite file, or a new PostgreSQL schema. */
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
      schema: undefined,
      async destroy() {
        await db.destroy().catch(() => {});
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const base = process.env.EMBARGO_TEST_POSTGRES_URL;
  if (!base) throw new Error('EMBARGO_TEST_POSTGRES_URL is not set');
  const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const db = connect({ url: base, schema, poolSize: 5 });
  if (migrate) await migrateToLatest(db);
  return {
    engine,
    db,
    url: base,
    schema,
    async destroy() {
      // Tolerates a pool the test already closed, so the schema is always dropped.
      await db.destroy().catch(() => {});
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}
