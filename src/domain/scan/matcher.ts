import type { DbOrTrx } from '../../db/types.js';
import type { ScannedPackage } from './inventory.js';
import { type Compare, inRange, isAffected, type OsvAffectedInput, type Orders } from './osv-ranges.js';
import { ecosystemCovers, packageKey } from './package-key.js';
import { type CandidateRow, candidatesForKeys, vulnDbGeneration, vulnDetails } from './vulndb.repository.js';
import { type VulnInfo, vulnInfo } from './vuln-info.js';
import { semverOrder, versionOrder } from './versions/index.js';

/*
 * Which vulnerabilities affect which package versions: one indexed lookup per batch of distinct
 * packages, then OSV's evaluation of each candidate entry in the package's ecosystem order.
 * Withdrawn records affect nothing. A package pinned to no version (a Git dependency, an unpinned
 * requirement) cannot be matched by version and is left out, as osv-scanner does.
 */

export interface PackageMatch {
  /** Index into the packages given to `matchPackages`; every copy of a package gets its own match. */
  index: number;
  vulnId: string;
  /** The lowest fixed version above the package's that leaves the ranges it is in; null when none. */
  fixedVersion: string | null;
}

export interface MatchOptions {
  /** Only records imported or changed at or after this ISO time. */
  importedSince?: string;
}

interface ParsedCandidate {
  vulnId: string;
  ecosystem: string;
  affected: OsvAffectedInput;
}

/** The orders OSV ranges of a package of `ecosystem` are evaluated in. */
export function ordersFor(ecosystem: string): Orders {
  return { semver: semverOrder, ecosystem: versionOrder(ecosystem) };
}

/** The lowest `fixed` above `version` among the ranges of `affected` that hold it. */
export function nearestFix(version: string, affected: OsvAffectedInput, orders: Orders): string | null {
  let best: string | null = null;
  let bestCompare: Compare | undefined;
  for (const range of affected.ranges ?? []) {
    const compare = range.type === 'SEMVER' ? orders.semver : range.type === 'ECOSYSTEM' ? orders.ecosystem : undefined;
    if (!compare || !inRange(version, range, compare)) continue;
    for (const e of range.events) {
      if (e.fixed === undefined || compare(e.fixed, version) <= 0) continue;
      if (best === null || (bestCompare ?? compare)(e.fixed, best) < 0) {
        best = e.fixed;
        bestCompare = compare;
      }
    }
  }
  return best;
}

/** Higher of two fixed versions in an order (a package affected twice needs both fixes). */
export function later(a: string | null, b: string | null, compare: Compare | undefined): string | null {
  if (a === null) return b;
  if (b === null || !compare) return a;
  return compare(a, b) >= 0 ? a : b;
}

interface CacheEntry {
  candidates: ParsedCandidate[];
  /** Per ecosystem and version evaluated: vulnId -> nearest fix. */
  verdicts: Map<string, Map<string, string | null>>;
}

/**
 * A matcher that remembers, per package, the candidate entries the database gave and the verdict
 * for each version evaluated, as long as the database's generation (its latest import) has not
 * moved: a process that scans again (the CLI in watch mode, the server re-evaluating branches) pays
 * for map lookups, not queries. The generation is one index probe per scan, so several processes
 * sharing one PostgreSQL see each other's imports. `maxKeys` bounds its memory.
 */
export class Matcher {
  private generation: string | null | undefined;
  private readonly info = new Map<string, VulnInfo>();
  private readonly byKey = new Map<string, CacheEntry>();
  // The same entries by ecosystem and name as inputs spell them, so that a warm lookup builds no
  // key string: most packages of a lockfile have no advisory, and their lookups are the scan.
  private readonly bySpelling = new Map<string, Map<string, CacheEntry>>();

  constructor(
    private readonly db: DbOrTrx,
    private readonly options: { maxKeys?: number } = {},
  ) {}

  async match(packages: readonly ScannedPackage[]): Promise<PackageMatch[]> {
    const generation = await vulnDbGeneration(this.db);
    if (generation !== this.generation) {
      this.forget();
      this.generation = generation;
    }
    const matches: PackageMatch[] = [];
    let unknown: number[] | undefined;
    for (let index = 0; index < packages.length; index += 1) {
      const pkg = packages[index] as ScannedPackage;
      if (pkg.version === '') continue;
      const entry = this.bySpelling.get(pkg.ecosystem)?.get(pkg.name);
      if (!entry) (unknown ??= []).push(index);
      else if (entry.candidates.length > 0) pushMatchesOf(matches, packages, index, entry.candidates, entry.verdicts);
    }
    if (unknown) await this.learn(packages, unknown, matches);
    return matches;
  }

