import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LockfileError, type ScannedPackage } from '../../../src/domain/scan/inventory.js';
import { cyclonedxJsonParser, cyclonedxXmlParser } from '../../../src/domain/scan/lockfiles/cyclonedx.js';
import { fixturePath, readFixture } from './support/scalibr-oracle.js';

const FOLDER = 'sbom';
const parserOf = (file: string) => (file.endsWith('.xml') ? cyclonedxXmlParser : cyclonedxJsonParser);
const parseFixture = (file: string): ScannedPackage[] => parserOf(file).parse(readFixture(FOLDER, file), file);
const summary = (p: ScannedPackage): string => `${p.ecosystem} ${p.name} ${p.version}`;

// osv-scanner's recorded scans of these BOMs (SOURCE.md) say "found N packages", counting every
// component with a purl or a CPE and keeping duplicates. These parsers yield what the vulnerability
// database can match: components whose purl reads and maps to an ecosystem, one per package version.
// Each row says what sets the two counts apart, read from the file.
const OSV_SCANNER = [
  { file: 'alpine-zlib-16.cdx.json', found: 1, cpeOnly: 0, badPurl: 0, duplicate: 0, unmapped: 0 },
  // busybox, found by syft's binary cataloger, has a CPE and no purl.
  { file: 'alpine.cdx.xml', found: 15, cpeOnly: 1, badPurl: 0, duplicate: 0, unmapped: 0 },
  // Six purls are broken: pkg:pypi/ (three times), pkg:///, "/", pkg:apk/alpine/@1.36.1-r27.
  { file: 'bad-purls.cdx.xml', found: 15, cpeOnly: 1, badPurl: 6, duplicate: 0, unmapped: 0 },
  // libcrypto3 and zlib are listed twice.
  { file: 'with-duplicates.cdx.xml', found: 17, cpeOnly: 1, badPurl: 0, duplicate: 2, unmapped: 0 },
  // pkg:generic/postgresql names no OSV ecosystem.
  { file: 'postgres-stretch.cdx.xml', found: 136, cpeOnly: 0, badPurl: 0, duplicate: 0, unmapped: 1 },
];

describe('CycloneDX against osv-scanner sbom-insecure', () => {
  it.each(OSV_SCANNER)('$file', ({ file, found, cpeOnly, badPurl, duplicate, unmapped }) => {
    const got = parseFixture(file);
    expect(got.length).toBe(found - cpeOnly - badPurl - duplicate - unmapped);
    expect(new Set(got.map(summary)).size).toBe(got.length);
    for (const p of got) expect(p.purl).toMatch(/^pkg:/);
  });

  // The vulnerable packages of osv-scanner's table for these files, as it names them.
  it.each([
    ['alpine.cdx.xml', 'Alpine:v3.17 musl 1.2.3-r4'],
    ['alpine.cdx.xml', 'Alpine:v3.17 zlib 1.2.10-r0'],
    ['with-duplicates.cdx.xml', 'Alpine:v3.17 zlib 1.2.10-r0'],
    ['alpine-zlib-16.cdx.json', 'Alpine:v3.22 zlib 1.2.12-r1'],
    ['postgres-stretch.cdx.xml', 'Go github.com/opencontainers/runc v1.0.1'],
    ['postgres-stretch.cdx.xml', 'Go golang.org/x/sys v0.0.0-20210817142637-7d9622a276b7'],
    ['postgres-stretch.cdx.xml', 'Debian:9 dpkg 1.18.25'],
    ['postgres-stretch.cdx.xml', 'Debian:9 libxml2 2.9.4+dfsg1-2.2+deb9u6'],
    ['postgres-stretch.cdx.xml', 'Debian:9 openssl 1.1.0l-1~deb9u5'],
    ['postgres-stretch.cdx.xml', 'Debian:9 tzdata 2021a-0+deb9u3'],
  ])('%s names %s', (file, pkg) => {
    expect(parseFixture(file).map(summary)).toContain(pkg);
  });

  it('skips the broken purls and keeps the rest', () => {
    expect(parseFixture('bad-purls.cdx.xml').map((p) => p.name)).toEqual([
      'alpine-baselayout',
      'alpine-baselayout-data',
      'apk-tools',
      'busybox-binsh',
      'libcrypto3',
      'libssl3',
      'musl-utils',
      'scanelf',
    ]);
  });

  it('keeps the purl as the BOM wrote it, entities decoded', () => {
    expect(parseFixture('alpine.cdx.xml').find((p) => p.name === 'musl')).toEqual({
      ecosystem: 'Alpine:v3.17',
      name: 'musl',
      version: '1.2.3-r4',
      purl: 'pkg:apk/alpine/musl@1.2.3-r4?arch=x86_64&upstream=musl&distro=alpine-3.17.2',
    });
  });

  it('reads the same packages from the BOM with duplicates as from the one without', () => {
    expect(parseFixture('with-duplicates.cdx.xml').map(summary).sort()).toEqual(
      parseFixture('alpine.cdx.xml').map(summary).sort(),
    );
  });
});

