/**
 * Alpine (apk) version ordering: `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`, read
 * as apk-tools reads it, a stream of tokens each allowed only after the kinds before it in that
 * grammar. Suffix order: alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p.
 *
 * Never throws. Where two versions part, the one whose next token comes later in the grammar is
 * older (1.0 < 1.0.1, 1.0a < 1.0.1, 1.0 < 1.0_p1), except that a pre-release suffix is older than
 * anything (1.0_rc1 < 1.0) and a tail apk rejects is older than any valid one (as the latest
 * apk-tools has it; older releases said the opposite). Two versions rejected at the same point are
 * equal. Versions that do not start with a digit, which apk cannot read at all, come first, as plain
 * text among themselves, so that the order stays total.
 *
 * apk 2 read a missing number as 0 ("1-r", "0..1") and digits straight after the letter ("2p1");
 * apk 3 rejects both. osv-scalibr's fixture (test/fixtures/version-ordering/alpine-versions.txt)
 * mixes the two: "1-r" = "1-r0" and "0..8" > "0...8" as apk 2 says, "0.r1" < "0r2" and
 * "1-ruff" < "1" as apk 3 says, "0.8.21.r2" > "0.8.21.r1" and "2p1" < "2p2" as both would if apk 3
 * read on. So a missing number before the end or a separator reads as 0; one before a letter, and
 * digits after the letter, are read as apk 2 did but marked `rejected`: older than a valid token in
 * the same place, compared on against a token rejected the same way.
 */

// The order is the grammar: a token may follow only kinds listed before it (or its own kind, for
// digits and suffixes). In a tail decision the version whose next token comes later is older.
enum Kind {
  InitialDigit,
  Digit,
  Letter,
  Suffix,
  SuffixNo,
  CommitHash,
  RevisionNo,
  End,
  Invalid,
}

const SUFFIXES = ['alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'];
/** Rank of "no suffix": a suffix ranked below it marks a pre-release. */
const NO_SUFFIX = SUFFIXES.indexOf('');
const SEPARATORS = '._-~';

interface Token {
  kind: Kind;
  /** The characters of a digit, letter, suffix or hash token, without its separator. */
  text: string;
  /** A number's value, a letter's code or a suffix's rank. */
  value: bigint;
  /** apk 3 rejects the version here, though apk 2 reads on (see the file's opening comment). */
  rejected: boolean;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';
const isHex = (c: string | undefined): boolean => isDigit(c) || (c !== undefined && c >= 'a' && c <= 'f');

const INVALID: Token = { kind: Kind.Invalid, text: '', value: 0n, rejected: false };
const END: Token = { kind: Kind.End, text: '', value: 0n, rejected: false };

/** The tokens of a version, up to and including its End or first Invalid token. */
function tokenize(version: string): Token[] {
  let pos = 0;
  const span = (test: (c: string | undefined) => boolean): string => {
    const start = pos;
    while (pos < version.length && test(version[pos])) pos++;
    return version.slice(start, pos);
  };
  const number = (kind: Kind): Token => {
    const text = span(isDigit);
    if (text !== '') return { kind, text, value: BigInt(text), rejected: false };
    const next = version[pos];
    return { kind, text, value: 0n, rejected: next !== undefined && !SEPARATORS.includes(next) };
  };
  const next = (prev: Kind): Token => {
    const c = version[pos];
    if (c === undefined) return END;
    const afterDigits = prev === Kind.InitialDigit || prev === Kind.Digit;
    if (isLower(c) && afterDigits) {
      pos++;
      return { kind: Kind.Letter, text: c, value: BigInt(c.charCodeAt(0)), rejected: false };
    }
    if (c === '.' && afterDigits) {
      pos++;
      return number(Kind.Digit);
    }
    if (isDigit(c) && prev === Kind.Letter) return { ...number(Kind.Digit), rejected: true };
    if (isDigit(c) && prev === Kind.Suffix) return number(Kind.SuffixNo);
    if (c === '_' && prev <= Kind.SuffixNo) {
      pos++;
      const rank = SUFFIXES.indexOf(span(isLower));
      return rank < 0 || rank === NO_SUFFIX ? INVALID : { ...END, kind: Kind.Suffix, value: BigInt(rank) };
    }
    if (c === '~' && prev < Kind.CommitHash) {
      pos++;
      const text = span(isHex);
      return text === '' ? INVALID : { ...END, kind: Kind.CommitHash, text };
    }
    if (c === '-' && prev < Kind.RevisionNo && version[pos + 1] === 'r') {
      pos += 2;
      return number(Kind.RevisionNo);
    }
    return INVALID;
  };

  // Only numbers after the first may be missing.
  const first = number(Kind.InitialDigit);
  const tokens = [first.text === '' ? INVALID : first];
  for (let last = tokens[0]; last !== undefined && last.kind < Kind.End; last = tokens[tokens.length - 1]) {
    tokens.push(next(last.kind));
  }
  return tokens;
}

const byText = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1);

/** Compares two tokens of the same kind. */
function compareValues(a: Token, b: Token): number {
  // A component with a leading zero compares as text, as Gentoo's rules say: 1.02 < 1.1.
  if (a.kind === Kind.Digit && (a.text.startsWith('0') || b.text.startsWith('0'))) return byText(a.text, b.text);
  if (a.kind === Kind.CommitHash) return byText(a.text, b.text);
  return a.value === b.value ? 0 : a.value < b.value ? -1 : 1;
}

const isBad = (t: Token): boolean => t.rejected || t.kind === Kind.Invalid;
const isPreRelease = (t: Token): boolean => t.kind === Kind.Suffix && t.value < NO_SUFFIX;

/** Where two versions part: -1 when `a`'s next token makes it the older one. */
function tail(a: Token, b: Token): number {
  if (isPreRelease(a)) return -1;
  if (isPreRelease(b)) return 1;
  if (isBad(a) !== isBad(b)) return isBad(a) ? -1 : 1;
  return a.kind > b.kind ? -1 : 1;
}

/** Whether apk 3 accepts the version, but for a missing number before the end or a separator (read as 0). */
export function isValid(version: string): boolean {
  return tokenize(version).every((t) => !isBad(t));
}

export function compare(a: string, b: string): number {
  if (!isDigit(a[0]) || !isDigit(b[0])) {
    if (isDigit(a[0])) return 1;
    if (isDigit(b[0])) return -1;
    return byText(a, b);
  }
  const ta = tokenize(a);
  const tb = tokenize(b);
  for (let i = 0; ; i++) {
    const x = ta[i] ?? END;
    const y = tb[i] ?? END;
    if (x.kind === Kind.Invalid && y.kind === Kind.Invalid) return 0;
    if (x.kind !== y.kind) return isBad(x) && isBad(y) ? 0 : tail(x, y);
    if (x.rejected !== y.rejected) return tail(x, y);
    if (x.kind === Kind.End) return 0;
    const diff = compareValues(x, y);
    if (diff !== 0) return diff;
  }
}
