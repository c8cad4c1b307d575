import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScannedPackage } from '../../../../src/domain/scan/inventory.js';

// The parsers' oracle: a `test/fixtures/lockfiles/<lang>-<extractor>/expected.json` (derived from
// osv-scalibr's Go test tables, see the SOURCE.md beside it), its cases, and both sides of a case
// in one comparable shape.

export interface WantPackage {
  name: string;
  version: string | null;
  commit?: string;
  dep_groups?: string[];
  line?: number;
}

export interface OracleCase {
  name: string;
  /** The fixture's path inside the fixture folder (upstream's `testdata/` prefix removed). */
  file: string;
  wantErr: boolean;
  want: WantPackage[];
}

export function fixturePath(folder: string, file: string): string {
  return fileURLToPath(new URL(`../../../fixtures/lockfiles/${folder}/${file}`, import.meta.url));
}

export function readFixture(folder: string, file: string): string {
  return readFileSync(fixturePath(folder, file), 'utf8');
}

export function oracleCases(folder: string): OracleCase[] {
  const raw = JSON.parse(readFixture(folder, 'expected.json')) as {
    cases: { name: string; path: string; want_err?: boolean; want_packages?: WantPackage[] }[];
  };
  return raw.cases.map((c) => ({
    name: c.name.trim(),
    file: c.path.replace(/^testdata\//, ''),
    wantErr: c.want_err === true,
    want: c.want_packages ?? [],
  }));
}

/**
 * Both sides as sorted lines of text, comparing only what the oracle states: commits and dependency
 * groups when the case gives them (upstream gives them for all of a case's packages or none), and
 * a package's line when its wanted entry gives one (some packages have none, e.g. versions that
 * come from another file; upstream's 0 is "no line known"), unless `ignoreLines`.
 */
export function comparable(
  want: readonly WantPackage[],
  got: readonly ScannedPackage[],
  options: { ignoreLines?: boolean } = {},
): [string[], string[]] {
  const hasCommit = want.some((w) => w.commit !== undefined);
  const hasGroups = want.some((w) => w.dep_groups !== undefined);
  const wanted = new Map(want.map((w) => [`${w.name}@${w.version ?? ''}`, w]));
  const show = (
    key: string,
    commit: string | undefined,
    groups: readonly string[] | undefined,
    line: number | undefined,
  ) => {
    const parts = [key];
    if (hasCommit) parts.push(`commit=${commit ?? ''}`);
    if (hasGroups) parts.push(`groups=${[...(groups ?? [])].sort().join(',')}`);
    if (wanted.get(key)?.line !== undefined && options.ignoreLines !== true) parts.push(`line=${line || '-'}`);
    return parts.join(' ');
  };
  return [
    want.map((w) => show(`${w.name}@${w.version ?? ''}`, w.commit, w.dep_groups, w.line)).sort(),
    got.map((p) => show(`${p.name}@${p.version}`, p.commit, p.depGroups, p.line)).sort(),
  ];
}
