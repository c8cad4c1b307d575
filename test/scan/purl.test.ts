import { describe, expect, it } from 'vitest';
import { formatPurl, type Purl, packageToPurl, parsePurl, purlToPackage } from '../../src/domain/scan/purl.js';

// No copy of purl-spec's test suite is in the shared data, so these cases are written from the
// specification (ECMA-427: "How to parse", "How to build", the component rules) and the examples
// of its type definitions.

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
  it.each<[string, Purl, string]>([
    ['pkg:npm/foobar@12.3.1', purl('npm', 'foobar', { version: '12.3.1' }), 'pkg:npm/foobar@12.3.1'],
    [
      'pkg:npm/%40angular/animation@12.3.1',
      purl('npm', 'animation', { namespace: '@angular', version: '12.3.1' }),
      'pkg:npm/%40angular/animation@12.3.1',
    ],
    // An unencoded scope is read as the namespace it is, not as a version.
    ['pkg:npm/@babel/core', purl('npm', 'core', { namespace: '@babel' }), 'pkg:npm/%40babel/core'],
    [
      'pkg:npm/@babel/core@7.0.0',
      purl('npm', 'core', { namespace: '@babel', version: '7.0.0' }),
      'pkg:npm/%40babel/core@7.0.0',
    ],
    // The scheme may be followed by slashes, which are ignored; the type is case-insensitive.
    [
      'pkg://Maven/org.apache.commons/io@1.3.4',
      purl('maven', 'io', { namespace: 'org.apache.commons', version: '1.3.4' }),
      'pkg:maven/org.apache.commons/io@1.3.4',
    ],
    // Qualifier keys lower-cased and sorted, values decoded, empty values dropped.
    [
      'pkg:deb/Debian/curl@7.50.3-1?distro=jessie&ARCH=i386&empty=',
      purl('deb', 'curl', { namespace: 'debian', version: '7.50.3-1', qualifiers: { arch: 'i386', distro: 'jessie' } }),
      'pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie',
    ],
    [
      'pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64',
      purl('deb', 'attr', { namespace: 'debian', version: '1:2.4.47-2+b1', qualifiers: { arch: 'amd64' } }),
      'pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64',
    ],
    [
      'pkg:docker/customer/dockerimage@sha256%3A244fd47e07d1004f0aed9c?repository_url=gcr.io',
      purl('docker', 'dockerimage', {
        namespace: 'customer',
        version: 'sha256:244fd47e07d1004f0aed9c',
        qualifiers: { repository_url: 'gcr.io' },
      }),
      'pkg:docker/customer/dockerimage@sha256:244fd47e07d1004f0aed9c?repository_url=gcr.io',
    ],
    [
      'pkg:npm/mypackage@12.4.5?vcs_url=git://host.com/path/to/repo.git%404345abcd34343',
      purl('npm', 'mypackage', {
        version: '12.4.5',
        qualifiers: { vcs_url: 'git://host.com/path/to/repo.git@4345abcd34343' },
      }),
      'pkg:npm/mypackage@12.4.5?vcs_url=git:%2F%2Fhost.com%2Fpath%2Fto%2Frepo.git%404345abcd34343',
    ],
    // Subpath segments: empty, "." and ".." dropped; leading and trailing slashes are not significant.
    [
      'pkg:golang/google.golang.org/genproto@abcdedf#/googleapis/./api/../annotations/',
      purl('golang', 'genproto', {
        namespace: 'google.golang.org',
        version: 'abcdedf',
        subpath: 'googleapis/api/annotations',
      }),
      'pkg:golang/google.golang.org/genproto@abcdedf#googleapis/api/annotations',
    ],
    // Type rules: pypi names as PEP 503 normalises them; github, apk, deb, composer lower-cased.
    [
      'pkg:PYPI/Django_Rest.framework@3.0',
      purl('pypi', 'django-rest-framework', { version: '3.0' }),
      'pkg:pypi/django-rest-framework@3.0',
    ],
    [
      'pkg:github/Package-url/purl-Spec@244fd47e',
      purl('github', 'purl-spec', { namespace: 'package-url', version: '244fd47e' }),
      'pkg:github/package-url/purl-spec@244fd47e',
    ],
    [
      'pkg:composer/Laravel/Laravel@5.5.0',
      purl('composer', 'laravel', { namespace: 'laravel', version: '5.5.0' }),
      'pkg:composer/laravel/laravel@5.5.0',
    ],
    [
      'pkg:rpm/Fedora/CenterIM@4.22.10-1.el6',
      purl('rpm', 'CenterIM', { namespace: 'fedora', version: '4.22.10-1.el6' }),
      'pkg:rpm/fedora/CenterIM@4.22.10-1.el6',
    ],
    // Go module paths keep their case: OSV names them so.
    [
      'pkg:golang/github.com/BurntSushi/toml@v1.3.2',
      purl('golang', 'toml', { namespace: 'github.com/BurntSushi', version: 'v1.3.2' }),
      'pkg:golang/github.com/BurntSushi/toml@v1.3.2',
    ],
    // A name may hold an encoded "/" (GHSA writes Composer packages so); spaces and UTF-8 are encoded.
    ['pkg:composer/drupal%2Fcore', purl('composer', 'drupal/core'), 'pkg:composer/drupal%2Fcore'],
    [
      'pkg:maven/mygroup/myartifact@1.0.0%20Final?mykey=my%20value',
      purl('maven', 'myartifact', { namespace: 'mygroup', version: '1.0.0 Final', qualifiers: { mykey: 'my value' } }),
      'pkg:maven/mygroup/myartifact@1.0.0%20Final?mykey=my%20value',
    ],
    ['pkg:generic/a%C3%A9b', purl('generic', 'aéb'), 'pkg:generic/a%C3%A9b'],
    // An "@" with nothing after it names no version.
    ['pkg:npm/lodash@', purl('npm', 'lodash'), 'pkg:npm/lodash'],
  ])('reads %s', (input, expected, canonical) => {
    const parsed = parsePurl(input);
    expect(parsed).toEqual(expected);
    if (!parsed) return;
    expect(formatPurl(parsed)).toBe(canonical);
    expect(parsePurl(formatPurl(parsed))).toEqual(parsed);
  });

  it.each([
    ['EnterpriseLibrary.Common@6.0.1304', 'no scheme'],
    ['http:maven/org.apache.commons/io', 'another scheme'],
    ['pkg%3Amaven/org.apache.commons/io', 'an encoded colon'],
    ['pkg:EnterpriseLibrary.Common@6.0.1304', 'no name'],
    ['pkg:pypi/', 'an empty name'],
    ['pkg:///', 'no type'],
    ['/', 'nothing'],
    ['pkg:apk/alpine/@1.36.1-r27', 'no name before the version (and apk needs a vendor)'],
    ['pkg:3nginx/nginx@0.8.9', 'a type starting with a digit'],
    ['pkg:ng%69nx/nginx', 'an encoded type'],
    ['pkg:nginx:a/nginx', 'a colon in the type'],
    ['pkg:npm/myartifact@1.0.0?in%20production=true', 'an encoded qualifier key'],
    ['pkg:npm/a?arch=x&ARCH=y', 'a qualifier twice'],
    ['pkg:npm/a?__proto__=x', 'a qualifier key not starting with a letter'],
    ['pkg:npm/lo%2', 'a broken percent-encoding'],
    ['pkg:npm/lodash@4.17.21?x=%E0%A4%A', 'a broken UTF-8 sequence'],
    ['pkg:golang/github.com%2Fevil/x', 'an encoded slash in a namespace segment'],
    ['pkg:npm/lo dash', 'a space'],
    ['pkg:maven/commons-io@2.0', 'a maven purl without its group'],
    ['pkg:pypi/acme/django', 'a pypi purl with a namespace'],
    ['pkg:cargo/rustsec/rand', 'a cargo purl with a namespace'],
  ])('refuses %s (%s)', (input) => {
    expect(parsePurl(input)).toBeUndefined();
  });

  it('keeps qualifiers named like Object members as plain keys', () => {
    const parsed = parsePurl('pkg:npm/left-pad?constructor=x&toString=y');
    expect(parsed && Object.keys(parsed.qualifiers).sort()).toEqual(['constructor', 'tostring']);
    expect(parsed?.qualifiers['constructor']).toBe('x');
  });
});

