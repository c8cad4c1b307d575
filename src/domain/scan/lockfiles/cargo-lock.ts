/*
 * Cargo.lock: every `[[package]]` table is one crate version the build resolved. The layout has
 * changed (v1 kept checksums in a trailing `[metadata]` table, v2 moved them into each package, v3
 * and v4 add a top-level `version`), but the `package` array of tables is the same in all of them.
 */
import { parse as parseToml } from 'smol-toml';
import { LockfileError, type LockfileParser, type ScannedPackage } from '../inventory.js';

const FORMAT = 'Cargo.lock';

// A table header on its own line; TOML allows blanks inside the brackets and a trailing comment.
const PACKAGE_HEADER = /^[ \t]*\[\[[ \t]*package[ \t]*\]\][ \t]*(#.*)?$/;
const ANY_HEADER = /^[ \t]*\[/;
const NAME_KEY = /^[ \t]*(name|"name")[ \t]*=/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * 1-based line of the `name` key of each `[[package]]` table, in document order, which is the
 * array's order (osv-scalibr reports that line rather than the header's).
 */
function nameLines(text: string): number[] {
  const lines: number[] = [];
  let inPackage = false;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (ANY_HEADER.test(line)) {
      inPackage = PACKAGE_HEADER.test(line);
    } else if (inPackage && NAME_KEY.test(line)) {
      lines.push(index + 1);
      inPackage = false;
    }
  });
  return lines;
}

/** A Git source reads `git+<url>?<query>#<commit>`; registry and path sources carry none. */
function gitCommit(source: unknown): string | undefined {
  if (typeof source !== 'string' || !source.startsWith('git+')) return undefined;
  const hash = source.lastIndexOf('#');
  return hash === -1 ? undefined : source.slice(hash + 1) || undefined;
}

function parse(text: string): ScannedPackage[] {
  let document: Record<string, unknown>;
  try {
    document = parseToml(text);
  } catch (error) {
    throw new LockfileError(FORMAT, `not valid TOML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const entries = document['package'] ?? [];
  if (!Array.isArray(entries)) throw new LockfileError(FORMAT, '`package` is not an array of tables');

  // Lines are only trusted when every package came from a header (not from an inline array).
  const lines = nameLines(text);
  const withLines = lines.length === entries.length;
  const packages: ScannedPackage[] = [];
  entries.forEach((entry: unknown, index) => {
    if (!isRecord(entry) || typeof entry['name'] !== 'string' || typeof entry['version'] !== 'string') return;
    const pkg: ScannedPackage = { ecosystem: 'crates.io', name: entry['name'], version: entry['version'] };
    const commit = gitCommit(entry['source']);
    if (commit !== undefined) pkg.commit = commit;
    const line = withLines ? lines[index] : undefined;
    if (line !== undefined) pkg.line = line;
    packages.push(pkg);
  });
  return packages;
}

export const cargoLockParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => path.split(/[\\/]/).pop() === 'Cargo.lock',
  parse: (text) => parse(text),
};