  /** Looks up the packages not seen before, remembers them and adds their matches. */
  private async learn(packages: readonly ScannedPackage[], unknown: number[], matches: PackageMatch[]): Promise<void> {
    const byKey = groupByKey(packages, unknown);
    if (this.byKey.size + byKey.size > (this.options.maxKeys ?? 200_000)) this.forget();
    const missing = [...byKey.keys()].filter((k) => !this.byKey.has(k));
    const found =
      missing.length > 0
        ? parseCandidates(await candidatesForKeys(this.db, missing))
        : new Map<string, ParsedCandidate[]>();
    for (const [key, indexes] of byKey) {
      let entry = this.byKey.get(key);
      if (!entry) {
        entry = { candidates: found.get(key) ?? [], verdicts: new Map() };
        this.byKey.set(key, entry);
      }
      for (const index of indexes) {
        const pkg = packages[index] as ScannedPackage;
        let names = this.bySpelling.get(pkg.ecosystem);
        if (!names) {
          names = new Map();
          this.bySpelling.set(pkg.ecosystem, names);
        }
        names.set(pkg.name, entry);
      }
      if (entry.candidates.length > 0) pushMatches(matches, packages, indexes, entry.candidates, entry.verdicts);
    }
  }

  private forget(): void {
    this.byKey.clear();
    this.bySpelling.clear();
    this.info.clear();
  }

  /**
   * What scans show of the vulnerabilities `ids` name, cached like the lookups (call after `match`):
   * the cache itself, read-only, with every one of `ids` that exists in it.
   */
  async infos(ids: Iterable<string>): Promise<ReadonlyMap<string, VulnInfo>> {
    const missing = new Set<string>();
    for (const id of ids) if (!this.info.has(id)) missing.add(id);
    if (missing.size > 0)
      for (const row of await vulnDetails(this.db, [...missing])) this.info.set(row.id, vulnInfo(row));
    return this.info;
  }
}

/** Indexes of the pinned packages (of `only`, when given) by lookup key. */
function groupByKey(packages: readonly ScannedPackage[], only?: readonly number[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  const add = (i: number) => {
    const p = packages[i] as ScannedPackage;
    if (p.version === '') return;
    const key = packageKey(p.ecosystem, p.name);
    const list = byKey.get(key);
    if (list) list.push(i);
    else byKey.set(key, [i]);
  };
  if (only) for (const i of only) add(i);
  else for (let i = 0; i < packages.length; i += 1) add(i);
  return byKey;
}

function parseCandidates(rows: readonly CandidateRow[]): Map<string, ParsedCandidate[]> {
  const candidates = new Map<string, ParsedCandidate[]>();
  for (const row of rows) {
    if (row.withdrawn !== null) continue;
    const list = candidates.get(row.package_key) ?? [];
    list.push({
      vulnId: row.vuln_id,
      ecosystem: row.ecosystem,
      affected: JSON.parse(row.affected) as OsvAffectedInput,
    });
    candidates.set(row.package_key, list);
  }
  return candidates;
}

/** Adds the matches of one key's packages; the same version listed twice is evaluated once. */
function pushMatches(
  out: PackageMatch[],
  packages: readonly ScannedPackage[],
  indexes: readonly number[],
  candidates: readonly ParsedCandidate[],
  verdicts: Map<string, Map<string, string | null>>,
): void {
  for (const index of indexes) pushMatchesOf(out, packages, index, candidates, verdicts);
}

/** Adds the matches of one package. */
function pushMatchesOf(
  out: PackageMatch[],
  packages: readonly ScannedPackage[],
  index: number,
  candidates: readonly ParsedCandidate[],
  verdicts: Map<string, Map<string, string | null>>,
): void {
  const pkg = packages[index] as ScannedPackage;
  const cacheKey = `${pkg.ecosystem}\u0000${pkg.version}`;
  let verdict = verdicts.get(cacheKey);
  if (!verdict) {
    verdict = evaluate(pkg, candidates);
    verdicts.set(cacheKey, verdict);
  }
  for (const [vulnId, fixedVersion] of verdict) out.push({ index, vulnId, fixedVersion });
}

/** Matches without a cache: one scan, one set of queries. */
export async function matchPackages(
  db: DbOrTrx,
  packages: readonly ScannedPackage[],
  options: MatchOptions = {},
): Promise<PackageMatch[]> {
  const byKey = groupByKey(packages);
  if (byKey.size === 0) return [];
  const candidates = parseCandidates(await candidatesForKeys(db, [...byKey.keys()], options));
  const matches: PackageMatch[] = [];
  for (const [key, indexes] of byKey) {
    const list = candidates.get(key);
    if (list) pushMatches(matches, packages, indexes, list, new Map());
  }
  return matches;
}

/** vulnId -> nearest fixed version, for one package version against its candidate entries. */
function evaluate(pkg: ScannedPackage, list: readonly ParsedCandidate[]): Map<string, string | null> {
  const orders = ordersFor(pkg.ecosystem);
  const out = new Map<string, string | null>();
  for (const c of list) {
    if (!ecosystemCovers(c.ecosystem, pkg.ecosystem)) continue;
    if (!isAffected(pkg.version, c.affected, orders)) continue;
    const fix = nearestFix(pkg.version, c.affected, orders);
    out.set(c.vulnId, out.has(c.vulnId) ? later(out.get(c.vulnId) ?? null, fix, orders.ecosystem ?? semverOrder) : fix);
  }
  return out;
}
