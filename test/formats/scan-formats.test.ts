import fs from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../../src/domain/scan/scan.service.js';
import { scanJson } from '../../src/formats/scan-json.js';
import { artifactUri, scanSarif } from '../../src/formats/scan-sarif.js';
import { scanTable } from '../../src/formats/scan-table.js';
import { scanVex } from '../../src/formats/scan-vex.js';
import { CLEAN, IGNORE_MINIMIST, REPORT } from '../fixtures/formats/scan/report.js';
import { formatSchemas, schemaErrors } from '../support/format-schemas.js';

// Golden files: `UPDATE_GOLDEN=1 npx vitest run test/formats/scan-formats.test.ts` rewrites them;
// read the diff by eye before committing. JSON goldens are stored as JSON.stringify prints them
// with two spaces (test/fixtures/formats/ is outside Prettier's reach).

const GOLDEN = new URL('../fixtures/formats/scan/', import.meta.url);

function expectGolden(name: string, text: string): void {
  const file = new URL(name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, text);
  }
  expect(text, name).toBe(fs.readFileSync(file, 'utf8'));
}
const printed = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

// The SARIF schema is compiled here rather than in test/support/format-schemas.ts, whose
// validators are the advisory formats'. It declares draft 2020-12 but keeps its subschemas under
// `definitions` and uses no keyword strict mode would refuse.
const SARIF_SCHEMA = new URL('../fixtures/schemas/sarif/sarif-2.1.0.json', import.meta.url);
const sarifAjv = new Ajv2020({ allErrors: true });
ajvFormats.default(sarifAjv);
const validateSarif = sarifAjv.compile(JSON.parse(fs.readFileSync(SARIF_SCHEMA, 'utf8')) as object);
const validateCycloneDx = formatSchemas().cyclonedx;

const ANSI = /\x1b\[[0-9;]*m/g;

type Sarif = {
  runs: {
    tool: { driver: { name: string; rules: SarifRule[] } };
    invocations: {
      executionSuccessful: boolean;
      toolExecutionNotifications?: { level: string; message: { text: string } }[];
    }[];
    results: SarifResult[];
  }[];
};
type SarifRule = {
  id: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  helpUri?: string;
  help: { text: string; markdown: string };
  properties: { tags: string[]; 'security-severity'?: string };
};
type SarifResult = {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; justification: string }[];
};
const sarif = (report: ScanReport) => scanSarif(report) as Sarif;
const run = (report: ScanReport) => {
  const r = sarif(report).runs[0];
  if (!r) throw new Error('no run');
  return r;
};

type Bom = {
  serialNumber: string;
  components: {
    'bom-ref': string;
    name: string;
    version?: string;
    purl?: string;
    evidence: { occurrences: object[] };
  }[];
  vulnerabilities: {
    id: string;
    source: { name: string };
    ratings?: { method: string; score?: number; severity: string }[];
    recommendation?: string;
    analysis: { state: string; response?: string[]; detail?: string };
    affects: { ref: string }[];
  }[];
};
const bom = (report: ScanReport) => scanVex(report) as Bom;

describe('scan formats: golden files', () => {
  it('table, plain and wide', () => expectGolden('table.txt', scanTable(REPORT)));
  it('table, coloured, 100 columns', () =>
    expectGolden('table-color-100.txt', scanTable(REPORT, { color: true, width: 100 })));
  it('table, 80 columns', () => expectGolden('table-80.txt', scanTable(REPORT, { width: 80 })));
  it('table, nothing found', () => expectGolden('table-clean.txt', scanTable(CLEAN)));
  it('json', () => expectGolden('scan.json', printed(scanJson(REPORT))));
  it('sarif', () => expectGolden('scan.sarif.json', printed(scanSarif(REPORT, { toolVersion: '0.1.0' }))));
  it('cyclonedx vex', () =>
    expectGolden(
      'scan.cdx.json',
      printed(scanVex(REPORT, { timestamp: new Date('2026-06-01T08:00:00Z'), toolVersion: '0.1.0' })),
    ));
});

/** The report with one finding changed, the rest kept as they are. */
function withFinding(index: number, change: (f: ScanReport['findings'][number]) => ScanReport['findings'][number]) {
  return { ...REPORT, findings: REPORT.findings.map((f, i) => (i === index ? change(f) : f)) };
}

