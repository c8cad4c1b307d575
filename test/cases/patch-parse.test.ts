import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { limitShownLines, MAX_PATCH_BYTES, parsePatch, patchFileText } from '../../src/domain/cases/patch-parse.js';
import { DomainError } from '../../src/errors.js';

// Fixtures: series-rename-binary.patch is real `git format-patch -M --stdout HEAD~2` output (git 2.39)
// of two commits: a fix touching a file without a final newline, then a rename with an edit and a new
// binary file, by an author whose name git RFC 2047-encoded. plain-no-newline.diff is `diff -ruN`.
const fixture = (name: string) => fs.readFileSync(new URL(`../fixtures/patches/${name}`, import.meta.url), 'utf8');

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const lineText = (l: { type: string; text: string }) =>
  `${l.type === 'add' ? '+' : l.type === 'del' ? '-' : ' '}${l.text}`;

describe('parsePatch: git format-patch series', () => {
  const parsed = parsePatch(fixture('series-rename-binary.patch'));
  const [first, second] = parsed.parts;

  it('reads each mail of the series as one commit with its subject, author, date and message', () => {
    expect(parsed.kind).toBe('format-patch');
    expect(parsed.parts).toHaveLength(2);
    expect(first).toMatchObject({
      commit: 'd928415c731c4ce726a8a1c417bec90090c72c75',
      author: 'Ada Lovelace <ada@example.org>',
      date: 'Mon, 2 Mar 2026 10:00:00 +0000',
      subject: 'parser: refuse input longer than the buffer',
      number: 1,
      total: 2,
    });
    // The message stops at the `---` line: the diffstat is not part of it.
    expect(first?.message).toBe(
      'A string as long as the output buffer overflowed it by one byte\n' +
        '(the terminating NUL). Found by Grace <grace@example.net>.\n\n' +
        'Signed-off-by: Ada Lovelace <ada@example.org>',
    );
    // Encoded words (folded over two header lines) are decoded.
    expect(second).toMatchObject({
      author: 'Zoë Ünal <zoe@example.org>',
      subject: 'Move util.h to include/ and add the logo — übersichtlich',
      number: 2,
      total: 2,
      message: '',
    });
  });

  it('gives every line its type and old/new line numbers, and keeps the no-newline marker', () => {
    const [config, parser] = first?.files ?? [];
    expect(config).toMatchObject({ oldPath: 'config.ini', newPath: 'config.ini', change: 'modified', binary: false });
    expect(config?.hunks[0]?.lines).toEqual([
      { type: 'context', text: 'limits = 16', oldNumber: 1, newNumber: 1, noNewline: false },
      { type: 'del', text: 'strict = false', oldNumber: 2, newNumber: null, noNewline: true },
      { type: 'add', text: 'strict = true', oldNumber: null, newNumber: 2, noNewline: true },
    ]);
    expect(parser).toMatchObject({ newPath: 'src/parser.c', additions: 2, deletions: 0 });
    const hunk = parser?.hunks[0];
    expect(hunk).toMatchObject({ oldStart: 2, oldLines: 6, newStart: 2, newLines: 8 });
    expect(hunk?.lines.map(lineText)).toEqual([
      ' ',
      ' int parse(const char *in, char *out, size_t n) {',
      ' \tsize_t len = strlen(in);',
      '+\tif (len >= n)',
      '+\t\treturn -1; /* would overflow <out> */',
      ' \tmemcpy(out, in, len);',
      " \tout[len] = '\\0';",
      ' \treturn 0;',
    ]);
    expect(hunk?.lines.map((l) => [l.oldNumber, l.newNumber])).toEqual([
      [2, 2],
      [3, 3],
      [4, 4],
      [null, 5],
      [null, 6],
      [5, 7],
      [6, 8],
      [7, 9],
    ]);
  });

  it('reads a rename with its similarity, and lists a binary file without content', () => {
    const [renamed, logo] = second?.files ?? [];
    expect(second?.files).toHaveLength(2);
    expect(renamed).toMatchObject({
      oldPath: 'src/util.h',
      newPath: 'include/util.h',
      change: 'renamed',
      similarity: 76,
      binary: false,
      additions: 1,
      deletions: 1,
    });
    expect(renamed?.hunks[0]?.lines.filter((l) => l.type !== 'context').map(lineText)).toEqual([
      '-int parse(const char *in, char *out, size_t n);',
      '+int parse_input(const char *in, char *out, size_t n);',
    ]);
    expect(logo).toMatchObject({
      oldPath: null,
      newPath: 'logo.png',
      change: 'added',
      binary: true,
      newMode: '100644',
      hunks: [],
    });
  });

  it('reads one mail saved without its mbox line', () => {
    const mail = fixture('series-rename-binary.patch').split('\n').slice(1, 40).join('\n');
    const one = parsePatch(mail);
    expect(one.kind).toBe('format-patch');
    expect(one.parts).toHaveLength(1);
    expect(one.parts[0]).toMatchObject({ commit: null, subject: 'parser: refuse input longer than the buffer' });
    expect(one.parts[0]?.files.map((f) => f.newPath)).toEqual(['config.ini', 'src/parser.c']);
  });
});

