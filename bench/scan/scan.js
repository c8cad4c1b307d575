// Dependency scanning: import speed and scan time, each beside its floor.
//
// The database holds every OSV record of the shared data (Go, crates.io, PyPI, the osv-scanner
// offline set) plus a synthetic set of 1,000,000 npm advisories. Import is timed for both, beside
// the floor of reading and parsing the same records without storing them. Each real lockfile of the
// shared data, and a synthetic 10,000-package package-lock.json, is then scanned:
//   cold: a fresh process opens the database, parses, matches and exits (time from process start,
//         and its peak memory); floor: a fresh process that only reads and parses the lockfile.
//   warm: the same process scans again with its matcher's cache warm (as a server re-evaluating
//         branches, or a scan after the first); floor: reading and parsing the lockfile in-process.
// Targets (issue 7): warm at most 1.5 x its floor; the 10,000-package lockfile against 1,000,000
// advisories under 1 s; import at least 10,000 advisories per second.
// Usage: npm run bench, or node bench/scan/scan.js [--synthetic 1000000] [--runs 15] (after npm run build)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../dist/clock.js';
import { connect } from '../../dist/db/connect.js';
import { migrateToLatest } from '../../dist/db/migrate.js';
import { parserFor } from '../../dist/domain/scan/lockfiles/index.js';
import { Matcher } from '../../dist/domain/scan/matcher.js';
import { recordsFromFile } from '../../dist/domain/scan/osv-files.js';
import { scanInputs } from '../../dist/domain/scan/scan.service.js';
import { importOsvRecords } from '../../dist/domain/scan/vulndb.service.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values } = parseArgs({
  options: { synthetic: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '15' } },
});
const SYNTHETIC = Number(values.synthetic);
const RUNS = Number(values.runs);
const SYNTH_PACKAGES = Math.max(1, Math.floor(SYNTHETIC / 2.5));

const shared = path.resolve(root, '../shared/data');
const osvRoot = fs.existsSync(path.join(shared, 'osv'))
  ? path.join(shared, 'osv')
  : path.join(root, 'test/fixtures/osv');
const lockRoot = fs.existsSync(path.join(shared, 'lockfiles/real-world'))
  ? path.join(shared, 'lockfiles/real-world')
  : path.join(root, 'test/fixtures/lockfiles/real-world');

function filesUnder(dir, keep) {
  return fs
    .readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).isFile() && keep(f))
    .sort();
}

const osvFiles = filesUnder(osvRoot, (f) => /\.(json|ya?ml)$/.test(f) && !f.includes('nodejs-security-wg'));
// JSON and YAML apart: parsing YAML costs ten times JSON's, and the floor says so.
const records = (yaml) =>
  function* () {
    for (const f of osvFiles.filter((f) => /\.ya?ml$/.test(f) === yaml)) yield* recordsFromFile(f, fs.readFileSync(f));
  };

// Synthetic advisories: SYNTH_PACKAGES npm packages, each with two or three records of SEMVER
// ranges, as JSON text parsed like a file's. Deterministic, so every run imports the same set.
function synthText(i) {
  const pkg = i % SYNTH_PACKAGES;
  const major = 1 + (i % 3);
  return JSON.stringify({
    schema_version: '1.6.0',
    id: `SYNTH-${i}`,
    modified: '2026-01-01T00:00:00Z',
    published: '2025-06-01T00:00:00Z',
    summary: `Synthetic advisory ${i}`,
    aliases: [`CVE-2099-${i}`],
    affected: [
      {
        package: { ecosystem: 'npm', name: `synth-${pkg}` },
        ranges: [{ type: 'SEMVER', events: [{ introduced: `${major - 1}.0.0` }, { fixed: `${major}.0.0` }] }],
      },
    ],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  });
}
function* synthRecords() {
  for (let i = 0; i < SYNTHETIC; i += 1) yield* recordsFromFile(`synth-${i}.json`, Buffer.from(synthText(i)));
}

