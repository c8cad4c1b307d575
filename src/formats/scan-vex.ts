/*
 * `embargo scan --format cyclonedx-vex`: the findings as a CycloneDX 1.6 BOM with vulnerabilities,
 * for tools that track them per component (Dependency-Track and the like). One component per
 * vulnerable package version, with the files it was found in as evidence; one vulnerability per
 * vulnerability and analysis, whose `affects` names the components. Pure and deterministic.
 *
 * The analysis states, by CycloneDX's impactAnalysisState definitions:
 * - an active finding is `exploitable` ("may be directly or indirectly exploitable"): the scan
 *   matched a vulnerable version and nothing says otherwise; its response is `update` when a fix
 *   is known.
 * - an ignored finding is `in_triage` ("is being investigated"). An ignore entry is a decision
 *   deferred until its expiry, with a free-text reason: it does not assert `not_affected` (which
 *   wants a justification from a fixed list, and a claim the scan cannot check) nor
 *   `false_positive` (a wrong match), and a consumer must not read it as resolved. The reason and
 *   the expiry are its detail.
 */

import type { ScannedPackage } from '../domain/scan/inventory.js';
import { byText, type ScanFinding, type ScanReport } from '../domain/scan/scan.service.js';
import type { VulnInfo } from '../domain/scan/vuln-info.js';
import { aliasSource, severityOf, uuidV5 } from './cyclonedx-vex.js';
import { packageVersionKey, scannedPurl } from './scan-json.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface ScanVexOptions {
  /** When the scan ran, as metadata.timestamp; left out without it (a presenter has no clock). */
  timestamp?: Date;
  /** embargo's version, stated as the tool's. */
  toolVersion?: string;
  /** The source of the project's own advisories (origin "project"); "Embargo" unless given. */
  ownSource?: { name: string; url?: string };
}

/** CVSS 2 vectors carry no version prefix. */
function methodOf(vector: string): string {
  if (vector.startsWith('CVSS:4.0/')) return 'CVSSv4';
  if (vector.startsWith('CVSS:3.1/')) return 'CVSSv31';
  if (vector.startsWith('CVSS:3.0/')) return 'CVSSv3';
  return 'CVSSv2';
}

/** An OSV timestamp as a JSON Schema date-time, or null when it is not one. */
function instant(text: string | null): string | null {
  const d = text === null ? null : new Date(text);
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : null;
}

interface Component {
  ref: string;
  pkg: ScannedPackage;
  occurrences: Map<string, JsonObject>;
}

function components(findings: readonly ScanFinding[]): Map<string, Component> {
  const out = new Map<string, Component>();
  const taken = new Set<string>();
  const sorted = [...findings].sort(
    (a, b) =>
      byText(a.package.name, b.package.name) ||
      byText(a.package.version, b.package.version) ||
      byText(a.package.ecosystem, b.package.ecosystem),
  );
  for (const f of sorted) {
    const key = packageVersionKey(f.package);
    let c = out.get(key);
    if (!c) {
      const p = f.package;
      const wanted = scannedPurl(p) ?? `${p.ecosystem}/${p.name}${p.version === '' ? '' : `@${p.version}`}`;
      // bom-refs must be unique; two spellings of one PyPI name can give one purl.
      let ref = wanted;
      for (let i = 2; taken.has(ref); i++) ref = `${wanted}#${i}`;
      taken.add(ref);
      c = { ref, pkg: p, occurrences: new Map() };
      out.set(key, c);
    }
    const line = f.package.line;
    c.occurrences.set(
      `${f.path}\u0000${line ?? ''}`,
      line === undefined ? { location: f.path } : { location: f.path, line },
    );
  }
  return out;
}

function componentJson(c: Component): JsonObject {
  const purl = scannedPurl(c.pkg);
  return {
    type: 'library',
    'bom-ref': c.ref,
    name: c.pkg.name,
    ...(c.pkg.version === '' ? {} : { version: c.pkg.version }),
    ...(purl === null ? {} : { purl }),
    evidence: { occurrences: [...c.occurrences.values()] },
  };
}

