// The reverse index of ecosystem alerts: 10,000 registered SBOMs of 100 packages each, drawn from a
// pool of 20,000 npm package names, in a fresh database; then dependentsOf (package -> the active
// dependents holding it) for 1,000 random packages of the pool, timed one by one. The floor is the
// same indexed SELECT by package_key run directly (better-sqlite3's prepared statement, or pg's
// client), so the figures show what the service adds to the query. Target: under 50 ms a lookup.
// On SQLite by default, on PostgreSQL when EMBARGO_BENCH_POSTGRES_URL (or EMBARGO_TEST_POSTGRES_URL)
// is set. Usage: npm run build && node bench/scan/dependents.js [--sboms 10000 --packages 100
// --pool 20000 --lookups 1000]
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { sql as rawSql } from 'kysely';
import pg from 'pg';
import { connect } from '../../dist/db/connect.js';
import { migrateToLatest } from '../../dist/db/migrate.js';
import { dependentsOf } from '../../dist/domain/scan/dependents-index.service.js';
import { packageKey } from '../../dist/domain/scan/package-key.js';

const { values } = parseArgs({
  options: {
    sboms: { type: 'string', default: '10000' },
    packages: { type: 'string', default: '100' },
    pool: { type: 'string', default: '20000' },
    lookups: { type: 'string', default: '1000' },
  },
});
const SBOMS = Number(values.sboms);
const PER_SBOM = Number(values.packages);
const POOL = Number(values.pool);
const LOOKUPS = Number(values.lookups);
const ROWS_PER_INSERT = 1000;

// A seeded generator (mulberry32), so that two runs build the same data.
let seed = 7;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (n) => Math.floor(random() * n);
const names = Array.from({ length: POOL }, (_, i) => (i % 5 === 0 ? `@scope-${i % 97}/pkg-${i}` : `pkg-${i}`));

