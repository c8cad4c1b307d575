import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScannedPackage } from '../../src/domain/scan/inventory.js';
import { matchPackages } from '../../src/domain/scan/matcher.js';
import { recordsFromFile } from '../../src/domain/scan/osv-files.js';
import { importOsvRecords, vulnDbStats } from '../../src/domain/scan/vulndb.service.js';
import { ManualClock } from '../support/clock.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';

const OSV = path.resolve('test/fixtures/osv');

function* folder(dir: string) {
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) yield* recordsFromFile(file, fs.readFileSync(file));
  }
}

const record = (id: string, modified: string, fixed: string, extra: Record<string, unknown> = {}) => ({
  schema_version: '1.6.0',
  id,
  modified,
  summary: `${id} summary`,
  affected: [
    {
      package: { ecosystem: 'npm', name: 'left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }],
    },
  ],
  ...extra,
});
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const pkg = (ecosystem: string, name: string, version: string): ScannedPackage => ({ ecosystem, name, version });

for (const engine of engines()) {
  describe(`vulnerability database (${engine})`, () => {
    let t: TestDatabase;
    let files: string[] = [];
    const clock = new ManualClock('2026-12-01T10:00:00.000Z');
    const importItems = (items: Iterable<ReturnType<typeof recordsFromFile> extends Generator<infer I> ? I : never>) =>
      t.db.transaction().execute((trx) => importOsvRecords(trx, { clock }, items));

    beforeAll(async () => {
      t = await createTestDatabase(engine);
    });
    afterAll(async () => t.destroy());

    it('imports folders of JSON and YAML records and counts them by ecosystem', async () => {
      const report = await importItems(folder(OSV));
      // The oracle: every record file, and its distinct ids (PyPI records also sit in the GIT folder).
      files = (fs.readdirSync(OSV, { recursive: true }) as string[]).filter((f) => /\.(json|yaml)$/.test(f));
      const ids = new Set(files.map((f) => /(?:^|\/)([A-Z][A-Za-z0-9-]+)\.(json|yaml)$/.exec(f)?.[1]));
      expect(report.rejectedCount).toBe(0);
      expect(report.read).toBe(files.length);
      expect(report.added).toBe(ids.size);
      expect(report.unchanged).toBe(files.length - ids.size);
      expect(report.updated).toBe(0);
      const stats = await vulnDbStats(t.db);
      expect(stats.total).toBe(report.added);
      expect(stats.imported).toBe(report.added);
      const go = stats.ecosystems.find((e) => e.ecosystem === 'Go');
      expect(go?.vulns).toBeGreaterThan(190);
      expect(stats.ecosystems.map((e) => e.ecosystem)).toEqual(
        expect.arrayContaining(['crates.io', 'PyPI', 'Debian:9', 'Alpine:v3.16']),
      );
      // A second import of the same data writes nothing and enqueues no re-evaluation.
      const jobsBefore = await t.db.selectFrom('jobs').select('id').where('kind', '=', 'vulndb.changed').execute();
      const again = await importItems(folder(OSV));
      expect(again).toMatchObject({ added: 0, updated: 0, unchanged: report.read });
      const jobsAfter = await t.db.selectFrom('jobs').select('id').where('kind', '=', 'vulndb.changed').execute();
      expect(jobsAfter.length).toBe(jobsBefore.length);
      expect(jobsBefore.length).toBe(1);
    });

    it('matches the known vulnerable pins of the real lockfiles, with the fix to upgrade to', async () => {
      const matches = await matchPackages(t.db, [
        pkg('crates.io', 'regex', '1.4.2'),
        pkg('crates.io', 'thread_local', '1.0.1'),
        pkg('PyPI', 'Certifi', '2021.10.8'),
        pkg('PyPI', 'urllib3', '1.26.7'),
        pkg('Go', 'golang.org/x/crypto', 'v0.0.0-20201016220609-9e8e0b390897'),
        pkg('crates.io', 'regex', '1.5.5'),
      ]);
      const found = (i: number) => matches.filter((m) => m.index === i).map((m) => [m.vulnId, m.fixedVersion]);
      expect(found(0)).toContainEqual(['RUSTSEC-2022-0013', '1.5.5']);
      expect(found(1)).toContainEqual(['RUSTSEC-2022-0006', '1.1.4']);
      expect(found(2).map(([id]) => id)).toContain('PYSEC-2022-42986');
      expect(found(3).map(([id]) => id)).toEqual(expect.arrayContaining(['PYSEC-2023-192', 'PYSEC-2023-212']));
      expect(found(4).map(([id]) => id)).toContain('GO-2021-0227');
      expect(found(5)).toEqual([]);
    });

    it('replaces a record only when its modified date moved, and a withdrawn record matches nothing', async () => {
      const first = await importItems(
        recordsFromFile('a.json', json(record('TEST-1', '2026-01-01T00:00:00Z', '1.2.0'))),
      );
      expect(first.added).toBe(1);
      expect((await matchPackages(t.db, [pkg('npm', 'left-pad', '1.1.0')])).map((m) => m.fixedVersion)).toEqual([
        '1.2.0',
      ]);
      const stale = await importItems(
        recordsFromFile('a.json', json(record('TEST-1', '2025-06-01T00:00:00Z', '9.0.0'))),
      );
      expect(stale).toMatchObject({ unchanged: 1, updated: 0 });
      const newer = await importItems(
        recordsFromFile('a.json', json(record('TEST-1', '2026-02-01T00:00:00Z', '1.3.0'))),
      );
      expect(newer.updated).toBe(1);
      expect((await matchPackages(t.db, [pkg('npm', 'left-pad', '1.2.5')])).map((m) => m.fixedVersion)).toEqual([
        '1.3.0',
      ]);
      await importItems(
        recordsFromFile(
          'a.json',
          json(record('TEST-1', '2026-03-01T00:00:00Z', '1.3.0', { withdrawn: '2026-03-01T00:00:00Z' })),
        ),
      );
      expect(await matchPackages(t.db, [pkg('npm', 'left-pad', '1.2.5')])).toEqual([]);
    });

    it('reads zips of records and refuses bad records with the reason, storing none of them', async () => {
      const zip = zipSync({
        'all/TEST-2.json': json(record('TEST-2', '2026-01-01T00:00:00Z', '2.0.0')),
        'all/bad.json': new TextEncoder().encode('{ nope'),
        'all/no-date.json': json({ id: 'TEST-3', affected: [] }),
        'all/bad-range.json': json({
          id: 'TEST-4',
          modified: '2026-01-01T00:00:00Z',
          affected: [
            { package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ broken: '1' }] }] },
          ],
        }),
        'README.md': new TextEncoder().encode('not a record'),
        // A billion laughs: nine levels of nine aliases.
        'all/laughs.yaml': new TextEncoder().encode(
          ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
            .concat(
              Array.from({ length: 8 }, (_, i) => {
                const [from, to] = [String.fromCharCode(97 + i), String.fromCharCode(98 + i)];
                return `${to}: &${to} [${Array(9).fill(`*${from}`).join(',')}]`;
              }),
            )
            .join('\n'),
        ),
      });
      const report = await importItems(recordsFromFile('npm.zip', zip));
      expect(report.added).toBe(1);
      expect(report.rejectedCount).toBe(4);
      expect(report.rejected.map((r) => [r.source, r.id])).toEqual(
        expect.arrayContaining([
          ['npm.zip!all/bad.json', null],
          ['npm.zip!all/no-date.json', 'TEST-3'],
          ['npm.zip!all/bad-range.json', 'TEST-4'],
          ['npm.zip!all/laughs.yaml', null],
        ]),
      );
      expect(report.rejected.find((r) => r.source.endsWith('laughs.yaml'))?.reason).toMatch(/YAML aliases/);
      const ids = (await t.db.selectFrom('vulns').select('id').where('id', 'in', ['TEST-3', 'TEST-4']).execute()).map(
        (r) => r.id,
      );
      expect(ids).toEqual([]);
    });

    it('looks names up as their ecosystem compares them and distro releases as the advisory names them', async () => {
      const matches = await matchPackages(t.db, [
        pkg('PyPI', 'URLLIB3', '1.26.7'),
        pkg('Debian:9', 'openssl', '1.1.0l-1~deb9u5'),
        pkg('Debian:10', 'openssl', '1.1.0l-1~deb9u5'),
        pkg('Debian', 'openssl', '1.1.0l-1~deb9u5'),
        pkg('Debian:9', 'openssl', '1.1.0l-1~deb9u6'),
        pkg('Alpine:v3.17', 'musl', '1.2.3-r5'),
        pkg('Alpine:v3.16', 'musl', '1.2.3-r5'),
      ]);
      const at = (i: number) => matches.filter((m) => m.index === i).map((m) => [m.vulnId, m.fixedVersion]);
      expect(at(0).length).toBeGreaterThan(0);
      expect(at(1)).toEqual([['DLA-3008-1', '1.1.0l-1~deb9u6']]);
      expect(at(2)).toEqual([]);
      // A package that names no release (an SBOM without the distro) is matched by every release's advisory.
      expect(at(3)).toEqual([['DLA-3008-1', '1.1.0l-1~deb9u6']]);
      expect(at(4)).toEqual([]);
      expect(at(5)).toEqual([['ALPINE-CVE-2025-26519', '1.2.3-r6']]);
      expect(at(6)).toEqual([]);
    });
  });
}
