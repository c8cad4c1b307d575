import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAffected, type OsvAffectedInput } from '../../src/domain/scan/osv-ranges.js';
import { semverOrder, versionOrder } from '../../src/domain/scan/versions/index.js';

// Real OSV records (test/fixtures/formats/import/SOURCE.md: GitHub's advisory database and the Go
// vulnerability database) evaluated with each ecosystem's real version order: versions around
// every event, on the side the record says.

const fixtures = new URL('../fixtures/formats/import/', import.meta.url);
const record = (path: string) =>
  JSON.parse(fs.readFileSync(new URL(path, fixtures), 'utf8')) as {
    affected: (OsvAffectedInput & { package: { ecosystem: string; name: string } })[];
  };
const affectedBy = (path: string, version: string) =>
  record(path).affected.some((a) =>
    isAffected(version, a, { semver: semverOrder, ecosystem: versionOrder(a.package.ecosystem) }),
  );

describe('OSV records evaluated with real version orders', () => {
  it('Maven: GHSA-3pxv-7cmr-fjr4 (a fixed range and a last_affected one)', () => {
    const file = 'ghsa-osv/GHSA-3pxv-7cmr-fjr4.json';
    expect(affectedBy(file, '2.0-alpha1')).toBe(true);
    expect(affectedBy(file, '2.25.3')).toBe(true);
    expect(affectedBy(file, '2.25.4')).toBe(false);
    expect(affectedBy(file, '3.0.0-alpha1')).toBe(true);
    expect(affectedBy(file, '3.0.0-beta3')).toBe(true);
    expect(affectedBy(file, '3.0.0')).toBe(false);
  });

  it('every event of every record: introduced versions affected, fixed versions not', () => {
    const files = ['ghsa-osv', 'golang-vulndb-osv'].flatMap((dir) =>
      fs
        .readdirSync(new URL(`${dir}/`, fixtures))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `${dir}/${f}`),
    );
    let checked = 0;
    for (const file of files) {
      for (const a of record(file).affected) {
        const order = versionOrder(a.package.ecosystem);
        if (!order) continue;
        for (const range of a.ranges ?? []) {
          if (range.type === 'GIT') continue;
          for (const e of range.events) {
            const orders = { semver: semverOrder, ecosystem: order };
            if (e.introduced && e.introduced !== '0') {
              expect(isAffected(e.introduced, { ranges: [range] }, orders), `${file} ${e.introduced}`).toBe(true);
              checked++;
            }
            if (e.fixed) {
              expect(isAffected(e.fixed, { ranges: [range] }, orders), `${file} ${e.fixed}`).toBe(false);
              checked++;
            }
            if (e.last_affected) {
              expect(isAffected(e.last_affected, { ranges: [range] }, orders), `${file} ${e.last_affected}`).toBe(true);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('knows the order of the ecosystems with an oracle, and none for the others', () => {
    expect(versionOrder('Debian:12')?.('1.0-1', '1.0-1+deb12u1')).toBeLessThan(0);
    expect(versionOrder('PyPI')?.('1.0rc1', '1.0')).toBeLessThan(0);
    expect(versionOrder('Go')?.('v1.2.3', '1.2.10')).toBeLessThan(0);
    expect(versionOrder('Alpine:v3.20')?.('1.2.3-r5', '1.2.3-r10')).toBeLessThan(0);
    expect(versionOrder('NoSuchEcosystem')).toBeUndefined();
  });
});