describe('purlToPackage', () => {
  it.each([
    ['pkg:npm/lodash@4.17.21', 'npm', 'lodash', '4.17.21'],
    ['pkg:npm/%40angular/core@17.0.0', 'npm', '@angular/core', '17.0.0'],
    ['pkg:pypi/Django_Rest.Framework@3.14.0', 'PyPI', 'django-rest-framework', '3.14.0'],
    ['pkg:golang/github.com/gogo/protobuf@5.6.0', 'Go', 'github.com/gogo/protobuf', '5.6.0'],
    ['pkg:golang/stdlib@1.22.1', 'Go', 'stdlib', '1.22.1'],
    ['pkg:cargo/memoffset@0.6.1', 'crates.io', 'memoffset', '0.6.1'],
    ['pkg:gem/rails@7.1.0', 'RubyGems', 'rails', '7.1.0'],
    ['pkg:composer/laravel/framework@v6.20.7', 'Packagist', 'laravel/framework', 'v6.20.7'],
    ['pkg:composer/drupal%2Fcore@10.1.0', 'Packagist', 'drupal/core', '10.1.0'],
    ['pkg:maven/org.hdrhistogram/HdrHistogram@2.1.12', 'Maven', 'org.hdrhistogram:HdrHistogram', '2.1.12'],
    ['pkg:nuget/EnterpriseLibrary.Common@6.0.1304', 'NuGet', 'EnterpriseLibrary.Common', '6.0.1304'],
    ['pkg:pub/http@1.1.0', 'Pub', 'http', '1.1.0'],
    ['pkg:hex/phoenix_html@2.13.3', 'Hex', 'phoenix_html', '2.13.3'],
    ['pkg:swift/github.com/apple/swift-nio@2.60.0', 'SwiftURL', 'github.com/apple/swift-nio', '2.60.0'],
    ['pkg:cran/ggplot2@3.4.0', 'CRAN', 'ggplot2', '3.4.0'],
    ['pkg:npm/left-pad', 'npm', 'left-pad', ''],
    // Distributions: the vendor decides, the distro qualifier gives the release when it can.
    ['pkg:deb/debian/nginx@2.36.1-8+deb11u1', 'Debian', 'nginx', '2.36.1-8+deb11u1'],
    ['pkg:deb/debian/dpkg@1.18.25?arch=amd64&distro=debian-9', 'Debian:9', 'dpkg', '1.18.25'],
    ['pkg:deb/debian/dpkg@1.19.0.4?arch=amd64&distro=stretch', 'Debian:9', 'dpkg', '1.19.0.4'],
    ['pkg:deb/debian/curl@8.5.0-2?distro=debian-12.5', 'Debian:12', 'curl', '8.5.0-2'],
    ['pkg:deb/debian/curl@8.5.0-2?distro=bookworm', 'Debian:12', 'curl', '8.5.0-2'],
    ['pkg:deb/debian/curl@8.8.0-1?distro=sid', 'Debian', 'curl', '8.8.0-1'],
    [
      'pkg:deb/ubuntu/pcre3@2%3A8.39-12ubuntu0.1?arch=amd64&distro=focal',
      'Ubuntu:20.04:LTS',
      'pcre3',
      '2:8.39-12ubuntu0.1',
    ],
    [
      'pkg:deb/ubuntu/docker.io@20.10.12-0ubuntu2?distro=ubuntu-22.04',
      'Ubuntu:22.04:LTS',
      'docker.io',
      '20.10.12-0ubuntu2',
    ],
    ['pkg:deb/ubuntu/curl@8.5.0?distro=ubuntu-24.10', 'Ubuntu:24.10', 'curl', '8.5.0'],
    ['pkg:deb/ubuntu/dpkg@1.19.0.4?arch=amd64', 'Ubuntu', 'dpkg', '1.19.0.4'],
    ['pkg:apk/alpine/zlib@1.2.13-r0?arch=x86_64&distro=alpine-3.17.2', 'Alpine:v3.17', 'zlib', '1.2.13-r0'],
    ['pkg:apk/alpine/zlib@1.3.1-r0?distro=alpine-3.20.1', 'Alpine:v3.20', 'zlib', '1.3.1-r0'],
    ['pkg:apk/alpine/zlib@1.2.12-r1?arch=x86_64&distro=3.22.0&origin=zlib', 'Alpine:v3.22', 'zlib', '1.2.12-r1'],
    ['pkg:apk/alpine/curl@7.83.0-r0?arch=x86', 'Alpine', 'curl', '7.83.0-r0'],
    ['pkg:apk/alpine/curl@8.9.0-r0?distro=alpine-edge', 'Alpine', 'curl', '8.9.0-r0'],
    ['pkg:apk/wolfi/glibc@2.38-r1', 'Wolfi', 'glibc', '2.38-r1'],
    ['pkg:rpm/redhat/openssl@1.1.1k-7.el8_6?arch=x86_64', 'Red Hat', 'openssl', '1.1.1k-7.el8_6'],
    ['pkg:rpm/rocky/openssl@3.0.7-25.el9?distro=rocky-9.3', 'Rocky Linux:9', 'openssl', '3.0.7-25.el9'],
    ['pkg:rpm/almalinux/bash@5.1.8-6.el9?distro=almalinux-9.3', 'AlmaLinux:9', 'bash', '5.1.8-6.el9'],
    ['pkg:rpm/opensuse/curl@8.0.1-1.1', 'openSUSE', 'curl', '8.0.1-1.1'],
  ])('%s -> %s %s %s', (text, ecosystem, name, version) => {
    expect(purlToPackage(text)).toEqual({ ecosystem, name, version });
  });

  it.each([
    'pkg:generic/postgresql@11.15',
    'pkg:deb/raspbian/curl@7.0',
    'pkg:rpm/fedora/curl@7.50.3-1.fc25',
    'pkg:rpm/centerim@4.22.10-1.el6',
    'pkg:hex/acme/foo@2.3.0',
    'pkg:docker/library/alpine@3.20',
    'not a purl',
  ])('names no OSV package for %s', (text) => {
    expect(purlToPackage(text)).toBeUndefined();
  });
});

