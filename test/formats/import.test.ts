import fs from 'node:fs';
import { formatSchemas } from '../support/format-schemas.js';
import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/errors.js';
import { readCve5 } from '../../src/formats/cve5-read.js';
import type { ImportedAdvisory } from '../../src/formats/imported-advisory.js';
import { toOsv } from '../../src/formats/osv.js';
import { readOsv } from '../../src/formats/osv-read.js';
import { osvMeaning } from './support/osv-meaning.js';
import { recordFromImport } from './support/record-from-import.js';

// Real upstream records (test/fixtures/formats/import/SOURCE.md) are imported; the OSV ones are
// published again as our own advisory and compared for meaning with the original. Each import is
// also kept as a golden file (import/expected/), regenerated with UPDATE_GOLDEN=1.

const fixtures = new URL('../fixtures/formats/import/', import.meta.url);
const update = process.env['UPDATE_GOLDEN'] === '1';
const load = (path: string): unknown => JSON.parse(fs.readFileSync(new URL(path, fixtures), 'utf8'));
const names = (dir: string) =>
  fs
    .readdirSync(new URL(`${dir}/`, fixtures))
    .filter((f) => f.endsWith('.json'))
    .sort();
const osvFiles = [
  ...names('ghsa-osv').map((f) => `ghsa-osv/${f}`),
  ...names('golang-vulndb-osv').map((f) => `golang-vulndb-osv/${f}`),
];
const cveFiles = names('cve5').map((f) => `cve5/${f}`);

const validate = formatSchemas().osv;

// A rejected record and a reject body carry no date or id of their own: the caller gives them.
const cveOptions = { cveId: 'CVE-2000-0001', receivedAt: '2026-08-01T09:00:00Z' };

