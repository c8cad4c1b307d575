import { loadConfig } from '../config.js';
import { connect, type Database } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';

/**
 * The database `embargo scan` and `embargo db` use: `--db` (a SQLite file or a postgres:// URL),
 * else EMBARGO_SCAN_DB, else the server's own database, so that a scan on the server's machine
 * sees what the server imported. A new file is created with the schema.
 */
export async function openScanDb(option: string | undefined): Promise<Database> {
  const url = option ?? process.env.EMBARGO_SCAN_DB ?? loadConfig().databaseUrl;
  const db = connect({ url });
  await migrateToLatest(db);
  return db;
}
