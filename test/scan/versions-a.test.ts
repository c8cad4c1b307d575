import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as nuget from '../../src/domain/scan/versions/nuget.js';
import * as pub from '../../src/domain/scan/versions/pub.js';
import * as pypi from '../../src/domain/scan/versions/pypi.js';
import * as rubygems from '../../src/domain/scan/versions/rubygems.js';
import * as semver from '../../src/domain/scan/versions/semver.js';

// Oracle data copied from osv-scalibr: see test/fixtures/version-ordering/SOURCE.md.
const FIXTURES = new URL('../fixtures/version-ordering/', import.meta.url);

type Compare = (a: string, b: string) => number;
interface Line {
  readonly no: number;
  readonly a: string;
  readonly op: '<' | '>' | '=';
  readonly b: string;
}

function readLines(file: string): Line[] {
  const lines: Line[] = [];
  readFileSync(new URL(file, FIXTURES), 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const text = raw.trim();
      if (text === '' || text.startsWith('#') || text.startsWith('//')) return;
      const m = /^(.+?) ([<>=]) (.+)$/.exec(text);
      if (!m) throw new Error(`${file}:${i + 1}: cannot read "${text}"`);
      lines.push({ no: i + 1, a: m[1] ?? '', op: m[2] as Line['op'], b: m[3] ?? '' });
    });
  return lines;
}

/** Every failing line, so one test reports them all at once. */
function failures(file: string, compare: Compare): string[] {
  const want = { '<': -1, '>': 1, '=': 0 } as const;
  return readLines(file)
    .filter(({ a, op, b }) => {
      const s = want[op];
      return Math.sign(compare(a, b)) !== s || Math.sign(compare(b, a)) !== -s;
    })
    .map(({ no, a, op, b }) => `${file}:${no}: ${a} ${op} ${b} (got ${compare(a, b)})`);
}

/** Antisymmetry on every pair, and transitivity: a sorted list must be ordered pairwise. */
function orderViolations(file: string, compare: Compare, extra: readonly string[]): string[] {
  const versions = [...new Set([...readLines(file).flatMap(({ a, b }) => [a, b]), ...extra])].sort(compare);
  const bad: string[] = [];
  for (let i = 0; i < versions.length; i++) {
    for (let j = i; j < versions.length; j++) {
      const x = versions[i] ?? '';
      const y = versions[j] ?? '';
      const xy = Math.sign(compare(x, y));
      if (xy !== -Math.sign(compare(y, x))) bad.push(`not antisymmetric: ${x} / ${y}`);
      if (xy > 0) bad.push(`not transitive: ${x} sorted before ${y}`);
    }
  }
  return bad;
}

// Strings no ecosystem accepts, to check that compare never throws and stays a total order.
const JUNK = ['', ' ', 'latest', 'not a version', '1..2', '!', '*', '1.0.0-', 'v', '+x'];

const ORDERINGS: { name: string; file: string; compare: Compare }[] = [
  { name: 'semver', file: 'semver-versions.txt', compare: semver.compare },
  { name: 'pypi', file: 'pypi-versions.txt', compare: pypi.compare },
  { name: 'rubygems', file: 'rubygems-versions.txt', compare: rubygems.compare },
  { name: 'nuget', file: 'nuget-versions.txt', compare: nuget.compare },
  { name: 'pub', file: 'pub-versions.txt', compare: pub.compare },
];

for (const { name, file, compare } of ORDERINGS) {
  describe(name, () => {
    it(`passes every line of ${file}`, () => {
      expect(failures(file, compare)).toEqual([]);
    });

    it('is antisymmetric and transitive over the fixture versions and junk', () => {
      expect(orderViolations(file, compare, JUNK)).toEqual([]);
    });

    it('never throws on junk and gives 0 only for identical junk or equal keys', () => {
      for (const x of JUNK) {
        for (const y of JUNK) {
          const c = compare(x, y);
          expect(Number.isFinite(c)).toBe(true);
          if (x === y) expect(c).toBe(0);
        }
      }
    });
  });
}

describe('documented choices', () => {
  it('semver: Go prefixes and +incompatible, lenient short versions, junk after valid', () => {
    expect(semver.compare('v2.0.0+incompatible', '2.0.0')).toBe(0);
    expect(semver.compare('1.2', '1.2.0')).toBe(0);
    expect(semver.compare('1', '1.0.0')).toBe(0);
    expect(semver.compare('1.2.3beta', '1.2.3-beta')).toBe(0);
    expect(semver.compare('latest', '999.0.0')).toBeGreaterThan(0);
    expect(semver.parse('1.2.3-rc.1+build.5')).toEqual({
      core: ['1', '2', '3'],
      prerelease: ['rc', '1'],
      build: ['build', '5'],
    });
  });

  it('pypi: normalisation, epochs, post/dev/local, legacy before valid', () => {
    expect(pypi.compare('1.0RC1', '1.0rc1')).toBe(0);
    expect(pypi.compare('1.0-post1', '1.0.post1')).toBe(0);
    expect(pypi.compare('1.0-1', '1.0.post1')).toBe(0);
    expect(pypi.compare('v1.0', '1.0.0')).toBe(0);
    expect(pypi.compare('1.0alpha', '1.0a0')).toBe(0);
    expect(pypi.compare('1!0.1', '2.0')).toBeGreaterThan(0);
    expect(pypi.compare('1.0.dev1', '1.0a1')).toBeLessThan(0);
    expect(pypi.compare('1.0a1.post1', '1.0a2')).toBeLessThan(0);
    expect(pypi.compare('1.0+abc', '1.0+1')).toBeLessThan(0);
    expect(pypi.compare('not a version', '0.0.dev0')).toBeLessThan(0);
    expect(pypi.parse('1.0.0-bulbasaur')).toBeNull();
  });

  it('rubygems: dash means .pre., trailing zeros, junk after valid', () => {
    expect(rubygems.compare('1.0-rc1', '1.0.pre.rc1')).toBe(0);
    expect(rubygems.compare('1.0.0', '1')).toBe(0);
    expect(rubygems.compare('1.0.a', '1.a')).toBe(0);
    expect(rubygems.compare('1.0.b1', '1.0')).toBeLessThan(0);
    expect(rubygems.compare('v1.0', '99')).toBeGreaterThan(0);
  });

  it('nuget: revision, case-insensitive labels, metadata ignored, junk after valid', () => {
    expect(nuget.compare('1.0.0.0-RC.1+sha', '1.0-rc.1')).toBe(0);
    expect(nuget.compare('1.0.0.1-alpha', '1.0.0.1')).toBeLessThan(0);
    expect(nuget.compare('1.0.0-alpha.10', '1.0.0-ALPHA.9')).toBeGreaterThan(0);
    expect(nuget.compare('1.0.0.0.0', '2.0.0')).toBeGreaterThan(0);
  });

  it('pub: build metadata orders after the bare version', () => {
    expect(pub.compare('1.0.0+1', '1.0.0')).toBeGreaterThan(0);
    expect(pub.compare('1.0.0+1', '1.0.1-dev')).toBeLessThan(0);
    expect(pub.compare('v1.0.0+build', '1.0.0+build')).toBe(0);
  });
});
