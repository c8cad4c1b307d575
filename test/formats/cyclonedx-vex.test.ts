import fs from 'node:fs';
import * as prettier from 'prettier';
import { formatSchemas } from '../support/format-schemas.js';
import { describe, expect, it } from 'vitest';
import type { AdvisoryRecord } from '../../src/domain/advisories/advisory-record.js';
import { toCycloneDxVex, uuidV5 } from '../../src/formats/cyclonedx-vex.js';
import { RECORDS } from '../fixtures/advisories/records.js';

// Golden files: `UPDATE_GOLDEN=1 npx vitest run test/formats/cyclonedx-vex.test.ts` rewrites them;
// read the diff by eye before committing. They are stored as Prettier prints the JSON (the
// repository's `prettier --check` covers every JSON file); the test also checks that the golden
// text parses to exactly the exporter's document.

const GOLDEN = new URL('../fixtures/formats/cyclonedx-vex/', import.meta.url);
const SCHEMAS = new URL('../fixtures/schemas/cyclonedx/', import.meta.url);
const readJson = (name: string): object => JSON.parse(fs.readFileSync(new URL(name, SCHEMAS), 'utf8')) as object;

const validate = formatSchemas().cyclonedx;

const ALL = Object.values(RECORDS) as AdvisoryRecord[];

type Bom = {
  serialNumber: string;
  version: number;
  components: { 'bom-ref': string; name: string; purl?: string }[];
  vulnerabilities: {
    id: string;
    references?: { id: string }[];
    ratings: { method: string; score?: number; severity: string; vector?: string }[];
    rejected?: string;
    analysis: { state: string; response?: string[]; detail?: string };
    affects: { ref: string; versions?: ({ status: string } & ({ range: string } | { version: string }))[] }[];
  }[];
};
const bom = (record: AdvisoryRecord) => toCycloneDxVex(record) as Bom;
const vuln = (record: AdvisoryRecord) => {
  const v = bom(record).vulnerabilities[0];
  if (!v) throw new Error('no vulnerability');
  return v;
};

async function printed(value: unknown): Promise<string> {
  const options = (await prettier.resolveConfig(new URL('x.json', GOLDEN))) ?? {};
  return prettier.format(JSON.stringify(value), { ...options, parser: 'json' });
}

function expectValid(document: unknown, label: string) {
  const ok = validate(document);
  expect(validate.errors ?? [], label).toEqual([]);
  expect(ok).toBe(true);
}

