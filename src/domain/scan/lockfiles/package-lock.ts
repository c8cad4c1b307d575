import { type LockfileParser, type ScannedPackage } from '../inventory.js';
import { isRecord, readJsonObject } from './read-document.js';
import { jsonKeyLinesWhere, jsonPathKey } from './npm-json-lines.js';
import { baseName, collectNpmPackages, gitCommitOf, type NpmEntry } from './npm-common.js';

// npm's package-lock.json and npm-shrinkwrap.json share one format. Lockfile v1 nests a
// `dependencies` tree; v2 (which also keeps the v1 tree for old npm) and v3 list every installed
// copy under `packages`, keyed by its folder ("node_modules/a/node_modules/b"). When `packages` is
// there it is the truth, so the v1 tree is read only when it is not.

type Json = Record<string, unknown>;

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** "npm:@scope/real@1.2.3" (an aliased install) -> its real name and version. */
function unalias(name: string, version: string): { name: string; version: string } {
  if (!version.startsWith('npm:')) return { name, version };
  const spec = version.slice('npm:'.length);
  const at = spec.lastIndexOf('@');
  return at > 0 ? { name: spec.slice(0, at), version: spec.slice(at + 1) } : { name: spec, version: '' };
}

function groupsOf(entry: Json): string[] {
  const groups: string[] = [];
  if (entry.dev === true || entry.devOptional === true) groups.push('dev');
  if (entry.optional === true || entry.devOptional === true) groups.push('optional');
  if (entry.inBundle === true || entry.bundled === true) groups.push('bundled');
  return groups.sort();
}

/** The package a `packages` key names when the entry has no `name`: the folder's last (scoped) part. */
function nameFromFolder(folder: string): string {
  const marker = 'node_modules/';
  const at = folder.lastIndexOf(marker);
  const tail = at < 0 ? folder : folder.slice(at + marker.length);
  const parts = tail.split('/');
  const last = parts.at(-1) ?? '';
  const scope = parts.at(-2);
  return scope?.startsWith('@') ? `${scope}/${last}` : last;
}

function* fromPackages(packages: Json, lines: Map<string, number>): Generator<NpmEntry> {
  for (const [folder, entry] of Object.entries(packages)) {
    // "" is the project itself; a link stands for a folder listed under its own key.
    if (folder === '' || !isRecord(entry) || entry.link === true) continue;
    const { name, version } = unalias(text(entry.name) || nameFromFolder(folder), text(entry.version));
    yield {
      name,
      version,
      commit: gitCommitOf(text(entry.resolved)),
      groups: groupsOf(entry),
      line: lines.get(jsonPathKey(['packages', folder])),
    };
  }
}

function* fromDependencies(deps: Json, at: readonly string[], lines: Map<string, number>): Generator<NpmEntry> {
  for (const [key, entry] of Object.entries(deps)) {
    if (!isRecord(entry)) continue;
    const path = [...at, key];
    const aliased = unalias(key, text(entry.version));
    let version = aliased.version;
    let commit = '';
    // v1 writes a Git dependency's version as its resolved URL, and a local one as "file:...":
    // neither is a registry version.
    if (version.startsWith('file:')) {
      version = '';
    } else {
      commit = gitCommitOf(version);
      if (commit !== '') version = '';
    }
    yield { name: aliased.name, version, commit, groups: groupsOf(entry), line: lines.get(jsonPathKey(path)) };
    if (isRecord(entry.dependencies)) yield* fromDependencies(entry.dependencies, [...path, 'dependencies'], lines);
  }
}

function parsePackageLock(format: string, source: string): ScannedPackage[] {
  const doc = readJsonObject(format, source);
  if (isRecord(doc.packages)) {
    const lines = jsonKeyLinesWhere(source, (path) => path.length === 2 && path[0] === 'packages');
    return collectNpmPackages(fromPackages(doc.packages, lines));
  }
  if (isRecord(doc.dependencies)) {
    // Keys of the v1 tree sit at dependencies.<name>(.dependencies.<name>)*.
    const lines = jsonKeyLinesWhere(
      source,
      (path) => path.length % 2 === 0 && path.every((step, i) => i % 2 === 1 || step === 'dependencies'),
    );
    return collectNpmPackages(fromDependencies(doc.dependencies, ['dependencies'], lines));
  }
  return [];
}

function npmLockParser(fileName: string): LockfileParser {
  return {
    format: fileName,
    matches: (path) => baseName(path) === fileName,
    parse: (source) => parsePackageLock(fileName, source),
  };
}

export const packageLockParser: LockfileParser = npmLockParser('package-lock.json');

/** The same format under the name a published package ships it with; npm prefers it when both exist. */
export const npmShrinkwrapParser: LockfileParser = npmLockParser('npm-shrinkwrap.json');