function refusal(fn: () => unknown): { code: string; field: unknown; message: string } {
  try {
    fn();
  } catch (err) {
    if (isDomainError(err)) return { code: err.code, field: err.details?.['field'], message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('importing OSV records', () => {
  it.each(osvFiles)('%s is valid OSV to begin with, and its import matches the golden file', (file) => {
    const original = load(file);
    expect(validate(original)).toBe(true);
    const imported = readOsv(original);
    const golden = new URL(`expected/${file.replace('/', '--')}`, fixtures);
    const text = `${JSON.stringify(imported, null, 2)}\n`;
    if (update) fs.writeFileSync(golden, text);
    expect(text).toBe(fs.readFileSync(golden, 'utf8'));
  });

  it.each(osvFiles)('%s is re-exported without loss of meaning', (file) => {
    const original = load(file);
    const imported = readOsv(original);
    const record = recordFromImport(imported, { id: 'DEMO-2026-0101' });
    const exported = toOsv(record);
    expect(validate(exported), JSON.stringify(validate.errors)).toBe(true);

    const before = osvMeaning(original);
    const after = osvMeaning(exported);
    const originalId = (original as { id: string }).id;
    expect(after.aliases).toEqual([...new Set([originalId, ...before.aliases])].sort());
    expect(after.related).toEqual(before.related);
    expect(after.summary).toBe(before.summary);
    expect(after.details).toContain(before.details);
    expect(after.withdrawn).toBe(before.withdrawn);
    expect(after.packages).toEqual(before.packages);
    expect(after.severity).toEqual(before.severity);
    expect(after.credits).toEqual(before.credits);
    // Publication puts the advisory's own page first; every upstream reference follows, same type.
    expect(after.references).toEqual([...before.references, `ADVISORY ${record.links.page}`].sort());
  });

  it('merges the per-range affected entries GitHub writes into one package, fixed and last_affected kept', () => {
    const imported = readOsv(load('ghsa-osv/GHSA-3pxv-7cmr-fjr4.json'));
    expect(imported.packages).toHaveLength(1);
    expect(imported.packages[0]?.ranges).toEqual([
      { branch: null, introduced: '2.0-alpha1', fixed: '2.25.4', lastAffected: null },
      { branch: null, introduced: '3.0.0-alpha1', fixed: null, lastAffected: '3.0.0-beta3' },
    ]);
    expect(imported.cvssVectors).toEqual(['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N']);
    expect(imported.cwes).toEqual([116]);
  });

  it('splits a Go range of several branches into one range per introduced..fixed pair', () => {
    const imported = readOsv(load('golang-vulndb-osv/GO-2023-2341.json'));
    expect(imported.aliases).toEqual(['CVE-2023-5528', 'GHSA-hq6q-c2x6-hmch']);
    expect(imported.packages.map((p) => [p.name, p.ranges.map((r) => `${r.introduced}..${r.fixed}`)])).toEqual([
      ['k8s.io/kubernetes', ['0..1.25.16', '1.26.0..1.26.11', '1.27.0..1.27.8', '1.28.0..1.28.4']],
    ]);
  });

  it('keeps an introduced event without an end as an open range, and a withdrawal', () => {
    const imported = readOsv(load('golang-vulndb-osv/GO-2022-0617.json'));
    expect(imported.withdrawn).toBe('2024-08-21T16:25:56Z');
    expect(imported.packages[0]?.ranges).toEqual([{ branch: null, introduced: '0', fixed: null, lastAffected: null }]);
    // The Go repository's zero dates are placeholders, not dates.
    expect(imported.published).toBeNull();
    expect(imported.warnings).toContain('The published date 0001-01-01T00:00:00Z is a placeholder; it was left unset.');
  });

  it('keeps a versions-only package, and falls back to the first line of the details for a summary', () => {
    const original = load('ghsa-osv/GHSA-9v2f-6vcg-3hgv.json') as Record<string, unknown>;
    expect(readOsv(original).packages).toEqual([
      { ecosystem: 'PyPI', name: 'Gradio', purl: null, ranges: [], versions: ['4.36.1', '4.36.-1'] },
    ]);
    const { summary: _, ...withoutSummary } = original;
    expect(readOsv({ ...withoutSummary, details: '### Impact\n\nCode injection in Gradio.' }).summary).toBe('Impact');
  });

  it('says what a case cannot hold: Go symbols, GIT ranges, limits, upstream ids, other severities', () => {
    const imported = readOsv({
      id: 'OSV-2026-1',
      modified: '2026-01-02T03:04:05Z',
      upstream: ['CVE-2026-1'],
      severity: [{ type: 'Ubuntu', score: 'high' }],
      references: [{ type: 'GIT', url: 'https://github.com/example/lib' }],
      affected: [
        {
          package: { ecosystem: 'npm', name: 'lib' },
          ranges: [
            { type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { limit: '2.0.0' }] },
            {
              type: 'GIT',
              repo: 'https://github.com/example/lib.git',
              events: [{ introduced: '0' }, { fixed: 'a'.repeat(40) }],
            },
          ],
          ecosystem_specific: { imports: [{ path: 'lib/x' }] },
        },
        { package: { ecosystem: 'JavaScript', name: 'lib' }, versions: ['1.0.0'] },
      ],
    });
    expect(imported.packages).toEqual([
      {
        ecosystem: 'npm',
        name: 'lib',
        purl: null,
        ranges: [{ branch: null, introduced: '1.0.0', fixed: null, lastAffected: null }],
        versions: [],
      },
    ]);
    expect(imported.references).toEqual([
      { type: 'WEB', url: 'https://github.com/example/lib' },
      { type: 'FIX', url: `https://github.com/example/lib/commit/${'a'.repeat(40)}` },
    ]);
    expect(imported.warnings).toEqual([
      'The upstream ids CVE-2026-1 have no place in a case.',
      'The Ubuntu severity "high" has no place in a case; only CVSS vectors were kept.',
      'The reference https://github.com/example/lib of type GIT is kept as WEB.',
      'npm lib: limit events were ignored (they bound GIT ranges).',
      'npm lib: a GIT range of https://github.com/example/lib.git cannot be attached to a package (cases hold version ranges); its fix commits are kept as FIX references.',
      'npm lib: ecosystem_specific data (such as affected functions) has no place in a case.',
      'JavaScript lib: "JavaScript" is not an ecosystem a case can hold; the package was left out.',
      'JavaScript lib: listed versions without a package were left out.',
    ]);
  });

  it('reads events that are not sorted pairs in the order given, and says so', () => {
    const imported = readOsv({
      id: 'GHSA-aaaa-bbbb-cccc',
      modified: '2026-01-02T03:04:05Z',
      affected: [
        {
          package: { ecosystem: 'RubyGems', name: 'passenger' },
          ranges: [
            {
              type: 'ECOSYSTEM',
              events: [{ introduced: '0' }, { introduced: '4.0.1' }, { fixed: '4.0.5' }, { fixed: '3.0.21' }],
            },
          ],
        },
      ],
    });
    expect(imported.packages[0]?.ranges).toEqual([
      { branch: null, introduced: '0', fixed: '4.0.5', lastAffected: null },
    ]);
    expect(imported.warnings).toEqual([
      'RubyGems passenger: the events of range 1 are not sorted pairs; read in the order given.',
    ]);
  });

  it.each([
    ['a string', 'not json', ''],
    ['no id', { modified: '2026-01-01T00:00:00Z' }, 'id'],
    ['no modified date', { id: 'GHSA-x' }, 'modified'],
    ['a date that is not RFC 3339 UTC', { id: 'GHSA-x', modified: '2026-01-01 10:00' }, 'modified'],
    [
      'aliases that are not strings',
      { id: 'GHSA-x', modified: '2026-01-01T00:00:00Z', aliases: ['CVE-1', 2] },
      'aliases[1]',
    ],
    [
      'a package without a name',
      { id: 'GHSA-x', modified: '2026-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm' } }] },
      'affected[0].package.name',
    ],
    [
      'an event with two versions',
      {
        id: 'GHSA-x',
        modified: '2026-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'npm', name: 'a' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0', fixed: '1.0.0' }] }],
          },
        ],
      },
      'affected[0].ranges[0].events[0]',
    ],
    [
      'a range with no introduced event',
      {
        id: 'GHSA-x',
        modified: '2026-01-01T00:00:00Z',
        affected: [
          { package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'SEMVER', events: [{ fixed: '1.0.0' }] }] },
        ],
      },
      'affected[0].ranges[0].events',
    ],
    [
      'a GIT range without its repository',
      {
        id: 'OSV-x',
        modified: '2026-01-01T00:00:00Z',
        affected: [{ ranges: [{ type: 'GIT', events: [{ introduced: '0' }] }] }],
      },
      'affected[0].ranges[0].repo',
    ],
    [
      'a reference without a URL',
      { id: 'GHSA-x', modified: '2026-01-01T00:00:00Z', references: [{ type: 'WEB' }] },
      'references[0].url',
    ],
    [
      'a credit without a name',
      { id: 'GHSA-x', modified: '2026-01-01T00:00:00Z', credits: [{ type: 'FINDER' }] },
      'credits[0].name',
    ],
  ])('refuses %s as VALIDATION_FAILED on the field at fault', (_, json, field) => {
    expect(refusal(() => readOsv(json))).toMatchObject({ code: 'VALIDATION_FAILED', field });
  });
});

