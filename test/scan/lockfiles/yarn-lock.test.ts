import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { yarnLockParser } from '../../../src/domain/scan/lockfiles/yarn-lock.js';
import { comparable, oracleCases, readFixture } from './support/scalibr-oracle.js';

const FOLDER = 'javascript-yarnlock';

describe('yarn.lock (osv-scalibr javascript/yarnlock cases)', () => {
  for (const c of oracleCases(FOLDER)) {
    it(`${c.name} (${c.file})`, () => {
      const text = readFixture(FOLDER, c.file);
      if (c.wantErr) {
        expect(() => yarnLockParser.parse(text, c.file)).toThrow(LockfileError);
        return;
      }
      const got = yarnLockParser.parse(text, c.file);
      expect(got.every((p) => p.ecosystem === 'npm' && p.depGroups === undefined)).toBe(true);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
    });
  }
});

describe('yarn.lock parser', () => {
  it('matches yarn.lock by base name', () => {
    expect(yarnLockParser.matches('web/yarn.lock')).toBe(true);
    expect(yarnLockParser.matches('web/yarn.lock.bak')).toBe(false);
  });

  it('reads a Berry file holding only its metadata as empty', () => {
    expect(yarnLockParser.parse(readFixture(FOLDER, 'metadata-only.v2.lock'), 'yarn.lock')).toEqual([]);
  });

  it('reports a patch: entry once, as the version it patches', () => {
    const text = [
      '__metadata:',
      '  version: 8',
      '',
      '"resolve@npm:^1.22.1":',
      '  version: 1.22.1',
      '  resolution: "resolve@npm:1.22.1"',
      '',
      '"resolve@patch:resolve@npm%3A^1.22.1#optional!builtin<compat/resolve>":',
      '  version: 1.22.1',
      '  resolution: "resolve@patch:resolve@npm%3A1.22.1#optional!builtin<compat/resolve>::version=1.22.1&hash=c3c19d"',
      '',
      '"left-pad@npm:1.10.0":',
      '  version: 1.10.0',
      '  resolution: "left-pad@npm:1.10.0"',
    ].join('\n');
    expect(yarnLockParser.parse(text, 'yarn.lock')).toEqual([
      { ecosystem: 'npm', name: 'resolve', version: '1.22.1', line: 4 },
      // A version YAML would read as a number keeps its digits.
      { ecosystem: 'npm', name: 'left-pad', version: '1.10.0', line: 12 },
    ]);
  });

  it('rejects text that is not a Yarn 1 lockfile', () => {
    expect(() => yarnLockParser.parse('{"lockfileVersion": 2}\n', 'yarn.lock')).toThrow(LockfileError);
    expect(() => yarnLockParser.parse('  version "1.0.0"\n', 'yarn.lock')).toThrow(LockfileError);
  });

  it('rejects a Berry file that is not valid YAML', () => {
    expect(() => yarnLockParser.parse('__metadata:\n  version: [8\n', 'yarn.lock')).toThrow(LockfileError);
  });
});
