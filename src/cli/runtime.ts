import { buildDeps } from '../build-deps.js';
import { systemClock } from '../clock.js';
import { type Config, loadConfig } from '../config.js';
import { connect } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Deps } from '../deps.js';
import { createLogger } from '../logger.js';

/** Connects, migrates and builds Deps for a CLI command; `close` releases the database. */
export async function openRuntime(config: Config = loadConfig()): Promise<{ deps: Deps; close(): Promise<void> }> {
  const logger = createLogger({ level: config.logLevel });
  const db = connect({
    url: config.databaseUrl,
    onIdleError: (err) => logger.warn({ err: err.message }, 'an idle database connection failed; it was dropped'),
  });
  await migrateToLatest(db);
  const deps = await buildDeps({ config, db, clock: systemClock, logger });
  return {
    deps,
    async close() {
      if (deps.mail.kind === 'smtp') deps.mail.close();
      await db.destroy();
    },
  };
}

/** Output for the person at the terminal (not the log stream). */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
