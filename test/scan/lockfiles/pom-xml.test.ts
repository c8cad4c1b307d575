import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { parsePom, pomXmlParser, type ReadRelative } from '../../../src/domain/scan/lockfiles/pom-xml.js';
import { comparable, fixturePath, readFixture, oracleCases } from './support/scalibr-oracle.js';

const FOLDER = 'java-pomxml';

/** Files beside the fixtures, as a scanner walking the checkout would give them. */
const besideFixtures: ReadRelative = (relativePath) => {
  const file = fixturePath(FOLDER, relativePath);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};

describe('pom.xml against osv-scalibr java/pomxml', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      const text = readFixture(FOLDER, c.file);
      if (c.wantErr) {
        expect(() => parsePom(text, c.file, besideFixtures)).toThrow(LockfileError);
        return;
      }
      const got = parsePom(text, c.file, besideFixtures);
      expect(got.every((p) => p.ecosystem === 'Maven')).toBe(true);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
    });
  }
});

describe('pom.xml details', () => {
  it('without a reader, inherits nothing from the parent file', () => {
    const got = pomXmlParser.parse(readFixture(FOLDER, 'with-parent.xml'), 'pom.xml');
    expect(got.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
      'org.alice:alice@1.0.0',
      'org.bob:bob@2.0.0',
      'org.chuck:chuck@3.0.0',
      'org.frank:frank@',
    ]);
  });

  it('asks the reader for the parent relative to the POM, and ignores a file that is another project', () => {
    const asked: string[] = [];
    const otherProject: ReadRelative = (relativePath) => {
      asked.push(relativePath);
      return '<project><groupId>org.other</groupId><artifactId>parent-pom</artifactId><version>1.0</version></project>';
    };
    const got = parsePom(readFixture(FOLDER, 'with-parent.xml'), 'with-parent.xml', otherProject);
    expect(asked).toEqual(['parent/pom.xml']);
    expect(got.map((p) => p.name)).not.toContain('org.dave:dave');
  });

  it('interpolates project and parent coordinates, inherited properties and managed scopes', () => {
    const parent = `<project>
      <groupId>org.acme</groupId><artifactId>acme-parent</artifactId><version>7.1</version>
      <properties><netty.version>4.1.100.Final</netty.version><lib>lib</lib></properties>
      <dependencyManagement><dependencies>
        <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>
      </dependencies></dependencyManagement>
      <dependencies>
        <dependency><groupId>org.acme</groupId><artifactId>acme-\${lib}</artifactId><version>\${project.version}</version></dependency>
      </dependencies>
    </project>`;
    const child = `<project>
      <parent><groupId>org.acme</groupId><artifactId>acme-parent</artifactId><version>7.1</version></parent>
      <artifactId>app</artifactId>
      <dependencies>
        <dependency><groupId>io.netty</groupId><artifactId>netty-all</artifactId><version>\${netty.version}</version></dependency>
        <dependency><groupId>org.acme</groupId><artifactId>acme-core</artifactId><version>\${project.parent.version}</version></dependency>
        <dependency><groupId>junit</groupId><artifactId>junit</artifactId></dependency>
        <dependency><groupId>org.x</groupId><artifactId>y</artifactId><version>(,2.0]</version></dependency>
        <dependency><groupId>org.x</groupId><artifactId>z</artifactId><version>\${missing}</version></dependency>
      </dependencies>
    </project>`;
    const got = parsePom(child, 'app/pom.xml', (p) => (p === '../pom.xml' ? parent : undefined));
    expect(got.map((p) => [p.name, p.version, p.depGroups?.join(','), p.line])).toEqual([
      ['io.netty:netty-all', '4.1.100.Final', '', 5],
      ['org.acme:acme-core', '7.1', '', 6],
      ['junit:junit', '4.13.2', 'test', 7],
      ['org.x:y', '', '', 8],
      ['org.x:z', '${missing}', '', 9],
      // Inherited: written in the parent, so the child points at its <parent>.
      ['org.acme:acme-lib', '7.1', '', 2],
    ]);
  });

  it('stops at a cycle of parents', () => {
    const self = `<project><parent><groupId>a</groupId><artifactId>b</artifactId><version>1</version>
      <relativePath>pom.xml</relativePath></parent><groupId>a</groupId><artifactId>b</artifactId><version>1</version>
      <dependencies><dependency><groupId>g</groupId><artifactId>x</artifactId><version>1</version></dependency></dependencies>
    </project>`;
    expect(parsePom(self, 'pom.xml', () => self).map((p) => p.name)).toEqual(['g:x']);
  });

  it('rejects XML whose root is not <project>', () => {
    expect(() => pomXmlParser.parse('<settings></settings>', 'pom.xml')).toThrow(LockfileError);
  });

  it('matches pom.xml and .pom files', () => {
    expect(pomXmlParser.matches('module/pom.xml')).toBe(true);
    expect(pomXmlParser.matches('repo/junit-4.12.pom')).toBe(true);
    expect(pomXmlParser.matches('pom.xml.bak')).toBe(false);
  });
});
