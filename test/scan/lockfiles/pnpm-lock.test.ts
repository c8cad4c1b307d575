import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { pnpmLockParser } from '../../../src/domain/scan/lockfiles/pnpm-lock.js';
import { comparable, oracleCases, readFixture } from './support/scalibr-oracle.js';

const FOLDER = 'javascript-pnpmlock';

describe('pnpm-lock.yaml (osv-scalibr javascript/pnpmlock cases)', () => {
  for (const c of oracleCases(FOLDER)) {
    it(`${c.name} (${c.file})`, () => {
      const text = readFixture(FOLDER, c.file);
      // Upstream returns the packages read before a bad dependency path along with the error;
      // a LockfileError carries no packages, so only the error is checked.
      if (c.wantErr) {
        expect(() => pnpmLockParser.parse(text, c.file)).toThrow(LockfileError);
        return;
      }
      const got = pnpmLockParser.parse(text, c.file);
      expect(got.every((p) => p.ecosystem === 'npm')).toBe(true);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
    });
  }
});

describe('pnpm-lock.yaml parser', () => {
  it('matches pnpm-lock.yaml by base name', () => {
    expect(pnpmLockParser.matches('repo/pnpm-lock.yaml')).toBe(true);
    expect(pnpmLockParser.matches('repo/pnpm-workspace.yaml')).toBe(false);
  });

  // These upstream fixtures have no case in the Go tables; the groups follow the `dev` and
  // `optional` flags that lockfiles before 9.0 write on each entry.
  for (const file of ['mixed-groups.v53.yaml', 'mixed-groups.v54.yaml']) {
    it(`reads dev and optional flags (${file})`, () => {
      const got = pnpmLockParser.parse(readFixture(FOLDER, file), file);
      expect(got.map((p) => [p.name, p.version, p.depGroups, p.line])).toEqual([
        ['ansi-regex', '5.0.1', [], 19],
        ['is-number', '7.0.0', ['dev'], 24],
        ['uuid', '8.3.2', ['optional'], 29],
      ]);
    });
  }

  it('reads dev and optional flags in a 6.0 lockfile', () => {
    const got = pnpmLockParser.parse(readFixture(FOLDER, 'mixed-groups.v6.yaml'), 'pnpm-lock.yaml');
    expect(got.map((p) => [p.name, p.version, p.depGroups])).toEqual([
      ['ansi-regex', '5.0.0', []],
      ['is-number', '7.0.0', ['dev']],
      ['uuid', '8.0.0', ['optional']],
    ]);
  });

  it('reads 6.0 peer suffixes that hold scoped names', () => {
    const text = [
      "lockfileVersion: '6.0'",
      'packages:',
      '  /@typescript-eslint/utils@5.62.0(eslint@8.57.0)(@types/node@20.1.0):',
      '    dev: true',
    ].join('\n');
    expect(pnpmLockParser.parse(text, 'pnpm-lock.yaml')).toEqual([
      { ecosystem: 'npm', name: '@typescript-eslint/utils', version: '5.62.0', depGroups: ['dev'], line: 3 },
    ]);
  });

  it('reads a real 5.3 lockfile (vite, 2021)', () => {
    const text = readFixture('real-world', 'vite@577b31c954_2021-12-31/pnpm-lock.yaml');
    const got = pnpmLockParser.parse(text, 'pnpm-lock.yaml');
    // 1,122 entries; three are peer variants of a version already listed.
    expect(got.length).toBeGreaterThan(1000);
    const find = (name: string, version: string) => got.find((p) => p.name === name && p.version === version);
    expect(find('esbuild', '0.14.3')).toMatchObject({ line: 4106 });
    expect(find('rollup', '2.62.0')).toMatchObject({ line: 7650 });
    expect(find('vue', '3.2.26')).toMatchObject({ line: 8764 });
  });
});
