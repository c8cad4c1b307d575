import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { pipfileLockParser } from '../../../src/domain/scan/lockfiles/pipfile-lock.js';
import { comparable, oracleCases, readFixture } from './support/scalibr-oracle.js';

const FOLDER = 'python-pipfilelock';

describe('Pipfile.lock against osv-scalibr', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      const text = readFixture(FOLDER, c.file);
      if (c.wantErr) {
        expect(() => pipfileLockParser.parse(text, c.file)).toThrow(LockfileError);
        return;
      }
      const got = pipfileLockParser.parse(text, c.file);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
      expect(got.every((p) => p.ecosystem === 'PyPI')).toBe(true);
    });
  }
});

describe('Pipfile.lock details', () => {
  it('gives the line of each entry, and counts a version in both sections once, as shipped', () => {
    const text = [
      '{',
      '  "default": {"six": {"version": "==1.16.0"}},',
      '  "develop": {',
      '    "six": {"version": "==1.16.0"},',
      '    "pytest": {"version": "==6.2.5", "hashes": ["sha256:{\\"x\\": 1}"]},',
      '    "weird \\"name\\"": {"version": "==1.0"}',
      '  }',
      '}',
    ].join('\n');
    expect(pipfileLockParser.parse(text, 'Pipfile.lock')).toEqual([
      { ecosystem: 'PyPI', name: 'six', version: '1.16.0', depGroups: [], line: 2 },
      { ecosystem: 'PyPI', name: 'pytest', version: '6.2.5', depGroups: ['dev'], line: 5 },
      { ecosystem: 'PyPI', name: 'weird "name"', version: '1.0', depGroups: ['dev'], line: 6 },
    ]);
  });

  it('rejects JSON that is not a Pipfile.lock', () => {
    expect(() => pipfileLockParser.parse('[1, 2]', 'Pipfile.lock')).toThrow(LockfileError);
    expect(() => pipfileLockParser.parse('{"default": []}', 'Pipfile.lock')).toThrow(LockfileError);
  });

  it('matches Pipfile.lock only', () => {
    expect(pipfileLockParser.matches('svc/Pipfile.lock')).toBe(true);
    expect(pipfileLockParser.matches('svc/Pipfile')).toBe(false);
  });
});