describe('scan table', () => {
  const plain = scanTable(REPORT);
  const rows = (text: string) => text.split('\n').filter((l) => l.startsWith('│ '));

  it('has one row per vulnerability, package version and file, grouped by file and worst first', () => {
    const body = rows(plain).slice(1);
    // lodash is listed twice in package-lock.json (a nested copy): one row for it there.
    expect(body).toHaveLength(6);
    expect(body.map((r) => r.split('│')[7]?.trim())).toEqual([
      'images/base/sbom.cdx.json',
      'native/Cargo.lock',
      'package-lock.json:812',
      'services/api/requirements.txt:3',
      'services/api/requirements.txt:7',
      'web/package-lock.json:40',
    ]);
    const django = body.find((r) => r.includes('Django'));
    expect(django?.split('│').map((c) => c.trim())).toEqual([
      '',
      'https://osv.dev/GHSA-2m34-q8x7-9vw5',
      'high',
      'PyPI',
      'Django',
      '4.2.1',
      '4.2.2',
      'services/api/requirements.txt:3',
      '',
    ]);
    expect(plain).toContain('│ 9.1 critical │');
    expect(plain).toContain('│ no fix ');
    // The project's own advisory links to its page, not to osv.dev.
    expect(plain).toContain('https://security.example.org/advisories/DEMO-2026-0001');
    expect(plain).not.toContain('minimist  ');
  });

  it('says what is ignored, what expired, what could not be read, and sums up', () => {
    const lines = plain.trimEnd().split('\n');
    expect(lines).toContain(
      'GHSA-xvch-5gv4-984h in minimist@1.2.5 (package-lock.json): ignored until 2027-03-31: Only parses our own build flags',
    );
    expect(lines).toContain(
      'warning: the ignore entry for GHSA-9wv6-86v2-598j in path-to-regexp expired on 2026-01-15 and no longer hides it (Waiting for upstream)',
    );
    expect(lines).toContain('error: legacy/yarn.lock: yarn.lock: line 3: expected a package entry');
    // lodash in two files is one vulnerable package version: 5 vulnerabilities, 4 of them with a fix.
    expect(lines.at(-1)).toBe(
      'Scanned 6 files and found 1008 packages; 5 vulnerabilities in 5 packages ' +
        '(1 critical, 1 high, 1 medium, 1 low, 1 unknown); fix available for 4; 1 ignored',
    );
    expect(scanTable(CLEAN)).toBe('Scanned 1 file and found 1 package; no known vulnerabilities\n');
  });

  it('colours only when asked, and the colours hide nothing', () => {
    expect(plain).not.toMatch(ANSI);
    const coloured = scanTable(REPORT, { color: true });
    expect(coloured).toContain('\x1b[1;31m9.1 critical\x1b[0m');
    expect(coloured).toContain('\x1b[33mwarning:\x1b[0m');
    expect(coloured.replace(ANSI, '')).toBe(plain);
  });

  it.each([80, 100, 120, 160])('fits %i columns, cutting cells but never an id', (width) => {
    const text = scanTable(REPORT, { width, color: true }).replace(ANSI, '');
    const table = text.split('\n').filter((l) => /^[│╭├╰]/.test(l));
    for (const line of table) expect([...line].length).toBeLessThanOrEqual(width);
    for (const id of ['GHSA-jf85-cpcp-j695', 'PYSEC-2026-17', 'DEBIAN-CVE-2026-0815', 'DEMO-2026-0001']) {
      expect(text).toContain(id);
    }
  });

  it('gives up links, then scores, before cutting, and keeps the end of a cut path', () => {
    const wide = scanTable(REPORT);
    const width = Math.max(...wide.split('\n').map((l) => [...l].length));
    expect(scanTable(REPORT, { width })).toBe(wide);
    const noLinks = scanTable(REPORT, { width: width - 1 });
    expect(noLinks).not.toContain('https://');
    expect(noLinks).toContain('│ 9.1 critical │');
    const narrow = scanTable(REPORT, { width: 80 });
    expect(narrow).toContain('│ critical │');
    expect(narrow).toMatch(/│ …\S*:812 +│/);
    expect(narrow).toContain('…');
  });

  it('shows control characters from the inputs harmlessly', () => {
    const hostile = withFinding(1, (f) => ({ ...f, package: { ...f.package, name: 'demo\x1b[2J\nframes' } }));
    const text = scanTable({ ...hostile, errors: [{ path: 'x\x1b]0;owned\x07', message: 'bad\rline' }] });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(text).toContain('demo\ufffd[2J\ufffdframes');
    expect(text).toContain('error: x\ufffd]0;owned\ufffd: bad\ufffdline');
  });

  it('shows a Git dependency by its commit and a package without a line by its file', () => {
    const git = withFinding(1, (f) => ({
      ...f,
      package: { ...f.package, version: '', commit: '0123456789abcdef0123' },
    }));
    expect(rows(scanTable(git)).find((r) => r.includes('demo-frames'))).toMatch(
      /│ 0123456789ab +│ 2\.0\.1 +│ native\/Cargo\.lock +│$/,
    );
  });
});

