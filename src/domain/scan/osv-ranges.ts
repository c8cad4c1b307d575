/*
 * Whether a version of a package is affected by one OSV `affected` entry, exactly as the OSV schema's
 * "Evaluation" section says (osv-schema docs/schema.md, `IsVulnerable`): a version listed in
 * `versions` is affected; otherwise a range affects it when the version is before one of the range's
 * `limit` events (there is an implicit "*" without any), and the last of its events at or below the
 * version, in the ecosystem's order, is an `introduced` (a `fixed` at or below, or a `last_affected`
 * below, ends it). SEMVER ranges are ordered by SemVer whatever the ecosystem; ECOSYSTEM ranges by
 * the package's ecosystem; GIT ranges name commits, not versions, and never match a version.
 */

/** A total order on version strings: negative, 0 or positive. */
export type Compare = (a: string, b: string) => number;

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRangeInput {
  type: string;
  events: readonly OsvEvent[];
}

export interface OsvAffectedInput {
  ranges?: readonly OsvRangeInput[];
  versions?: readonly string[];
}

export interface Orders {
  /** SemVer 2.0 precedence, for SEMVER ranges. */
  semver: Compare;
  /** The package's ecosystem's order, for ECOSYSTEM ranges and listed versions; undefined when unknown. */
  ecosystem: Compare | undefined;
}

/** The value an event carries, with OSV's two special values: "0" before everything, "*" after. */
function eventVersion(e: OsvEvent): string | undefined {
  return e.introduced ?? e.fixed ?? e.last_affected ?? e.limit;
}

/** Compares two event versions in `compare`'s order, "0" (introduced) first and "*" (limit) last. */
function eventOrder(compare: Compare): (a: OsvEvent, b: OsvEvent) => number {
  const rank = (e: OsvEvent) => (e.introduced === '0' ? -1 : e.limit === '*' ? 1 : 0);
  return (a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== 0 || rb !== 0) return ra - rb;
    return compare(eventVersion(a) ?? '', eventVersion(b) ?? '');
  };
}

function beforeLimits(version: string, events: readonly OsvEvent[], compare: Compare): boolean {
  const limits = events.filter((e) => e.limit !== undefined);
  if (limits.length === 0) return true;
  return limits.some((e) => e.limit === '*' || compare(version, e.limit ?? '') < 0);
}

/** Whether `version` is in one range (the spec's IncludedInRanges for one range). */
export function inRange(version: string, range: OsvRangeInput, compare: Compare): boolean {
  if (!beforeLimits(version, range.events, compare)) return false;
  // A stable sort keeps an introduced before a fixed of the same version: an empty range stays empty.
  const sorted = [...range.events].sort(eventOrder(compare));
  let vulnerable = false;
  for (const e of sorted) {
    if (e.introduced !== undefined && (e.introduced === '0' || compare(version, e.introduced) >= 0)) vulnerable = true;
    else if (e.fixed !== undefined && compare(version, e.fixed) >= 0) vulnerable = false;
    else if (e.last_affected !== undefined && compare(version, e.last_affected) > 0) vulnerable = false;
  }
  return vulnerable;
}

/**
 * Whether `version` is affected by the entry. Listed versions compare in the ecosystem's order
 * (PyPI's "1.0" is "1.0.0"), or as text when the ecosystem's order is unknown; an ECOSYSTEM range
 * of an ecosystem with no known order cannot be evaluated and affects nothing (the caller reports
 * it as unknown rather than guessing).
 */
export function isAffected(version: string, affected: OsvAffectedInput, orders: Orders): boolean {
  const same = orders.ecosystem ?? ((a: string, b: string) => (a === b ? 0 : a < b ? -1 : 1));
  if ((affected.versions ?? []).some((listed) => listed === version || same(listed, version) === 0)) return true;
  for (const range of affected.ranges ?? []) {
    const compare = range.type === 'SEMVER' ? orders.semver : range.type === 'ECOSYSTEM' ? orders.ecosystem : undefined;
    if (compare && inRange(version, range, compare)) return true;
  }
  return false;
}
