/**
 * NuGet version ordering (NuGet.Versioning `VersionComparer.Default`): SemVer 2.0.0 extended
 * with an optional fourth "revision" number. Missing parts count as 0 (`1.0` = `1.0.0.0`),
 * leading zeros are ignored (`1.0.01` = `1.0.1`), prerelease labels compare case-insensitively
 * and build metadata (`+...`) is ignored. Numbers have no size limit here, unlike NuGet's
 * int32, so that huge versions seen in the wild still order by value.
 */
import { compareDigits, compareIdentifiers, compareInvalid } from './semver.js';

export interface NuGetVersion {
  /** Major, minor, patch, revision as digit strings. */
  readonly parts: readonly [string, string, string, string];
  readonly prerelease: readonly string[];
}

const PATTERN = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]*)?$/;

/** Parses a NuGet version; null when it is not one. */
export function parse(version: string): NuGetVersion | null {
  const m = PATTERN.exec(version.trim());
  if (!m) return null;
  return {
    parts: [m[1] ?? '0', m[2] ?? '0', m[3] ?? '0', m[4] ?? '0'],
    prerelease: m[5] === undefined ? [] : m[5].split('.'),
  };
}

/** Total order; unparsable versions sort after every valid one, among themselves as text. */
export function compare(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return compareInvalid(a, pa !== null, b, pb !== null);
  for (let i = 0; i < 4; i++) {
    const c = compareDigits(pa.parts[i] ?? '0', pb.parts[i] ?? '0');
    if (c !== 0) return c;
  }
  if (pa.prerelease.length === 0 || pb.prerelease.length === 0) {
    return Math.sign(pb.prerelease.length - pa.prerelease.length);
  }
  // NuGet compares labels with OrdinalIgnoreCase, which folds to upper case.
  return compareIdentifiers(pa.prerelease, pb.prerelease, (s) => s.toUpperCase());
}
