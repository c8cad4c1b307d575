import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { uvLockParser } from '../../../src/domain/scan/lockfiles/uv-lock.js';
import { comparable, oracleCases, readFixture } from './support/scalibr-oracle.js';

const FOLDER = 'python-uvlock';

describe('uv.lock against osv-scalibr', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      const text = readFixture(FOLDER, c.file);
      if (c.wantErr) {
        expect(() => uvLockParser.parse(text, c.file)).toThrow(LockfileError);
        return;
      }
      const got = uvLockParser.parse(text, c.file);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
      expect(got.every((p) => p.ecosystem === 'PyPI')).toBe(true);
    });
  }
});

describe('uv.lock details', () => {
  it('leaves out an editable project root and reads its dependency groups', () => {
    const text = [
      'version = 1',
      '',
      '[[package]]',
      'name = "app"',
      'version = "0.1.0"',
      'source = { editable = "." }',
      '',
      '[package.dev-dependencies]',
      'lint = [{ name = "ruff" }]',
      '',
      '[[package]]',
      'name = "ruff"',
      'version = "0.8.1"',
      'source = { registry = "https://pypi.org/simple" }',
    ].join('\n');
    expect(uvLockParser.parse(text, 'uv.lock')).toEqual([
      { ecosystem: 'PyPI', name: 'ruff', version: '0.8.1', depGroups: ['lint'], line: 12 },
    ]);
  });

  it('matches uv.lock only', () => {
    expect(uvLockParser.matches('py/uv.lock')).toBe(true);
    expect(uvLockParser.matches('py/poetry.lock')).toBe(false);
  });
});