async function database() {
  const pgUrl = process.env.EMBARGO_BENCH_POSTGRES_URL || process.env.EMBARGO_TEST_POSTGRES_URL;
  if (pgUrl) {
    const schema = `bench_deps_${process.pid}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const direct = new pg.Client({ connectionString: pgUrl, options: `-c search_path=${schema}` });
    return {
      label: 'PostgreSQL',
      db: connect({ url: pgUrl, schema, poolSize: 4 }),
      async floor(sql, parameters) {
        return (await direct.query(sql, parameters)).rows;
      },
      async open() {
        await direct.connect();
      },
      async cleanup() {
        await direct.end();
        const d = new pg.Client({ connectionString: pgUrl });
        await d.connect();
        await d.query(`drop schema ${schema} cascade`);
        await d.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-bench-deps-'));
  const file = path.join(dir, 'bench.sqlite');
  let direct;
  let statement;
  return {
    label: 'SQLite (WAL)',
    db: connect({ url: `sqlite:${file}` }),
    async floor(sql, parameters) {
      statement ??= direct.prepare(sql);
      return statement.all(...parameters);
    },
    async open() {
      direct = new SQLite(file, { readonly: true });
    },
    async cleanup() {
      direct?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Registers the SBOMs (rows written directly: parsing is not what is measured), 100 per transaction; 1 in 20 pending. */
async function populate(db) {
  const at = new Date().toISOString();
  for (let start = 0; start < SBOMS; start += 100) {
    await db.transaction().execute(async (trx) => {
      const dependents = [];
      const inventories = [];
      const packages = [];
      for (let n = start; n < Math.min(SBOMS, start + 100); n++) {
        const id = crypto.randomUUID();
        const inventoryId = crypto.randomUUID();
        dependents.push({
          id,
          project_id: null,
          name: `Dependent ${n}`,
          email: `dependent-${n}@bench.example`,
          status: n % 20 === 0 ? 'pending' : 'active',
          confirm_token_hash: null,
          manage_token_hash: null,
          created_at: at,
          confirmed_at: at,
          unsubscribed_at: null,
        });
        const chosen = new Set();
        while (chosen.size < PER_SBOM) chosen.add(pick(POOL));
        inventories.push({
          id: inventoryId,
          project_id: null,
          branch_id: null,
          dependent_id: id,
          name: 'bom.cdx.json',
          format: 'cyclonedx-json',
          sha256: crypto.createHash('sha256').update(inventoryId).digest('hex'),
          package_count: PER_SBOM,
          uploaded_at: at,
          uploaded_by: 'subscriber',
        });
        let seq = 0;
        for (const i of chosen) {
          const name = names[i];
          packages.push({
            inventory_id: inventoryId,
            seq: seq++,
            package_key: packageKey('npm', name),
            ecosystem: 'npm',
            name,
            version: `${1 + pick(5)}.${pick(20)}.${pick(10)}`,
          });
        }
      }
      await trx.insertInto('dependents').values(dependents).execute();
      await trx.insertInto('inventories').values(inventories).execute();
      for (let i = 0; i < packages.length; i += ROWS_PER_INSERT) {
        await trx
          .insertInto('inventory_packages')
          .values(packages.slice(i, i + ROWS_PER_INSERT))
          .execute();
      }
    });
  }
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const line = (label, times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return `${label.padEnd(44)} median ${quantile(sorted, 0.5).toFixed(3).padStart(8)} ms   p99 ${quantile(sorted, 0.99).toFixed(3).padStart(8)} ms`;
};

const store = await database();
try {
  await migrateToLatest(store.db);
  const t0 = performance.now();
  await populate(store.db);
  // Statistics, as PostgreSQL's autovacuum gathers them soon after a bulk load: without them its
  // planner guesses a handful of dependents and scans them all instead of probing the key's index.
  await rawSql`analyze`.execute(store.db);
  const loaded = ((performance.now() - t0) / 1000).toFixed(1);
  await store.open();
  console.log(
    `Embargo reverse-index benchmark: ${SBOMS} SBOMs x ${PER_SBOM} packages from a pool of ${POOL}, ${LOOKUPS} lookups, ${store.label}, Node ${process.version} (loaded and analyzed in ${loaded} s)`,
  );

  // The very SELECT of dependents.repository.ts activeDependentPackages, for one key.
  const { sql } = store.db
    .selectFrom('inventory_packages as p')
    .innerJoin('inventories as i', 'i.id', 'p.inventory_id')
    .innerJoin('dependents as d', 'd.id', 'i.dependent_id')
    .select([
      'd.id as dependent_id',
      'd.project_id as dependent_project_id',
      'i.id as inventory_id',
      'i.uploaded_at',
      'p.package_key',
      'p.ecosystem',
      'p.name',
      'p.version',
    ])
    .where('p.package_key', 'in', ['?'])
    .where('d.status', '=', 'active')
    .compile();

  const targets = Array.from({ length: LOOKUPS }, () => names[pick(POOL)]);
  // Warm-up: the first statements of each connection plan and fill caches.
  for (const name of targets.slice(0, 50)) {
    await dependentsOf(store.db, { ecosystem: 'npm', name });
    await store.floor(sql, [packageKey('npm', name), 'active']);
  }
  const service = [];
  const floor = [];
  let found = 0;
  let floorFound = 0;
  for (const name of targets) {
    let t = performance.now();
    found += (await dependentsOf(store.db, { ecosystem: 'npm', name })).length;
    service.push(performance.now() - t);
    t = performance.now();
    floorFound += (await store.floor(sql, [packageKey('npm', name), 'active'])).length;
    floor.push(performance.now() - t);
  }
  if (found !== floorFound) throw new Error(`dependentsOf found ${found} rows, the floor ${floorFound}`);
  console.log(line('floor: the indexed SELECT, driver directly', floor));
  console.log(line('dependentsOf (kysely, same SELECT, mapping)', service));
  console.log(`dependents per package: ${(found / LOOKUPS).toFixed(1)} on average (5% of registrations pending)`);
  const p99 = [...service].sort((a, b) => a - b)[Math.floor(0.99 * service.length)];
  console.log(`target: under 50 ms a lookup: ${p99 < 50 ? 'met' : 'NOT met'} (p99 ${p99.toFixed(3)} ms)`);
} finally {
  await store.db.destroy();
  await store.cleanup();
}
