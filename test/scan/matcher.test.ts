import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Database } from '../../src/db/connect.js';
import type { ScannedPackage } from '../../src/domain/scan/inventory.js';
import { Matcher, matchPackages } from '../../src/domain/scan/matcher.js';
import { recordsFromFile } from '../../src/domain/scan/osv-files.js';
import { importOsvRecords } from '../../src/domain/scan/vulndb.service.js';
import { ManualClock } from '../support/clock.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';

// The long-lived matcher (the CLI's repeated scans, the server's re-evaluations) must answer as a
// fresh lookup does: across spellings of one name, past its memory bound, and after another
// connection (another process) imports.

const pypi = (id: string, name: string, fixed: string) => ({
  schema_version: '1.6.0',
  id,
  modified: '2026-01-01T00:00:00Z',
  summary: `${id} summary`,
  affected: [
    { package: { ecosystem: 'PyPI', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] },
  ],
});
const pkg = (name: string, version: string): ScannedPackage => ({ ecosystem: 'PyPI', name, version });
const seen = (matches: { index: number; vulnId: string; fixedVersion: string | null }[]) =>
  matches.map((m) => `${m.index} ${m.vulnId} ${m.fixedVersion}`).sort();

for (const engine of engines()) {
  describe(`the caching matcher (${engine})`, () => {
    let t: TestDatabase;
    let other: Database;
    const clock = new ManualClock('2026-12-01T10:00:00.000Z');
    const load = (db: Database, records: unknown[]) =>
      db
        .transaction()
        .execute((trx) =>
          importOsvRecords(
            trx,
            { clock },
            recordsFromFile('r.json', new TextEncoder().encode(JSON.stringify(records))),
          ),
        );

    beforeAll(async () => {
      t = await createTestDatabase(engine);
      // A second handle on the same database: what another process sees and writes.
      other = connect({ url: t.url });
      await load(t.db, [pypi('PYSEC-1', 'Django_Rest', '2.0'), pypi('PYSEC-2', 'requests', '3.0')]);
    });
    afterAll(async () => {
      await other.destroy();
      await t.destroy();
    });

    it('matches every spelling of a name, the second scan from its cache as the first did', async () => {
      const matcher = new Matcher(t.db);
      const first = [pkg('django-rest', '1.0'), pkg('Django.Rest', '1.5'), pkg('requests', '2.0'), pkg('flask', '1.0')];
      expect(seen(await matcher.match(first))).toEqual(['0 PYSEC-1 2.0', '1 PYSEC-1 2.0', '2 PYSEC-2 3.0']);
      // A spelling not seen before shares the entry of its key; a fixed version matches nothing.
      const second = [pkg('flask', '1.0'), pkg('DJANGO_REST', '1.0'), pkg('django-rest', '2.0'), pkg('requests', '')];
      expect(seen(await matcher.match(second))).toEqual(['1 PYSEC-1 2.0']);
      expect(seen(await matcher.match(second))).toEqual(seen(await matchPackages(t.db, second)));
      const infos = await matcher.infos(['PYSEC-1', 'PYSEC-1', 'PYSEC-2']);
      expect(infos.get('PYSEC-1')?.summary).toBe('PYSEC-1 summary');
      expect(infos.get('PYSEC-2')?.summary).toBe('PYSEC-2 summary');
    });

    it('answers the same past its memory bound', async () => {
      const matcher = new Matcher(t.db, { maxKeys: 2 });
      const many = [pkg('a', '1'), pkg('requests', '1'), pkg('b', '1'), pkg('django-rest', '1'), pkg('c', '1')];
      for (let round = 0; round < 3; round += 1) {
        expect(seen(await matcher.match(many))).toEqual(['1 PYSEC-2 3.0', '3 PYSEC-1 2.0']);
      }
    });

    it('sees an import by another connection at its next scan', async () => {
      const matcher = new Matcher(t.db);
      const packages = [pkg('flask', '1.0'), pkg('requests', '2.0')];
      expect(seen(await matcher.match(packages))).toEqual(['1 PYSEC-2 3.0']);
      clock.advance(60_000);
      await load(other, [
        pypi('PYSEC-3', 'Flask', '1.1'),
        { ...pypi('PYSEC-2', 'requests', '2.5'), modified: '2026-02-01T00:00:00Z' },
      ]);
      expect(seen(await matcher.match(packages))).toEqual(['0 PYSEC-3 1.1', '1 PYSEC-2 2.5']);
      expect((await matcher.infos(['PYSEC-3'])).get('PYSEC-3')?.summary).toBe('PYSEC-3 summary');
    });

    it('sees an import in the same millisecond as the last, or after the clock stepped back', async () => {
      const matcher = new Matcher(t.db);
      const packages = [pkg('pillow', '1.0'), pkg('numpy', '1.0')];
      expect(seen(await matcher.match(packages))).toEqual([]);
      await load(other, [pypi('PYSEC-4', 'Pillow', '2.0')]);
      expect(seen(await matcher.match(packages))).toEqual(['0 PYSEC-4 2.0']);
      clock.advance(-3_600_000);
      await load(other, [pypi('PYSEC-5', 'numpy', '2.0')]);
      expect(seen(await matcher.match(packages))).toEqual(['0 PYSEC-4 2.0', '1 PYSEC-5 2.0']);
    });
  });
}
