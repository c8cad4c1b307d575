import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely';
import { currentSchema } from './dialect.js';
import * as m0001 from './migrations/0001-init.js';
import * as m0002 from './migrations/0002-mail-intake.js';
import * as m0003 from './migrations/0003-severity.js';
import * as m0004 from './migrations/0004-fix-coordination.js';
import * as m0005 from './migrations/0005-embargo-webhooks.js';
import * as m0006 from './migrations/0006-disclosure.js';
import * as m0007 from './migrations/0007-advisory-formats.js';
import * as m0008 from './migrations/0008-dependency-scanning.js';

// Listed explicitly rather than read from disk, so the compiled build and the tests see the same set.
const migrations: Record<string, Migration> = {
  '0001-init': m0001,
  '0002-mail-intake': m0002,
  '0003-severity': m0003,
  '0004-fix-coordination': m0004,
  '0005-embargo-webhooks': m0005,
  '0006-disclosure': m0006,
  '0007-advisory-formats': m0007,
  '0008-dependency-scanning': m0008,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

async function migrator(db: Kysely<any>): Promise<Migrator> {
  // Kysely takes a lock table during migration, so several processes starting at once on
  // PostgreSQL migrate once.
  return new Migrator({
    db,
    provider,
    migrationTableName: 'embargo_migrations',
    migrationLockTableName: 'embargo_migrations_lock',
    migrationTableSchema: await currentSchema(db),
  });
}

function check(result: MigrationResultSet): MigrationResultSet {
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return result;
}

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  return check(await (await migrator(db)).migrateToLatest());
}

export async function migrateDown(db: Kysely<any>): Promise<MigrationResultSet> {
  return check(await (await migrator(db)).migrateDown());
}

export const migrationNames = Object.keys(migrations);
