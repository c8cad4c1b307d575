/**
 * Maven version ordering, after maven-artifact's `ComparableVersion`: items split at `.`,
 * `-` and digit/letter transitions; a `-` (or a transition) opens a nested list; trailing
 * null items (0, "", "ga", "final", "release", empty lists) are dropped from each list.
 *
 * Never throws: every string parses (an empty item becomes 0), so the order is total.
 */

export type MavenItem =
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'list'; readonly items: MavenItem[] };

// Known qualifiers in release order; "" stands for a release (ga, final, release).
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_RANK = QUALIFIERS.indexOf('');
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
// Single letters that abbreviate a qualifier only when a number follows (1a1 = 1-alpha-1).
const SHORT: Readonly<Record<string, string>> = { a: 'alpha', b: 'beta', m: 'milestone' };

function stringItem(raw: string, followedByDigit: boolean): MavenItem {
  const short = followedByDigit ? SHORT[raw] : undefined;
  return { kind: 'string', value: short ?? ALIASES[raw] ?? raw };
}

function isNull(item: MavenItem): boolean {
  if (item.kind === 'int') return item.value === 0n;
  if (item.kind === 'string') return item.value === '';
  return item.items.length === 0;
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** Parses a version into ComparableVersion's item tree (the root list). */
export function parse(version: string): MavenItem {
  const text = version.toLowerCase();
  const root: MavenItem[] = [];
  const lists: MavenItem[][] = [root];
  let list = root;
  const open = (): void => {
    const items: MavenItem[] = [];
    list.push({ kind: 'list', items });
    lists.push(items);
    list = items;
  };
  const token = (raw: string, digits: boolean, followedByDigit = false): MavenItem =>
    digits ? { kind: 'int', value: BigInt(raw) } : stringItem(raw, followedByDigit);

  let start = 0;
  let digits = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '.' || c === '-') {
      const raw = text.slice(start, i);
      // Maven reads "X-1" as "X1" when X is a qualifier (so "1-ga-1" = "1-1").
      if (c === '-' && raw !== '' && !digits && isDigit(text[i + 1] ?? '')) {
        pushQualifierBeforeDigit(raw);
        start = i + 1;
        continue;
      }
      list.push(raw === '' ? { kind: 'int', value: 0n } : token(raw, digits));
      start = i + 1;
      if (c === '-') open();
    } else if (isDigit(c)) {
      if (!digits && i > start) {
        pushQualifierBeforeDigit(text.slice(start, i));
        start = i;
      }
      digits = true;
    } else {
      if (digits && i > start) {
        list.push(token(text.slice(start, i), true));
        start = i;
        open();
      }
      digits = false;
    }
  }
  if (text.length > start) list.push(token(text.slice(start), digits));
  for (const items of lists.reverse()) normalize(items);
  return { kind: 'list', items: root };

  function pushQualifierBeforeDigit(raw: string): void {
    const item = stringItem(raw, true);
    // A release alias followed by a number adds nothing: "1-ga-1" orders as "1-1".
    if (isNull(item)) {
      digits = false;
      return;
    }
    list.push(item);
    open();
    digits = false;
  }
}

/** Drops trailing null items, looking past nested lists as ComparableVersion does. */
function normalize(items: MavenItem[]): void {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item === undefined) continue;
    if (isNull(item)) items.splice(i, 1);
    else if (item.kind !== 'list') break;
  }
}

function qualifierKey(value: string): string {
  const rank = QUALIFIERS.indexOf(value);
  // Unknown qualifiers come after every known one, then lexically among themselves.
  return rank === -1 ? `${QUALIFIERS.length}-${value}` : String(rank);
}

function compareStrings(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Compares two items; `undefined` is the padding of the shorter list. */
export function compareItems(a: MavenItem | undefined, b: MavenItem | undefined): number {
  if (a === undefined) return b === undefined ? 0 : -compareItems(b, undefined);
  if (a.kind === 'int') {
    if (b === undefined) return a.value === 0n ? 0 : 1;
    if (b.kind !== 'int') return 1;
    return a.value === b.value ? 0 : a.value < b.value ? -1 : 1;
  }
  if (a.kind === 'string') {
    if (b === undefined) return compareStrings(qualifierKey(a.value), String(RELEASE_RANK));
    if (b.kind !== 'string') return -1;
    return compareStrings(qualifierKey(a.value), qualifierKey(b.value));
  }
  if (b === undefined) return a.items.length === 0 ? 0 : compareItems(a.items[0], undefined);
  if (b.kind === 'int') return -1;
  if (b.kind === 'string') return 1;
  const length = Math.max(a.items.length, b.items.length);
  for (let i = 0; i < length; i++) {
    const diff = compareItems(a.items[i], b.items[i]);
    if (diff !== 0) return diff;
  }
  return 0;
}

export function compare(a: string, b: string): number {
  return compareItems(parse(a), parse(b));
}
