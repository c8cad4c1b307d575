import { LockfileError } from '../inventory.js';
import { descriptorName, gitCommitOf, type NpmEntry } from './npm-common.js';

// Yarn 1's lockfile is its own indentation format, not YAML:
//
//   "@babel/code-frame@^7.0.0", "@babel/code-frame@^7.12.13":
//     version "7.12.13"
//     resolved "https://registry.yarnpkg.com/..."
//     dependencies:
//       "@babel/highlight" "^7.12.13"
//
// An entry is a header of descriptors at column 0 ending in ":", then fields indented by two
// spaces. Only the entry's own `version` and `resolved` matter here; deeper blocks are skipped.

const FORMAT = 'yarn.lock';

/** A token that may be double-quoted with JSON-style escapes, as yarn writes any token that needs it. */
function unquote(token: string): string {
  if (!token.startsWith('"')) return token;
  try {
    return JSON.parse(token) as string;
  } catch {
    return token.slice(1, token.endsWith('"') ? -1 : undefined);
  }
}

/** The first descriptor of a header line, without the trailing ":". */
function firstDescriptor(header: string): string {
  const body = header.slice(0, -1).trim();
  if (body.startsWith('"')) {
    let end = 1;
    while (end < body.length && body[end] !== '"') end += body[end] === '\\' ? 2 : 1;
    return unquote(body.slice(0, end + 1));
  }
  const comma = body.indexOf(',');
  return (comma < 0 ? body : body.slice(0, comma)).trim();
}

/** The package a descriptor installs: its own name, or the real one behind "alias@npm:real@range". */
function packageName(descriptor: string): string {
  const name = descriptorName(descriptor);
  const range = descriptor.slice(name.length + 1);
  return range.startsWith('npm:') ? descriptorName(range.slice('npm:'.length)) : name;
}

/** A field line "  key value" (either part possibly quoted) -> [key, value]; a block opener has value "". */
function field(line: string): [string, string] {
  const body = line.trim();
  let keyEnd: number;
  if (body.startsWith('"')) {
    keyEnd = 1;
    while (keyEnd < body.length && body[keyEnd] !== '"') keyEnd += body[keyEnd] === '\\' ? 2 : 1;
    keyEnd++;
  } else {
    keyEnd = body.search(/[\s:]|$/);
  }
  const key = unquote(body.slice(0, keyEnd));
  const value = body.slice(keyEnd).replace(/^:/, '').trim();
  return [key, unquote(value)];
}

/** The entries of a Yarn 1 lockfile. */
export function* yarnV1Entries(source: string): Generator<NpmEntry> {
  let current: { name: string; line: number; version: string; resolved: string } | undefined;
  const finish = (): NpmEntry | undefined =>
    current && {
      name: current.name,
      version: current.version,
      commit: gitCommitOf(current.resolved),
      line: current.line,
    };

  const lines = source.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      if (!line.trimEnd().endsWith(':')) {
        throw new LockfileError(FORMAT, `line ${index + 1}: expected an entry header ending in ":"`);
      }
      const done = finish();
      if (done) yield done;
      current = { name: packageName(firstDescriptor(line.trimEnd())), line: index + 1, version: '', resolved: '' };
      continue;
    }
    if (!current) throw new LockfileError(FORMAT, `line ${index + 1}: indented line before any entry`);
    // Fields of the entry itself are indented by exactly two spaces; deeper lines belong to a block.
    if (/^ {2}\S/.test(line)) {
      const [key, value] = field(line);
      if (key === 'version') current.version = value;
      else if (key === 'resolved') current.resolved = value;
    }
  }
  const done = finish();
  if (done) yield done;
}
