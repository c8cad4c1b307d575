import { DomainError } from '../../errors.js';

// Reads what developers paste or upload as a fix: the mbox that `git format-patch` writes (one or
// several messages, each a commit: `From <sha>` line, mail headers, message, `---`, diffstat,
// diffs, `-- ` signature) or a plain unified diff (`git diff`, `diff -ruN`). The result is only for
// showing and counting; the stored text stays exactly as uploaded, to be applied with git.

/** Larger than any reviewable fix; a whole-tree diff is not a private patch. */
export const MAX_PATCH_BYTES = 2 * 1024 * 1024;

export type PatchKind = 'format-patch' | 'diff';
export type DiffLineType = 'add' | 'del' | 'context';
export type FileChange = 'added' | 'deleted' | 'modified' | 'renamed' | 'copied';

export interface DiffLine {
  type: DiffLineType;
  text: string;
  /** The line's number in the old file; null for an added line. */
  oldNumber: number | null;
  /** The line's number in the new file; null for a removed line. */
  newNumber: number | null;
  /** Followed by `\ No newline at end of file`. */
  noNewline: boolean;
}

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** What follows the second `@@`: usually the enclosing function. */
  section: string;
  lines: DiffLine[];
}

export interface DiffFile {
  /** Null for an added file. */
  oldPath: string | null;
  /** Null for a deleted file. */
  newPath: string | null;
  change: FileChange;
  /** A binary change: listed, never shown. */
  binary: boolean;
  /** `similarity index` of a rename or copy, in percent. */
  similarity: number | null;
  oldMode: string | null;
  newMode: string | null;
  additions: number;
  deletions: number;
  hunks: DiffHunk[];
}

/** One commit of a format-patch series, or the whole of a plain diff (with no mail headers). */
export interface PatchPart {
  /** The commit id of format-patch's `From <sha>` line. */
  commit: string | null;
  author: string | null;
  date: string | null;
  /** The subject without its `[PATCH n/m]` prefix. */
  subject: string | null;
  /** n and m of `[PATCH n/m]`. */
  number: number | null;
  total: number | null;
  /** The commit message (above the `---` line). */
  message: string;
  files: DiffFile[];
}

export interface ParsedPatch {
  kind: PatchKind;
  parts: PatchPart[];
}

/**
 * The two paths of a "Binary files A and B differ" line, or null. Split by hand, not by a regular
 * expression with two greedy groups: that one backtracks quadratically on a long line, and a 2 MB
 * line would block the server for minutes.
 */
function binaryFilesLine(line: string): [string, string] | null {
  const head = 'Binary files ';
  const tail = ' differ';
  if (!line.startsWith(head) || !line.endsWith(tail) || line.length < head.length + tail.length) return null;
  const middle = line.slice(head.length, line.length - tail.length);
  // "a/P and b/P": the split that makes both sides the same path, even when P holds " and ".
  const half = (middle.length - ' and '.length) / 2;
  if (Number.isInteger(half) && middle.slice(half, half + 5) === ' and ') {
    const [left, right] = [middle.slice(0, half), middle.slice(half + 5)];
    if (left.slice(2) === right.slice(2)) return [left, right];
  }
  // Otherwise the last " and ", as a greedy first group would have split it.
  const at = middle.lastIndexOf(' and ');
  return at < 0 ? null : [middle.slice(0, at), middle.slice(at + ' and '.length)];
}

/** git's mbox separator: `From <commit> Mon Sep 17 00:00:00 2001` (a fixed date, SHA-1 or SHA-256 ids). */
const MBOX_FROM = /^From ([0-9a-f]{40}|[0-9a-f]{64}) /;
const HEADER = /^([A-Za-z][A-Za-z0-9-]*):[ \t]?(.*)$/;
const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;
/** `diff -ruN` marks an absent side by the epoch instead of /dev/null. */
const EPOCH = /\t1970-01-01 00:00:00(?:\.0+)? \+0000$/;

