import { parse } from 'smol-toml';
import { LockfileError } from '../inventory.js';

/*
 * What poetry.lock and uv.lock share: a TOML document whose `package` key is an array of tables, and
 * the need to say on which line each entry names itself. smol-toml gives values without positions,
 * so the text is walked once more: the `name = ...` key directly in the entry's own table counts,
 * not one in a sub-table (`[package.source]`), a comment or a multi-line string.
 */

export type TomlTable = Record<string, unknown>;

export function isTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/** The `[[package]]` tables of a TOML lockfile; throws `LockfileError` for text that is not TOML. */
export function tomlPackages(format: string, text: string): TomlTable[] {
  let document: TomlTable;
  try {
    document = parse(text);
  } catch (error) {
    throw new LockfileError(format, `not TOML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const packages = document['package'];
  if (packages === undefined) return [];
  if (!Array.isArray(packages) || !packages.every(isTable)) {
    throw new LockfileError(format, '`package` is not an array of tables');
  }
  return packages;
}

const PACKAGE_HEADER = /^\[\[\s*package\s*\]\]\s*(?:#.*)?$/;
const NAME_KEY = /^(?:name|"name"|'name')\s*=/;

/** The 1-based line of each `[[package]]` entry's `name` key, in entry order (undefined when it has none). */
export function packageNameLines(text: string): (number | undefined)[] {
  const lines: (number | undefined)[] = [];
  let inEntry = false;
  let openString: '"""' | "'''" | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    if (openString !== undefined) {
      if (raw.includes(openString)) openString = undefined;
      return;
    }
    const line = raw.trim();
    if (line.startsWith('#')) return;
    if (line.startsWith('[')) {
      inEntry = PACKAGE_HEADER.test(line);
      if (inEntry) lines.push(undefined);
      return;
    }
    if (inEntry && NAME_KEY.test(line) && lines.at(-1) === undefined) lines[lines.length - 1] = index + 1;
    openString = opensMultiline(line);
  });
  return lines;
}

/** The delimiter of a multi-line string that this line opens and does not close. */
function opensMultiline(line: string): '"""' | "'''" | undefined {
  for (const delimiter of ['"""', "'''"] as const) {
    if (line.split(delimiter).length % 2 === 0) return delimiter;
  }
  return undefined;
}