describe('packageToPurl', () => {
  it.each([
    ['npm', '@angular/core', '17.0.0', 'pkg:npm/%40angular/core@17.0.0'],
    ['PyPI', 'Django_Rest.Framework', '3.14.0', 'pkg:pypi/django-rest-framework@3.14.0'],
    ['Go', 'github.com/BurntSushi/toml', 'v1.3.2', 'pkg:golang/github.com/BurntSushi/toml@v1.3.2'],
    ['Go', 'stdlib', '1.22.1', 'pkg:golang/stdlib@1.22.1'],
    ['crates.io', 'abi_stable', '', 'pkg:cargo/abi_stable'],
    ['Maven', 'org.apache.logging.log4j:log4j-core', '2.14.1', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1'],
    ['Packagist', 'drupal/core', '10.1.0', 'pkg:composer/drupal/core@10.1.0'],
    ['Debian:12', 'openssl', '3.0.11-1~deb12u2', 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12'],
    ['Debian', 'openssl', '', 'pkg:deb/debian/openssl'],
    ['Ubuntu:22.04:LTS', 'curl', '7.81.0-1', 'pkg:deb/ubuntu/curl@7.81.0-1?distro=ubuntu-22.04'],
    ['Alpine:v3.20', 'zlib', '1.3.1-r0', 'pkg:apk/alpine/zlib@1.3.1-r0?distro=alpine-3.20'],
    ['Red Hat:rhel_aus:8.4::appstream', 'nodejs', '', 'pkg:rpm/redhat/nodejs'],
    ['Rocky Linux:9', 'openssl', '3.0.7', 'pkg:rpm/rocky/openssl@3.0.7?distro=rocky-9'],
  ])('%s %s %s -> %s', (ecosystem, name, version, text) => {
    expect(packageToPurl({ ecosystem, name, version })).toBe(text);
  });

  it('reads back as the package it was made from', () => {
    for (const pkg of [
      { ecosystem: 'npm', name: '@scope/widget', version: '1.0.0' },
      { ecosystem: 'PyPI', name: 'parse-toml', version: '2.0' },
      { ecosystem: 'Go', name: 'golang.org/x/net', version: 'v0.17.0' },
      { ecosystem: 'Maven', name: 'org.example:widget-core', version: '1.2' },
      { ecosystem: 'NuGet', name: 'Newtonsoft.Json', version: '13.0.1' },
      { ecosystem: 'RubyGems', name: 'rack', version: '2.2.8' },
      { ecosystem: 'Pub', name: 'http', version: '1.1.0' },
      { ecosystem: 'Hex', name: 'plug', version: '1.15.0' },
      { ecosystem: 'Debian:9', name: 'dpkg', version: '1.18.25' },
      { ecosystem: 'Ubuntu:20.04:LTS', name: 'pcre3', version: '2:8.39-12ubuntu0.1' },
      { ecosystem: 'Alpine:v3.17', name: 'musl', version: '1.2.3-r4' },
      { ecosystem: 'AlmaLinux:9', name: 'bash', version: '5.1.8' },
      { ecosystem: 'Wolfi', name: 'glibc', version: '2.38-r1' },
    ]) {
      const text = packageToPurl(pkg);
      expect(text, pkg.name).toBeDefined();
      expect(purlToPackage(text ?? '')).toEqual(pkg);
    }
  });

  it('has no purl for an ecosystem without a purl type, or a Maven name without its group', () => {
    expect(packageToPurl({ ecosystem: 'OSS-Fuzz', name: 'radare2', version: '' })).toBeUndefined();
    expect(packageToPurl({ ecosystem: 'Linux', name: 'Kernel', version: '6.1' })).toBeUndefined();
    expect(packageToPurl({ ecosystem: 'Maven', name: 'log4j-core', version: '2.0' })).toBeUndefined();
  });
});
