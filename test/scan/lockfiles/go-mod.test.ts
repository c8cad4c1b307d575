import { describe, expect, it } from 'vitest';
import { LockfileError } from '../../../src/domain/scan/inventory.js';
import { goModParser, parseGoMod } from '../../../src/domain/scan/lockfiles/go-mod.js';
import { comparable, oracleCases, readFixture } from './support/scalibr-oracle.js';

const FOLDER = 'golang-gomod';

/** Reads go.sum from the fixture folder, as the scan CLI would from the scanned tree. */
function goSumFrom(folder: string): (path: string) => string | undefined {
  return (path) => {
    try {
      return readFixture(folder, path);
    } catch {
      return undefined;
    }
  };
}

describe('go.mod against osv-scalibr', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      const text = readFixture(FOLDER, c.file);
      if (c.wantErr) {
        expect(() => parseGoMod(text, c.file, goSumFrom(FOLDER))).toThrow(LockfileError);
        return;
      }
      const got = parseGoMod(text, c.file, goSumFrom(FOLDER));
      // Upstream gives go.sum's lines to the packages found there; ours say nothing about lines in
      // another file, so for the case that reads go.sum the lines are not comparable.
      const ignoreLines = c.want.some((w) => w.line === undefined);
      const [want, actual] = comparable(c.want, got, { ignoreLines });
      expect(actual).toEqual(want);
      expect(got.every((p) => p.ecosystem === 'Go')).toBe(true);
    });
  }
});

describe('go.mod details', () => {
  it('asks for go.sum only below go 1.17, beside the go.mod', () => {
    const asked: string[] = [];
    const read = (path: string): string | undefined => {
      asked.push(path);
      return 'golang.org/x/text v0.3.4 h1:abc=\ngolang.org/x/text v0.3.3/go.mod h1:def=\n';
    };
    const got = parseGoMod('module m\n\ngo 1.16\n', 'svc/go.mod', read);
    expect(got).toEqual([
      { ecosystem: 'Go', name: 'stdlib', version: '1.16', line: 3 },
      { ecosystem: 'Go', name: 'golang.org/x/text', version: '0.3.4' },
    ]);
    expect(parseGoMod('module m\n\ngo 1.17\n', 'svc/go.mod', read)).toHaveLength(1);
    expect(asked).toEqual(['svc/go.sum']);
  });

  it('reads quoted paths, comments, exclude, retract and tool directives', () => {
    const text = [
      'module "example.com/m" // the module',
      'go 1.24',
      'toolchain default',
      'require "github.com/a/b" v1.2.3 // indirect',
      'exclude github.com/a/b v1.2.2',
      'retract [v1.0.0, v1.0.5] // broken',
      'tool golang.org/x/tools/cmd/stringer',
      'require ()',
    ].join('\n');
    expect(goModParser.parse(text, 'go.mod')).toEqual([
      { ecosystem: 'Go', name: 'github.com/a/b', version: '1.2.3', line: 4 },
      { ecosystem: 'Go', name: 'stdlib', version: '1.24', line: 2 },
    ]);
  });

  it('rejects malformed directives', () => {
    for (const text of [
      'require github.com/a/b',
      'require (\n  github.com/a/b v1.0.0\n',
      'go banana',
      'replace a => b',
    ]) {
      expect(() => goModParser.parse(text, 'go.mod')).toThrow(LockfileError);
    }
  });

  it('matches go.mod only', () => {
    expect(goModParser.matches('cmd/go.mod')).toBe(true);
    expect(goModParser.matches('cmd/go.sum')).toBe(false);
  });
});

describe('go.mod on a real file (cli/cli, 2020, go 1.13)', () => {
  const REAL = 'real-world/cli@9140e88708_2020-12-18';
  const text = readFixture(REAL, 'go.mod');

  it('yields the requirements, the replacement and stdlib from go.mod alone', () => {
    const got = goModParser.parse(text, 'go.mod');
    expect(got).toHaveLength(29);
    expect(got).toContainEqual(expect.objectContaining({ name: 'github.com/spf13/cobra', version: '1.1.1' }));
    expect(got).toContainEqual(
      expect.objectContaining({
        name: 'github.com/cli/shurcooL-graphql',
        version: '0.0.0-20200707151639-0f7232a2bf7e',
      }),
    );
    expect(got).toContainEqual({ ecosystem: 'Go', name: 'stdlib', version: '1.13', line: 3 });
    expect(got.some((p) => p.name === 'github.com/shurcooL/graphql')).toBe(false);
  });

  it('adds the modules of go.sum, as go 1.13 lists no indirect requirements', () => {
    const got = parseGoMod(text, 'go.mod', goSumFrom(REAL));
    expect(got).toHaveLength(83); // 28 requirements (one replaced), stdlib, and go.sum's other modules
    expect(got).toContainEqual({
      ecosystem: 'Go',
      name: 'golang.org/x/net',
      version: '0.0.0-20200707034311-ab3426394381',
    });
  });
});