describe('parsePatch: unified diffs', () => {
  it('reads diff -ruN output: a binary file, two hunks, and the missing final newline', () => {
    const parsed = parsePatch(fixture('plain-no-newline.diff'));
    expect(parsed.kind).toBe('diff');
    expect(parsed.parts).toHaveLength(1);
    expect(parsed.parts[0]).toMatchObject({ subject: null, author: null, commit: null });
    const [blob, list] = parsed.parts[0]?.files ?? [];
    expect(blob).toMatchObject({ oldPath: 'blob.bin', newPath: 'blob.bin', binary: true, hunks: [] });
    // The timestamps after the tab are not part of the name.
    expect(list).toMatchObject({ oldPath: 'list.txt', newPath: 'list.txt', additions: 2, deletions: 1 });
    expect(list?.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([
      [1, 5, 1, 5],
      [10, 3, 10, 4],
    ]);
    expect(list?.hunks[1]?.lines.at(-1)).toEqual({
      type: 'add',
      text: 'thirteen',
      oldNumber: null,
      newNumber: 13,
      noNewline: true,
    });
  });

  it('reads git diff output: mode changes, new and deleted files, quoted names, CRLF line ends', () => {
    const diff = [
      'diff --git a/run.sh b/run.sh',
      'old mode 100644',
      'new mode 100755',
      'diff --git "a/docs/tab\\there.md" "b/docs/tab\\there.md"',
      'new file mode 100644',
      'index 0000000..3b18e51',
      '--- /dev/null',
      '+++ "b/docs/tab\\there.md"',
      '@@ -0,0 +1 @@',
      '+hello',
      'diff --git a/old name.txt b/old name.txt',
      'deleted file mode 100644',
      'index 3b18e51..0000000',
      '--- a/old name.txt\t',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      '',
    ].join('\r\n');
    const files = parsePatch(diff).parts[0]?.files ?? [];
    expect(files.map((f) => [f.change, f.oldPath, f.newPath])).toEqual([
      ['modified', 'run.sh', 'run.sh'],
      ['added', null, 'docs/tab\there.md'],
      ['deleted', 'old name.txt', null],
    ]);
    expect(files[0]).toMatchObject({ oldMode: '100644', newMode: '100755', hunks: [] });
    expect(files[1]?.hunks[0]?.lines).toEqual([
      { type: 'add', text: 'hello', oldNumber: null, newNumber: 1, noNewline: false },
    ]);
    expect(files[2]?.hunks[0]?.lines[0]).toMatchObject({ type: 'del', text: 'bye', oldNumber: 1 });
  });

  it('counts a removed "- " line inside a hunk instead of taking it for the mail signature', () => {
    const diff = ['--- a/list.md', '+++ b/list.md', '@@ -1,2 +1,1 @@', ' item', '-- ', ''].join('\n');
    const lines = parsePatch(diff).parts[0]?.files[0]?.hunks[0]?.lines ?? [];
    expect(lines.map(lineText)).toEqual([' item', '-- ']);
  });
});

describe('parsePatch on binary-file lines', () => {
  it('splits "Binary files" lines on the right " and ", even in names holding it', () => {
    const diff = 'Binary files a/cats and dogs.png and b/cats and dogs.png differ\n';
    const parsed = parsePatch(diff);
    expect(parsed.parts[0]?.files[0]).toMatchObject({ binary: true });
    expect(JSON.stringify(parsed.parts[0]?.files[0])).toContain('cats and dogs.png');
  });

  it('reads a megabyte-long "Binary files" line in linear time (a backtracking pattern took minutes)', () => {
    const line = `Binary files ${' and '.repeat(200_000)}x differ`;
    const diff = `${line}\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n`;
    expect(parsePatch(diff).parts[0]?.files.length).toBeGreaterThan(0);
  });
});

describe('limitShownLines', () => {
  it('keeps the first lines of a long patch and says it cut it', () => {
    const body = Array.from({ length: 30 }, (_, i) => `+line ${i}`).join('\n');
    const diff = `--- a/x.c\n+++ b/x.c\n@@ -0,0 +1,30 @@\n${body}\n--- a/y.c\n+++ b/y.c\n@@ -1 +1 @@\n-a\n+b\n`;
    const parsed = parsePatch(diff);
    const cut = limitShownLines(parsed, 10);
    expect(cut.truncated).toBe(true);
    const files = cut.parsed.parts[0]?.files ?? [];
    expect(files[0]?.hunks[0]?.lines).toHaveLength(10);
    expect(files[1]?.hunks).toEqual([]);
    expect(limitShownLines(parsed, 100)).toEqual({ parsed, truncated: false });
  });
});

describe('parsePatch refuses what is not a patch', () => {
  it.each([
    ['empty text', ''],
    ['prose', 'Hi team,\n\nthe fix is to check the length before memcpy.\n'],
    ['a mail without a diff', 'From: Ada <ada@example.org>\nSubject: [PATCH] fix\n\nSee attachment.\n'],
    ['a diffstat only', ' src/parser.c | 2 ++\n 1 file changed, 2 insertions(+)\n'],
  ])('%s: VALIDATION_FAILED on the field "patch"', (_name, text) => {
    const err = refusal(() => parsePatch(text));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details).toEqual({ field: 'patch' });
    expect(err.message).toMatch(/holds no diff/);
  });

  it('refuses a hunk cut short, naming its line', () => {
    const cut = ['--- a/x.c', '+++ b/x.c', '@@ -1,3 +1,4 @@', ' a', '+b', ''].join('\n');
    const err = refusal(() => parsePatch(cut));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toMatch(/hunk on line 3 ends early/);
  });

  it('refuses a hunk before any file header, and a malformed hunk header', () => {
    expect(refusal(() => parsePatch('@@ -1 +1 @@\n-a\n+b\n')).message).toMatch(/no file header/);
    expect(refusal(() => parsePatch('--- a/x\n+++ b/x\n@@ -one +1 @@\n')).message).toMatch(/not a valid hunk header/);
  });

  it('refuses NUL bytes, and more than 2 MB with PAYLOAD_TOO_LARGE', () => {
    const withNul = '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\u0000\n+b\n';
    expect(refusal(() => parsePatch(withNul))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'patch' },
    });
    const header = '--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+';
    const big = header + 'x'.repeat(MAX_PATCH_BYTES - header.length + 1) + '\n';
    expect(refusal(() => parsePatch(big)).code).toBe('PAYLOAD_TOO_LARGE');
    expect(parsePatch(big.slice(0, MAX_PATCH_BYTES - 1) + '\n').parts[0]?.files).toHaveLength(1);
  });

  it('reads an uploaded file as UTF-8 text only', () => {
    expect(patchFileText(Buffer.from('--- a/x\n', 'utf8'))).toBe('--- a/x\n');
    expect(refusal(() => patchFileText(Buffer.from([0x2d, 0xff, 0xfe, 0x0a])))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'patch' },
    });
    expect(refusal(() => patchFileText(Buffer.alloc(MAX_PATCH_BYTES + 1, 0x41))).code).toBe('PAYLOAD_TOO_LARGE');
  });
});
