/**
 * PyPI ordering per PEP 440 (packaging.python.org "Version specifiers"), including its
 * normalisation rules: case-insensitive, optional leading `v`, `alpha`/`beta`/`c`/`pre`/
 * `preview` spell `a`/`b`/`rc`, `rev`/`r` spell `post`, `-N` is an implicit post-release,
 * `.`/`-`/`_` separators are optional around pre/post/dev markers, an omitted number is 0,
 * and local labels use `.`/`-`/`_` alike.
 *
 * Strings that are not PEP 440 are "legacy" versions: they sort before every valid version,
 * as `packaging`'s LegacyVersion did (it had epoch -1), and among themselves by a key of
 * digit runs (by value) and letter runs (by text, below numbers). This never throws.
 */
import { compareDigits, compareText } from './semver.js';

export interface Pep440Version {
  readonly epoch: string;
  /** Release numbers with trailing zeros removed (`1.0` = `1`). */
  readonly release: readonly string[];
  readonly pre: { readonly phase: 'a' | 'b' | 'rc'; readonly n: string } | null;
  readonly post: string | null;
  readonly dev: string | null;
  /** Local label segments, lowercased; empty when there is no local label. */
  readonly local: readonly string[];
}

const SEP = '[-_.]?';
const PATTERN = new RegExp(
  '^v?' +
    '(?:(\\d+)!)?' +
    '(\\d+(?:\\.\\d+)*)' +
    `(?:${SEP}(alpha|beta|preview|pre|rc|a|b|c)${SEP}(\\d+)?)?` +
    `(?:-(\\d+)|${SEP}(post|rev|r)${SEP}(\\d+)?)?` +
    `(?:${SEP}(dev)${SEP}(\\d+)?)?` +
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$',
);
const PHASES: Record<string, 'a' | 'b' | 'rc'> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

/** Parses and normalises a PEP 440 version; null when it is not one. */
export function parse(version: string): Pep440Version | null {
  const text = version.trim().toLowerCase();
  const m = PATTERN.exec(text);
  if (!m) return null;
  const [, epoch, release, phase, preN, implicitPost, postMark, postN, dev, devN, local] = m;
  const parts = (release ?? '0').split('.');
  while (parts.length > 1 && /^0+$/.test(parts[parts.length - 1] ?? '')) parts.pop();
  return {
    epoch: epoch ?? '0',
    release: parts,
    pre: phase === undefined ? null : { phase: PHASES[phase] ?? 'rc', n: preN ?? '0' },
    post: implicitPost ?? (postMark === undefined ? null : (postN ?? '0')),
    dev: dev === undefined ? null : (devN ?? '0'),
    local: local === undefined ? [] : local.split(/[-_.]/),
  };
}

/** Total order: legacy (non-PEP 440) versions first, then PEP 440 precedence. */
export function compare(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) return compareParsed(pa, pb);
  if (pa) return 1;
  if (pb) return -1;
  return compareLegacy(a, b);
}

/** PEP 440 "Summary of permitted suffixes and relative ordering". */
export function compareParsed(a: Pep440Version, b: Pep440Version): number {
  return (
    compareDigits(a.epoch, b.epoch) ||
    compareNumberLists(a.release, b.release) ||
    compareRanks(preRank(a), preRank(b)) ||
    compareRanks(optional(a.post, -1), optional(b.post, -1)) ||
    compareRanks(optional(a.dev, 1), optional(b.dev, 1)) ||
    compareLocal(a.local, b.local)
  );
}

/**
 * A rank is [bucket, number]: buckets order first, the digit string breaks ties.
 * Pre-release: a bare dev release (`1.0.dev0`) sorts before `1.0a0`, and a version with no
 * pre-release sorts after every pre-release of the same release.
 */
type Rank = readonly [number, string];

function preRank(v: Pep440Version): Rank {
  if (v.pre) return [{ a: 0, b: 1, rc: 2 }[v.pre.phase], v.pre.n];
  return v.post === null && v.dev !== null ? [-1, '0'] : [3, '0'];
}

/** Absent post sorts before any post; absent dev sorts after any dev. */
function optional(n: string | null, absent: -1 | 1): Rank {
  return n === null ? [absent, '0'] : [0, n];
}

function compareRanks(x: Rank, y: Rank): number {
  return Math.sign(x[0] - y[0]) || compareDigits(x[1], y[1]);
}

function compareNumberLists(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Local labels: none sorts first; segment by segment, numeric ones compare by value and sort
 * above alphanumeric ones, which compare as text; extra segments win on a common prefix.
 */
function compareLocal(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareMixed(a[i] ?? '', b[i] ?? '');
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

function compareMixed(x: string, y: string): number {
  const xNum = /^\d+$/.test(x);
  const yNum = /^\d+$/.test(y);
  if (xNum && yNum) return compareDigits(x, y);
  if (xNum !== yNum) return xNum ? 1 : -1;
  return compareText(x, y);
}

/**
 * Legacy versions compare by their runs of digits and of letters (lowercased), other
 * characters only separating runs; numbers above words as in local labels. When the runs are
 * equal the raw strings decide, so only identical strings compare equal.
 */
export function compareLegacy(a: string, b: string): number {
  const x = legacyRuns(a);
  const y = legacyRuns(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const c = compareMixed(x[i] ?? '', y[i] ?? '');
    if (c !== 0) return c;
  }
  return Math.sign(x.length - y.length) || compareText(a, b);
}

function legacyRuns(version: string): string[] {
  return version.toLowerCase().match(/\d+|[a-z]+/g) ?? [];
}
