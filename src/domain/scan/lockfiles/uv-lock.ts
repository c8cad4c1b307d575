import type { LockfileParser, ScannedPackage } from '../inventory.js';
import { isTable, packageNameLines, stringOr, type TomlTable, tomlPackages } from './toml-lockfile.js';

/*
 * uv.lock. The project itself and its workspace members are entries too (source `virtual` or
 * `editable`): they are not PyPI packages, so they are left out, but their `optional-dependencies`
 * (extras) and `dev-dependencies` (dependency groups) say which group needs which package. A package
 * only reached through another one gets no group, as in osv-scalibr.
 */

const FORMAT = 'uv.lock';

export function parseUvLock(text: string): ScannedPackage[] {
  const entries = tomlPackages(FORMAT, text);
  const lines = packageNameLines(text);
  const lineOf = (i: number): number | undefined => (lines.length === entries.length ? lines[i] : undefined);
  const groups = groupsByPackage(entries.filter(isWorkspaceMember));
  const packages: ScannedPackage[] = [];
  entries.forEach((entry, i) => {
    const name = entry['name'];
    if (typeof name !== 'string' || name === '' || isWorkspaceMember(entry)) return;
    const pkg: ScannedPackage = {
      ecosystem: 'PyPI',
      name,
      version: stringOr(entry['version'], ''),
      depGroups: [...(groups.get(name) ?? [])].sort(),
    };
    const commit = gitCommit(entry);
    if (commit !== undefined) pkg.commit = commit;
    const line = lineOf(i);
    if (line !== undefined) pkg.line = line;
    packages.push(pkg);
  });
  return packages;
}

function isWorkspaceMember(entry: TomlTable): boolean {
  const source = entry['source'];
  return isTable(source) && ('virtual' in source || 'editable' in source);
}

/** uv writes a Git source as `https://host/repo?rev=...#<commit>`. */
function gitCommit(entry: TomlTable): string | undefined {
  const source = entry['source'];
  const git = isTable(source) ? source['git'] : undefined;
  if (typeof git !== 'string') return undefined;
  const hash = git.indexOf('#');
  return hash >= 0 && hash < git.length - 1 ? git.slice(hash + 1) : undefined;
}

function groupsByPackage(members: TomlTable[]): Map<string, Set<string>> {
  const byPackage = new Map<string, Set<string>>();
  for (const member of members) {
    for (const key of ['optional-dependencies', 'dev-dependencies']) {
      const table = member[key];
      if (!isTable(table)) continue;
      for (const [group, deps] of Object.entries(table)) {
        if (!Array.isArray(deps)) continue;
        for (const dep of deps) {
          const name = isTable(dep) ? dep['name'] : undefined;
          if (typeof name !== 'string') continue;
          const set = byPackage.get(name) ?? new Set<string>();
          set.add(group);
          byPackage.set(name, set);
        }
      }
    }
  }
  return byPackage;
}

export const uvLockParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => (path.split(/[\\/]/).pop() ?? '') === 'uv.lock',
  parse: (text) => parseUvLock(text),
};
