/**
 * Dart pub ordering (package `pub_semver`): SemVer precedence, except that build metadata counts.
 * For the same core and prerelease, no build sorts below any build, and builds compare with the
 * same identifier rules as prereleases. So `1.0.0-pre < 1.0.0-pre+build < 1.0.0 < 1.0.0+build`,
 * where plain SemVer would call `1.0.0 = 1.0.0+build`. Parsing is the lenient one of semver.ts.
 */
import { compareIdentifiers, compareInvalid, compareParsed, parse, type SemVer } from './semver.js';

export { parse };

/** Total order; unparsable versions sort after every valid one, among themselves as text. */
export function compare(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return compareInvalid(a, pa !== null, b, pb !== null);
  return compareParsed(pa, pb) || compareBuild(pa, pb);
}

function compareBuild(a: SemVer, b: SemVer): number {
  if (a.build.length === 0 || b.build.length === 0) {
    return Math.sign(a.build.length - b.build.length);
  }
  return compareIdentifiers(a.build, b.build);
}
