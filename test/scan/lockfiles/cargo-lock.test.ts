import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { cargoLockParser } from '../../../src/domain/scan/lockfiles/cargo-lock.js';
import { comparable, readFixture, oracleCases } from './support/scalibr-oracle.js';

const FOLDER = 'rust-cargolock';

describe('Cargo.lock against osv-scalibr rust/cargolock', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      const text = readFixture(FOLDER, c.file);
      if (c.wantErr) {
        expect(() => cargoLockParser.parse(text, 'Cargo.lock')).toThrow(LockfileError);
        return;
      }
      const got = cargoLockParser.parse(text, 'Cargo.lock');
      expect(got.every((p) => p.ecosystem === 'crates.io')).toBe(true);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
    });
  }
});

describe('Cargo.lock details', () => {
  it('takes the commit of a Git source', () => {
    const got = cargoLockParser.parse(readFixture(FOLDER, 'package-with-comments.lock'), 'Cargo.lock');
    expect(got.find((p) => p.name === 'syn')?.commit).toBe('061a9ab4cfabf2a403dbeab4bbcb8ff97d344dff');
    expect(got.find((p) => p.name === 'addr2line')?.commit).toBeUndefined();
  });

  it('reads the v1 layout: a [root] table and checksums in [metadata]', () => {
    const text = [
      '[root]',
      'name = "app"',
      'version = "0.1.0"',
      '',
      '[[package]]',
      'name = "libc"',
      'version = "0.2.40"',
      'source = "registry+https://github.com/rust-lang/crates.io-index"',
      '',
      '[metadata]',
      '"checksum libc 0.2.40 (registry+https://github.com/rust-lang/crates.io-index)" = "6fd41f33"',
    ].join('\n');
    expect(cargoLockParser.parse(text, 'Cargo.lock')).toEqual([
      { ecosystem: 'crates.io', name: 'libc', version: '0.2.40', line: 6 },
    ]);
  });

  it('rejects a `package` key that is not an array of tables', () => {
    expect(() => cargoLockParser.parse('package = "x"\n', 'Cargo.lock')).toThrow(LockfileError);
  });

  it('matches Cargo.lock by base name only', () => {
    expect(cargoLockParser.matches('a/b/Cargo.lock')).toBe(true);
    expect(cargoLockParser.matches('C:\\src\\Cargo.lock')).toBe(true);
    expect(cargoLockParser.matches('Cargo.toml')).toBe(false);
    expect(cargoLockParser.matches('cargo.lock.bak')).toBe(false);
  });

  it('reads the v1 lockfile of ripgrep (2020)', () => {
    const text = readFixture('real-world/ripgrep@a6d05475fb_2020-11-23', 'Cargo.lock');
    const got = cargoLockParser.parse(text, 'Cargo.lock');
    expect(got.length).toBe(68);
    expect(got).toContainEqual(
      expect.objectContaining({ ecosystem: 'crates.io', name: 'aho-corasick', version: '0.7.14', line: 4 }),
    );
    expect(got).toContainEqual(expect.objectContaining({ name: 'winapi-util', version: '0.1.5' }));
    expect(got).toContainEqual(expect.objectContaining({ name: 'ripgrep' }));
  });
});
