import { describe, expect, it } from 'vitest';
import { parseRequirements, requirementsParser } from '../../../src/domain/scan/lockfiles/requirements.js';
import { comparable, oracleCases, readFixture } from './support/scalibr-oracle.js';

const FOLDER = 'python-requirements';

/** Reads nested files from the fixture folder, as the scan CLI would from the scanned tree. */
function fromFolder(folder: string): (path: string) => string | undefined {
  return (path) => {
    try {
      return readFixture(folder, path);
    } catch {
      return undefined;
    }
  };
}

describe('requirements.txt against osv-scalibr', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      const got = parseRequirements(readFixture(FOLDER, c.file), c.file, fromFolder(FOLDER));
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
      expect(got.every((p) => p.ecosystem === 'PyPI')).toBe(true);
    });
  }
});

describe('requirements.txt nesting', () => {
  it('reads `-r` files only through the resolver, resolved beside the including file', () => {
    const asked: string[] = [];
    const read = (path: string): string | undefined => {
      asked.push(path);
      return path === 'reqs/base.txt' ? 'flask==2.0.1\n-r ../reqs/base.txt\n' : undefined;
    };
    const text = 'requests==2.26.0\n-r base.txt\n--requirement=missing.txt\n';
    expect(requirementsParser.parse(text, 'reqs/dev.txt').map((p) => p.name)).toEqual(['requests']);
    const got = parseRequirements(text, 'reqs/dev.txt', read);
    expect(got).toEqual([
      { ecosystem: 'PyPI', name: 'requests', version: '2.26.0', line: 1 },
      { ecosystem: 'PyPI', name: 'flask', version: '2.0.1' },
    ]);
    // base.txt includes itself: read once.
    expect(asked).toEqual(['reqs/base.txt', 'reqs/missing.txt']);
  });

  it('keeps pip-compile pins with hashes, markers and via comments', () => {
    const text = [
      'certifi==2021.10.8 \\',
      '    --hash=sha256:78884e7c1d4b00ce3cea67b44566851c4343c120abd683433ce934a68ea58872',
      '    # via requests',
      'greenlet==1.1.2 ; python_version < "3.11"',
      '-e git+https://github.com/x/y.git#egg=y',
      '--index-url https://pypi.org/simple',
      'click @ https://github.com/pallets/click/archive/refs/heads/main.tar.gz',
      'six>1.0',
    ].join('\n');
    expect(parseRequirements(text, 'requirements.txt')).toEqual([
      { ecosystem: 'PyPI', name: 'certifi', version: '2021.10.8', line: 1 },
      { ecosystem: 'PyPI', name: 'greenlet', version: '1.1.2', line: 4 },
      { ecosystem: 'PyPI', name: 'six', version: '', line: 8 },
    ]);
  });
});

describe('requirements.txt matching', () => {
  it.each([
    ['requirements.txt', true],
    ['app/requirements-dev.txt', true],
    ['dev-requirements.txt', true],
    ['requirements/tests.txt', true],
    ['C:\\src\\requirements\\docs.txt', true],
    ['requirements.in', false],
    ['notes.txt', false],
    ['constraints.txt', false],
  ])('%s → %s', (path, expected) => {
    expect(requirementsParser.matches(path)).toBe(expected);
  });
});

describe('requirements.txt on real files (pallets/flask, requirements/)', () => {
  const FLASK = 'real-world/flask@9d36623db1_2021-12-22';
  const files = ['dev.txt', 'docs.txt', 'tests.txt', 'typing.txt', 'tests-pallets-min.txt', 'tests-pallets-dev.txt'];

  it('parses every file', () => {
    for (const file of files) {
      const path = `requirements/${file}`;
      expect(requirementsParser.matches(path)).toBe(true);
      expect(() => requirementsParser.parse(readFixture(FLASK, path), path)).not.toThrow();
    }
  });

  it('reads the pip-compile pins of dev.txt', () => {
    const got = requirementsParser.parse(readFixture(FLASK, 'requirements/dev.txt'), 'requirements/dev.txt');
    expect(got.length).toBeGreaterThan(60);
    expect(got).toContainEqual(expect.objectContaining({ name: 'sphinx', version: '4.3.2' }));
    expect(got).toContainEqual(expect.objectContaining({ name: 'greenlet', version: '1.1.2' }));
    expect(got).toContainEqual(expect.objectContaining({ name: 'urllib3', version: '1.26.7' }));
    expect(got.every((p) => p.version !== '')).toBe(true);
  });

  it('skips the URL requirements of tests-pallets-dev.txt, which pin no version', () => {
    const path = 'requirements/tests-pallets-dev.txt';
    expect(requirementsParser.parse(readFixture(FLASK, path), path)).toEqual([]);
  });
});
