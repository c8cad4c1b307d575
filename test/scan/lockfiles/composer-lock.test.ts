import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { composerLockParser } from '../../../src/domain/scan/lockfiles/composer-lock.js';
import { comparable, readFixture, oracleCases } from './support/scalibr-oracle.js';

const FOLDER = 'php-composerlock';

describe('composer.lock against osv-scalibr php/composerlock', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      const text = readFixture(FOLDER, c.file);
      if (c.wantErr) {
        expect(() => composerLockParser.parse(text, 'composer.lock')).toThrow(LockfileError);
        return;
      }
      const got = composerLockParser.parse(text, 'composer.lock');
      expect(got.every((p) => p.ecosystem === 'Packagist')).toBe(true);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
    });
  }
});

describe('composer.lock details', () => {
  it('finds lines in compact JSON and ignores "name" keys nested deeper', () => {
    const text =
      '{"packages":[{"authors":[{"name":"x"}],"name":"a/b","version":"1.0.0"},\n' +
      '{"name":"c/d","version":"2.0.0","source":{"reference":"abc123"}}],\n' +
      '"packages-dev":[\n{"name":"e/f","version":"3.0.0"}]}';
    expect(composerLockParser.parse(text, 'composer.lock')).toEqual([
      { ecosystem: 'Packagist', name: 'a/b', version: '1.0.0', depGroups: [], line: 1 },
      { ecosystem: 'Packagist', name: 'c/d', version: '2.0.0', depGroups: [], commit: 'abc123', line: 2 },
      { ecosystem: 'Packagist', name: 'e/f', version: '3.0.0', depGroups: ['dev'], line: 4 },
    ]);
  });

  it('rejects sections that are not arrays', () => {
    expect(() => composerLockParser.parse('{"packages":{}}', 'composer.lock')).toThrow(LockfileError);
  });

  it('matches composer.lock only', () => {
    expect(composerLockParser.matches('web/composer.lock')).toBe(true);
    expect(composerLockParser.matches('composer.json')).toBe(false);
  });

  it('reads the lockfile of BookStack (2020)', () => {
    const text = readFixture('real-world/BookStack@2b603b0488_2020-12-18', 'composer.lock');
    const got = composerLockParser.parse(text, 'composer.lock');
    expect(got.length).toBe(88 + 48);
    expect(got.filter((p) => p.depGroups?.includes('dev')).length).toBe(48);
    expect(got).toContainEqual(
      expect.objectContaining({
        name: 'laravel/framework',
        version: 'v6.20.7',
        commit: 'bdc79701b567c5f8ed44d212dd4a261b8300b9c3',
        depGroups: [],
        line: 1708,
      }),
    );
    expect(got).toContainEqual(
      expect.objectContaining({ name: 'phpunit/phpunit', version: '8.5.13', depGroups: ['dev'], line: 7961 }),
    );
  });
});
