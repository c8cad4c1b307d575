import type { LockfileParser, ScannedPackage } from '../inventory.js';
import { isTable, packageNameLines, stringOr, type TomlTable, tomlPackages } from './toml-lockfile.js';

/*
 * poetry.lock, lock versions 1.x (`category`) and 2.x (`groups`). Every entry is a resolved
 * package; a Git source records its commit in `source.resolved_reference`.
 */

const FORMAT = 'poetry.lock';

export function parsePoetryLock(text: string): ScannedPackage[] {
  const entries = tomlPackages(FORMAT, text);
  const lines = packageNameLines(text);
  // Positions are only trusted when every entry was found as a `[[package]]` header.
  const lineOf = (i: number): number | undefined => (lines.length === entries.length ? lines[i] : undefined);
  const packages: ScannedPackage[] = [];
  entries.forEach((entry, i) => {
    const name = entry['name'];
    if (typeof name !== 'string' || name === '') return;
    const pkg: ScannedPackage = {
      ecosystem: 'PyPI',
      name,
      version: stringOr(entry['version'], ''),
      depGroups: groupsOf(entry),
    };
    const source = entry['source'];
    const commit = isTable(source) ? source['resolved_reference'] : undefined;
    if (typeof commit === 'string' && commit !== '') pkg.commit = commit;
    const line = lineOf(i);
    if (line !== undefined) pkg.line = line;
    packages.push(pkg);
  });
  return packages;
}

function groupsOf(entry: TomlTable): string[] {
  // An optional package is only installed through an extra, whatever group lists it.
  if (entry['optional'] === true) return ['optional'];
  const groups = entry['groups'];
  if (Array.isArray(groups)) {
    const named = groups.filter((g): g is string => typeof g === 'string');
    // A package the main group needs is shipped, even when dev or test need it too.
    return named.includes('main') ? [] : named;
  }
  // Lock files before 2.0 say `category = "main"` or `"dev"` instead.
  const category = entry['category'];
  return typeof category === 'string' && category !== 'main' ? [category] : [];
}

export const poetryLockParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => (path.split(/[\\/]/).pop() ?? '') === 'poetry.lock',
  parse: (text) => parsePoetryLock(text),
};
