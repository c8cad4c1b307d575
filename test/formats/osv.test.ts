import fs from 'node:fs';
import { formatSchemas } from '../support/format-schemas.js';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { AdvisoryRecord } from '../../src/domain/advisories/advisory-record.js';
import { type OsvRecord, osvExportZip, toOsv, toOsvJson } from '../../src/formats/osv.js';
import { RECORDS } from '../fixtures/advisories/records.js';

// Golden files: test/fixtures/formats/osv/<record id>.json. After a deliberate change, regenerate
// with `UPDATE_GOLDEN=1 npx vitest run test/formats/osv.test.ts` and read the diff by eye.

const goldenDir = new URL('../fixtures/formats/osv/', import.meta.url);
const update = process.env['UPDATE_GOLDEN'] === '1';
const records = Object.values(RECORDS);

const validate = formatSchemas().osv;

function schemaErrors(doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

// The spec's IsVulnerable (section "Evaluation"), with dotted-number ordering: enough for the
// fixture versions, and it sorts events as a consumer must.
const cmp = (a: string, b: string): number => {
  if (a === '0' || b === '0') return a === b ? 0 : a === '0' ? -1 : 1;
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
};
type Event = { introduced?: string; fixed?: string; last_affected?: string };
const eventVersion = (e: Event) => e.introduced ?? e.fixed ?? e.last_affected ?? '';

function isVulnerable(osv: OsvRecord, name: string, v: string): boolean {
  return (osv.affected ?? []).some(
    (a) =>
      a.package.name === name &&
      ((a.versions ?? []).includes(v) ||
        (a.ranges ?? []).some((r) => {
          let vulnerable = false;
          for (const e of [...(r.events as Event[])].sort((p, q) => cmp(eventVersion(p), eventVersion(q)))) {
            if (e.introduced !== undefined && cmp(v, e.introduced) >= 0) vulnerable = true;
            else if (e.fixed !== undefined && cmp(v, e.fixed) >= 0) vulnerable = false;
            else if (e.last_affected !== undefined && cmp(v, e.last_affected) > 0) vulnerable = false;
          }
          return vulnerable;
        })),
  );
}

describe('the OSV exporter', () => {
  it.each(records.map((r) => [r.id, r] as const))('matches the golden file for %s', (id, record) => {
    const url = new URL(`${id}.json`, goldenDir);
    if (update) fs.writeFileSync(url, toOsvJson(record));
    expect(toOsvJson(record)).toBe(fs.readFileSync(url, 'utf8'));
  });

  it.each(records.map((r) => [r.id, r] as const))(
    'gives a document valid against the OSV schema for %s',
    (_, record) => {
      expect(schemaErrors(toOsv(record))).toEqual([]);
      expect(schemaErrors(toOsv(record, { registeredPrefix: true }))).toEqual(
        // Only a prefix the OSV schema registers passes as it is; Embargo's slugs are not registered.
        record.id.startsWith('KUBE-') ? [] : [expect.stringMatching(/^\/id /)],
      );
    },
  );

  it('is deterministic: the same record gives the same bytes, whatever key order it was built in', () => {
    const shuffled = Object.fromEntries(Object.entries(RECORDS.severalBranches).reverse()) as AdvisoryRecord;
    expect(toOsvJson(shuffled)).toBe(toOsvJson(RECORDS.severalBranches));
  });

  it('prefixes the id with x_ unless the project prefix is registered with OSV', () => {
    expect(toOsv(RECORDS.onePackage).id).toBe('x_WIDGET-2026-0001');
    expect(toOsv(RECORDS.onePackage, { registeredPrefix: true }).id).toBe('WIDGET-2026-0001');
  });

  it('writes each branch as its own range, which OSV evaluation reads as the union of the branches', () => {
    const osv = toOsv(RECORDS.severalBranches);
    expect(osv.affected?.[0]?.ranges).toEqual([
      {
        type: 'ECOSYSTEM',
        events: [{ introduced: '1.29.0' }, { fixed: '1.29.8' }],
        database_specific: { branch: '1.29' },
      },
      {
        type: 'ECOSYSTEM',
        events: [{ introduced: '1.30.0' }, { fixed: '1.30.4' }],
        database_specific: { branch: '1.30' },
      },
    ]);
    const name = 'example.com/kubelet-tools';
    const affected = ['1.29.0', '1.29.7', '1.30.0', '1.30.3'];
    const unaffected = ['1.28.9', '1.29.8', '1.29.10', '1.30.4', '1.31.0'];
    expect(affected.filter((v) => !isVulnerable(osv, name, v))).toEqual([]);
    expect(unaffected.filter((v) => isVulnerable(osv, name, v))).toEqual([]);
  });

  it('keeps two branches that both start at "0" apart, where one merged range would lose the later one', () => {
    const record: AdvisoryRecord = {
      ...RECORDS.onePackage,
      packages: [
        {
          ecosystem: 'npm',
          name: 'widget-merge',
          purl: 'pkg:npm/widget-merge',
          ranges: [
            { branch: '1.x', introduced: '0', fixed: '1.9.3', lastAffected: null },
            { branch: '2.x', introduced: '0', fixed: null, lastAffected: '2.4.0' },
          ],
          versions: [],
        },
      ],
    };
    const osv = toOsv(record);
    expect(schemaErrors(osv)).toEqual([]);
    expect(['1.9.2', '2.0.0', '2.4.0'].filter((v) => !isVulnerable(osv, 'widget-merge', v))).toEqual([]);
    expect(isVulnerable(osv, 'widget-merge', '2.4.1')).toBe(false);
  });

  it('writes last_affected, listed versions, purls and the Debian release suffix as given', () => {
    const osv = toOsv(RECORDS.severalEcosystems);
    expect(osv.affected?.map((a) => a.package)).toEqual([
      { ecosystem: 'PyPI', name: 'parse-toml', purl: 'pkg:pypi/parse-toml' },
      { ecosystem: 'crates.io', name: 'parse-toml', purl: 'pkg:cargo/parse-toml' },
      {
        ecosystem: 'Debian:12',
        name: 'python3-parse-toml',
        purl: 'pkg:deb/debian/python3-parse-toml?distro=debian-12',
      },
    ]);
    expect(osv.affected?.[1]).toMatchObject({
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0.8.0' }, { last_affected: '0.9.3' }] }],
      versions: ['0.8.0', '0.9.0', '0.9.3'],
    });
    expect(osv).not.toHaveProperty('severity');
    expect(osv).not.toHaveProperty('aliases');
  });

  it('gives CVSS 3.1 and 4.0 vectors as CVSS_V3 and CVSS_V4 scores', () => {
    expect(toOsv(RECORDS.severalBranches).severity).toEqual([
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H' },
      { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H' },
    ]);
  });

  it('appends the non-empty sections to the details under their headings', () => {
    const details = toOsv(RECORDS.onePackage).details ?? '';
    expect(details.startsWith(RECORDS.onePackage.details)).toBe(true);
    expect(details.match(/^## .+$/gm)).toEqual([
      '## Who is affected',
      '## How to check',
      '## How to upgrade',
      '## Mitigations',
      '## How to detect exploitation',
    ]);
    expect(toOsv(RECORDS.severalEcosystems).details?.match(/^## .+$/gm)).toEqual(['## How to upgrade']);
  });

  it('marks a withdrawn advisory withdrawn and leads its details with the reason', () => {
    const osv = toOsv(RECORDS.withdrawn);
    expect(osv.withdrawn).toBe('2026-06-05T10:00:00.000Z');
    expect(osv.modified).toBe('2026-06-05T10:00:00.000Z');
    expect(osv.details?.split('\n\n')[0]).toBe(
      '**Withdrawn:** The allocation is bounded by the caller’s limit: not a vulnerability.',
    );
    expect(toOsv(RECORDS.onePackage)).not.toHaveProperty('withdrawn');
  });

  it('gives a product without packages no affected list, and its branches in database_specific', () => {
    const osv = toOsv(RECORDS.branchesOnly);
    expect(osv).not.toHaveProperty('affected');
    expect(osv.database_specific).toEqual({
      url: 'https://embargo.example/p/demo/advisories/DEMO-2026-0001',
      severity: 'CRITICAL',
      exploited: false,
      cwe_ids: ['CWE-287'],
      branches: [
        { name: '3.1', status: 'affected', fixed_version: null },
        { name: '3.2', status: 'fixed', fixed_version: '3.2.5' },
      ],
    });
    expect(osv.severity).toEqual([
      { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
    ]);
  });

  it('writes credits with their type and contacts, leaving out empty contact lists', () => {
    expect(toOsv(RECORDS.onePackage).credits).toEqual([
      { name: 'Ada Reporter', contact: ['https://ada.example'], type: 'FINDER' },
      { name: 'Ben Fixer', type: 'REMEDIATION_DEVELOPER' },
    ]);
  });
});

describe('the OSV zip export', () => {
  const decoder = new TextDecoder();

  it('holds one <OSV id>.json per record at the root, each the served document', () => {
    const files = unzipSync(osvExportZip(records));
    expect(Object.keys(files)).toEqual(records.map((r) => `x_${r.id}.json`).sort());
    for (const record of records) {
      const bytes = files[`x_${record.id}.json`];
      expect(bytes && decoder.decode(bytes)).toBe(toOsvJson(record));
    }
  });

  it('is byte-stable: same records in any order, any time zone, give the same bytes', () => {
    const first = osvExportZip(records);
    const tz = process.env['TZ'];
    try {
      for (const zone of ['Pacific/Kiritimati', 'America/Los_Angeles', 'UTC']) {
        process.env['TZ'] = zone;
        expect(Buffer.from(osvExportZip([...records].reverse())).equals(Buffer.from(first))).toBe(true);
      }
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
    // The local file header's DOS time and date: 00:00:00 on 1980-01-01.
    expect(Buffer.from(first).readUInt32LE(0)).toBe(0x04034b50);
    expect(Buffer.from(first).readUInt16LE(10)).toBe(0);
    expect(Buffer.from(first).readUInt16LE(12)).toBe((0 << 9) | (1 << 5) | 1);
  });

  it('refuses two records with the same id', () => {
    expect(() => osvExportZip([RECORDS.onePackage, RECORDS.onePackage])).toThrow(/share an OSV id/);
  });

  it('gives an empty but valid zip for a project without advisories', () => {
    expect(Object.keys(unzipSync(osvExportZip([])))).toEqual([]);
  });
});
