// Intake throughput: POST /api/v1/projects/demo/reports at 50 connections for 10 s, beside the same
// server's cheapest route (GET /healthz) as the floor. The server is the built app with its worker
// (the default all-in-one process) on SQLite, or on PostgreSQL when EMBARGO_BENCH_POSTGRES_URL is set.
// Usage: npm run bench [-- --duration 10 --connections 50]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { buildDeps } from '../dist/build-deps.js';
import { systemClock } from '../dist/clock.js';
import { loadConfig } from '../dist/config.js';
import { connect } from '../dist/db/connect.js';
import { migrateToLatest } from '../dist/db/migrate.js';
import { seedDemoProject } from '../dist/domain/instance/demo.service.js';
import { buildApp } from '../dist/http/app.js';
import { jobHandlers } from '../dist/jobs/handlers.js';
import { createWorker } from '../dist/jobs/worker.js';
import { createLogger } from '../dist/logger.js';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);

async function database() {
  const pgUrl = process.env.EMBARGO_BENCH_POSTGRES_URL;
  if (pgUrl) {
    const schema = `bench_${process.pid}`;
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
    return {
      label: 'PostgreSQL',
      url: pgUrl,
      db: connect({ url: pgUrl, schema, poolSize: 20 }),
      async cleanup() {
        const d = new pg.Client({ connectionString: pgUrl });
        await d.connect();
        await d.query(`drop schema ${schema} cascade`);
        await d.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-bench-'));
  const url = `sqlite:${path.join(dir, 'bench.sqlite')}`;
  return {
    label: 'SQLite (WAL)',
    url,
    db: connect({ url }),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function run(url, options) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration, ...options }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function line(label, r) {
  const rps = r.requests.average;
  return `${label.padEnd(34)} ${rps.toFixed(0).padStart(8)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`;
}

const store = await database();
const config = loadConfig({
  ...process.env,
  DATABASE_URL: store.url,
  LOG_LEVEL: 'silent',
  EMBARGO_SECRET: 'bench',
  // The per-address limit would otherwise refuse all but the first few reports from one client.
  EMBARGO_INTAKE_PER_HOUR: '1000000000',
});
await migrateToLatest(store.db);
const deps = await buildDeps({ config, db: store.db, clock: systemClock, logger: createLogger({ level: 'silent' }) });
await store.db.transaction().execute((trx) => seedDemoProject(trx, systemClock));
const worker = createWorker({
  db: store.db,
  clock: systemClock,
  logger: deps.logger,
  handlers: jobHandlers(deps),
  pollMs: 1000,
  concurrency: 4,
});
deps.wakeWorker = () => worker.wake();
worker.start();
const app = await buildApp(deps);
const address = await app.listen({ host: '127.0.0.1', port: 0 });

const body = JSON.stringify({
  title: 'Heap overflow in the widget parser',
  description:
    'A crafted widget header makes `parse_widget` write past the end of its buffer.\n\n```\nwidget: AAAA...\n```',
  affectedVersions: '1.0 to 1.4.2',
  reproduction: '1. Save the attached file\n2. Run `widget parse poc.wdg`',
  impact: 'Remote code execution in any service that parses untrusted widgets.',
  reporterName: 'Bench Reporter',
  reporterEmail: 'reporter@example.org',
  credit: 'name',
});

console.log(
  `Embargo intake benchmark: ${connections} connections, ${duration} s each, ${store.label}, Node ${process.version}, ${os.cpus().length} cores`,
);
await run(`${address}/healthz`, { duration: 2 }); // warm-up
const floor = await run(`${address}/healthz`, {});
const intake = await run(`${address}/api/v1/projects/demo/reports`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
});
console.log(line('floor: GET /healthz', floor));
console.log(line('intake: POST .../reports (JSON)', intake));
console.log(`intake / floor throughput ratio: ${(intake.requests.average / floor.requests.average).toFixed(3)}`);
const stored = await store.db
  .selectFrom('reports')
  .select((eb) => eb.fn.countAll().as('n'))
  .executeTakeFirst();
console.log(`reports stored: ${Number(stored?.n ?? 0)} (2xx answers: ${intake['2xx']})`);

await app.close();
await worker.stop();
await store.db.destroy();
await store.cleanup();
