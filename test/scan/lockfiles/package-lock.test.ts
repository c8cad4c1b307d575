import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { gitCommitOf, mergeGroups } from '../../../src/domain/scan/lockfiles/npm-common.js';
import { npmShrinkwrapParser, packageLockParser } from '../../../src/domain/scan/lockfiles/package-lock.js';
import { comparable, oracleCases, readFixture } from './support/scalibr-oracle.js';

const FOLDER = 'javascript-packagelockjson';

// Upstream's extractor skips a package-lock.json that has an npm-shrinkwrap.json beside it (npm
// itself ignores the lock then). A pure parser sees one file's text, not its siblings: choosing
// between the two is the file walker's job, so that case is not run here.
const SIBLING_CASE = 'testdata/both/package-lock.json';

describe('package-lock.json and npm-shrinkwrap.json (osv-scalibr javascript/packagelockjson cases)', () => {
  for (const c of oracleCases(FOLDER)) {
    if (`testdata/${c.file}` === SIBLING_CASE) continue;
    const parser = c.file.endsWith('npm-shrinkwrap.json') ? npmShrinkwrapParser : packageLockParser;
    it(`${c.name} (${c.file})`, () => {
      const text = readFixture(FOLDER, c.file);
      if (c.wantErr) {
        expect(() => parser.parse(text, c.file)).toThrow(LockfileError);
        return;
      }
      const got = parser.parse(text, c.file);
      expect(got.every((p) => p.ecosystem === 'npm')).toBe(true);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
    });
  }
});

describe('package-lock.json parser', () => {
  it('matches lockfiles by base name only', () => {
    expect(packageLockParser.matches('app/package-lock.json')).toBe(true);
    expect(packageLockParser.matches('C:\\app\\package-lock.json')).toBe(true);
    expect(packageLockParser.matches('app/package.json')).toBe(false);
    expect(packageLockParser.matches('app/npm-shrinkwrap.json')).toBe(false);
    expect(npmShrinkwrapParser.matches('npm-shrinkwrap.json')).toBe(true);
    expect(npmShrinkwrapParser.format).toBe('npm-shrinkwrap.json');
  });

  it('skips links and reads the linked folder instead', () => {
    const text = [
      '{',
      '  "lockfileVersion": 3,',
      '  "packages": {',
      '    "": { "name": "root" },',
      '    "node_modules/local": { "resolved": "packages/local", "link": true },',
      '    "packages/local": { "name": "local", "version": "0.1.0" },',
      '    "node_modules/@scope/x": { "version": "2.0.0", "devOptional": true }',
      '  }',
      '}',
    ].join('\n');
    expect(packageLockParser.parse(text, 'package-lock.json')).toEqual([
      { ecosystem: 'npm', name: 'local', version: '0.1.0', depGroups: [], line: 6 },
      { ecosystem: 'npm', name: '@scope/x', version: '2.0.0', depGroups: ['dev', 'optional'], line: 7 },
    ]);
  });

  it('reads a real v1 lockfile (NodeGoat, 2019)', () => {
    const text = readFixture('real-world', 'NodeGoat@173e7c7136_2019-08-07/package-lock.json');
    const got = packageLockParser.parse(text, 'package-lock.json');
    expect(got.length).toBeGreaterThan(900);
    const find = (name: string, version: string) => got.find((p) => p.name === name && p.version === version);
    // Pins taken from the file: a top-level production dependency, and a nested dev-only copy.
    expect(find('express', '4.16.4')).toMatchObject({ depGroups: [], line: 1883 });
    expect(find('@cypress/listr-verbose-renderer', '0.4.1')).toMatchObject({ depGroups: ['dev'], line: 7 });
    expect(find('ansi-styles', '2.2.1')).toBeDefined();
    expect(got.every((p) => p.line !== undefined && p.version !== '')).toBe(true);
  });
});

// Shared by the three npm-family parsers; tested here, beside the format that uses both.
describe('npm-family helpers', () => {
  const SHA = '3b1bb80b302c2e552685dc8a029797ec832ea7c9';

  it('finds the commit a resolution pins', () => {
    expect(gitCommitOf(`git+ssh://git@github.com/o/r.git#${SHA}`)).toBe(SHA);
    expect(gitCommitOf(`name@https://github.com/o/r.git#commit=${SHA}`)).toBe(SHA);
    expect(gitCommitOf(`github:o/r#${SHA}`)).toBe(SHA);
    expect(gitCommitOf(`https://codeload.github.com/o/r/tar.gz/${SHA}`)).toBe(SHA);
    expect(gitCommitOf(`https://gitlab.com/o/r/repository/archive.tar.gz?ref=${SHA}`)).toBe(SHA);
  });

  it('does not take a branch, a tag or a registry checksum for a commit', () => {
    expect(gitCommitOf('git+ssh://git@github.com/o/r.git#main')).toBe('');
    expect(gitCommitOf('github:o/r#v1.2.0')).toBe('');
    expect(gitCommitOf(`https://registry.yarnpkg.com/etag/-/etag-1.8.1.tgz#${SHA}`)).toBe('');
    expect(gitCommitOf('1.2.3')).toBe('');
  });

  it('merges groups the way npm does: a production copy wins', () => {
    expect(mergeGroups(['dev'], [])).toEqual([]);
    expect(mergeGroups(['optional'], ['dev'])).toEqual(['dev', 'optional']);
  });
});