const invalid = (message: string) => new DomainError('VALIDATION_FAILED', message, { field: 'patch' });
const tooLarge = () =>
  new DomainError('PAYLOAD_TOO_LARGE', `A patch can be at most ${MAX_PATCH_BYTES / (1024 * 1024)} MB.`, {
    field: 'patch',
    maxBytes: MAX_PATCH_BYTES,
  });

/** An uploaded patch file as text: UTF-8 only (git writes patches in UTF-8), at most MAX_PATCH_BYTES. */
export function patchFileText(content: Buffer): string {
  if (content.length > MAX_PATCH_BYTES) throw tooLarge();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw invalid('This file is not a text patch: it is not UTF-8 text.');
  }
}

/**
 * Parses a format-patch series or a unified diff. VALIDATION_FAILED (field 'patch') when the text
 * holds no diff at all, or a hunk is cut short (a truncated or hand-edited patch, which git would
 * not apply either); PAYLOAD_TOO_LARGE past MAX_PATCH_BYTES.
 */
export function parsePatch(content: string): ParsedPatch {
  if (Buffer.byteLength(content, 'utf8') > MAX_PATCH_BYTES) throw tooLarge();
  // NUL cannot be stored in a PostgreSQL text column, and no text patch holds it.
  if (content.includes('\u0000')) throw invalid('This is not a text patch: it contains NUL bytes.');
  const lines = content.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (content.endsWith('\n')) lines.pop();

  const starts = lines.flatMap((l, i) => (MBOX_FROM.test(l) ? [i] : []));
  const firstText = lines.find((l) => l.trim() !== '') ?? '';
  let result: ParsedPatch;
  if (starts.length > 0) {
    const parts = starts.map((start, k) => parseMessage(lines, start, starts[k + 1] ?? lines.length));
    result = { kind: 'format-patch', parts };
  } else if (/^(From|Subject|Date): /.test(firstText)) {
    // One mail without the mbox line (saved from a mail client).
    result = { kind: 'format-patch', parts: [parseMessage(lines, -1, lines.length)] };
  } else {
    const files = parseDiff(lines, 0, lines.length);
    const plain = { commit: null, author: null, date: null, subject: null, number: null, total: null, message: '' };
    result = { kind: 'diff', parts: [{ ...plain, files }] };
  }
  if (!result.parts.some((p) => p.files.length > 0)) {
    throw invalid(
      'This is not a patch: it holds no diff. Paste the output of `git format-patch` or a unified diff ' +
        '(`diff --git`, `--- a/…` / `+++ b/…` and `@@` lines).',
    );
  }
  return result;
}

