import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScanInputs } from '../../src/cli/scan-inputs.js';
import { recordsFromFile } from '../../src/domain/scan/osv-files.js';
import { isAffected } from '../../src/domain/scan/osv-ranges.js';
import { ecosystemCovers, packageKey } from '../../src/domain/scan/package-key.js';
import { scanInputs } from '../../src/domain/scan/scan.service.js';
import { semverOrder, versionOrder } from '../../src/domain/scan/versions/index.js';
import { importOsvRecords } from '../../src/domain/scan/vulndb.service.js';
import { ManualClock } from '../support/clock.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';

// The "done when": a scan of the shared real lockfiles reports what the shared OSV data
// implies for their exact versions, with fixed versions. Two oracles: a reviewed golden list
// (test/fixtures/scan/real-world-findings.txt; UPDATE_GOLDEN=1 rewrites it, then read the diff), and
// a brute-force pass over every record file read directly (no database, no index), which must name
// the same (package, version, vulnerability) triples.

const OSV = 'test/fixtures/osv';
const REAL = 'test/fixtures/lockfiles/real-world';
const GOLDEN = 'test/fixtures/scan/real-world-findings.txt';

interface RawAffected {
  package?: { ecosystem: string; name: string };
  ranges?: { type: string; events: Record<string, string>[] }[];
  versions?: string[];
}
interface RawRecord {
  id: string;
  withdrawn?: string;
  affected?: RawAffected[];
}

function rawRecords(): RawRecord[] {
  const out = new Map<string, RawRecord>();
  for (const f of fs.readdirSync(OSV, { recursive: true }) as string[]) {
    const file = path.join(OSV, f);
    if (!/\.(json|yaml)$/.test(f)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const r = (f.endsWith('.yaml') ? parseYaml(text) : JSON.parse(text)) as RawRecord;
    out.set(r.id, r);
  }
  return [...out.values()];
}

for (const engine of engines()) {
  describe(`scanning the real lockfiles (${engine})`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(engine);
      function* items() {
        for (const f of fs.readdirSync(OSV, { recursive: true }) as string[]) {
          const file = path.join(OSV, f);
          if (fs.statSync(file).isFile()) yield* recordsFromFile(file, fs.readFileSync(file));
        }
      }
      await t.db.transaction().execute((trx) => importOsvRecords(trx, { clock: new ManualClock() }, items()));
    });
    afterAll(async () => t.destroy());

    it('finds what the OSV data implies, with the fix to upgrade to', async () => {
      const { inputs, errors } = readScanInputs([REAL]);
      expect(errors).toEqual([]);
      expect(inputs.map((i) => i.format).sort()).toEqual([
        'Cargo.lock',
        'Gemfile.lock',
        'composer.lock',
        'go.mod',
        'package-lock.json',
        'pnpm-lock.yaml',
        'poetry.lock',
        ...Array(6).fill('requirements.txt'),
      ]);
      const report = await scanInputs(t.db, { inputs, now: new Date('2026-12-01T00:00:00Z') });
      const lines = [
        ...new Set(
          report.findings.map(
            (f) => `${f.path}\t${f.package.name}@${f.package.version}\t${f.vuln.id}\t${f.fixedVersion ?? 'no fix'}`,
          ),
        ),
      ].sort();
      if (process.env.UPDATE_GOLDEN) fs.writeFileSync(GOLDEN, `${lines.join('\n')}\n`);
      expect(lines).toEqual(fs.readFileSync(GOLDEN, 'utf8').trimEnd().split('\n'));

      // Brute force: every package against every record, straight from the files.
      const records = rawRecords();
      const expected = new Set<string>();
      for (const input of inputs) {
        for (const pkg of input.packages) {
          if (pkg.version === '') continue;
          const orders = { semver: semverOrder, ecosystem: versionOrder(pkg.ecosystem) };
          for (const r of records) {
            if (r.withdrawn) continue;
            for (const a of r.affected ?? []) {
              if (!a.package || !ecosystemCovers(a.package.ecosystem, pkg.ecosystem)) continue;
              if (packageKey(a.package.ecosystem, a.package.name) !== packageKey(pkg.ecosystem, pkg.name)) continue;
              if (isAffected(pkg.version, a, orders))
                expected.add(`${input.path}\t${pkg.name}@${pkg.version}\t${r.id}`);
            }
          }
        }
      }
      const got = new Set(
        report.findings.map((f) => `${f.path}\t${f.package.name}@${f.package.version}\t${f.vuln.id}`),
      );
      expect([...got].sort()).toEqual([...expected].sort());
    });
  });
}
