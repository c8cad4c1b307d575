import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { spdxJsonParser } from '../../../src/domain/scan/lockfiles/spdx.js';
import { readFixture } from './support/scalibr-oracle.js';

const doc = (packages: unknown[]): string =>
  JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'test', packages });
const purlRef = (locator: string, category = 'PACKAGE-MANAGER') => ({
  referenceCategory: category,
  referenceType: 'purl',
  referenceLocator: locator,
});

describe('SPDX against osv-scanner sbom-insecure', () => {
  // osv-scanner: "found 1 package", and reports it as Ubuntu:20.04:LTS pcre3 2:8.39-12ubuntu0.1
  // (the SPDX package is named libpcre3; its purl names pcre3).
  it('only-unimportant.spdx.json', () => {
    expect(
      spdxJsonParser.parse(readFixture('sbom', 'only-unimportant.spdx.json'), 'only-unimportant.spdx.json'),
    ).toEqual([
      {
        ecosystem: 'Ubuntu:20.04:LTS',
        name: 'pcre3',
        version: '2:8.39-12ubuntu0.1',
        purl: 'pkg:deb/ubuntu/pcre3@2%3A8.39-12ubuntu0.1?arch=amd64&distro=focal&source=pcre3',
      },
    ]);
  });
});

describe('SPDX specification example', () => {
  // Four packages: glibc has only a CPE and a custom reference, Apache Commons Lang and Saxon none.
  it('SPDXJSONExample-v2.3.spdx.json', () => {
    const text = readFixture('sbom/spdx-spec', 'SPDXJSONExample-v2.3.spdx.json');
    expect(spdxJsonParser.parse(text, 'SPDXJSONExample-v2.3.spdx.json')).toEqual([
      {
        ecosystem: 'Maven',
        name: 'org.apache.jena:apache-jena',
        version: '3.12.0',
        purl: 'pkg:maven/org.apache.jena/apache-jena@3.12.0',
      },
    ]);
  });
});

describe('SPDX details', () => {
  it('reads each package by its purl, skipping bad ones and collapsing repeats', () => {
    const text = doc([
      { name: 'a', versionInfo: '1.0.0', externalRefs: [purlRef('pkg:npm/a@1.0.0')] },
      // SPDX 2.2 spells the category with an underscore.
      { name: 'b', versionInfo: '2.0', externalRefs: [purlRef('pkg:pypi/B_Lib@2.0', 'PACKAGE_MANAGER')] },
      { name: 'a again', externalRefs: [purlRef('pkg:npm/a@1.0.0')] },
      { name: 'broken', externalRefs: [purlRef('pkg:npm/')] },
      { name: 'none', versionInfo: '1' },
      {
        name: 'cpe only',
        externalRefs: [
          { referenceCategory: 'SECURITY', referenceType: 'cpe23Type', referenceLocator: 'cpe:2.3:a:x:y:1' },
        ],
      },
      // A purl without a version takes versionInfo.
      { name: 'c', versionInfo: '3.1', externalRefs: [purlRef('pkg:gem/c')] },
    ]);
    expect(spdxJsonParser.parse(text, 'x.spdx.json')).toEqual([
      { ecosystem: 'npm', name: 'a', version: '1.0.0', purl: 'pkg:npm/a@1.0.0' },
      { ecosystem: 'PyPI', name: 'b-lib', version: '2.0', purl: 'pkg:pypi/B_Lib@2.0' },
      { ecosystem: 'RubyGems', name: 'c', version: '3.1', purl: 'pkg:gem/c' },
    ]);
  });

  it('names a package with several purls by the first that maps to an ecosystem', () => {
    const text = doc([
      {
        name: 'openssl',
        externalRefs: [
          purlRef('pkg:generic/openssl@3.0.2'),
          purlRef('pkg:deb/debian/openssl@3.0.2-1?distro=debian-12'),
        ],
      },
    ]);
    expect(spdxJsonParser.parse(text, 'x.spdx.json')).toEqual([
      {
        ecosystem: 'Debian:12',
        name: 'openssl',
        version: '3.0.2-1',
        purl: 'pkg:deb/debian/openssl@3.0.2-1?distro=debian-12',
      },
    ]);
  });

  it('reads SPDX 2.2 and a document without packages', () => {
    const v22 = JSON.stringify({
      spdxVersion: 'SPDX-2.2',
      packages: [{ externalRefs: [purlRef('pkg:cargo/rand@0.8.5')] }],
    });
    expect(spdxJsonParser.parse(v22, 'x.spdx.json').map((p) => p.name)).toEqual(['rand']);
    expect(spdxJsonParser.parse('{"spdxVersion": "SPDX-2.3"}', 'x.spdx.json')).toEqual([]);
  });

  it.each([
    ['{"spdxVersion": "SPDX-2.3", "packages": [', 'not valid JSON'],
    ['[]', 'not an SPDX 2.x document'],
    ['{"packages": []}', 'not an SPDX 2.x document'],
    ['{"spdxVersion": "SPDX-3.0", "packages": []}', 'not an SPDX 2.x document'],
    ['{"spdxVersion": "SPDX-2.3", "packages": {}}', '`packages` is not an array'],
    ['{"spdxVersion": "SPDX-2.3", "packages": [1]}', 'a package is not an object'],
    ['{"spdxVersion": "SPDX-2.3", "packages": [{"externalRefs": {}}]}', '`externalRefs` is not an array'],
  ])('refuses %s', (text, message) => {
    expect(() => spdxJsonParser.parse(text, 'x.spdx.json')).toThrow(LockfileError);
    expect(() => spdxJsonParser.parse(text, 'x.spdx.json')).toThrow(message);
  });

  it('matches *.spdx.json only (tag-value, YAML and RDF are not read)', () => {
    for (const path of ['app.spdx.json', 'sboms/IMAGE.SPDX.JSON'])
      expect(spdxJsonParser.matches(path), path).toBe(true);
    for (const path of ['app.spdx', 'app.spdx.yml', 'app.spdx.rdf.xml', 'bom.json', 'spdx.json']) {
      expect(spdxJsonParser.matches(path), path).toBe(false);
    }
    expect(spdxJsonParser.format).toBe('spdx-json');
  });
});
