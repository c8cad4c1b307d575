import type { ScannedPackage } from '../inventory.js';

// What package-lock.json, yarn.lock and pnpm-lock.yaml have in common: npm package names, Git
// dependencies whose commit hides in a resolution URL, and one package version met many times
// (nested copies, peer variants, patches) that should be reported once.

/** One package version as a lockfile entry states it, before repeats are merged. */
export interface NpmEntry {
  name: string;
  version: string;
  /** "" when the entry is not a Git dependency or does not record its commit. */
  commit: string;
  /** Sorted dependency groups; `undefined` when the format does not record groups at all. */
  groups?: string[];
  line?: number;
}

/** The base name of a path written with either separator. */
export function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/**
 * The package name at the start of a descriptor such as "lodash@^4", "@babel/core@npm:7.0.0" or
 * "left-pad" (a scope's leading "@" is not the separator).
 */
export function descriptorName(descriptor: string): string {
  const at = descriptor.indexOf('@', 1);
  return at < 0 ? descriptor : descriptor.slice(0, at);
}

// A commit is what a lockfile pins a Git dependency to; a branch or tag name in the same place
// ("#main", "#v1.2.0") is not one, and reporting it as a commit would mislead a match by commit.
const COMMIT = /^[0-9a-f]{7,64}$/i;

const RESOLUTION_PATTERNS: readonly RegExp[] = [
  // Yarn Berry and some npm forms: "...#commit=<sha>" or "...#commit:<sha>".
  /#commit[=:]([^#&]+)$/,
  // git:, git+ssh:, git+https:, ssh: URLs, possibly after a "name@" prefix.
  /(?:^|@)(?:git(?:\+[a-z]+)?|ssh):\/\/[^#]+#([^#]+)$/,
  // An HTTPS clone URL: "https://host/owner/repo.git#<sha>".
  /(?:^|@)https?:\/\/[^#]+\.git#([^#]+)$/,
  // npm's host shorthands: "github:owner/repo#<sha>".
  /^(?:github|gitlab|bitbucket):[^#]+#([^#]+)$/,
  // GitHub's tarball endpoint, which yarn and pnpm record for GitHub dependencies.
  /^https:\/\/codeload\.github\.com\/[^/]+\/[^/]+\/tar\.gz\/([^/?#]+)$/,
];

const GIT_HOSTS = new Set(['github.com', 'gitlab.com', 'bitbucket.org']);

/** The commit a resolution ("resolved", "resolution", a git version string) pins, or "". */
export function gitCommitOf(resolution: string): string {
  for (const pattern of RESOLUTION_PATTERNS) {
    const found = pattern.exec(resolution)?.[1];
    if (found !== undefined && COMMIT.test(found)) return found;
  }
  // A plain web URL on a known Git host carries the commit as the fragment, or as `ref=` in
  // GitLab's archive URLs. Registry tarball URLs also have fragments (a checksum), hence the hosts.
  let url: URL;
  try {
    url = new URL(resolution);
  } catch {
    return '';
  }
  if (!GIT_HOSTS.has(url.hostname)) return '';
  const ref = url.searchParams.get('ref') ?? url.hash.slice(1);
  return COMMIT.test(ref) ? ref : '';
}

/**
 * Groups of one package version met twice. npm's rule: a copy in the default group (no groups)
 * makes the package a production dependency; otherwise the groups add up.
 */
export function mergeGroups(a: readonly string[], b: readonly string[]): string[] {
  if (a.length === 0 || b.length === 0) return [];
  return [...new Set([...a, ...b])].sort();
}

/** The packages of `entries`, one per (name, version, commit), each at the line of its first entry. */
export function collectNpmPackages(entries: Iterable<NpmEntry>): ScannedPackage[] {
  const byKey = new Map<string, ScannedPackage>();
  for (const entry of entries) {
    const key = `${entry.name}@${entry.version}#${entry.commit}`;
    const seen = byKey.get(key);
    if (seen) {
      if (seen.depGroups && entry.groups) seen.depGroups = mergeGroups(seen.depGroups, entry.groups);
      continue;
    }
    const pkg: ScannedPackage = { ecosystem: 'npm', name: entry.name, version: entry.version };
    if (entry.commit !== '') pkg.commit = entry.commit;
    if (entry.groups) pkg.depGroups = [...entry.groups].sort();
    if (entry.line !== undefined) pkg.line = entry.line;
    byKey.set(key, pkg);
  }
  return [...byKey.values()];
}
