import { isMap, isScalar, type YAMLMap } from 'yaml';
import { LockfileError, type LockfileParser, type ScannedPackage } from '../inventory.js';
import { readYamlMap } from './read-document.js';
import { baseName, collectNpmPackages, gitCommitOf, type NpmEntry } from './npm-common.js';

// pnpm-lock.yaml keys each entry of `packages` by a dependency path whose syntax changed over
// the lockfile versions:
//   5.x  "/name/1.0.0", "/@scope/name/1.0.0_peer@2.0.0", "registry.host/name/1.0.0"
//   6.x  "/name@1.0.0", "/@scope/name@1.0.0(peer@2.0.0)"
//   9.x  "name@1.0.0", "@scope/name@1.0.0" (peers moved to `snapshots`)
// Git, tarball and local ("file:") entries carry `name` and `version` fields instead, which win
// over the path. Before 9.x an entry says `dev: true` / `optional: true`; 9.x records neither.

const FORMAT = 'pnpm-lock.yaml';

interface PathParts {
  name: string;
  version: string;
}

/** A version from a path is only trusted when it looks like one, not a commit or a repository part. */
function versionOrEmpty(version: string): string {
  return /^\d/.test(version) ? version : '';
}

/** Split "name@version" (after the peer suffix is cut), keeping a scope's leading "@". */
function splitAt(spec: string): PathParts {
  const at = spec.lastIndexOf('@');
  if (at <= 0) return { name: spec, version: '' };
  return { name: spec.slice(0, at), version: versionOrEmpty(spec.slice(at + 1)) };
}

function parseDependencyPath(path: string, lockfileVersion: number): PathParts {
  // The peer suffix "(react@18.2.0)" may itself hold slashes, so it goes before any splitting.
  const paren = path.indexOf('(');
  const bare = paren < 0 ? path : path.slice(0, paren);
  if (lockfileVersion >= 9) {
    const at = bare.indexOf('@', 1);
    return at < 0
      ? { name: bare, version: '' }
      : { name: bare.slice(0, at), version: versionOrEmpty(bare.slice(at + 1)) };
  }
  // A local dependency's path never holds its version; its entry must name both.
  if (bare.startsWith('file:')) return { name: '', version: '' };
  const segments = bare.split('/');
  if (segments.length < 2) throw new LockfileError(FORMAT, `invalid dependency path "${path}"`);
  // The first segment is "" (a leading "/") or the registry host.
  const rest = segments.slice(1);
  const nameLength = rest[0]?.startsWith('@') ? 2 : 1;
  const nameParts = rest.slice(0, nameLength);
  const last = nameParts.at(-1) ?? '';
  if (last.includes('@')) return splitAt(nameParts.join('/'));
  const version = rest[nameLength] ?? '';
  const underscore = version.indexOf('_');
  return {
    name: nameParts.join('/'),
    version: versionOrEmpty(underscore < 0 ? version : version.slice(0, underscore)),
  };
}

function field(entry: YAMLMap | null, key: string): string {
  const value: unknown = entry?.get(key);
  return typeof value === 'string' ? value : '';
}

function commitOf(entry: YAMLMap | null): string {
  const resolution: unknown = entry?.get('resolution', true);
  if (!isMap(resolution)) return '';
  const commit = field(resolution, 'commit');
  return commit || gitCommitOf(field(resolution, 'tarball'));
}

function* pnpmEntries(source: string): Generator<NpmEntry> {
  const read = readYamlMap(FORMAT, source);
  if (!read) return;
  const { map: contents, lines: lineCounter } = read;

  const lockfileVersion = Number.parseFloat(field(contents, 'lockfileVersion')) || 0;
  const packages: unknown = contents.get('packages', true);
  // Under the failsafe schema an empty `packages:` is the empty string, not null.
  if (packages == null || (isScalar(packages) && (packages.value ?? '') === '')) return;
  if (!isMap(packages)) throw new LockfileError(FORMAT, '`packages` is not a mapping');

  for (const { key, value } of packages.items) {
    if (!isScalar(key)) continue;
    const entry = isMap(value) ? value : null;
    const fromPath = parseDependencyPath(String(key.value), lockfileVersion);
    const name = field(entry, 'name') || fromPath.name;
    const version = field(entry, 'version') || fromPath.version;
    if (name === '' || version === '') continue;
    const groups: string[] = [];
    if (field(entry, 'dev') === 'true') groups.push('dev');
    if (field(entry, 'optional') === 'true') groups.push('optional');
    yield {
      name,
      version,
      commit: commitOf(entry),
      groups,
      line: key.range ? lineCounter.linePos(key.range[0]).line : undefined,
    };
  }
}

/** Peer variants of one package version ("_react@17" and "_react@18") are reported once. */
function parsePnpmLock(source: string): ScannedPackage[] {
  return collectNpmPackages(pnpmEntries(source));
}

export const pnpmLockParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => baseName(path) === FORMAT,
  parse: (source) => parsePnpmLock(source),
};
