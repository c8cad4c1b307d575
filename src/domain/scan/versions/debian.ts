/**
 * Debian package version ordering, as `dpkg --compare-versions` defines it
 * (deb-version(7)): `[epoch:]upstream[-revision]`.
 *
 * Never throws. A version dpkg would reject (a non-numeric epoch, stray characters)
 * is still split the same way and compared character by character, so the order
 * stays total and deterministic; a non-numeric "epoch" is kept as part of the upstream.
 */

export interface DebianVersion {
  epoch: bigint;
  upstream: string;
  revision: string;
}

export function parse(version: string): DebianVersion {
  let rest = version.trim();
  let epoch = 0n;
  const colon = rest.indexOf(':');
  if (colon > 0 && /^\d+$/.test(rest.slice(0, colon))) {
    epoch = BigInt(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  // The revision starts after the LAST hyphen: upstream versions may contain hyphens.
  const hyphen = rest.lastIndexOf('-');
  if (hyphen === -1) return { epoch, upstream: rest, revision: '' };
  return { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLetter = (c: string): boolean => /^[A-Za-z]$/.test(c);

/** Weight of a non-digit character: `~` sorts before the end of the string, letters before other characters. */
function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (c === '~') return -1;
  if (isLetter(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp: alternate non-digit runs (by `order`) and digit runs (numerically). */
export function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const diff = order(a[i]) - order(b[j]);
      if (diff !== 0) return diff;
      i++;
      j++;
    }
    const startA = i;
    const startB = j;
    while (isDigit(a[i])) i++;
    while (isDigit(b[j])) j++;
    const na = BigInt(a.slice(startA, i) || '0');
    const nb = BigInt(b.slice(startB, j) || '0');
    if (na !== nb) return na < nb ? -1 : 1;
  }
  return 0;
}

export function compare(a: string, b: string): number {
  const va = parse(a);
  const vb = parse(b);
  if (va.epoch !== vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  return Math.sign(compareFragment(va.upstream, vb.upstream)) || Math.sign(compareFragment(va.revision, vb.revision));
}