function ratings(vuln: VulnInfo, source: JsonObject): JsonObject[] {
  if (vuln.score !== null && vuln.vector !== null) {
    return [
      {
        source,
        score: vuln.score,
        severity: severityOf(vuln.score),
        method: methodOf(vuln.vector),
        vector: vuln.vector,
      },
    ];
  }
  // The database's own word (GHSA's, a distribution's urgency); nothing at all beats "unknown".
  return vuln.severity === 'unknown' ? [] : [{ source, severity: vuln.severity, method: 'other' }];
}

function recommendation(findings: readonly ScanFinding[]): string | null {
  const fixes = new Map<string, ScanFinding>();
  for (const f of findings) if (f.fixedVersion !== null) fixes.set(packageVersionKey(f.package), f);
  const list = [...fixes.values()];
  const only = list[0];
  if (!only) return null;
  const packages = new Set(findings.map((f) => packageVersionKey(f.package)));
  if (packages.size === 1) return `Upgrade to ${only.fixedVersion}.`;
  return list.map((f) => `Upgrade ${f.package.name} ${f.package.version} to ${f.fixedVersion}.`).join('\n');
}

function vulnerability(
  group: readonly ScanFinding[],
  refs: Map<string, Component>,
  options: ScanVexOptions,
): JsonObject {
  const first = group[0];
  if (!first) throw new Error('an empty group of findings');
  const { vuln, ignored } = first;
  const source: JsonObject =
    vuln.origin === 'import'
      ? { name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(vuln.id)}` }
      : {
          name: options.ownSource?.name ?? 'Embargo',
          ...(options.ownSource?.url ? { url: options.ownSource.url } : {}),
        };
  const v: JsonObject = { id: vuln.id, source };
  if (vuln.aliases.length > 0) v.references = vuln.aliases.map((id) => ({ id, source: aliasSource(id) }));
  const rated = ratings(vuln, source);
  if (rated.length > 0) v.ratings = rated;
  if (vuln.summary.trim() !== '') v.description = vuln.summary;
  if (vuln.details.trim() !== '') v.detail = vuln.details;
  const recommended = recommendation(group);
  if (recommended !== null) v.recommendation = recommended;
  if (vuln.url !== null)
    v.advisories = [vuln.summary.trim() === '' ? { url: vuln.url } : { title: vuln.summary, url: vuln.url }];
  const published = instant(vuln.published);
  const updated = instant(vuln.modified);
  if (published !== null) v.published = published;
  if (updated !== null) v.updated = updated;
  const paths = [...new Set(group.map((f) => f.path))].sort(byText).join(', ');
  v.analysis = ignored
    ? { state: 'in_triage', detail: `Ignored until ${ignored.until.toISOString().slice(0, 10)}: ${ignored.reason}` }
    : {
        state: 'exploitable',
        ...(recommended === null ? {} : { response: ['update'] }),
        detail: `A vulnerable version was found in ${paths}.`,
      };
  const affected = [...new Set(group.map((f) => refs.get(packageVersionKey(f.package))?.ref ?? ''))].filter(
    (r) => r !== '',
  );
  v.affects = affected.sort(byText).map((ref) => ({ ref }));
  return v;
}

/** The scan report as a CycloneDX 1.6 BOM with vulnerabilities and their analysis. */
export function scanVex(report: ScanReport, options: ScanVexOptions = {}): object {
  const refs = components(report.findings);
  // Active and ignored findings of one vulnerability are told apart (each ignore entry on its own):
  // an analysis is about the whole vulnerability entry.
  const groups = new Map<string, ScanFinding[]>();
  for (const f of report.findings) {
    const how =
      f.ignored === null ? '' : `${f.ignored.id}\u0000${f.ignored.reason}\u0000${f.ignored.until.toISOString()}`;
    const key = `${f.vuln.id}\u0001${how}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const vulnerabilities = [...groups.entries()]
    .sort(([a], [b]) => byText(a, b))
    .map(([, group]) => vulnerability(group, refs, options));
  const metadata: JsonObject = {
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp.toISOString() }),
    tools: {
      components: [
        { type: 'application', name: 'embargo-scan', ...(options.toolVersion ? { version: options.toolVersion } : {}) },
      ],
    },
  };
  const body: JsonObject = {
    metadata,
    components: [...refs.values()].map(componentJson),
    vulnerabilities,
  };
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    // Named by its content: the same report gives the same serial number, another report another.
    serialNumber: `urn:uuid:${uuidV5(`urn:embargo:scan:${JSON.stringify(body)}`)}`,
    version: 1,
    ...body,
  };
}