function countItems(items) {
  let n = 0;
  for (const item of items) if (item.ok) n += 1;
  return n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0)).padStart(8);

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-bench-scan-'));
  const url = `sqlite:${path.join(dir, 'vulns.sqlite')}`;
  const db = connect({ url });
  await migrateToLatest(db);
  console.log(
    `Database: SQLite ${url}; ${osvFiles.length} OSV files from ${path.relative(root, osvRoot)}, ${SYNTHETIC} synthetic advisories`,
  );

  console.log('\nImport (advisories per second)                          import     floor (read + parse only)');
  const shared = { read: 0, importS: 0, floorS: 0 };
  for (const [label, gen] of [
    ['shared OSV data, JSON (Go, crates.io, offline set)', records(false)],
    ['shared OSV data, YAML (PyPA)', records(true)],
    [`synthetic ${SYNTHETIC}`, synthRecords],
  ]) {
    // One pass first, so that the floor and the import both read from a warm file cache and JIT.
    countItems(gen());
    let t = performance.now();
    const n = countItems(gen());
    const floorS = (performance.now() - t) / 1000;
    t = performance.now();
    const report = await db.transaction().execute((trx) => importOsvRecords(trx, { clock: systemClock }, gen()));
    const importS = (performance.now() - t) / 1000;
    console.log(
      `  ${label.padEnd(52)} ${String(Math.round(report.read / importS)).padStart(9)}/s ${String(Math.round(n / floorS)).padStart(9)}/s` +
        `   (${report.added} added, ${report.rejectedCount} refused, ${importS.toFixed(1)} s)`,
    );
    if (label.startsWith('shared')) {
      shared.read += report.read;
      shared.importS += importS;
      shared.floorS += floorS;
    }
    if (label.startsWith('shared OSV data, YAML')) {
      console.log(
        `  ${'shared OSV data, all of it'.padEnd(52)} ${String(Math.round(shared.read / shared.importS)).padStart(9)}/s ${String(Math.round(shared.read / shared.floorS)).padStart(9)}/s`,
      );
    }
  }

  // The synthetic 10,000-package lockfile: half of it names synthetic packages with advisories
  // (some versions affected, some fixed), half names packages with none.
  const big = {
    name: 'synthetic',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'synthetic', version: '1.0.0' } },
  };
  for (let i = 0; i < 10_000; i += 1) {
    const name = i % 2 === 0 ? `synth-${(i * 7919) % SYNTH_PACKAGES}` : `plain-package-${i}`;
    big.packages[`node_modules/${name}`] = {
      version: `${i % 4}.${i % 10}.${i % 7}`,
      resolved: `https://registry.npmjs.org/${name}/-/${name}.tgz`,
    };
  }
  const bigDir = path.join(dir, 'synthetic');
  fs.mkdirSync(bigDir);
  const bigFile = path.join(bigDir, 'package-lock.json');
  fs.writeFileSync(bigFile, JSON.stringify(big, null, 2));

  const lockfiles = [...filesUnder(lockRoot, (f) => parserFor(f) !== undefined), bigFile];
  const matcher = new Matcher(db);
  console.log(
    `\nScans (ms)                                  packages findings   cold  floor   warm  floor  warm/floor  peak MB`,
  );
  for (const file of lockfiles) {
    const parser = parserFor(file);
    const parse = () => parser.parse(fs.readFileSync(file, 'utf8'), file);
    const floors = [];
    const warms = [];
    let findings = 0;
    let packages = 0;
    await scanInputs(db, {
      inputs: [{ path: file, format: parser.format, packages: parse() }],
      now: new Date(),
      matcher,
    });
    // At least RUNS rounds and 300 ms of them, so that sub-millisecond scans are measured warm.
    const started = performance.now();
    for (let r = 0; r < RUNS || performance.now() - started < 300; r += 1) {
      let t = performance.now();
      packages = parse().length;
      floors.push(performance.now() - t);
      t = performance.now();
      const report = await scanInputs(db, {
        inputs: [{ path: file, format: parser.format, packages: parse() }],
        now: new Date(),
        matcher,
      });
      warms.push(performance.now() - t);
      findings = report.findings.length;
    }
    const child = (floor) => {
      const args = [path.join(here, 'scan-once.js'), '--db', url, '--file', file, ...(floor ? ['--floor'] : [])];
      const out = spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(out.stderr);
      return JSON.parse(out.stdout);
    };
    const colds = [];
    const coldFloors = [];
    let peak = 0;
    for (let r = 0; r < 3; r += 1) {
      const c = child(false);
      colds.push(c.ms);
      peak = Math.max(peak, c.maxRssKb);
      coldFloors.push(child(true).ms);
    }
    const warm = median(warms);
    const floor = median(floors);
    const label = path.relative(path.dirname(path.dirname(file)), file);
    console.log(
      `  ${label.slice(-42).padEnd(42)} ${String(packages).padStart(8)} ${String(findings).padStart(8)} ${fmt(median(colds))}${fmt(median(coldFloors))}${fmt(warm)}${fmt(floor)}  ${(warm / floor).toFixed(2).padStart(9)}  ${(peak / 1024).toFixed(0).padStart(7)}`,
    );
  }
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
