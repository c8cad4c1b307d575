import { posix } from 'node:path';
import type { LockfileParser, ScannedPackage } from '../inventory.js';

/*
 * pip requirements files, hand-written or from pip-compile. Only what names one PyPI project is read:
 * options, URLs and local paths are skipped. A requirement with one `==`, `===`, `>=`, `<=` or `~=`
 * constraint yields that constraint's version (osv-scalibr's "lowest version" reading, which the
 * oracle fixes); wildcards, `<`, `>`, `!=` and several constraints yield the name with version "".
 */

const FORMAT = 'requirements.txt';

/** Reads a file that a requirements file names with `-r`, by the path the parser resolved; undefined if unreadable. */
export type ReadNested = (path: string) => string | undefined;

// pip's own comment rule: `#` at the start or after whitespace (so `--hash=...;#` is not a comment).
const COMMENT = /(^|\s)#.*$/;
// pip would expand these; we cannot, so the whole requirement is skipped rather than guessed.
const ENV_VAR = /\$\{[A-Z0-9_]+\}/;
// Per-requirement options end the requirement; text before them stays (osv-scalibr's reading).
const OPTIONS = /\s(?:--hash|--global-option|--install-option|--config-settings|-C)(?=[\s=]|$).*$/;
const EXTRAS = /\[[^[\]]*\]/g;
const NESTED = /^(?:-r|--requirement)(?:\s*=\s*|\s*)(\S+)$/;
const OPERATOR = /===|==|~=|!=|<=|>=|<|>/;
const UNSUPPORTED = /\*|,|!=|<(?!=)|>(?!=)/;
// PEP 508 project names.
const VALID_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

interface Parsed {
  packages: ScannedPackage[];
  nested: string[];
}

/**
 * The packages of a requirements file and, when `readNested` is given, of the files it names with
 * `-r` (breadth first, each file once). Packages from nested files carry no line: theirs is in another file.
 */
export function parseRequirements(text: string, path: string, readNested?: ReadNested): ScannedPackage[] {
  const first = parseOne(text, path);
  if (readNested === undefined) return first.packages;
  const packages = [...first.packages];
  const queue = [...first.nested];
  const seen = new Set([posix.normalize(path)]);
  for (let i = 0; i < queue.length; i += 1) {
    const next = queue[i] ?? '';
    if (seen.has(next)) continue;
    seen.add(next);
    const nestedText = readNested(next);
    if (nestedText === undefined) continue;
    const parsed = parseOne(nestedText, next);
    for (const { line: _line, ...pkg } of parsed.packages) packages.push(pkg);
    queue.push(...parsed.nested);
  }
  return packages;
}

function parseOne(text: string, path: string): Parsed {
  const result: Parsed = { packages: [], nested: [] };
  for (const { line, text: logical } of logicalLines(text)) {
    const requirement = logical.replace(OPTIONS, '').trim();
    const bare = (requirement.split(';')[0] ?? '').replace(EXTRAS, '').trim();
    if (bare === '') continue;
    const nested = NESTED.exec(bare)?.[1];
    if (nested !== undefined) {
      if (!nested.includes('://')) result.nested.push(resolve(path, nested));
      continue;
    }
    if (bare.startsWith('-')) continue;
    const pkg = nameAndVersion(bare);
    if (pkg !== undefined) result.packages.push({ ecosystem: 'PyPI', ...pkg, line });
  }
  return result;
}

/** Comment-free lines with `\` continuations joined, each with the 1-based line where it starts. */
function* logicalLines(text: string): Generator<{ line: number; text: string }> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i += 1) {
    const start = i;
    let joined = '';
    let skip = false;
    let current = (lines[i] ?? '').replace(COMMENT, '');
    while (current.endsWith('\\')) {
      skip ||= ENV_VAR.test(current);
      joined += current.slice(0, -1);
      i += 1;
      if (i >= lines.length) break;
      current = (lines[i] ?? '').replace(COMMENT, '');
    }
    if (i < lines.length) {
      skip ||= ENV_VAR.test(current);
      joined += current;
    }
    if (!skip) yield { line: start + 1, text: joined };
  }
}

function nameAndVersion(bare: string): { name: string; version: string } | undefined {
  const op = OPERATOR.exec(bare);
  if (op === null) return VALID_NAME.test(bare) ? { name: bare, version: '' } : undefined;
  const name = bare.slice(0, op.index).trim();
  if (!VALID_NAME.test(name)) return undefined;
  const spec = bare.slice(op.index);
  if (UNSUPPORTED.test(spec)) return { name, version: '' };
  const version = spec.slice(op[0].length).trim();
  // `name==` with nothing after it is a broken line, not an unpinned requirement.
  return version === '' ? undefined : { name, version };
}

function resolve(from: string, ref: string): string {
  return posix.isAbsolute(ref) ? posix.normalize(ref) : posix.join(posix.dirname(from), ref);
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? '';
}

export const requirementsParser: LockfileParser = {
  format: FORMAT,
  // `requirements.txt`, `requirements-dev.txt`, `dev-requirements.txt`, and any .txt in a `requirements/` folder.
  matches(path) {
    const parts = path.split(/[\\/]/);
    const base = baseName(path);
    if (!base.endsWith('.txt')) return false;
    return base.includes('requirements') || parts.at(-2) === 'requirements';
  },
  parse: (text, path) => parseRequirements(text, path),
};