// Every valid BOM of the CycloneDX specification's test resources parses; those with component purls
// yield exactly these (pedigree ancestors, metadata and services are not components the project ships).
const SPEC_PURLS: Record<string, string[]> = {
  'valid-bom-1.5.json': ['npm acme/component 1.0.0'],
  'valid-compositions-1.5.json': [
    'Maven partner:shaded-library 1.0',
    'Maven ossproject:library 2.0',
    'Maven acme:library 3.0',
  ],
  'valid-evidence-1.5.json': ['Maven com.google.code.findbugs:findbugs-project 3.0.0'],
  'valid-service-1.5.json': ['Maven com.acme:stock-java-client 1.0.12'],
  'valid-vulnerability-1.5.json': ['Maven com.fasterxml.jackson.core:jackson-databind 2.9.4'],
  'valid-bom-1.6.json': [
    'Maven com.acme:tomcat-catalina 9.0.14',
    'Maven com.example:myapplication 1.0.0',
    'Maven com.example:myframework 1.0.0',
  ],
  'valid-component-identifiers-1.6.json': ['Maven com.example:acme-library 1.0.0'],
  'valid-compositions-1.6.json': [
    'Maven partner:shaded-library 1.0',
    'Maven ossproject:library 2.0',
    'Maven acme:library 3.0',
  ],
  'valid-evidence-1.6.json': [
    'Maven com.google.code.findbugs:findbugs-project 3.0.0',
    'Maven com.example:example-project 1.0.0',
  ],
  'valid-license-expression-1.6.json': ['Maven com.acme:tomcat-catalina 9.0.14'],
  'valid-license-id-1.6.json': ['Maven com.acme:tomcat-catalina 9.0.14'],
  'valid-license-name-1.6.json': ['Maven com.acme:tomcat-catalina 9.0.14'],
  'valid-service-1.6.json': ['Maven com.acme:stock-java-client 1.0.12'],
  'valid-vulnerability-1.6.json': ['Maven com.fasterxml.jackson.core:jackson-databind 2.9.4'],
};

describe('CycloneDX specification test BOMs', () => {
  const spec = ['1.5', '1.6'].flatMap((v) =>
    readdirSync(fixturePath(`${FOLDER}/cyclonedx-spec`, v)).map((file) => ({ v, file })),
  );

  it('has the valid BOMs of both versions', () => {
    expect(spec.filter((s) => s.file.startsWith('valid-')).length).toBe(81);
  });

  it.each(spec.filter((s) => s.file.startsWith('valid-')))('$v/$file', ({ v, file }) => {
    const got = cyclonedxJsonParser.parse(readFixture(`${FOLDER}/cyclonedx-spec/${v}`, file), file);
    expect(got.map(summary)).toEqual(SPEC_PURLS[file] ?? []);
  });

  it.each(['1.5', '1.6'])('refuses %s/invalid-bomformat: not a CycloneDX BOM', (v) => {
    const text = readFixture(`${FOLDER}/cyclonedx-spec/${v}`, `invalid-bomformat-${v}.json`);
    expect(() => cyclonedxJsonParser.parse(text, 'bom.json')).toThrow(LockfileError);
  });
});

