/**
 * RPM version ordering (rpmvercmp) for the Red Hat family: `[epoch:]version[-release]`,
 * each part compared with rpmvercmp, including the `~` (sorts before everything, even the
 * end) and `^` (sorts after the end, before anything else) rules.
 *
 * Never throws: rpmvercmp is defined for every string. Only an all-digit prefix before the
 * first `:` counts as an epoch (as in osv-scalibr), so module strings such as
 * `1.module+el9:1` stay whole versions.
 */

export interface RpmVersion {
  epoch: string;
  version: string;
  release: string;
}

export function parse(input: string): RpmVersion {
  let rest = input;
  let epoch = '0';
  const colon = input.indexOf(':');
  if (colon !== -1 && /^\d*$/.test(input.slice(0, colon))) {
    epoch = input.slice(0, colon) || '0';
    rest = input.slice(colon + 1);
  }
  // The release starts at the FIRST hyphen. Keeping the hyphen makes "1-" (an empty
  // release) newer than "1" (no release at all), as RPM tools report.
  const hyphen = rest.indexOf('-');
  if (hyphen === -1) return { epoch, version: rest, release: '' };
  return { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen) };
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
/** Separators are every character that is not an ASCII letter, digit, `~` or `^`. */
const isSeparator = (c: string): boolean => !isDigit(c) && !isAlpha(c) && c !== '~' && c !== '^';

/** rpmvercmp(3) on one part; an absent part is older than any present one. */
export function compareSegment(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  // Code points, not UTF-16 units, so a non-ASCII letter is one separator.
  const x = [...a];
  const y = [...b];
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < x.length && isSeparator(x[i] ?? '')) i++;
    while (j < y.length && isSeparator(y[j] ?? '')) j++;
    if (x[i] === '~' || y[j] === '~') {
      if (x[i] !== '~') return 1;
      if (y[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (x[i] === '^' || y[j] === '^') {
      if (i === x.length) return -1;
      if (j === y.length) return 1;
      if (x[i] !== '^') return 1;
      if (y[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i === x.length || j === y.length) break;
    const numeric = isDigit(x[i] ?? '');
    const same = numeric ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (i < x.length && same(x[i] ?? '')) i++;
    while (j < y.length && same(y[j] ?? '')) j++;
    const sa = x.slice(si, i).join('');
    const sb = y.slice(sj, j).join('');
    // A numeric segment is newer than an alphabetic one.
    if (sb === '') return numeric ? 1 : -1;
    if (numeric) {
      const na = sa.replace(/^0+/, '');
      const nb = sb.replace(/^0+/, '');
      if (na.length !== nb.length) return na.length < nb.length ? -1 : 1;
      if (na !== nb) return na < nb ? -1 : 1;
    } else if (sa !== sb) {
      return sa < sb ? -1 : 1;
    }
  }
  const restA = x.length - i;
  const restB = y.length - j;
  return restA === restB ? 0 : restA < restB ? -1 : 1;
}

export function compare(a: string, b: string): number {
  const va = parse(a);
  const vb = parse(b);
  return (
    compareSegment(va.epoch, vb.epoch) ||
    compareSegment(va.version, vb.version) ||
    compareSegment(va.release, vb.release)
  );
}