describe('importing CVE JSON 5 records', () => {
  it.each(cveFiles)('%s matches the golden file', (file) => {
    const imported = readCve5(load(file), cveOptions);
    const golden = new URL(`expected/${file.replace('/', '--')}`, fixtures);
    const text = `${JSON.stringify(imported, null, 2)}\n`;
    if (update) fs.writeFileSync(golden, text);
    expect(text).toBe(fs.readFileSync(golden, 'utf8'));
  });

  it('gives the Go CNA record the same packages and ranges as the Go database gives in OSV', () => {
    for (const id of ['GO-2023-1571', 'GO-2020-0040']) {
      const fromCve = readCve5(load(`cve5/${id}.json`));
      const fromOsv = readOsv(load(`golang-vulndb-osv/${id}.json`));
      expect(fromCve.packages, id).toEqual(fromOsv.packages);
      expect(fromOsv.aliases, id).toContain(fromCve.sourceId);
      expect(fromCve.summary, id).toBe(fromOsv.summary);
      expect(fromCve.warnings, id).toEqual([]);
    }
  });

  it('reads the stdlib and x/net modules of Go CNA packages, and credits without a type as finders', () => {
    const imported = readCve5(load('cve5/GO-2023-1571.json'));
    expect(imported.sourceId).toBe('CVE-2022-41723');
    expect(imported.packages.map((p) => p.name)).toEqual(['stdlib', 'golang.org/x/net']);
    expect(imported.cwes).toEqual([400]);
    expect(imported.credits).toEqual([{ name: 'Philippe Antoine (Catena cyber)', type: 'FINDER', contact: [] }]);
    expect(imported.references[0]).toEqual({ type: 'WEB', url: 'https://go.dev/issue/57855' });
  });

  it('reads a published record: title, dates, CVSS 4.0, a PyPI package named by its collection page', () => {
    const imported = readCve5(load('cve5/CVE-2025-4565.json'));
    expect(imported).toMatchObject({
      source: 'cve5',
      sourceId: 'CVE-2025-4565',
      summary: 'Unbounded recursion in Python Protobuf',
      published: '2025-06-16T14:50:40.906Z',
      modified: '2025-06-16T15:39:18.263Z',
      withdrawn: null,
      cvssVectors: ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N'],
      cwes: [674],
      credits: [{ name: 'Alexis Challande - Trail of Bits Ecosystem Security Team', type: 'FINDER', contact: [] }],
    });
    expect(imported.packages).toEqual([
      {
        ecosystem: 'PyPI',
        name: 'protobuf',
        purl: null,
        ranges: [
          { branch: null, introduced: '0', fixed: '4.25.8', lastAffected: null },
          { branch: null, introduced: '0', fixed: '5.29.5', lastAffected: null },
          { branch: null, introduced: '0', fixed: '6.31.1', lastAffected: null },
        ],
        versions: [],
      },
    ]);
    // The same product is also listed with GitHub as its "collection": not an ecosystem.
    expect(imported.warnings).toContain(
      'protocolbuffers Python-Protobuf (from https://github.com/protocolbuffers/protobuf/): names no package of an OSV ecosystem; add it by hand if it is one. Affected: < 4.25.8; < 5.29.5; < 6.31.1.',
    );
  });

  it("reads GitHub's CNA: its advisory id as an alias, its version strings as ranges for the team", () => {
    const imported = readCve5(load('cve5/CVE-2023-45803.json'));
    expect(imported.aliases).toEqual(['GHSA-g4mx-q9vg-27p4']);
    expect(imported.cvssVectors).toEqual(['CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N']);
    expect(imported.cwes).toEqual([200]);
    expect(imported.packages).toEqual([]);
    expect(imported.warnings).toEqual([
      'The ADP containers (enrichment by other organisations) were not read: only the CNA statement is imported.',
      'urllib3 urllib3: names no package of an OSV ecosystem; add it by hand if it is one. Affected: >= 2.0.0, < 2.0.7; < 1.26.18.',
    ]);
  });

  it('maps CVE credit types and reference tags to OSV types', () => {
    const imported = readCve5(
      {
        cnaContainer: {
          descriptions: [{ lang: 'en', value: 'A bug. More words.' }],
          references: [
            { url: 'https://x.example/fix', tags: ['vendor-advisory', 'patch'] },
            { url: 'https://x.example/adv', tags: ['third-party-advisory'] },
            { url: 'https://x.example/poc', tags: ['exploit'] },
            { url: 'https://x.example/bug', tags: ['issue-tracking'] },
            { url: 'https://x.example/list', tags: ['mailing-list'] },
            { url: 'https://x.example/other', tags: ['x_refsource_MISC'] },
          ],
          credits: [
            { lang: 'en', value: 'Ann', type: 'reporter' },
            { lang: 'en', value: 'Bob', type: 'remediation developer' },
            { lang: 'en', value: 'Cat', type: 'coordinator' },
            { lang: 'en', value: 'Dan', type: 'analyst' },
          ],
          affected: [
            {
              vendor: 'example',
              product: 'lib',
              collectionURL: 'https://registry.npmjs.org',
              packageName: '@example/lib',
              versions: [
                { version: '1.0.0', lessThanOrEqual: '1.4.2', status: 'affected', versionType: 'semver' },
                { version: '2.0.0', status: 'affected' },
                { version: '2.1.0', status: 'unaffected' },
              ],
            },
            { vendor: 'example', product: 'crate', packageURL: 'pkg:cargo/example-crate', defaultStatus: 'affected' },
          ],
        },
      },
      { cveId: 'CVE-2026-0001' },
    );
    expect(imported.summary).toBe('A bug.');
    expect(imported.references.map((r) => r.type)).toEqual([
      'FIX',
      'ADVISORY',
      'EVIDENCE',
      'REPORT',
      'DISCUSSION',
      'WEB',
    ]);
    expect(imported.credits.map((c) => c.type)).toEqual([
      'REPORTER',
      'REMEDIATION_DEVELOPER',
      'COORDINATOR',
      'ANALYST',
    ]);
    expect(imported.packages).toEqual([
      {
        ecosystem: 'npm',
        name: '@example/lib',
        purl: null,
        ranges: [{ branch: null, introduced: '1.0.0', fixed: null, lastAffected: '1.4.2' }],
        versions: ['2.0.0'],
      },
      {
        ecosystem: 'crates.io',
        name: 'example-crate',
        purl: 'pkg:cargo/example-crate',
        ranges: [{ branch: null, introduced: '0', fixed: null, lastAffected: null }],
        versions: [],
      },
    ]);
    expect(imported.warnings).toEqual([]);
  });

  it('walks the status changes inside a CVE range into separate ranges', () => {
    const imported = readCve5({
      cnaContainer: {
        descriptions: [{ lang: 'en', value: 'Log injection.' }],
        affected: [
          {
            collectionURL: 'https://repo.maven.apache.org/maven2',
            packageName: 'org.example:core',
            versions: [
              {
                version: '2.0',
                lessThan: '2.16.0',
                status: 'affected',
                versionType: 'maven',
                changes: [
                  { at: '2.3.1', status: 'unaffected' },
                  { at: '2.4', status: 'affected' },
                  { at: '2.12.2', status: 'unaffected' },
                  { at: '2.13.0', status: 'affected' },
                ],
              },
            ],
          },
        ],
      },
    });
    expect(imported.packages[0]?.ranges.map((r) => `${r.introduced}..${r.fixed}`)).toEqual([
      '2.0..2.3.1',
      '2.4..2.12.2',
      '2.13.0..2.16.0',
    ]);
    expect(imported.warnings).toEqual(['The CNA container does not say its CVE id.']);
  });

  it('keeps git commit ranges out of the packages, with a warning and the repository as a reference', () => {
    const imported = readCve5(load('cve5/CVE-2025-21631.json'));
    expect(imported.packages).toEqual([]);
    expect(imported.references).toContainEqual({
      type: 'WEB',
      url: 'https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git',
    });
    expect(imported.warnings).toContain(
      'Linux Linux: git commit ranges cannot be attached to a package (cases hold version ranges); the repository is kept as a reference.',
    );
  });

  it('reads a rejected record as withdrawn, with its reason as the details', () => {
    const record = readCve5(load('cve5/fixture_CVE-2009-0009_rejected.json'), { receivedAt: '2026-08-01T09:00:00Z' });
    expect(record).toMatchObject({ sourceId: 'CVE-2009-0009', withdrawn: '2026-08-01T09:00:00.000Z', packages: [] });
    expect(record.details).toMatch(/^I professional site/);
    const body = readCve5(load('cve5/fixture_rejectBody.json'), cveOptions);
    expect(body).toMatchObject({ sourceId: 'CVE-2000-0001', related: ['CVE-1999-0006'] });
    expect(body.withdrawn).not.toBeNull();
    // The rejection date comes from the record when it has one.
    const dated = readCve5({
      dataType: 'CVE_RECORD',
      cveMetadata: { cveId: 'CVE-2026-0002', state: 'REJECTED', dateRejected: '2026-02-03T04:05:06' },
      containers: { cna: { rejectedReasons: [{ lang: 'en', value: 'Duplicate.' }] } },
    });
    expect(dated.withdrawn).toBe('2026-02-03T04:05:06.000Z');
  });

  it.each([
    ['a string', 'x', ''],
    ['an object that is no CVE record', { id: 'GHSA-1' }, ''],
    ['another data type', { dataType: 'CVE_RECORD_LIST', containers: {} }, 'dataType'],
    ['a record without containers', { dataType: 'CVE_RECORD', cveMetadata: { cveId: 'CVE-2026-0001' } }, 'containers'],
    [
      'a record with a malformed CVE id',
      { dataType: 'CVE_RECORD', cveMetadata: { cveId: 'CVE-26-1' }, containers: { cna: { descriptions: [] } } },
      'cveMetadata.cveId',
    ],
    [
      'a reserved id',
      { dataType: 'CVE_RECORD', cveMetadata: { cveId: 'CVE-2026-0001', state: 'RESERVED' }, containers: { cna: {} } },
      'cveMetadata.state',
    ],
    [
      'a published container without a description',
      { cnaContainer: { descriptions: [], affected: [] } },
      'cnaContainer.descriptions',
    ],
    ['descriptions that are not a list', { descriptions: 'A bug' }, 'descriptions'],
    [
      'a version entry without a status',
      {
        descriptions: [{ lang: 'en', value: 'A bug.' }],
        affected: [{ vendor: 'a', product: 'b', versions: [{ version: '1.0' }] }],
      },
      'affected[0].versions[0].status',
    ],
    [
      'a rejected record with no date at all',
      {
        dataType: 'CVE_RECORD',
        cveMetadata: { cveId: 'CVE-2026-0003', state: 'REJECTED' },
        containers: { cna: { rejectedReasons: [] } },
      },
      'cveMetadata.dateRejected',
    ],
  ])('refuses %s as VALIDATION_FAILED on the field at fault', (_, json, field) => {
    expect(refusal(() => readCve5(json))).toMatchObject({ code: 'VALIDATION_FAILED', field });
  });

  it('imports what a case needs from every fixture', () => {
    for (const file of cveFiles) {
      const imported: ImportedAdvisory = readCve5(load(file), cveOptions);
      expect(imported.summary, file).not.toBe('');
      expect(
        imported.packages.every((p) => p.ranges.every((r) => r.branch === null)),
        file,
      ).toBe(true);
    }
  });
});
