import crypto from 'node:crypto';
import { DomainError } from '../../errors.js';
import { parsePurl } from '../cases/purl.js';
import { LockfileError } from './inventory.js';
import { parserFor } from './lockfiles/index.js';
import { purlToPackage } from './purl.js';
import type { InventoryInput } from './dependents.js';

/*
 * Reads what a dependent registers into the packages of the reverse index. A file goes to the
 * parser its name selects (lockfiles/index.ts); a package that the file pins to no version (a Git
 * dependency) is left out, as the scanner leaves it out. A package URL is checked as a person typed
 * it (cases/purl.ts says what is wrong, with the line) and mapped to OSV's ecosystem and name
 * (scan/purl.ts); one without a version stands for every version and is kept with version "".
 * Anything unreadable is refused whole, so nothing is stored half.
 */

export interface ReadInventory {
  name: string;
  format: string;
  sha256: string;
  packages: { ecosystem: string; name: string; version: string }[];
}

export const PURLS_NAME = 'package URLs';
export const PURLS_FORMAT = 'purls';
/** Enough for a large application's transitive tree; bounded so one registration cannot fill the index. */
export const MAX_PACKAGES = 20_000;
const MAX_NAME = 200;

function refuse(field: 'file' | 'purls', message: string, extra: Record<string, unknown> = {}): never {
  throw new DomainError('VALIDATION_FAILED', message, { field, ...extra });
}

/** The last path segment, without control characters, at most MAX_NAME characters. */
function baseName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return base.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_NAME);
}

function readFile(fileName: string, text: string) {
  const name = baseName(fileName);
  if (name === '') refuse('file', 'Choose a file: a lockfile or SBOM, named as its tool names it.');
  const parser = parserFor(name);
  if (!parser) {
    refuse(
      'file',
      `"${name}" is not a lockfile or SBOM Embargo reads; upload one named as its tool names it (package-lock.json, Cargo.lock, go.mod...), or list package URLs.`,
    );
  }
  try {
    const packages = parser.parse(text, name).filter((p) => p.version !== '');
    return { name, format: parser.format, packages };
  } catch (err) {
    if (err instanceof LockfileError)
      refuse('file', `The file cannot be read: ${err.message}`, { format: parser.format });
    throw err;
  }
}

function readPurls(text: string) {
  const packages: ReadInventory['packages'] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      parsePurl(line);
    } catch (err) {
      if (err instanceof DomainError) refuse('purls', `Line ${i + 1}: ${err.message}`, { line: i + 1 });
      throw err;
    }
    const pkg = purlToPackage(line);
    if (!pkg) {
      refuse('purls', `Line ${i + 1}: Embargo knows no advisory database for this kind of package URL.`, {
        line: i + 1,
      });
    }
    packages.push(pkg);
  });
  return { name: PURLS_NAME, format: PURLS_FORMAT, packages };
}

/** The packages of a registration, deduplicated; VALIDATION_FAILED (field "file" or "purls") when unreadable. */
export function readInventory(input: InventoryInput): ReadInventory {
  const read = input.kind === 'file' ? readFile(input.fileName, input.text) : readPurls(input.text);
  const field = input.kind === 'file' ? 'file' : 'purls';
  const seen = new Set<string>();
  const packages = read.packages
    .filter((p) => {
      const key = `${p.ecosystem}\u0000${p.name}\u0000${p.version}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((p) => ({ ecosystem: p.ecosystem, name: p.name, version: p.version }));
  if (packages.length === 0) {
    refuse(
      field,
      input.kind === 'file' ? 'The file names no package with a version.' : 'List at least one package URL.',
    );
  }
  if (packages.length > MAX_PACKAGES) refuse(field, `At most ${MAX_PACKAGES} packages per registration.`);
  const sha256 = crypto.createHash('sha256').update(input.text, 'utf8').digest('hex');
  return { name: read.name, format: read.format, sha256, packages };
}
