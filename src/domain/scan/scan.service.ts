import type { DbOrTrx } from '../../db/types.js';
import type { IgnoreEntry } from './ignore-file.js';
import type { ScannedPackage } from './inventory.js';
import { Matcher } from './matcher.js';
import { comparableName, ecosystemBase } from './package-key.js';
import type { VulnInfo } from './vuln-info.js';

/*
 * A scan: the packages of some inputs against the vulnerability database, with the ignore list
 * applied. Output formats (src/formats/scan-*.ts) present the report; nothing here does I/O other
 * than the database.
 */

export interface ScanInput {
  /** As the user named it, relative to what was scanned. */
  path: string;
  format: string;
  packages: ScannedPackage[];
}

export interface ScanFinding {
  path: string;
  package: ScannedPackage;
  vuln: VulnInfo;
  fixedVersion: string | null;
  /** Set when an ignore entry hides it. */
  ignored: IgnoreEntry | null;
}

export interface ScanReport {
  inputs: { path: string; format: string; packages: number }[];
  errors: { path: string; message: string }[];
  /** Findings not ignored, then ignored ones; each sorted by path, package and id. */
  findings: ScanFinding[];
  /** Ignore entries whose expiry has passed: they no longer hide anything. */
  expiredIgnores: IgnoreEntry[];
  packageCount: number;
}

/** Code-unit order: unlike localeCompare, the same in every locale, and cheap on big reports. */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function ignoreFor(
  entries: readonly IgnoreEntry[],
  vuln: VulnInfo,
  pkg: ScannedPackage,
  now: Date,
): IgnoreEntry | null {
  for (const e of entries) {
    if (e.until.getTime() <= now.getTime()) continue;
    if (e.id !== vuln.id && !vuln.aliases.includes(e.id)) continue;
    if (e.package !== null) {
      const base = ecosystemBase(pkg.ecosystem);
      if (comparableName(base, e.package) !== comparableName(base, pkg.name)) continue;
    }
    return e;
  }
  return null;
}

export async function scanInputs(
  db: DbOrTrx,
  input: {
    inputs: readonly ScanInput[];
    errors?: { path: string; message: string }[];
    ignores?: readonly IgnoreEntry[];
    now: Date;
    /** A long-lived matcher whose cache survives between scans; without one, a scan queries afresh. */
    matcher?: Matcher;
  },
): Promise<ScanReport> {
  const flat: { path: string; pkg: ScannedPackage }[] = [];
  for (const i of input.inputs) for (const pkg of i.packages) flat.push({ path: i.path, pkg });
  const matcher = input.matcher ?? new Matcher(db);
  const matches = await matcher.match(flat.map((f) => f.pkg));
  const infos = await matcher.infos(matches.map((m) => m.vulnId));
  const ignores = input.ignores ?? [];
  const findings: ScanFinding[] = [];
  for (const m of matches) {
    const at = flat[m.index];
    const vuln = infos.get(m.vulnId);
    if (!at || !vuln) continue;
    findings.push({
      path: at.path,
      package: at.pkg,
      vuln,
      fixedVersion: m.fixedVersion,
      ignored: ignoreFor(ignores, vuln, at.pkg, input.now),
    });
  }
  // Code-point order: stable across locales, and far cheaper than localeCompare on big reports.
  findings.sort(
    (a, b) =>
      Number(a.ignored !== null) - Number(b.ignored !== null) ||
      byText(a.path, b.path) ||
      byText(a.package.name, b.package.name) ||
      byText(a.package.version, b.package.version) ||
      byText(a.vuln.id, b.vuln.id),
  );
  return {
    inputs: input.inputs.map((i) => ({ path: i.path, format: i.format, packages: i.packages.length })),
    errors: input.errors ?? [],
    findings,
    expiredIgnores: ignores.filter((e) => e.until.getTime() <= input.now.getTime()),
    packageCount: flat.length,
  };
}

/** The findings that count (not ignored). */
export const activeFindings = (report: ScanReport): ScanFinding[] => report.findings.filter((f) => f.ignored === null);