describe('CycloneDX 1.6 VEX export', () => {
  it.each(ALL.map((r) => [r.id, r] as const))('%s matches its golden file', async (id, record) => {
    const file = new URL(`${id}.json`, GOLDEN);
    const output = await printed(toCycloneDxVex(record));
    if (process.env.UPDATE_GOLDEN === '1') {
      fs.mkdirSync(GOLDEN, { recursive: true });
      fs.writeFileSync(file, output);
    }
    const golden = fs.readFileSync(file, 'utf8');
    expect(output).toBe(golden);
    expect(JSON.parse(golden)).toEqual(toCycloneDxVex(record));
  });

  it.each(ALL.map((r) => [r.id, r] as const))('%s validates against bom-1.6.schema.json', (id, record) => {
    expectValid(toCycloneDxVex(record), id);
  });

  it('uses a validator that accepts an upstream valid BOM and rejects an invalid one and a broken export', () => {
    expectValid(readJson('examples/valid-vulnerability-1.6.json'), 'valid-vulnerability-1.6');
    expect(validate(readJson('examples/invalid-serialnumber-1.6.json'))).toBe(false);
    const broken = structuredClone(bom(RECORDS.onePackage));
    const v = broken.vulnerabilities[0];
    if (v) v.analysis.state = 'affected'; // OpenVEX's word, not CycloneDX's
    expect(validate(broken)).toBe(false);
  });

  it('is byte-identical for the same record and leaves the record alone', () => {
    for (const record of ALL) {
      const copy = structuredClone(record);
      expect(JSON.stringify(toCycloneDxVex(copy))).toBe(JSON.stringify(toCycloneDxVex(record)));
      expect(copy).toEqual(record);
    }
  });

  it('computes name-based UUIDs as RFC 4122 does', () => {
    // RFC 4122 name spaces; the value for www.example.com is the one Python's uuid.uuid5 gives.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
    expect(uuidV5(RECORDS.onePackage.links.page)).toBe('46935fa3-6334-57d3-999c-3ed25da56b6d');
  });

  it('keeps the serial number across revisions and counts them in version', () => {
    const first = { ...RECORDS.withdrawn, revisions: RECORDS.withdrawn.revisions.slice(0, 1) };
    expect(bom(first).serialNumber).toBe(bom(RECORDS.withdrawn).serialNumber);
    expect([bom(first).version, bom(RECORDS.withdrawn).version]).toEqual([1, 2]);
    expect(bom(RECORDS.onePackage).serialNumber).not.toBe(bom(RECORDS.withdrawn).serialNumber);
  });

  it('names the vulnerability by its CVE id when there is one, and refers to the other ids', () => {
    const v = vuln(RECORDS.severalBranches);
    expect(v.id).toBe('CVE-2026-20001');
    expect(v.references?.map((r) => r.id)).toEqual(['KUBE-2026-0003', 'GHSA-abcd-efgh-ijkl']);
    expect(vuln(RECORDS.branchesOnly).id).toBe('DEMO-2026-0001');
    expect(vuln(RECORDS.branchesOnly).references).toBeUndefined();
  });

  it('rates CVSS 3.1 and 4.0 by their own methods, beside the project severity', () => {
    expect(vuln(RECORDS.severalBranches).ratings.map((r) => [r.method, r.score, r.severity])).toEqual([
      ['CVSSv31', 9.9, 'critical'],
      ['CVSSv4', 9.4, 'critical'],
      ['other', undefined, 'critical'],
    ]);
    expect(vuln(RECORDS.severalEcosystems).ratings.map((r) => [r.method, r.severity])).toEqual([['other', 'medium']]);
  });

  it('states affected ranges as vers and fixed releases as unaffected, per package', () => {
    const v = vuln(RECORDS.severalEcosystems);
    expect(v.affects).toEqual([
      {
        ref: 'pkg:pypi/parse-toml',
        versions: [
          { range: 'vers:pypi/<3.2.0', status: 'affected' },
          { version: '3.2.0', status: 'unaffected' },
        ],
      },
      {
        ref: 'pkg:cargo/parse-toml',
        versions: [
          { range: 'vers:cargo/>=0.8.0|<=0.9.3', status: 'affected' },
          { version: '0.8.0', status: 'affected' },
          { version: '0.9.0', status: 'affected' },
          { version: '0.9.3', status: 'affected' },
        ],
      },
      {
        ref: 'pkg:deb/debian/python3-parse-toml?distro=debian-12',
        versions: [
          { range: 'vers:deb/<3.1.0-1+deb12u1', status: 'affected' },
          { version: '3.1.0-1+deb12u1', status: 'unaffected' },
        ],
      },
    ]);
    // The crate has no fixed release: the project's statement is "exploitable", with an update elsewhere.
    expect(v.analysis.state).toBe('exploitable');
    expect(v.analysis.response).toEqual(['update']);
    expect(bom(RECORDS.severalEcosystems).components.map((c) => c['bom-ref'])).toEqual(v.affects.map((a) => a.ref));
  });

  it('says resolved when every affected range has its fix', () => {
    const v = vuln(RECORDS.severalBranches);
    expect(v.analysis.state).toBe('resolved');
    expect(v.analysis.response).toEqual(['update', 'workaround_available']);
    expect(v.analysis.detail).toContain('Branch 1.28: not affected.');
    expect(v.analysis.detail).toContain('Exploitation in the wild was known at publication.');
  });

  it('gives a project without packages one component whose versions are its branches', () => {
    const doc = bom(RECORDS.branchesOnly);
    expect(doc.components.map((c) => [c['bom-ref'], c.name, c.purl])).toEqual([
      ['project:demo', 'Demo Server', undefined],
    ]);
    expect(vuln(RECORDS.branchesOnly).affects).toEqual([
      {
        ref: 'project:demo',
        versions: [
          { version: '3.1', status: 'affected' },
          { version: '3.2.5', status: 'unaffected' },
        ],
      },
    ]);
    expect(vuln(RECORDS.branchesOnly).analysis.state).toBe('exploitable');
  });

  it('marks a withdrawn advisory rejected and a false positive for its whole components', () => {
    const v = vuln(RECORDS.withdrawn);
    expect(v.rejected).toBe('2026-06-05T10:00:00.000Z');
    expect(v.analysis.state).toBe('false_positive');
    expect(v.analysis.detail).toContain('not a vulnerability');
    expect(v.affects).toEqual([{ ref: 'pkg:npm/widget-merge' }]);
    expect(vuln(RECORDS.onePackage).rejected).toBeUndefined();
  });

  it('quotes vers separator characters and keeps bom-refs unique', () => {
    const record: AdvisoryRecord = {
      ...RECORDS.onePackage,
      packages: [
        {
          ecosystem: 'npm',
          name: 'odd',
          purl: 'pkg:npm/odd',
          ranges: [{ branch: null, introduced: '0', fixed: '1.0.0|rc', lastAffected: null }],
          versions: [],
        },
        { ecosystem: 'npm', name: 'odd', purl: 'pkg:npm/odd', ranges: [], versions: [] },
        { ecosystem: 'Hex', name: 'plug', purl: null, ranges: [], versions: [] },
      ],
    };
    const doc = bom(record);
    expect(doc.components.map((c) => c['bom-ref'])).toEqual(['pkg:npm/odd', 'pkg:npm/odd#2', 'Hex/plug']);
    expect(vuln(record).affects[0]?.versions?.[0]).toEqual({ range: 'vers:npm/<1.0.0%7Crc', status: 'affected' });
    expectValid(doc, 'odd packages');
  });
});