describe('scan JSON', () => {
  const doc = scanJson(REPORT);

  it('lists every input read, sorted by path, with its vulnerable packages', () => {
    expect(doc.schema_version).toBe(1);
    expect(doc.results.map((r) => [r.source.path, r.source.type, r.packages.length])).toEqual([
      ['images/base/sbom.cdx.json', 'cyclonedx-json', 1],
      ['native/Cargo.lock', 'Cargo.lock', 1],
      ['package-lock.json', 'package-lock.json', 2],
      ['services/api/requirements.txt', 'requirements.txt', 2],
      ['tools/go.mod', 'go.mod', 0],
      ['web/package-lock.json', 'package-lock.json', 1],
    ]);
    const lock = doc.results[2];
    expect(lock?.packages.map((p) => p.package)).toEqual([
      { name: 'lodash', version: '4.17.11', ecosystem: 'npm', purl: 'pkg:npm/lodash@4.17.11' },
      { name: 'minimist', version: '1.2.5', ecosystem: 'npm', purl: 'pkg:npm/minimist@1.2.5' },
    ]);
    // Listed twice in the file, found once.
    expect(lock?.packages[0]?.vulnerabilities.map((v) => v.id)).toEqual(['GHSA-jf85-cpcp-j695']);
  });

  it('states severity, score, fix and ignore as given, and no purl it cannot know', () => {
    const vulns = doc.results.flatMap((r) => r.packages.flatMap((p) => p.vulnerabilities));
    const byId = new Map(vulns.map((v) => [v.id, v]));
    expect(byId.get('GHSA-jf85-cpcp-j695')).toMatchObject({
      severity: 'critical',
      score: 9.1,
      fixed_version: '4.17.12',
    });
    expect(byId.get('PYSEC-2026-17')).toMatchObject({
      severity: 'unknown',
      score: null,
      vector: null,
      fixed_version: null,
    });
    expect(byId.get('GHSA-xvch-5gv4-984h')?.ignored).toEqual({
      reason: IGNORE_MINIMIST.reason,
      until: '2027-03-31T00:00:00.000Z',
    });
    expect(vulns.filter((v) => 'ignored' in v).map((v) => v.id)).toEqual(['GHSA-xvch-5gv4-984h']);
    expect(doc.results[0]?.packages[0]?.package).toEqual({
      name: 'openssl',
      version: '3.0.11-1~deb12u1',
      ecosystem: 'Debian:12',
      purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1?distro=debian-12',
    });
    const action = withFinding(0, (f) => ({
      ...f,
      package: { ecosystem: 'GitHub Actions', name: 'actions/checkout', version: 'v4.1.0', line: 12 },
    }));
    expect(scanJson(action).results[0]?.packages[0]?.package).toEqual({
      name: 'actions/checkout',
      version: 'v4.1.0',
      ecosystem: 'GitHub Actions',
    });
    expect(doc.results[3]?.packages[1]?.package.purl).toBe('pkg:pypi/tarball-tools@0.3.1');
    expect(doc.errors).toEqual(REPORT.errors);
    expect(doc.expired_ignores).toEqual([
      {
        id: 'GHSA-9wv6-86v2-598j',
        reason: 'Waiting for upstream',
        until: '2026-01-15T00:00:00.000Z',
        package: 'path-to-regexp',
      },
    ]);
  });

  it('is plain JSON: it survives a round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('keeps a purl the input gave, and percent-encodes a version in one it builds', () => {
    const given = withFinding(0, (f) => ({
      ...f,
      package: { ...f.package, purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1' },
    }));
    expect(scanJson(given).results[0]?.packages[0]?.package.purl).toBe('pkg:deb/debian/openssl@3.0.11-1~deb12u1');
    const plus = withFinding(1, (f) => ({ ...f, package: { ...f.package, version: '2.0.0+build 7' } }));
    expect(scanJson(plus).results[1]?.packages[0]?.package.purl).toBe('pkg:cargo/demo-frames@2.0.0%2Bbuild%207');
  });
});

