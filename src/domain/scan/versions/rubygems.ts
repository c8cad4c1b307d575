/**
 * RubyGems `Gem::Version` ordering. A version splits into segments: runs of digits (numbers)
 * and runs of letters (strings); `-` reads as `.pre.`. Any string segment marks a prerelease:
 * a string sorts below every number, so `1.0.b1 < 1.0`. Trailing zeros are dropped from the
 * leading numeric part and from the part after the first string, and a missing segment counts
 * as 0; thus `1.0.a2` = `1.0.a.2` = `1.a.2` and `1.0` = `1`.
 *
 * Lenient like osv-scalibr: letters may follow digits without a dot (`1beta`), which
 * `Gem::Version.new` would reject. Strings with other characters, or not starting with a digit,
 * are invalid: they sort after every valid version, among themselves as text.
 */
import { compareDigits, compareInvalid, compareText } from './semver.js';

/** A numeric segment is kept as its digit string so huge numbers still compare by value. */
export type GemSegment = { readonly num: string } | { readonly str: string };

const VALID = /^(?:\d[0-9A-Za-z.-]*)?$/;

/** The canonical segments of a version, or null when it is not one. */
export function parse(version: string): GemSegment[] | null {
  const text = version.trim();
  if (!VALID.test(text)) return null;
  const raw: GemSegment[] = (text.replaceAll('-', '.pre.').match(/\d+|[A-Za-z]+/g) ?? []).map((s) =>
    /^\d/.test(s) ? { num: s } : { str: s },
  );
  const firstString = raw.findIndex((s) => 'str' in s);
  const release = firstString < 0 ? raw : raw.slice(0, firstString);
  const pre = firstString < 0 ? [] : raw.slice(firstString);
  return [...dropTrailingZeros(release), ...dropTrailingZeros(pre)];
}

/** Total order (see the module comment for invalid versions). */
export function compare(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return compareInvalid(a, pa !== null, b, pb !== null);
  const zero: GemSegment = { num: '0' };
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = compareSegment(pa[i] ?? zero, pb[i] ?? zero);
    if (c !== 0) return c;
  }
  return 0;
}

function compareSegment(x: GemSegment, y: GemSegment): number {
  if ('num' in x) return 'num' in y ? compareDigits(x.num, y.num) : 1;
  return 'num' in y ? -1 : compareText(x.str, y.str);
}

function dropTrailingZeros(segments: GemSegment[]): GemSegment[] {
  let end = segments.length;
  while (end > 0) {
    const last = segments[end - 1];
    if (!last || !('num' in last) || !/^0+$/.test(last.num)) break;
    end--;
  }
  return segments.slice(0, end);
}
