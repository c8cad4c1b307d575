import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkPackageName,
  checkPurlFitsPackage,
  defaultPurl,
  type EcosystemName,
  ecosystemNames,
  parseEcosystem,
} from '../../src/domain/cases/ecosystems.js';
import { formatPurl, parsePurl, type Purl } from '../../src/domain/cases/purl.js';
import { DomainError } from '../../src/errors.js';

function failure(run: () => unknown): DomainError {
  try {
    run();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

const purl = (type: string, name: string, more: Partial<Purl> = {}): Purl => ({
  type,
  namespace: null,
  name,
  version: null,
  qualifiers: {},
  subpath: null,
  ...more,
});

describe('parsePurl', () => {
  it('keeps a qualifier named __proto__ as a plain key', () => {
    const parsed = parsePurl('pkg:npm/left-pad?__proto__=x&arch=amd64');
    expect(Object.keys(parsed.qualifiers).sort()).toEqual(['__proto__', 'arch']);
    expect(parsed.qualifiers['__proto__']).toBe('x');
  });

  // Cases from package-url/purl-spec test-suite-data.json and tests/spec/specification-test.json.
  it.each([
    [
      'pkg:maven/org.apache.commons/io@1.3.4',
      purl('maven', 'io', { namespace: 'org.apache.commons', version: '1.3.4' }),
      'pkg:maven/org.apache.commons/io@1.3.4',
    ],
    [
      'pkg:GOLANG/google.golang.org/genproto@abcdedf#/googleapis/api/annotations/',
      purl('golang', 'genproto', {
        namespace: 'google.golang.org',
        version: 'abcdedf',
        subpath: 'googleapis/api/annotations',
      }),
      'pkg:golang/google.golang.org/genproto@abcdedf#googleapis/api/annotations',
    ],
    [
      'pkg:github/Package-url/purl-Spec@244fd47e07d1004f0aed9c',
      purl('github', 'purl-spec', { namespace: 'package-url', version: '244fd47e07d1004f0aed9c' }),
      'pkg:github/package-url/purl-spec@244fd47e07d1004f0aed9c',
    ],
    [
      'pkg:docker/customer/dockerimage@sha256:244fd47e07d1004f0aed9c?repository_url=gcr.io',
      purl('docker', 'dockerimage', {
        namespace: 'customer',
        version: 'sha256:244fd47e07d1004f0aed9c',
        qualifiers: { repository_url: 'gcr.io' },
      }),
      'pkg:docker/customer/dockerimage@sha256:244fd47e07d1004f0aed9c?repository_url=gcr.io',
    ],
    [
      'pkg:Maven/org.apache.xmlgraphics/batik-anim@1.9.1?repositorY_url=repo.spring.io/release&classifier=sources',
      purl('maven', 'batik-anim', {
        namespace: 'org.apache.xmlgraphics',
        version: '1.9.1',
        qualifiers: { classifier: 'sources', repository_url: 'repo.spring.io/release' },
      }),
      // Keys lower-cased and sorted; the "/" in a value encoded.
      'pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?classifier=sources&repository_url=repo.spring.io%2Frelease',
    ],
    [
      'pkg:npm/%40angular/animation@12.3.1',
      purl('npm', 'animation', { namespace: '@angular', version: '12.3.1' }),
      'pkg:npm/%40angular/animation@12.3.1',
    ],
    [
      'pkg:PYPI/Django_package@1.11.1.dev1',
      purl('pypi', 'django-package', { version: '1.11.1.dev1' }),
      'pkg:pypi/django-package@1.11.1.dev1',
    ],
    [
      'pkg:maven/mygroup/myartifact@1.0.0%20Final?mykey=my%20value',
      purl('maven', 'myartifact', {
        namespace: 'mygroup',
        version: '1.0.0 Final',
        qualifiers: { mykey: 'my value' },
      }),
      'pkg:maven/mygroup/myartifact@1.0.0%20Final?mykey=my%20value',
    ],
    [
      'pkg:npm/packageurl-js@0.0.7?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fpackage-url%2Fpackageurl-js.git',
      purl('npm', 'packageurl-js', {
        version: '0.0.7',
        qualifiers: { vcs_url: 'git+https://github.com/package-url/packageurl-js.git' },
      }),
      'pkg:npm/packageurl-js@0.0.7?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fpackage-url%2Fpackageurl-js.git',
    ],
    ['pkg://maven/org.apache.commons/io', purl('maven', 'io', { namespace: 'org.apache.commons' }), null],
    ['pkg:///maven/org.apache.commons/io', purl('maven', 'io', { namespace: 'org.apache.commons' }), null],
    // A composer name with an encoded "/" (as GHSA writes drupal/core): the name keeps it.
    ['pkg:composer/drupal%2Fcore', purl('composer', 'drupal/core'), 'pkg:composer/drupal%2Fcore'],
    // An unencoded npm scope is a namespace, not a version.
    ['pkg:npm/@babel/core', purl('npm', 'core', { namespace: '@babel' }), 'pkg:npm/%40babel/core'],
    [
      'pkg:deb/Debian/curl@7.50.3-1?arch=i386&distro=jessie&empty=',
      purl('deb', 'curl', { namespace: 'debian', version: '7.50.3-1', qualifiers: { arch: 'i386', distro: 'jessie' } }),
      'pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie',
    ],
    ['pkg:generic/a%C3%A9b#./x/../y', purl('generic', 'aéb', { subpath: 'x/y' }), 'pkg:generic/a%C3%A9b#x/y'],
  ])('parses %s', (input, expected, canonical) => {
    const parsed = parsePurl(input);
    expect(parsed).toEqual(expected);
    if (canonical) expect(formatPurl(parsed)).toBe(canonical);
    // The canonical text reads back as the same components.
    expect(parsePurl(formatPurl(parsed))).toEqual(parsed);
  });

  it.each([
    ['EnterpriseLibrary.Common@6.0.1304', 'starts with "pkg:"'],
    ['pkg:EnterpriseLibrary.Common@6.0.1304', 'names a type and a package'],
    ['pkg%3Amaven/org.apache.commons/io', 'starts with "pkg:"'],
    ['http:maven/org.apache.commons/io', 'starts with "pkg:"'],
    ['pkg:n&g?inx/nginx@0.8.9', 'not a purl qualifier key'],
    ['pkg:3nginx/nginx@0.8.9', '"3nginx" is not a purl type'],
    ['pkg:nginx:a/nginx@0.8.9', 'is not a purl type'],
    ['pkg:ng%69nx/nginx', 'is not a purl type'],
    ['pkg:npm/myartifact@1.0.0?in%20production=true', 'not a purl qualifier key'],
    ['pkg:npm/a?arch=x&ARCH=y', 'qualifier "arch" twice'],
    ['pkg:maven/@1.3.4', 'names a package'],
    ['pkg:npm/lodash@', 'no version after it'],
    ['pkg:npm/lo%2', 'broken percent-encoding'],
    ['pkg:npm/lo%zzdash', 'broken percent-encoding'],
    ['pkg:npm/lodash@4.17.21?x=%E0%A4%A', 'broken percent-encoding'],
    ['pkg:golang/github.com%2Fevil/x', 'encoded "/"'],
    ['pkg:npm/lo dash', 'no spaces'],
    ['pkg:maven/commons-io', 'has a namespace'],
    ['pkg:cargo/rustsec/rand', 'has no namespace'],
    ['pkg:pypi/acme/django', 'has no namespace'],
  ])('refuses %s', (input, message) => {
    const err = failure(() => parsePurl(input));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details).toEqual({ field: 'purl' });
    expect(err.message).toContain(message);
  });
});

describe('ecosystems', () => {
  it('lists OSV ecosystems exactly as the OSV schema spells them', () => {
    const schema = path.resolve(__dirname, '../../../shared/data/schemas/osv/ecosystems.json');
    // Written down here so the test holds without the shared data; checked against it when present.
    expect(ecosystemNames).toContain('crates.io');
    expect(ecosystemNames).toContain('PyPI');
    expect(ecosystemNames).toContain('GitHub Actions');
    if (fs.existsSync(schema)) {
      const osv = Object.keys(JSON.parse(fs.readFileSync(schema, 'utf8')) as Record<string, string>);
      expect([...ecosystemNames].sort()).toEqual([...osv].sort());
    }
  });

  it.each([
    ['npm', 'npm', null],
    ['crates.io', 'crates.io', null],
    ['Debian:12', 'Debian', '12'],
    ['Alpine:v3.20', 'Alpine', 'v3.20'],
    ['Maven:https://maven.google.com', 'Maven', 'https://maven.google.com'],
    ['Red Hat:rhel_aus:8.4::appstream', 'Red Hat', 'rhel_aus:8.4::appstream'],
    ['Ubuntu:Pro:18.04:LTS', 'Ubuntu', 'Pro:18.04:LTS'],
  ])('accepts %s', (input, base, suffix) => {
    expect(parseEcosystem(input)).toEqual({ value: input, base, suffix });
  });

  it.each([
    ['pypi', 'OSV spells this ecosystem "PyPI"'],
    ['NPM', 'OSV spells this ecosystem "npm"'],
    ['JavaScript', 'not an OSV ecosystem'],
    ['GIT', 'not an OSV ecosystem'],
    ['npm:4', 'no release suffix for npm'],
    ['Alpine', 'to a release'],
    ['Alpine:3.20', 'with a "v"'],
    ['Debian:', 'empty'],
    ['', 'Choose an ecosystem'],
  ])('refuses %s', (input, message) => {
    const err = failure(() => parseEcosystem(input));
    expect(err.details).toEqual({ field: 'ecosystem' });
    expect(err.message).toContain(message);
  });

  it('names packages as OSV does: PyPI normalized, Maven as groupId:artifactId', () => {
    expect(checkPackageName('PyPI', ' Django_Rest.framework ')).toBe('django-rest-framework');
    expect(checkPackageName('Maven', 'org.apache.logging.log4j:log4j-core')).toBe(
      'org.apache.logging.log4j:log4j-core',
    );
    expect(failure(() => checkPackageName('Maven', 'log4j-core')).details).toEqual({ field: 'name' });
    expect(failure(() => checkPackageName('npm', 'a\nb')).details).toEqual({ field: 'name' });
  });

  it.each([
    ['npm', 'lodash', 'pkg:npm/lodash'],
    ['npm', '@babel/core', 'pkg:npm/%40babel/core'],
    ['PyPI', 'django-rest-framework', 'pkg:pypi/Django_Rest_Framework'],
    ['Go', 'golang.org/x/net', 'pkg:golang/golang.org/x/net'],
    ['crates.io', 'abi_stable', 'pkg:cargo/abi_stable'],
    ['Maven', 'org.apache.logging.log4j:log4j-core', 'pkg:maven/org.apache.logging.log4j/log4j-core'],
    ['Packagist', 'drupal/core', 'pkg:composer/drupal%2Fcore'],
    ['Debian', 'openssl', 'pkg:deb/debian/openssl?arch=source'],
    ['Red Hat', 'nodejs', 'pkg:rpmmod/redhat/nodejs'],
    ['OSS-Fuzz', 'radare2', 'pkg:generic/radare2'],
  ] as const)('a %s package %s fits %s', (ecosystem, name, text) => {
    expect(() => checkPurlFitsPackage(ecosystem, name, parsePurl(text))).not.toThrow();
  });

  it.each([
    ['PyPI', 'django', 'pkg:npm/django', 'type "pkg:pypi/"'],
    ['Go', 'golang.org/x/net', 'pkg:go/golang.org/x/net', 'type "pkg:golang/"'],
    ['crates.io', 'rand', 'pkg:crates/rand', 'type "pkg:cargo/"'],
    ['Maven', 'org.example:parser', 'pkg:npm/org.example/parser', 'type "pkg:maven/"'],
    ['npm', 'lodash', 'pkg:npm/underscore', 'names the package "underscore"'],
    ['Maven', 'org.example:parser', 'pkg:maven/org.example/lexer', 'names the package "org.example:lexer"'],
    ['npm', 'lodash', 'pkg:npm/lodash@4.17.21', 'without a version'],
  ] as const)('a %s package %s does not fit %s', (ecosystem, name, text, message) => {
    const err = failure(() => checkPurlFitsPackage(ecosystem as EcosystemName, name, parsePurl(text)));
    expect(err.details).toEqual({ field: 'purl' });
    expect(err.message).toContain(message);
  });
});

// Real advisories: every package purl in the OSV records of ../shared/data parses, and fits the
// record's ecosystem and name by the same rules the service applies.
const DATA = path.resolve(__dirname, '../../../shared/data');
const OSV_SOURCES: [dir: string, suffix: string][] = [
  ['osv/golang-vulndb', '.json'],
  ['osv/rustsec-osv', '.json'],
  ['osv/osv-scanner-offline-db-snapshot', '.json'],
  ['schemas/osv/examples/redhat/testdata/OSV', '.json'],
  ['schemas/osv/examples/ghsa/testdata', '.osv.json'],
];

function* osvFiles(dir: string, suffix: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* osvFiles(full, suffix);
    else if (entry.name.endsWith(suffix)) yield full;
  }
}

