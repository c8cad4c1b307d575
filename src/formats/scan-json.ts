/*
 * `embargo scan --format json`: the scan report as a stable document for other programs. Pure and
 * deterministic: the same report gives the same document, in the same order. The shape is a
 * public interface (see ScanJson): a field is only ever added, never renamed or removed, within
 * one `schema_version`.
 */

import type { IgnoreEntry } from '../domain/scan/ignore-file.js';
import type { ScannedPackage } from '../domain/scan/inventory.js';
import { packageToPurl } from '../domain/scan/purl.js';
import { byText, type ScanFinding, type ScanReport } from '../domain/scan/scan.service.js';
import type { SeverityLabel } from '../domain/scan/vuln-info.js';

/** The document. */
export interface ScanJson {
  /** 1 for this shape; raised only when a field changes meaning or goes away. */
  schema_version: 1;
  /** One entry per input file that was read, sorted by path, including files with no findings. */
  results: ScanJsonSource[];
  /** Inputs that could not be read or parsed (they are not in `results`), in the order met. */
  errors: { path: string; message: string }[];
  /** Ignore entries whose expiry has passed: they hide nothing any more, and should be reviewed. */
  expired_ignores: ScanJsonIgnoreEntry[];
}

/** One input file and its vulnerable packages. */
export interface ScanJsonSource {
  /** `path`: as the scan names it, relative to where it ran, with forward slashes. `type`: the input format ("package-lock.json", "cyclonedx-json"...). */
  source: { path: string; type: string };
  /** Only the packages with at least one finding (active or ignored), sorted by name, version, then ecosystem. */
  packages: ScanJsonPackage[];
}

export interface ScanJsonPackage {
  /**
   * The package as OSV names it: `ecosystem` from OSV's list ("npm", "PyPI", "Debian:12"...),
   * `name` as its registry spells it, `version` as the input pins it ("" when it pins none), and
   * `purl` when the input gives one or its ecosystem has a purl type (absent otherwise).
   */
  package: { name: string; version: string; ecosystem: string; purl?: string };
  /** Its vulnerabilities, sorted by id, each once. */
  vulnerabilities: ScanJsonVulnerability[];
}

export interface ScanJsonVulnerability {
  /** The vulnerability database's id, its other ids (CVE, GHSA...), and its one-line summary. */
  id: string;
  aliases: string[];
  summary: string;
  /**
   * `severity`: critical | high | medium | low | unknown. `score` and `vector`: the CVSS score the
   * severity comes from and its vector, both null when the severity is the database's own word
   * or unknown.
   */
  severity: SeverityLabel;
  score: number | null;
  vector: string | null;
  /** The advisory's page, else its first reference; null when the record has neither. */
  url: string | null;
  /** The lowest version that fixes it for this package's version; null when none is known. */
  fixed_version: string | null;
  /** Present only when an ignore entry hides the finding: its reason and expiry (ISO 8601, UTC). */
  ignored?: { reason: string; until: string };
}

/** An ignore entry as the ignore file gives it; `package` is null when it applies to every package. */
export interface ScanJsonIgnoreEntry {
  id: string;
  reason: string;
  until: string;
  package: string | null;
}

/** The package's own purl, else the one its ecosystem gives it; null when neither is known. */
export function scannedPurl(pkg: ScannedPackage): string | null {
  return pkg.purl ?? packageToPurl(pkg) ?? null;
}

/** Which package a finding is in: the same name and version twice in one file is one package. */
export const packageVersionKey = (pkg: ScannedPackage): string =>
  `${pkg.ecosystem}\u0000${pkg.name}\u0000${pkg.version}`;

const ignoreEntry = (e: IgnoreEntry): ScanJsonIgnoreEntry => ({
  id: e.id,
  reason: e.reason,
  until: e.until.toISOString(),
  package: e.package,
});

function vulnerability(f: ScanFinding): ScanJsonVulnerability {
  const v: ScanJsonVulnerability = {
    id: f.vuln.id,
    aliases: [...f.vuln.aliases],
    summary: f.vuln.summary,
    severity: f.vuln.severity,
    score: f.vuln.score,
    vector: f.vuln.vector,
    url: f.vuln.url,
    fixed_version: f.fixedVersion,
  };
  if (f.ignored) v.ignored = { reason: f.ignored.reason, until: f.ignored.until.toISOString() };
  return v;
}

function packagesOf(findings: readonly ScanFinding[]): ScanJsonPackage[] {
  const byPackage = new Map<string, { pkg: ScannedPackage; vulns: Map<string, ScanFinding> }>();
  for (const f of findings) {
    const key = packageVersionKey(f.package);
    const entry = byPackage.get(key) ?? { pkg: f.package, vulns: new Map<string, ScanFinding>() };
    // A package listed twice in one file (npm's nested copies) gives each of its findings twice.
    if (!entry.vulns.has(f.vuln.id)) entry.vulns.set(f.vuln.id, f);
    byPackage.set(key, entry);
  }
  return [...byPackage.values()]
    .sort(
      (a, b) =>
        byText(a.pkg.name, b.pkg.name) ||
        byText(a.pkg.version, b.pkg.version) ||
        byText(a.pkg.ecosystem, b.pkg.ecosystem),
    )
    .map(({ pkg, vulns }) => {
      const purl = scannedPurl(pkg);
      const head = { name: pkg.name, version: pkg.version, ecosystem: pkg.ecosystem };
      return {
        package: purl === null ? head : { ...head, purl },
        vulnerabilities: [...vulns.values()].sort((a, b) => byText(a.vuln.id, b.vuln.id)).map(vulnerability),
      };
    });
}

/** The scan report as the documented JSON shape (`ScanJson`). */
export function scanJson(report: ScanReport): ScanJson {
  const sources = new Map<string, { type: string; findings: ScanFinding[] }>();
  for (const input of report.inputs) sources.set(input.path, { type: input.format, findings: [] });
  for (const f of report.findings) {
    // Every finding's path is an input's; "unknown" only guards a report built some other way.
    const source = sources.get(f.path) ?? { type: 'unknown', findings: [] };
    source.findings.push(f);
    sources.set(f.path, source);
  }
  return {
    schema_version: 1,
    results: [...sources.entries()]
      .sort(([a], [b]) => byText(a, b))
      .map(([path, s]) => ({ source: { path, type: s.type }, packages: packagesOf(s.findings) })),
    errors: report.errors.map((e) => ({ path: e.path, message: e.message })),
    expired_ignores: report.expiredIgnores.map(ignoreEntry),
  };
}
