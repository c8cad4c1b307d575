import type { DbOrTrx } from '../../db/types.js';
import type { AffectedDependent, CurrentMatch, DependentOfPackage } from './dependents.js';
import { activeDependentPackages, type IndexRow, packagesOfInventories } from './dependents.repository.js';
import { vulnEntries, vulnIdsImportedSince, type VulnEntryRow } from './dependent-alerts.repository.js';
import { later, nearestFix, ordersFor } from './matcher.js';
import { isAffected, type OsvAffectedInput } from './osv-ranges.js';
import { ecosystemCovers, packageKey } from './package-key.js';
import { semverOrder } from './versions/index.js';

/*
 * Who is affected: the reverse index (package -> active dependents' registered versions) crossed
 * with the affected entries of vulnerabilities, each pair evaluated as the scanner evaluates a
 * lockfile (osv-ranges' isAffected in the package's ecosystem order, the nearest fixed version).
 * A registration without a version ("every version") is affected whenever an advisory names the
 * package. Withdrawn records affect nobody, and a project is not told of its own advisories.
 *
 * The news rule (`newsOnly`, the vulndb.changed job): a dependent hears of a record only when the
 * record was published (or, unpublished, last modified) at or after the inventory was uploaded.
 * So a first bulk import of old data tells nobody of years-old advisories; what already matched
 * when they registered is shown on their confirmation and manage pages instead. At the go a case's
 * advisory is told to every affected dependent whatever its date.
 */

export type AffectedQuery = { vulnIds: readonly string[]; newsOnly?: boolean } | { since: string };

const BATCH = 500;

/** Every `fixed` event of an entry, in the order written (for "some version" registrations). */
function fixesOf(affected: OsvAffectedInput): string[] {
  const out = new Set<string>();
  for (const r of affected.ranges ?? []) for (const e of r.events) if (e.fixed !== undefined) out.add(e.fixed);
  return [...out];
}

/** The verdict of one entry on one registered version: undefined when not affected. */
function verdict(entry: VulnEntryRow, affected: OsvAffectedInput, pkg: IndexRow) {
  if (!ecosystemCovers(entry.ecosystem, pkg.ecosystem)) return undefined;
  if (pkg.version === '') return { fixedVersion: null, knownFixes: fixesOf(affected) };
  const orders = ordersFor(pkg.ecosystem);
  if (!isAffected(pkg.version, affected, orders)) return undefined;
  return { fixedVersion: nearestFix(pkg.version, affected, orders), knownFixes: [] };
}

/** Evaluates every (entry, registered package) pair of the same key; one result per alert key. */
function evaluate(entries: readonly VulnEntryRow[], rows: readonly IndexRow[], newsOnly: boolean): AffectedDependent[] {
  const byKey = new Map<string, { entry: VulnEntryRow; affected: OsvAffectedInput }[]>();
  for (const entry of entries) {
    if (entry.withdrawn !== null) continue;
    const list = byKey.get(entry.package_key) ?? [];
    list.push({ entry, affected: JSON.parse(entry.affected) as OsvAffectedInput });
    byKey.set(entry.package_key, list);
  }
  const out = new Map<string, AffectedDependent>();
  for (const pkg of rows) {
    for (const { entry, affected } of byKey.get(pkg.package_key) ?? []) {
      if (entry.project_id !== null && entry.project_id === pkg.dependent_project_id) continue;
      if (newsOnly && (entry.published ?? entry.modified) < pkg.uploaded_at) continue;
      const v = verdict(entry, affected, pkg);
      if (!v) continue;
      const key = [pkg.dependent_id, entry.vuln_id, pkg.package_key, pkg.version].join('\u0000');
      const seen = out.get(key);
      if (seen) {
        seen.fixedVersion = later(seen.fixedVersion, v.fixedVersion, ordersFor(pkg.ecosystem).ecosystem ?? semverOrder);
        seen.knownFixes = [...new Set([...seen.knownFixes, ...v.knownFixes])];
        continue;
      }
      out.set(key, {
        dependentId: pkg.dependent_id,
        inventoryId: pkg.inventory_id,
        vulnId: entry.vuln_id,
        caseId: entry.case_id,
        packageKey: pkg.package_key,
        ecosystem: pkg.ecosystem,
        name: pkg.name,
        version: pkg.version,
        ...v,
      });
    }
  }
  return [...out.values()];
}

/** The reverse index: the active dependents whose inventories hold the package, with the version they hold. */
export async function dependentsOf(
  db: DbOrTrx,
  input: { ecosystem: string; name: string },
): Promise<DependentOfPackage[]> {
  const rows = await activeDependentPackages(db, [packageKey(input.ecosystem, input.name)]);
  return rows
    .filter((r) => ecosystemCovers(input.ecosystem, r.ecosystem))
    .map((r) => ({ dependentId: r.dependent_id, inventoryId: r.inventory_id, version: r.version }));
}

async function affectedByIds(db: DbOrTrx, vulnIds: readonly string[], newsOnly: boolean): Promise<AffectedDependent[]> {
  const entries = await vulnEntries(db, { vulnIds });
  const keys = [...new Set(entries.map((e) => e.package_key))];
  if (keys.length === 0) return [];
  return evaluate(entries, await activeDependentPackages(db, keys), newsOnly);
}

/**
 * The active dependents whose registered versions the vulnerabilities affect: those of `vulnIds`,
 * or those imported or changed since `since` under the news rule above.
 */
export async function affectedDependents(db: DbOrTrx, query: AffectedQuery): Promise<AffectedDependent[]> {
  if ('vulnIds' in query) return affectedByIds(db, query.vulnIds, query.newsOnly ?? false);
  const out: AffectedDependent[] = [];
  let after: string | null = null;
  for (;;) {
    const ids = await vulnIdsImportedSince(db, { since: query.since, after, limit: BATCH });
    if (ids.length === 0) return out;
    out.push(...(await affectedByIds(db, ids, true)));
    after = ids[ids.length - 1] ?? null;
  }
}

/** What the database says affects a dependent's registrations now, whatever the dates. */
export async function currentMatches(
  db: DbOrTrx,
  input: { dependentId: string; projectId: string | null; inventoryIds: readonly string[] },
): Promise<CurrentMatch[]> {
  const packages = await packagesOfInventories(db, input.inventoryIds);
  const rows: IndexRow[] = packages.map((p) => ({
    ...p,
    dependent_id: input.dependentId,
    dependent_project_id: input.projectId,
    uploaded_at: '',
  }));
  const entries = await vulnEntries(db, { keys: [...new Set(rows.map((r) => r.package_key))] });
  const summaries = new Map(entries.map((e) => [e.vuln_id, e.summary]));
  return evaluate(entries, rows, false)
    .map((a) => ({
      vulnId: a.vulnId,
      summary: summaries.get(a.vulnId) ?? '',
      ecosystem: a.ecosystem,
      name: a.name,
      version: a.version,
      fixedVersion: a.fixedVersion,
      knownFixes: a.knownFixes,
    }))
    .sort(
      (x, y) => x.name.localeCompare(y.name) || x.version.localeCompare(y.version) || x.vulnId.localeCompare(y.vulnId),
    );
}
