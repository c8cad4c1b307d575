import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { nugetLockParser } from '../../../src/domain/scan/lockfiles/nuget-lock.js';
import { comparable, readFixture, oracleCases } from './support/scalibr-oracle.js';

const FOLDER = 'dotnet-packageslockjson';

// expected.json lists "non json input" with no packages and no error, but every upstream version of the
// test table seen says `wantErr: cmpopts.AnyError` for it (the derivation missed that field), and a file
// that is not JSON must be reported rather than read as "nothing installed".
const ERROR_CASES = new Set(['non json input']);

describe('packages.lock.json against osv-scalibr dotnet/packageslockjson', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      const text = readFixture(FOLDER, c.file);
      if (c.wantErr || ERROR_CASES.has(c.name)) {
        expect(c.want).toEqual([]);
        expect(() => nugetLockParser.parse(text, 'packages.lock.json')).toThrow(LockfileError);
        return;
      }
      const got = nugetLockParser.parse(text, 'packages.lock.json');
      expect(got.every((p) => p.ecosystem === 'NuGet')).toBe(true);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
    });
  }
});

describe('packages.lock.json details', () => {
  it('lists a package restored for several frameworks once, and skips project references', () => {
    const text = JSON.stringify({
      version: 1,
      dependencies: {
        'net6.0': {
          'Core.Dep': { type: 'Direct', requested: '[1.24.0, )', resolved: '1.24.0' },
          'My.Other.Project': { type: 'Project', dependencies: { 'Core.Dep': '[1.24.0, )' } },
        },
        'net8.0': {
          'Core.Dep': { type: 'Direct', requested: '[1.24.0, )', resolved: '1.24.0' },
          'Newer.Dep': { type: 'Transitive', resolved: '2.0.0' },
        },
      },
    });
    expect(nugetLockParser.parse(`\uFEFF${text}`, 'packages.lock.json')).toEqual([
      { ecosystem: 'NuGet', name: 'Core.Dep', version: '1.24.0' },
      { ecosystem: 'NuGet', name: 'Newer.Dep', version: '2.0.0' },
    ]);
  });

  it('rejects JSON of the wrong shape', () => {
    expect(() => nugetLockParser.parse('null', 'packages.lock.json')).toThrow(LockfileError);
    expect(() => nugetLockParser.parse('{"dependencies":[]}', 'packages.lock.json')).toThrow(LockfileError);
    expect(() => nugetLockParser.parse('{"dependencies":{"net6.0":3}}', 'packages.lock.json')).toThrow(LockfileError);
  });

  it('matches packages.lock.json only', () => {
    expect(nugetLockParser.matches('src/App/packages.lock.json')).toBe(true);
    expect(nugetLockParser.matches('src/App/App.csproj')).toBe(false);
    expect(nugetLockParser.matches('package-lock.json')).toBe(false);
  });
});
