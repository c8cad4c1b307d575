/**
 * Packagist (Composer) version ordering: PHP's `version_compare`, which Composer's
 * `Comparator` calls, plus the leading `v`/`V` that Composer strips before comparing.
 *
 * Never throws: `version_compare` accepts any string. Numbers are compared as
 * arbitrary-precision integers rather than PHP's saturating `strtol`, so two distinct
 * 30-digit numbers do not collapse into one.
 */

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * PHP's canonical form: `-`, `_` and `+` become `.`, and a `.` is inserted wherever the
 * string changes between digits and non-digits; runs of dots collapse to one.
 */
export function canonicalize(version: string): string {
  const input = /^[vV]/.test(version) ? version.slice(1) : version;
  let out = input.slice(0, 1);
  for (let i = 1; i < input.length; i++) {
    const prev = input.charAt(i - 1);
    const c = input.charAt(i);
    if (c === '-' || c === '_' || c === '+') {
      if (!out.endsWith('.')) out += '.';
    } else if (
      c !== '.' &&
      prev !== '.' &&
      prev !== '-' &&
      prev !== '_' &&
      prev !== '+' &&
      isDigit(prev) !== isDigit(c)
    ) {
      if (!out.endsWith('.')) out += '.';
      out += c;
    } else if (c === '.') {
      if (!out.endsWith('.')) out += '.';
    } else {
      out += c;
    }
  }
  return out;
}

// version_compare's special forms, matched by prefix in this order ("pl" before "p").
const SPECIAL_FORMS: readonly (readonly [string, number])[] = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];
/** The rank a plain number gets when set against a special form (PHP's "#N#"). */
const NUMBER_RANK = 4;

/** Rank of a non-numeric part; an unknown word sorts before `dev`. */
export function specialRank(part: string): number {
  for (const [prefix, rank] of SPECIAL_FORMS) if (part.startsWith(prefix)) return rank;
  return -1;
}

function comparePart(a: string, b: string): number {
  const da = isDigit(a[0]);
  const db = isDigit(b[0]);
  if (da && db) {
    const na = BigInt(a);
    const nb = BigInt(b);
    return na === nb ? 0 : na < nb ? -1 : 1;
  }
  const ra = da ? NUMBER_RANK : specialRank(a);
  const rb = db ? NUMBER_RANK : specialRank(b);
  return Math.sign(ra - rb);
}

/**
 * What is left of the longer version is compared against an implicit "#N#": a number
 * makes it newer, otherwise the first remaining part's rank against that of a number decides,
 * and equal ranks (a literal `#`) move on to the next part.
 */
function compareRest(rest: readonly string[], sign: number): number {
  for (const part of rest) {
    if (isDigit(part[0])) return sign;
    const diff = Math.sign(specialRank(part) - NUMBER_RANK);
    if (diff !== 0) return sign * diff;
  }
  return 0;
}

export function compare(a: string, b: string): number {
  const pa = canonicalize(a).split('.');
  const pb = canonicalize(b).split('.');
  const shared = Math.min(pa.length, pb.length);
  for (let i = 0; i < shared; i++) {
    const diff = comparePart(pa[i] ?? '', pb[i] ?? '');
    if (diff !== 0) return diff;
  }
  if (pa.length > shared) return compareRest(pa.slice(shared), 1);
  if (pb.length > shared) return compareRest(pb.slice(shared), -1);
  return 0;
}