describe('CycloneDX details', () => {
  const xml = (ns: string, body: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/${ns}" version="1">${body}</bom>`;

  it('reads XML of spec 1.2 with components nested in an assembly', () => {
    const text = xml(
      '1.2',
      `<metadata><component type="application"><name>app</name><purl>pkg:npm/app@1.0.0</purl></component></metadata>
       <components>
         <component type="library"><name>outer</name><version>1.0</version><purl>pkg:npm/outer@1.0</purl>
           <components>
             <component type="library"><name>inner</name><purl>pkg:pypi/Inner_Lib@2.10</purl>
               <components><component type="library"><purl>pkg:cargo/deep@0.1.0</purl></component></components>
             </component>
           </components>
         </component>
         <component type="library"><name>no-purl</name><version>3.0</version></component>
         <component type="library"><name>unpinned</name><version>4.2</version><purl>pkg:gem/unpinned</purl></component>
       </components>`,
    );
    expect(cyclonedxXmlParser.parse(text, 'bom.xml')).toEqual([
      { ecosystem: 'npm', name: 'outer', version: '1.0', purl: 'pkg:npm/outer@1.0' },
      { ecosystem: 'PyPI', name: 'inner-lib', version: '2.10', purl: 'pkg:pypi/Inner_Lib@2.10' },
      { ecosystem: 'crates.io', name: 'deep', version: '0.1.0', purl: 'pkg:cargo/deep@0.1.0' },
      // A purl without a version takes the component's.
      { ecosystem: 'RubyGems', name: 'unpinned', version: '4.2', purl: 'pkg:gem/unpinned' },
    ]);
  });

  it('reads XML with a namespace prefix, and with no components', () => {
    const prefixed =
      '<cdx:bom xmlns:cdx="http://cyclonedx.org/schema/bom/1.3"><cdx:components><cdx:component type="library">' +
      '<cdx:name>x</cdx:name><cdx:purl>pkg:maven/org.example/x@1.0</cdx:purl></cdx:component></cdx:components></cdx:bom>';
    expect(cyclonedxXmlParser.parse(prefixed, 'x.cdx.xml').map(summary)).toEqual(['Maven org.example:x 1.0']);
    expect(cyclonedxXmlParser.parse(xml('1.6', '<components/>'), 'bom.xml')).toEqual([]);
    expect(cyclonedxXmlParser.parse(xml('1.4', ''), 'bom.xml')).toEqual([]);
  });

  it('reads JSON of spec 1.4 with nested components and collapses repeats', () => {
    const text = JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.4',
      components: [
        {
          type: 'library',
          name: 'a',
          purl: 'pkg:npm/a@1.0.0',
          components: [{ type: 'library', purl: 'pkg:npm/b@2.0.0' }],
        },
        { type: 'library', name: 'a', purl: 'pkg:npm/a@1.0.0?arch=x' },
        { type: 'library', name: 'c', purl: 42 },
        { type: 'library', name: 'd', purl: 'pkg:npm/' },
      ],
    });
    expect(cyclonedxJsonParser.parse(text, 'bom.json')).toEqual([
      { ecosystem: 'npm', name: 'a', version: '1.0.0', purl: 'pkg:npm/a@1.0.0' },
      { ecosystem: 'npm', name: 'b', version: '2.0.0', purl: 'pkg:npm/b@2.0.0' },
    ]);
  });

  it.each([
    ['cyclonedx-json', '{"bomFormat": "CycloneDX", "components": [', 'not valid JSON'],
    ['cyclonedx-json', '[]', 'not a CycloneDX BOM'],
    ['cyclonedx-json', '{"specVersion": "1.6", "components": []}', 'not a CycloneDX BOM'],
    ['cyclonedx-json', '{"bomFormat": "CycloneDX", "components": {}}', '`components` is not an array'],
    ['cyclonedx-json', '{"bomFormat": "CycloneDX", "components": ["pkg:npm/a@1"]}', 'not an object'],
    ['cyclonedx-xml', '<bom><components><component></components></bom>', 'not well-formed XML'],
    ['cyclonedx-xml', 'pkg:npm/a@1', 'not well-formed XML'],
    ['cyclonedx-xml', '<project><components/></project>', 'no <bom> element'],
  ])('%s refuses %s', (format, text, message) => {
    const parser = format === 'cyclonedx-json' ? cyclonedxJsonParser : cyclonedxXmlParser;
    expect(() => parser.parse(text, 'bom')).toThrow(LockfileError);
    expect(() => parser.parse(text, 'bom')).toThrow(message);
  });

  it('matches the file names CycloneDX recognises', () => {
    for (const path of ['bom.json', 'out/BOM.JSON', 'app.cdx.json', 'C:\\sboms\\image.CDX.json']) {
      expect(cyclonedxJsonParser.matches(path), path).toBe(true);
    }
    for (const path of ['bom.xml', 'sbom/app.cdx.xml']) expect(cyclonedxXmlParser.matches(path), path).toBe(true);
    for (const path of ['package.json', 'mybom.json', 'app.spdx.json', 'bom.xml', 'cdx.json']) {
      expect(cyclonedxJsonParser.matches(path), path).toBe(false);
    }
    for (const path of ['pom.xml', 'bom.json', 'app.cdx.json'])
      expect(cyclonedxXmlParser.matches(path), path).toBe(false);
    expect([cyclonedxJsonParser.format, cyclonedxXmlParser.format]).toEqual(['cyclonedx-json', 'cyclonedx-xml']);
  });
});
