/*
 * OSV (ossf/osv-schema 1.7.5, validation/schema.json) from an advisory's public record, and the
 * zip of a project's records laid out like osv.dev's per-ecosystem `all.zip` (one `<id>.json` at
 * the root), so an OSV importer can mirror a project by downloading one file.
 */

import { zipSync } from 'fflate';
import type { AdvisoryRecord, RecordPackage, RecordRange } from '../domain/advisories/advisory-record.js';
import { ADVISORY_SECTION_TITLES } from '../domain/advisories/advisories.js';

/** The version of the OSV schema the output follows and is validated against in the tests. */
export const OSV_SCHEMA_VERSION = '1.7.5';

export type OsvEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT';
  repo?: string;
  events: OsvEvent[];
  database_specific?: Record<string, unknown>;
}

export interface OsvSeverity {
  type: 'CVSS_V2' | 'CVSS_V3' | 'CVSS_V4' | 'Ubuntu';
  score: string;
}

export interface OsvAffected {
  package: { ecosystem: string; name: string; purl?: string };
  severity?: OsvSeverity[];
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export type OsvReferenceType =
  | 'ADVISORY'
  | 'ARTICLE'
  | 'DETECTION'
  | 'DISCUSSION'
  | 'REPORT'
  | 'FIX'
  | 'INTRODUCED'
  | 'GIT'
  | 'PACKAGE'
  | 'EVIDENCE'
  | 'WEB';

export interface OsvCredit {
  name: string;
  contact?: string[];
  type?: AdvisoryRecord['credits'][number]['type'];
}

/** An OSV record as the schema defines it (every field but `id` and `modified` optional). */
export interface OsvRecord {
  schema_version?: string;
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  upstream?: string[];
  related?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: { type: OsvReferenceType; url: string }[];
  credits?: OsvCredit[];
  database_specific?: Record<string, unknown>;
}

/**
 * What Embargo puts in the top-level `database_specific`: OSV has no field for the severity word,
 * exploitation, or a product that is not a package, so a project's release branches (the only
 * statement an advisory about the project's own product makes) travel here.
 */
export type EmbargoOsvDatabaseSpecific = {
  /** The advisory's public page. */
  url: string;
  severity: 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
  exploited: boolean;
  cwe_ids: string[];
  branches: { name: string; status: AdvisoryRecord['branches'][number]['status']; fixed_version: string | null }[];
};

export interface OsvOptions {
  /**
   * True when the project's id prefix is registered in the OSV schema as its home database. Until
   * then ids go out with OSV's `x_` prefix for databases osv.dev does not aggregate: the schema
   * accepts no other unregistered prefix, and a slug such as "KUBE" or "GO" would otherwise claim
   * to be Kubernetes' or Go's own database.
   */
  registeredPrefix?: boolean;
}

/** The id the OSV document carries for a record. */
export function osvId(record: Pick<AdvisoryRecord, 'id'>, options: OsvOptions = {}): string {
  return options.registeredPrefix ? record.id : `x_${record.id}`;
}

const SECTION_ORDER = ['affected', 'howToCheck', 'upgrade', 'mitigations', 'detection'] as const;

/**
 * OSV has one Markdown `details` field: the record's details, then each non-empty actionable
 * section under the heading every page and mail uses. A withdrawal's rationale comes first, as
 * the spec asks (section "withdrawn field") and as GitHub's withdrawn advisories do.
 */
function osvDetails(record: AdvisoryRecord): string {
  const parts: string[] = [];
  if (record.withdrawn !== null) {
    parts.push(`**Withdrawn:** ${record.withdrawnReason?.trim() || 'this advisory was withdrawn.'}`);
  }
  if (record.details.trim() !== '') parts.push(record.details.trim());
  for (const key of SECTION_ORDER) {
    const text = record.sections[key].trim();
    if (text !== '') parts.push(`## ${ADVISORY_SECTION_TITLES[key]}\n\n${text}`);
  }
  return parts.join('\n\n');
}

function osvEvents(range: RecordRange): OsvEvent[] {
  const events: OsvEvent[] = [{ introduced: range.introduced }];
  if (range.fixed !== null) events.push({ fixed: range.fixed });
  else if (range.lastAffected !== null) events.push({ last_affected: range.lastAffected });
  return events;
}

/*
 * One OSV range per record range, never one range holding every branch's introduced/fixed pairs.
 * The spec's evaluation ORs ranges, so separate ranges mean exactly the union of the intervals the
 * team entered, whatever a consumer does with event order. A merged range would depend on the
 * consumer sorting events by the ecosystem's ordering (the osv-schema GHSA converter's expected
 * output, tools/ghsa/testdata/multiple_ranges_in_package, lists merged events unsorted), cannot hold one branch ending in `fixed` and another in `last_affected` (the schema
 * forbids both in a range), and lets one branch's `fixed` end another branch's interval when both
 * start at "0" — a false negative. The price is that an unfixed branch reads as open-ended, a false
 * positive on later branches, which is the safe side for a scanner.
 */
function osvAffected(pkg: RecordPackage): OsvAffected {
  const affected: OsvAffected = {
    package: { ecosystem: pkg.ecosystem, name: pkg.name, ...(pkg.purl !== null && { purl: pkg.purl }) },
  };
  if (pkg.ranges.length > 0) {
    // ECOSYSTEM, not SEMVER: it orders versions by the ecosystem's own rules, which holds for every
    // ecosystem a case can name (SEMVER would be wrong for PyPI, Maven, Debian ...).
    affected.ranges = pkg.ranges.map((r) => ({
      type: 'ECOSYSTEM',
      events: osvEvents(r),
      ...(r.branch !== null && { database_specific: { branch: r.branch } }),
    }));
  }
  if (pkg.versions.length > 0) affected.versions = [...pkg.versions];
  return affected;
}

function databaseSpecific(record: AdvisoryRecord): EmbargoOsvDatabaseSpecific {
  return {
    url: record.links.page,
    severity: record.severity.toUpperCase() as EmbargoOsvDatabaseSpecific['severity'],
    exploited: record.exploited,
    cwe_ids: record.cwes.map((c) => `CWE-${c.id}`),
    branches: record.branches.map((b) => ({ name: b.name, status: b.status, fixed_version: b.fixedVersion })),
  };
}

/** The OSV document Embargo serves: an OsvRecord whose `database_specific` has Embargo's shape. */
export type EmbargoOsvRecord = OsvRecord & { database_specific: EmbargoOsvDatabaseSpecific };

/**
 * The OSV document of a record. Keys come in the order the spec lists them and empty lists are
 * left out, so the same record always serialises to the same bytes. A record without packages has
 * no `affected` (the schema allows it): its branches are in `database_specific.branches`.
 */
export function toOsv(record: AdvisoryRecord, options: OsvOptions = {}): EmbargoOsvRecord {
  const severity: OsvSeverity[] = record.cvss.map((c) => ({
    type: c.version === '4.0' ? 'CVSS_V4' : 'CVSS_V3',
    score: c.vector,
  }));
  const credits: OsvCredit[] = record.credits.map((c) => ({
    name: c.name,
    ...(c.contact.length > 0 && { contact: [...c.contact] }),
    type: c.type,
  }));
  return {
    schema_version: OSV_SCHEMA_VERSION,
    id: osvId(record, options),
    modified: record.modified,
    published: record.published,
    ...(record.withdrawn !== null && { withdrawn: record.withdrawn }),
    ...(record.aliases.length > 0 && { aliases: [...record.aliases] }),
    ...(record.related.length > 0 && { related: [...record.related] }),
    summary: record.summary,
    details: osvDetails(record),
    ...(severity.length > 0 && { severity }),
    ...(record.packages.length > 0 && { affected: record.packages.map(osvAffected) }),
    ...(record.references.length > 0 && { references: record.references.map((r) => ({ type: r.type, url: r.url })) }),
    ...(credits.length > 0 && { credits }),
    database_specific: databaseSpecific(record),
  };
}

/** The OSV document as served: two-space indented JSON with a final newline. */
export function toOsvJson(record: AdvisoryRecord, options: OsvOptions = {}): string {
  return `${JSON.stringify(toOsv(record, options), null, 2)}\n`;
}

/**
 * A zip of the records' OSV documents, one `<OSV id>.json` each at the root, sorted by name. The
 * fixed entry time and sorted order make the same records give the same bytes.
 */
export function osvExportZip(records: readonly AdvisoryRecord[], options: OsvOptions = {}): Uint8Array {
  const encoder = new TextEncoder();
  const entries = records
    .map((record): [string, Uint8Array] => [
      `${osvId(record, options)}.json`,
      encoder.encode(toOsvJson(record, options)),
    ])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const names = new Set(entries.map(([name]) => name));
  if (names.size !== entries.length) throw new Error('Two records share an OSV id: each zip entry must be unique');
  // fflate writes the DOS time from the Date's local-time fields, so a Date built from local fields
  // when the zip is made gives the same bytes in every time zone; 1980-01-01 is the earliest a zip
  // entry can carry.
  return zipSync(Object.fromEntries(entries), { mtime: new Date(1980, 0, 1, 0, 0, 0) });
}