/** One mail of the series: lines[from] is its mbox line (or -1 when it has none), up to `to`. */
function parseMessage(lines: readonly string[], from: number, to: number): PatchPart {
  const commit = from >= 0 ? (MBOX_FROM.exec(lines[from] ?? '')?.[1] ?? null) : null;
  const headers = new Map<string, string>();
  let last: string | undefined;
  let i = from + 1;
  for (; i < to; i++) {
    const line = lines[i] ?? '';
    if (line === '') break;
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last) ?? ''}${line}`); // unfolding keeps the whitespace
      continue;
    }
    const m = HEADER.exec(line);
    if (!m) break; // not a header block after all: the body starts here
    last = (m[1] ?? '').toLowerCase();
    if (!headers.has(last)) headers.set(last, m[2] ?? '');
    else last = undefined; // a repeated header: keep the first, drop its continuation lines
  }
  const bodyStart = i < to && lines[i] === '' ? i + 1 : i;
  const diffStart = findDiffStart(lines, bodyStart, to);
  let messageEnd = diffStart;
  for (let k = bodyStart; k < diffStart; k++) {
    if (lines[k] === '---') {
      messageEnd = k;
      break;
    }
  }
  const message = lines.slice(bodyStart, messageEnd).join('\n').trim();
  const rawSubject = headers.has('subject') ? decodeWords(headers.get('subject') ?? '').trim() : null;
  const prefix = rawSubject ? /^\[([^\]]*)\]\s*/.exec(rawSubject) : null;
  const isPatchPrefix = prefix !== null && /\bPATCH\b/i.test(prefix[1] ?? '');
  const counter = isPatchPrefix ? /(\d+)\/(\d+)/.exec(prefix[1] ?? '') : null;
  return {
    commit,
    author: headers.has('from') ? decodeWords(headers.get('from') ?? '').trim() : null,
    date: headers.get('date')?.trim() ?? null,
    subject: rawSubject !== null && isPatchPrefix && prefix ? rawSubject.slice(prefix[0].length) : rawSubject,
    number: counter ? Number(counter[1]) : null,
    total: counter ? Number(counter[2]) : null,
    message,
    files: diffStart < to ? parseDiff(lines, diffStart, to) : [],
  };
}

function findDiffStart(lines: readonly string[], from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('diff --git ') || /^Binary files .* differ$/.test(line)) return i;
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ') && HUNK.test(lines[i + 2] ?? '')) return i;
  }
  return to;
}

interface Building extends DiffFile {
  /** Opened by `diff --git`: extended headers may follow until the first hunk. */
  git: boolean;
  sawPaths: boolean;
}

function newFile(git: boolean, oldPath: string | null, newPath: string | null): Building {
  return {
    oldPath,
    newPath,
    change: 'modified',
    binary: false,
    similarity: null,
    oldMode: null,
    newMode: null,
    additions: 0,
    deletions: 0,
    hunks: [],
    git,
    sawPaths: false,
  };
}

/** The files of the diff in lines[from, to). Text outside files and hunks (`Index:`, `Only in`) is skipped. */
function parseDiff(lines: readonly string[], from: number, to: number): DiffFile[] {
  const files: Building[] = [];
  let file: Building | undefined;
  let i = from;
  while (i < to) {
    const line = lines[i] ?? '';
    if (line === '-- ') break; // format-patch's signature; inside a hunk such a line is counted, not read here
    if (line.startsWith('diff --git ')) {
      const [a, b] = gitHeaderPaths(line.slice('diff --git '.length));
      file = newFile(true, a, b);
      files.push(file);
      i++;
      continue;
    }
    if (line.startsWith('@@')) {
      if (!file) throw invalid(`The hunk on line ${i + 1} has no file header (--- and +++ lines) before it.`);
      i = readHunk(lines, i, to, file);
      continue;
    }
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      if (!file || !file.git || file.sawPaths || file.hunks.length > 0 || file.binary) {
        file = newFile(false, null, null);
        files.push(file);
      }
      const oldPath = headerPath(line.slice(4));
      const newPath = headerPath((lines[i + 1] ?? '').slice(4));
      file.oldPath = oldPath;
      file.newPath = newPath;
      file.sawPaths = true;
      if (oldPath === null) file.change = 'added';
      else if (newPath === null) file.change = 'deleted';
      i += 2;
      continue;
    }
    const binary = binaryFilesLine(line);
    if (binary) {
      if (!file || !file.git || file.sawPaths || file.hunks.length > 0 || file.binary) {
        file = newFile(false, headerPath(binary[0]), headerPath(binary[1]));
        files.push(file);
        if (file.oldPath === null) file.change = 'added';
        else if (file.newPath === null) file.change = 'deleted';
      }
      file.binary = true;
      i++;
      continue;
    }
    if (file?.git && !file.sawPaths && file.hunks.length === 0) {
      if (line === 'GIT binary patch') {
        file.binary = true;
        i++;
        // The base85 literal/delta blocks run until the next file or the signature.
        while (i < to && !(lines[i] ?? '').startsWith('diff --git ') && lines[i] !== '-- ') i++;
        continue;
      }
      gitExtendedHeader(file, line);
    }
    i++;
  }
  return files.map(({ git: _git, sawPaths: _saw, ...f }) => f);
}

/** `old mode`, `new file mode`, `rename from` ... of a `diff --git` block. */
function gitExtendedHeader(file: Building, line: string): void {
  const m =
    /^(old mode|new mode|deleted file mode|new file mode|similarity index|rename from|rename to|copy from|copy to) (.*)$/.exec(
      line,
    );
  if (!m) return;
  const key = m[1];
  const value = m[2] ?? '';
  switch (key) {
    case 'old mode':
      file.oldMode = value;
      break;
    case 'new mode':
      file.newMode = value;
      break;
    case 'deleted file mode':
      file.change = 'deleted';
      file.oldMode = value;
      file.newPath = null;
      break;
    case 'new file mode':
      file.change = 'added';
      file.newMode = value;
      file.oldPath = null;
      break;
    case 'similarity index':
      file.similarity = Number.parseInt(value, 10);
      break;
    case 'rename from':
    case 'copy from':
      file.change = key === 'rename from' ? 'renamed' : 'copied';
      file.oldPath = unquoted(value);
      break;
    case 'rename to':
    case 'copy to':
      file.newPath = unquoted(value);
      break;
  }
}

/** Reads the hunk whose header is lines[at]; returns the index after it. */
function readHunk(lines: readonly string[], at: number, to: number, file: Building): number {
  const header = HUNK.exec(lines[at] ?? '');
  if (!header) throw invalid(`Line ${at + 1} is not a valid hunk header ("@@ -a,b +c,d @@").`);
  const hunk: DiffHunk = {
    oldStart: Number(header[1]),
    oldLines: header[2] === undefined ? 1 : Number(header[2]),
    newStart: Number(header[3]),
    newLines: header[4] === undefined ? 1 : Number(header[4]),
    section: header[5] ?? '',
    lines: [],
  };
  file.hunks.push(hunk);
  let oldLeft = hunk.oldLines;
  let newLeft = hunk.newLines;
  let oldNumber = hunk.oldStart;
  let newNumber = hunk.newStart;
  let i = at + 1;
  const cut = () =>
    invalid(
      `The hunk on line ${at + 1} ends early at line ${i + 1}: its header counts more lines than follow. ` +
        'The patch looks truncated or edited by hand.',
    );
  while (oldLeft > 0 || newLeft > 0) {
    if (i >= to) throw cut();
    const line = lines[i] ?? '';
    const mark = line[0];
    // A blank line is a context line whose leading space a mailer or editor stripped.
    if (mark === ' ' || line === '') {
      if (oldLeft === 0 || newLeft === 0) throw cut();
      hunk.lines.push({ type: 'context', text: line.slice(1), oldNumber, newNumber, noNewline: false });
      oldNumber++;
      newNumber++;
      oldLeft--;
      newLeft--;
    } else if (mark === '-') {
      if (oldLeft === 0) throw cut();
      hunk.lines.push({ type: 'del', text: line.slice(1), oldNumber, newNumber: null, noNewline: false });
      file.deletions++;
      oldNumber++;
      oldLeft--;
    } else if (mark === '+') {
      if (newLeft === 0) throw cut();
      hunk.lines.push({ type: 'add', text: line.slice(1), oldNumber: null, newNumber, noNewline: false });
      file.additions++;
      newNumber++;
      newLeft--;
    } else if (mark === '\\') {
      markNoNewline(hunk);
    } else {
      throw cut();
    }
    i++;
  }
  // The marker of the hunk's last line comes after the counts are used up.
  if ((lines[i] ?? '').startsWith('\\') && i < to) {
    markNoNewline(hunk);
    i++;
  }
  return i;
}

function markNoNewline(hunk: DiffHunk): void {
  const last = hunk.lines[hunk.lines.length - 1];
  if (last) last.noNewline = true;
}

/** A path of a `---`/`+++` or `Binary files` line: unquoted, without a/ b/ and timestamp; null for none. */
function headerPath(raw: string): string | null {
  if (EPOCH.test(raw)) return null;
  const text = raw.startsWith('"') ? unquoted(raw) : (raw.split('\t')[0] ?? '');
  if (text === '/dev/null') return null;
  return stripPrefix(text);
}

function stripPrefix(path: string): string {
  return /^[ab]\//.test(path) ? path.slice(2) : path;
}

/** The two names of `diff --git a/x b/y`; provisional, as --- / +++ and rename lines name them exactly. */
function gitHeaderPaths(rest: string): [string | null, string | null] {
  if (rest.startsWith('"')) {
    const first = readQuoted(rest);
    const second = rest.slice(first.end).trim();
    return [stripPrefix(first.value), stripPrefix(second.startsWith('"') ? readQuoted(second).value : second)];
  }
  // Without quotes, names may hold spaces: when both sides name the same file, split in the middle.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ') {
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (stripPrefix(a) === stripPrefix(b)) return [stripPrefix(a), stripPrefix(b)];
  }
  const split = rest.indexOf(' b/');
  if (split > 0) return [stripPrefix(rest.slice(0, split)), stripPrefix(rest.slice(split + 1))];
  return [stripPrefix(rest), stripPrefix(rest)];
}

/** A name git may have quoted C-style ("a/tab\there"), as written in the header. */
function unquoted(text: string): string {
  return text.startsWith('"') ? readQuoted(text).value : text;
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** Reads a C-style quoted string at the start of `text` (octal escapes are UTF-8 bytes). */
function readQuoted(text: string): { value: string; end: number } {
  const bytes: number[] = [];
  let i = 1;
  for (; i < text.length && text[i] !== '"'; i++) {
    const c = text[i] ?? '';
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = text[i + 1] ?? '';
    const octal = /^[0-7]{3}/.exec(text.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(Number.parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return { value: Buffer.from(bytes).toString('utf8'), end: i + 1 };
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?q?Zo=C3=AB?=`), as git writes non-ASCII names and subjects. */
function decodeWords(value: string): string {
  return value.replace(/=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=(?:\s+(?==\?))?/g, (word, charset, encoding, text) => {
    const bytes =
      encoding === 'B' || encoding === 'b'
        ? Buffer.from(String(text), 'base64')
        : Buffer.from(
            String(text)
              .replace(/_/g, ' ')
              .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex) => String.fromCharCode(Number.parseInt(String(hex), 16))),
            'latin1',
          );
    try {
      return new TextDecoder(String(charset)).decode(bytes);
    } catch {
      return String(word); // an unknown charset: show the word as written
    }
  });
}

/** How many diff lines a page or an API answer shows at most; the raw download has them all. */
export const MAX_SHOWN_LINES = 5000;

/**
 * The parsed patch cut to its first `max` diff lines (hunks past the budget are dropped, the hunk that
 * crosses it is cut), so that showing a 2 MB patch costs no more than showing a large normal one.
 */
export function limitShownLines(
  parsed: ParsedPatch,
  max = MAX_SHOWN_LINES,
): { parsed: ParsedPatch; truncated: boolean } {
  let budget = max;
  let truncated = false;
  const parts = parsed.parts.map((part) => ({
    ...part,
    files: part.files.map((file) => ({
      ...file,
      hunks: file.hunks.flatMap((hunk) => {
        if (budget <= 0) {
          truncated = true;
          return [];
        }
        const lines = hunk.lines.slice(0, budget);
        if (lines.length < hunk.lines.length) truncated = true;
        budget -= lines.length;
        return [{ ...hunk, lines }];
      }),
    })),
  }));
  return { parsed: { kind: parsed.kind, parts }, truncated };
}
