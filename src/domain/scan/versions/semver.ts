/**
 * SemVer 2.0.0 precedence (https://semver.org/#spec-item-11), used for npm, crates.io, Hex, Go
 * and OSV's `SEMVER` range type.
 *
 * Parsing is lenient in the way osv-scalibr's `semantic` package is, because real registries
 * and advisories carry not-quite-SemVer strings:
 * - a leading `v` is dropped (Go module versions), so `v1.2.3` = `1.2.3`;
 * - missing minor/patch count as 0 (`1.2` = `1.2.0`);
 * - numbers have no size limit and leading zeros are ignored;
 * - anything after a fourth dotted component (`1.1.3.4.5`) is build metadata;
 * - text glued to the core without `-` (`1.2.3beta`) is a prerelease, as npm's loose mode reads it.
 * Build metadata never affects precedence, so Go's `+incompatible` compares as the bare version.
 */

export interface SemVer {
  /** Major, minor, patch as digit strings without leading zeros. */
  readonly core: readonly [string, string, string];
  /** Prerelease identifiers; empty for a release. */
  readonly prerelease: readonly string[];
  /** Build metadata identifiers; ignored by SemVer precedence, compared by pub. */
  readonly build: readonly string[];
}

const CORE = /^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?/;

/** Parses leniently; null only when the string does not start with a (v-prefixed) number. */
export function parse(version: string): SemVer | null {
  const text = version.trim();
  const match = CORE.exec(text);
  if (!match) return null;
  const core: [string, string, string] = [
    stripZeros(match[1] ?? '0'),
    stripZeros(match[2] ?? '0'),
    stripZeros(match[3] ?? '0'),
  ];
  let rest = text.slice(match[0].length);
  let prerelease = '';
  let build = '';
  if (rest.startsWith('.') && match[3] !== undefined) {
    build = rest.slice(1);
    rest = '';
  }
  const plus = rest.indexOf('+');
  if (plus >= 0) {
    build = rest.slice(plus + 1);
    rest = rest.slice(0, plus);
  }
  if (rest !== '') prerelease = rest.startsWith('-') ? rest.slice(1) : rest;
  return {
    core,
    prerelease: rest === '' ? [] : prerelease.split('.'),
    build: build === '' ? [] : build.split('.'),
  };
}

/**
 * Total order. Strings that do not parse sort after every valid version and among themselves
 * by code units, so a garbage version in an advisory never matches a real range by accident.
 */
export function compare(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return compareInvalid(a, pa !== null, b, pb !== null);
  return compareParsed(pa, pb);
}

/** Precedence of two parsed versions (build metadata ignored). */
export function compareParsed(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) {
    const c = compareDigits(a.core[i] ?? '0', b.core[i] ?? '0');
    if (c !== 0) return c;
  }
  // A release outranks any prerelease of the same core (spec item 11.3).
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return Math.sign(b.prerelease.length - a.prerelease.length);
  }
  return compareIdentifiers(a.prerelease, b.prerelease);
}

/**
 * Dot-separated identifiers per spec item 11.4: numeric ones by value, below alphanumeric ones,
 * which compare by ASCII; a shorter list that is a prefix of the other is lower.
 */
export function compareIdentifiers(
  a: readonly string[],
  b: readonly string[],
  fold: (s: string) => string = (s) => s,
): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    const xNum = isDigits(x);
    const yNum = isDigits(y);
    let c: number;
    if (xNum && yNum) c = compareDigits(x, y);
    else if (xNum) c = -1;
    else if (yNum) c = 1;
    else c = compareText(fold(x), fold(y));
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

/** Compares two digit strings by value, with no size limit. */
export function compareDigits(a: string, b: string): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return compareText(x, y);
}

/** Code-unit comparison (not locale-aware, so the order is the same on every machine). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Invalid versions after every valid one; two invalid ones as plain text. */
export function compareInvalid(a: string, aValid: boolean, b: string, bValid: boolean): number {
  if (aValid !== bValid) return aValid ? -1 : 1;
  return compareText(a, b);
}

export function isDigits(s: string): boolean {
  return /^\d+$/.test(s);
}

function stripZeros(digits: string): string {
  const s = digits.replace(/^0+/, '');
  return s === '' ? '0' : s;
}
