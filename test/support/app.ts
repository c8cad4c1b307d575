import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildDeps } from '../../src/build-deps.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { ManualClock } from './clock.js';
import { createTestDatabase, type EngineName, type TestDatabase } from './databases.js';

export interface TestContext {
  engine: EngineName;
  t: TestDatabase;
  deps: Deps;
  clock: ManualClock;
  app: FastifyInstance;
  /** Every log line written so far, to check that nothing secret was logged. */
  logs: () => string;
  close(): Promise<void>;
}

/** A real app over a fresh database of the given engine, with a movable clock and captured logs. */
export async function createTestContext(
  engine: EngineName,
  options: { env?: Record<string, string>; clock?: ManualClock } = {},
): Promise<TestContext> {
  const t = await createTestDatabase(engine);
  const clock = options.clock ?? new ManualClock();
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({
    EMBARGO_PUBLIC_URL: 'http://localhost:8080',
    EMBARGO_SECRET: 'test-secret',
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logger = createLogger({ level: config.logLevel, stream });
  const deps = await buildDeps({ config, db: t.db, clock, logger });
  const app = await buildApp(deps);
  await app.ready();
  return {
    engine,
    t,
    deps,
    clock,
    app,
    logs: () => lines.join(''),
    async close() {
      await app.close();
      if (deps.mail.kind === 'smtp') deps.mail.close();
      await t.destroy();
    },
  };
}
