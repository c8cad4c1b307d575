/**
 * Alpine (apk) version ordering: `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`
 * read as a stream of typed tokens, as apk-tools' version.c does. Suffix order:
 * alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p.
 *
 * Never throws. Parsing stops at the first token apk would reject; the valid prefix is
 * compared, and where one version goes on validly and the other turns invalid, the
 * invalid one is older (apk 2.14+/3.x; apk 2.x and earlier said the opposite). Two
 * versions that turn invalid at the same point with equal prefixes are equal, and two
 * versions that do not start with a digit come first, as plain text among themselves.
 */

export enum Token {
  Invalid = -1,
  DigitOrZero,
  Digit,
  Letter,
  Suffix,
  SuffixNo,
  RevisionNo,
  End,
}

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';

/** A cursor over one version string: the type of the next token and where it starts. */
interface Cursor {
  readonly text: string;
  pos: number;
  type: Token;
}

/** Decides the type of the token at the cursor from the separator found there. */
function nextType(cur: Cursor): void {
  const c = cur.text[cur.pos];
  let next = Token.Invalid;
  if (c === undefined) next = Token.End;
  else if ((cur.type === Token.Digit || cur.type === Token.DigitOrZero) && isLower(c)) next = Token.Letter;
  else if (cur.type === Token.Letter && isDigit(c)) next = Token.Digit;
  else if (cur.type === Token.Suffix && isDigit(c)) next = Token.SuffixNo;
  else {
    if (c === '.') next = Token.DigitOrZero;
    else if (c === '_') next = Token.Suffix;
    else if (c === '-' && cur.text[cur.pos + 1] === 'r') {
      next = Token.RevisionNo;
      cur.pos++;
    }
    cur.pos++;
  }
  // Tokens only move forward through the grammar, except for the listed repetitions.
  if (
    next < cur.type &&
    !(next === Token.DigitOrZero && cur.type === Token.Digit) &&
    !(next === Token.Suffix && cur.type === Token.SuffixNo) &&
    !(next === Token.Digit && cur.type === Token.Letter)
  ) {
    next = Token.Invalid;
  }
  cur.type = next;
}

function readNumber(cur: Cursor): bigint {
  const start = cur.pos;
  while (isDigit(cur.text[cur.pos])) cur.pos++;
  return cur.pos === start ? 0n : BigInt(cur.text.slice(start, cur.pos));
}

/** Reads the token the cursor points at, returns its value and advances the type. */
function readToken(cur: Cursor): bigint {
  if (cur.pos >= cur.text.length) {
    cur.type = Token.End;
    return 0n;
  }
  let value: bigint;
  let forced: Token | undefined;
  switch (cur.type) {
    case Token.DigitOrZero:
      // A component after a dot with leading zeros compares as a fraction: 1.02 < 1.1.
      if (cur.text[cur.pos] === '0') {
        const start = cur.pos;
        while (cur.text[cur.pos] === '0') cur.pos++;
        value = BigInt(start - cur.pos);
        forced = Token.Digit;
        break;
      }
      value = readNumber(cur);
      break;
    case Token.Digit:
    case Token.SuffixNo:
    case Token.RevisionNo:
      value = readNumber(cur);
      break;
    case Token.Letter:
      value = BigInt(cur.text.charCodeAt(cur.pos));
      cur.pos++;
      break;
    case Token.Suffix: {
      const rest = cur.text.slice(cur.pos);
      const pre = PRE_SUFFIXES.findIndex((s) => rest.startsWith(s));
      const post = POST_SUFFIXES.findIndex((s) => rest.startsWith(s));
      if (pre !== -1) {
        value = BigInt(pre - PRE_SUFFIXES.length);
        cur.pos += (PRE_SUFFIXES[pre] ?? '').length;
      } else if (post !== -1) {
        value = BigInt(post + 1);
        cur.pos += (POST_SUFFIXES[post] ?? '').length;
      } else {
        cur.type = Token.Invalid;
        return -1n;
      }
      break;
    }
    default:
      cur.type = Token.Invalid;
      return -1n;
  }
  if (cur.pos >= cur.text.length) cur.type = Token.End;
  else if (forced !== undefined) cur.type = forced;
  else nextType(cur);
  return value;
}

/** Whether apk accepts the version as written. */
export function isValid(version: string): boolean {
  const cur: Cursor = { text: version, pos: 0, type: Token.Digit };
  while (cur.type !== Token.End && cur.type !== Token.Invalid) readToken(cur);
  return cur.type === Token.End;
}

export function compare(a: string, b: string): number {
  // apk cannot read a version that does not start with a digit: such versions sort before
  // every other one and as plain text among themselves, which keeps the order total.
  if (!isDigit(a[0]) || !isDigit(b[0])) {
    if (isDigit(a[0])) return 1;
    if (isDigit(b[0])) return -1;
    return a === b ? 0 : a < b ? -1 : 1;
  }
  const ca: Cursor = { text: a, pos: 0, type: Token.Digit };
  const cb: Cursor = { text: b, pos: 0, type: Token.Digit };
  let va = 0n;
  let vb = 0n;
  while (ca.type === cb.type && ca.type !== Token.End && ca.type !== Token.Invalid && va === vb) {
    va = readToken(ca);
    vb = readToken(cb);
  }
  if (va !== vb) return va < vb ? -1 : 1;
  if (ca.type === cb.type) return 0;
  if (ca.type === Token.Invalid) return -1;
  if (cb.type === Token.Invalid) return 1;
  // A pre-release suffix makes the longer version older; anything else makes it newer.
  if (ca.type === Token.Suffix && readToken({ ...ca }) < 0n) return -1;
  if (cb.type === Token.Suffix && readToken({ ...cb }) < 0n) return 1;
  return ca.type > cb.type ? -1 : 1;
}