describe('scan SARIF', () => {
  const log = sarif(REPORT);
  const only = run(REPORT);

  it('validates against the SARIF 2.1.0 schema, which rejects a broken log', () => {
    expect(validateSarif(log), schemaErrors(validateSarif)).toBe(true);
    expect(validateSarif(scanSarif(CLEAN)), schemaErrors(validateSarif)).toBe(true);
    const broken = structuredClone(log);
    const first = broken.runs[0]?.results[0];
    if (first) first.level = 'critical'; // GitHub's word for a severity, not a SARIF level
    expect(validateSarif(broken)).toBe(false);
    const noMessage = structuredClone(log) as { runs: { results: { message?: unknown }[] }[] };
    delete noMessage.runs[0]?.results[0]?.message;
    expect(validateSarif(noMessage)).toBe(false);
  });

  it('has one rule per vulnerability, with GitHub security severity when there is a score', () => {
    const rules = only.tool.driver.rules;
    expect(only.tool.driver.name).toBe('embargo-scan');
    expect(rules.map((r) => r.id)).toEqual([
      'DEBIAN-CVE-2026-0815',
      'DEMO-2026-0001',
      'GHSA-2m34-q8x7-9vw5',
      'GHSA-jf85-cpcp-j695',
      'GHSA-xvch-5gv4-984h',
      'PYSEC-2026-17',
    ]);
    const lodash = rules.find((r) => r.id === 'GHSA-jf85-cpcp-j695');
    expect(lodash?.shortDescription.text).toBe('Prototype pollution in lodash');
    expect(lodash?.helpUri).toBe('https://github.com/advisories/GHSA-jf85-cpcp-j695');
    expect(lodash?.properties['security-severity']).toBe('9.1');
    expect(lodash?.properties.tags).toContain('security');
    expect(lodash?.help.markdown).toContain('- `lodash@4.17.11` (npm): upgrade to 4.17.12');
    const tarball = rules.find((r) => r.id === 'PYSEC-2026-17');
    expect(tarball?.properties['security-severity']).toBeUndefined();
    expect(tarball?.helpUri).toBeUndefined();
    expect(tarball?.help.text).toContain('Tarball_Tools@0.3.1 (PyPI): no fixed version is known');
    // No summary: the rule still says something.
    expect(rules[0]?.shortDescription.text).toBe('Vulnerability DEBIAN-CVE-2026-0815');
  });

  it('has one result per finding and file, at the package line, levelled by severity', () => {
    expect(
      only.results.map((r) => [
        r.ruleId,
        r.level,
        r.locations[0]?.physicalLocation.artifactLocation.uri,
        r.locations[0]?.physicalLocation.region.startLine,
      ]),
    ).toEqual([
      ['DEBIAN-CVE-2026-0815', 'note', 'images/base/sbom.cdx.json', 1],
      ['DEMO-2026-0001', 'warning', 'native/Cargo.lock', 1],
      ['GHSA-jf85-cpcp-j695', 'error', 'package-lock.json', 812],
      ['GHSA-2m34-q8x7-9vw5', 'error', 'services/api/requirements.txt', 3],
      ['PYSEC-2026-17', 'note', 'services/api/requirements.txt', 7],
      ['GHSA-jf85-cpcp-j695', 'error', 'web/package-lock.json', 40],
      ['GHSA-xvch-5gv4-984h', 'warning', 'package-lock.json', 1201],
    ]);
    const lodash = only.results[2];
    expect(lodash?.message.text).toBe(
      'lodash@4.17.11 (npm) is affected by GHSA-jf85-cpcp-j695 (Prototype pollution in lodash). Upgrade to 4.17.12.',
    );
    expect(only.results[4]?.message.text).toMatch(/No fixed version is known\.$/);
  });

  it('keeps an ignored finding as a result suppressed with its reason', () => {
    const suppressed = only.results.filter((r) => r.suppressions);
    expect(suppressed.map((r) => [r.ruleId, r.suppressions])).toEqual([
      [
        'GHSA-xvch-5gv4-984h',
        [
          {
            kind: 'external',
            justification: IGNORE_MINIMIST.reason,
            properties: { until: '2027-03-31T00:00:00.000Z' },
          },
        ],
      ],
    ]);
  });

  it('meets what GitHub code scanning asks beyond the schema', () => {
    const rules = only.tool.driver.rules;
    for (const r of only.results) {
      expect(rules[r.ruleIndex]?.id).toBe(r.ruleId);
      expect(r.message.text.length).toBeGreaterThan(0);
      expect(r.locations).toHaveLength(1);
      expect(r.locations[0]?.physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
      expect(r.locations[0]?.physicalLocation.artifactLocation.uri).not.toMatch(/^\/|\\|^\.\//);
    }
    const prints = only.results.map((r) => r.partialFingerprints['embargo-scan/v1']);
    expect(new Set(prints).size).toBe(prints.length);
    for (const rule of rules) {
      expect(rule.shortDescription.text.length).toBeLessThanOrEqual(1024);
      expect(rule.fullDescription.text.length).toBeLessThanOrEqual(1024);
      expect(rule.properties.tags.length).toBeLessThanOrEqual(20);
      const severity = rule.properties['security-severity'];
      if (severity !== undefined) expect(Number(severity)).toSatisfy((n: number) => n >= 0 && n <= 10);
    }
    expect(only.invocations[0]?.toolExecutionNotifications?.map((n) => n.level)).toEqual(['error', 'warning']);
  });

  it('writes paths as relative URI references with forward slashes', () => {
    expect(artifactUri('./web\\app dir/package-lock.json')).toBe('web/app%20dir/package-lock.json');
    expect(artifactUri('node_modules/@scope/x/package.json')).toBe('node_modules/@scope/x/package.json');
    expect(artifactUri('c:odd/100%.lock')).toBe('c%3Aodd/100%25.lock');
    expect(artifactUri('/srv/app/go.mod')).toBe('file:///srv/app/go.mod');
    expect(artifactUri('C:\\work\\app\\Cargo.lock')).toBe('file:///C:/work/app/Cargo.lock');
    const long = { ...withFinding(2, (f) => ({ ...f, vuln: { ...f.vuln, details: 'x'.repeat(5000) } })) };
    const rule = run(long).tool.driver.rules.find((r) => r.id === 'GHSA-jf85-cpcp-j695');
    expect(rule?.fullDescription.text).toHaveLength(1024);
    expect(validateSarif(scanSarif(long))).toBe(true);
  });
});

describe('scan CycloneDX VEX', () => {
  const doc = bom(REPORT);

  it('validates against the CycloneDX 1.6 schema', () => {
    expect(validateCycloneDx(scanVex(REPORT)), schemaErrors(validateCycloneDx)).toBe(true);
    expect(validateCycloneDx(scanVex(CLEAN, { timestamp: new Date(0) })), schemaErrors(validateCycloneDx)).toBe(true);
    const broken = structuredClone(doc);
    const v = broken.vulnerabilities[0];
    if (v) v.analysis.state = 'ignored';
    expect(validateCycloneDx(broken)).toBe(false);
  });

  it('has one component per package version, with every place it was found', () => {
    expect(doc.components.map((c) => c['bom-ref'])).toEqual([
      'pkg:pypi/django@4.2.1',
      'pkg:pypi/tarball-tools@0.3.1',
      'pkg:cargo/demo-frames@2.0.0',
      'pkg:npm/lodash@4.17.11',
      'pkg:npm/minimist@1.2.5',
      'pkg:deb/debian/openssl@3.0.11-1~deb12u1?distro=debian-12',
    ]);
    expect(doc.components.find((c) => c.name === 'lodash')?.evidence.occurrences).toEqual([
      { location: 'package-lock.json', line: 812 },
      { location: 'package-lock.json', line: 2034 },
      { location: 'web/package-lock.json', line: 40 },
    ]);
    // Without a purl, a ref of its own that stays unique.
    const action = bom(
      withFinding(0, (f) => ({
        ...f,
        package: { ecosystem: 'GitHub Actions', name: 'actions/checkout', version: 'v4' },
      })),
    );
    const checkout = action.components.find((c) => c.name === 'actions/checkout');
    expect(checkout).toMatchObject({ 'bom-ref': 'GitHub Actions/actions/checkout@v4', version: 'v4' });
    expect(checkout?.purl).toBeUndefined();
    expect(validateCycloneDx(action), schemaErrors(validateCycloneDx)).toBe(true);
    const refs = new Set(doc.components.map((c) => c['bom-ref']));
    for (const v of doc.vulnerabilities) for (const a of v.affects) expect(refs.has(a.ref)).toBe(true);
  });

  it('rates, recommends and analyses each vulnerability', () => {
    const byId = new Map(doc.vulnerabilities.map((v) => [v.id, v]));
    const lodash = byId.get('GHSA-jf85-cpcp-j695');
    expect(lodash?.source.name).toBe('OSV');
    expect(lodash?.ratings?.map((r) => [r.method, r.score, r.severity])).toEqual([['CVSSv31', 9.1, 'critical']]);
    expect(lodash?.recommendation).toBe('Upgrade to 4.17.12.');
    expect(lodash?.analysis).toEqual({
      state: 'exploitable',
      response: ['update'],
      detail: 'A vulnerable version was found in package-lock.json, web/package-lock.json.',
    });
    expect(lodash?.affects).toEqual([{ ref: 'pkg:npm/lodash@4.17.11' }]);
    expect(byId.get('DEMO-2026-0001')?.ratings?.[0]?.method).toBe('CVSSv4');
    expect(byId.get('DEMO-2026-0001')?.source.name).toBe('Embargo');
    expect(byId.get('GHSA-2m34-q8x7-9vw5')?.ratings).toEqual([
      {
        source: { name: 'OSV', url: 'https://osv.dev/vulnerability/GHSA-2m34-q8x7-9vw5' },
        severity: 'high',
        method: 'other',
      },
    ]);
    const tarball = byId.get('PYSEC-2026-17');
    expect(tarball?.ratings).toBeUndefined();
    expect(tarball?.recommendation).toBeUndefined();
    expect(tarball?.analysis).toEqual({
      state: 'exploitable',
      detail: 'A vulnerable version was found in services/api/requirements.txt.',
    });
  });

  it('leaves an ignored finding in triage, with its reason and expiry', () => {
    expect(doc.vulnerabilities.find((v) => v.id === 'GHSA-xvch-5gv4-984h')?.analysis).toEqual({
      state: 'in_triage',
      detail: 'Ignored until 2027-03-31: Only parses our own build flags',
    });
  });

  it('splits a vulnerability whose ignore covers one of its packages only', () => {
    const partly = withFinding(6, (f) => ({
      ...f,
      ignored: { ...IGNORE_MINIMIST, id: 'GHSA-jf85-cpcp-j695', package: 'lodash' },
    }));
    const lodash = bom(partly).vulnerabilities.filter((v) => v.id === 'GHSA-jf85-cpcp-j695');
    // Same package version in both files: the ignore in one file does not clear the other.
    expect(lodash.map((v) => v.analysis.state)).toEqual(['exploitable', 'in_triage']);
    expect(validateCycloneDx(scanVex(partly)), schemaErrors(validateCycloneDx)).toBe(true);
  });

  it('recommends per package when a vulnerability affects several', () => {
    const two = {
      ...REPORT,
      findings: [
        ...REPORT.findings,
        {
          ...REPORT.findings[2],
          package: { ecosystem: 'npm', name: 'lodash', version: '4.17.5', line: 9 },
          path: 'tools/package-lock.json',
        } as ScanReport['findings'][number],
      ],
    };
    expect(bom(two).vulnerabilities.find((v) => v.id === 'GHSA-jf85-cpcp-j695')?.recommendation).toBe(
      'Upgrade lodash 4.17.11 to 4.17.12.\nUpgrade lodash 4.17.5 to 4.17.12.',
    );
  });

  it('names the BOM by its content', () => {
    expect(bom(REPORT).serialNumber).toBe(doc.serialNumber);
    expect(bom(CLEAN).serialNumber).not.toBe(doc.serialNumber);
    expect(doc.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('scan formats: purity', () => {
  it('give the same output for the same report and leave it alone', () => {
    const copy = structuredClone(REPORT);
    const outputs = () => [
      scanTable(copy, { color: true, width: 90 }),
      JSON.stringify(scanJson(copy)),
      JSON.stringify(scanSarif(copy)),
      JSON.stringify(scanVex(copy)),
    ];
    expect(outputs()).toEqual(outputs());
    expect(copy).toEqual(REPORT);
  });
});