describe.skipIf(!OSV_SOURCES.every(([d]) => fs.existsSync(path.join(DATA, d))))('real OSV records', () => {
  it('parse and fit their ecosystem and name', () => {
    let checked = 0;
    for (const [dir, suffix] of OSV_SOURCES) {
      for (const file of osvFiles(path.join(DATA, dir), suffix)) {
        const record = JSON.parse(fs.readFileSync(file, 'utf8')) as {
          affected?: { package?: { ecosystem: string; name: string; purl?: string } }[];
        };
        for (const a of record.affected ?? []) {
          const pkg = a.package;
          if (!pkg?.purl) continue;
          const ecosystem = parseEcosystem(pkg.ecosystem);
          const parsed = parsePurl(pkg.purl);
          checkPurlFitsPackage(ecosystem.base, checkPackageName(ecosystem.base, pkg.name), parsed);
          expect(parsePurl(formatPurl(parsed))).toEqual(parsed);
          checked++;
        }
      }
    }
    // 1,206 RustSec crates, Red Hat RPMs, Alpine, Debian, Maven, Packagist, PyPI, npm, Go, OSS-Fuzz.
    expect(checked).toBeGreaterThan(1400);
  });
});

describe('the obvious purl of a package entered without one', () => {
  it.each([
    ['npm', 'widget-parser', 'pkg:npm/widget-parser'],
    ['npm', '@scope/widget', 'pkg:npm/%40scope/widget'],
    ['PyPI', 'Parse_TOML', 'pkg:pypi/parse-toml'],
    ['Go', 'example.com/kubelet-tools', 'pkg:golang/example.com/kubelet-tools'],
    ['crates.io', 'parse-toml', 'pkg:cargo/parse-toml'],
    ['Maven', 'org.example:widget-core', 'pkg:maven/org.example/widget-core'],
    ['Packagist', 'vendor/widget', 'pkg:composer/vendor/widget'],
    ['Debian:12', 'python3-widget', null],
    ['GIT', 'widget', null],
  ])('%s %s -> %s', (ecosystem, name, purl) => {
    expect(defaultPurl(ecosystem, name)).toBe(purl);
  });
});
