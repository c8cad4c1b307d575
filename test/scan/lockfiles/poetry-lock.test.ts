import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { poetryLockParser } from '../../../src/domain/scan/lockfiles/poetry-lock.js';
import { comparable, oracleCases, readFixture } from './support/scalibr-oracle.js';

const FOLDER = 'python-poetrylock';

describe('poetry.lock against osv-scalibr', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      const text = readFixture(FOLDER, c.file);
      if (c.wantErr) {
        expect(() => poetryLockParser.parse(text, c.file)).toThrow(LockfileError);
        return;
      }
      const got = poetryLockParser.parse(text, c.file);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
      expect(got.every((p) => p.ecosystem === 'PyPI')).toBe(true);
    });
  }
});

describe('poetry.lock details', () => {
  it('reads the dev category of lock files before 2.0', () => {
    const text = '[[package]]\nname = "pytest"\nversion = "6.2.5"\ncategory = "dev"\noptional = false\n';
    expect(poetryLockParser.parse(text, 'poetry.lock')).toEqual([
      { ecosystem: 'PyPI', name: 'pytest', version: '6.2.5', depGroups: ['dev'], line: 2 },
    ]);
  });

  it('rejects a `package` key that is not an array of tables', () => {
    expect(() => poetryLockParser.parse('package = "x"\n', 'poetry.lock')).toThrow(LockfileError);
  });

  it('matches poetry.lock only', () => {
    expect(poetryLockParser.matches('a/b/poetry.lock')).toBe(true);
    expect(poetryLockParser.matches('a/b/pyproject.toml')).toBe(false);
    expect(poetryLockParser.matches('poetry.lock.bak')).toBe(false);
  });
});

describe('poetry.lock on a real file (python-poetry/poetry, 2021)', () => {
  const text = readFixture('real-world/poetry@cdbacd649f_2021-11-21', 'poetry.lock');
  const got = poetryLockParser.parse(text, 'poetry.lock');

  it('yields every package with its version and line', () => {
    expect(got).toHaveLength(65);
    expect(got.every((p) => p.version !== '' && p.line !== undefined)).toBe(true);
    expect(got).toContainEqual({
      ecosystem: 'PyPI',
      name: 'atomicwrites',
      version: '1.4.0',
      depGroups: ['dev'],
      line: 2,
    });
    expect(got).toContainEqual(expect.objectContaining({ name: 'cachecontrol', version: '0.12.10', depGroups: [] }));
  });
});
