import { LockfileError, type LockfileParser, type ScannedPackage } from '../inventory.js';
import { isRecord, readJsonObject } from './read-document.js';

/*
 * Pipfile.lock: `default` holds what the project ships, `develop` what only development needs.
 * Versions are written `==1.2.3`; an entry without one (a Git or local checkout) is left out, as
 * osv-scalibr does. A version in both sections counts once, in the default group.
 */

const FORMAT = 'Pipfile.lock';
const SECTIONS = [
  { key: 'default', groups: [] },
  { key: 'develop', groups: ['dev'] },
] as const;

export function parsePipfileLock(text: string): ScannedPackage[] {
  // pipenv never writes an empty lockfile, but an empty file is nothing to report rather than an error.
  if (text.trim() === '') return [];
  const doc = readJsonObject(FORMAT, text);
  const lines = sectionKeyLines(text);
  const seen = new Set<string>();
  const packages: ScannedPackage[] = [];
  for (const section of SECTIONS) {
    const entries = doc[section.key];
    if (entries === undefined) continue;
    if (!isRecord(entries)) throw new LockfileError(FORMAT, `"${section.key}" is not an object`);
    for (const [name, entry] of Object.entries(entries)) {
      const pinned = isRecord(entry) ? entry['version'] : undefined;
      if (typeof pinned !== 'string' || pinned === '') continue;
      const version = pinned.replace(/^==/, '');
      const key = `${name}\u0000${version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const pkg: ScannedPackage = { ecosystem: 'PyPI', name, version, depGroups: [...section.groups] };
      const line = lines.get(`${section.key}\u0000${name}`);
      if (line !== undefined) pkg.line = line;
      packages.push(pkg);
    }
  }
  return packages;
}

/**
 * The 1-based line of each key one level inside a top-level object, by `section\0key`. JSON.parse
 * keeps no positions, so the (already valid) text is walked again for strings, nesting and newlines.
 */
function sectionKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  // The key each open object or array was the value of ("" for the root and for array elements).
  const open: { object: boolean; key: string }[] = [];
  let lastKey = '';
  let line = 1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\n') line += 1;
    else if (c === '{' || c === '[') {
      open.push({ object: c === '{', key: open.at(-1)?.object === true ? lastKey : '' });
    } else if (c === '}' || c === ']') open.pop();
    else if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (open.at(-1)?.object === true && /^\s*:/.test(text.slice(end + 1, end + 32))) {
        lastKey = unquote(text.slice(i, end + 1));
        const section = open.length === 2 ? open[1]?.key : undefined;
        const key = `${section}\u0000${lastKey}`;
        if (section !== undefined && !lines.has(key)) lines.set(key, line);
      }
      i = end;
    }
  }
  return lines;
}

function unquote(literal: string): string {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : literal;
  } catch {
    return literal.slice(1, -1);
  }
}

export const pipfileLockParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => (path.split(/[\\/]/).pop() ?? '') === 'Pipfile.lock',
  parse: (text) => parsePipfileLock(text),
};
