/*
 * What CycloneDX and SPDX documents share: a package is named by its purl. An entry whose purl is
 * missing, unreadable or of a type with no OSV ecosystem names nothing the vulnerability database
 * could match, and is skipped (not an error: SBOM tools write such entries routinely).
 */
import type { ScannedPackage } from '../inventory.js';
import { purlToPackage } from '../purl.js';

/** One SBOM entry: its purl, and the version the entry states beside it. */
export interface SbomEntry {
  purl: unknown;
  version: unknown;
}

/**
 * The packages the entries name, one per package version: an SBOM that lists a package twice (two
 * architectures, two layers) still ships one version of it. A purl without a version takes the
 * version its entry states.
 */
export function sbomPackages(entries: Iterable<SbomEntry>): ScannedPackage[] {
  const seen = new Set<string>();
  const packages: ScannedPackage[] = [];
  for (const entry of entries) {
    if (typeof entry.purl !== 'string') continue;
    const purl = entry.purl.trim();
    const pkg = purlToPackage(purl);
    if (!pkg) continue;
    const stated = typeof entry.version === 'string' ? entry.version.trim() : '';
    const version = pkg.version === '' ? stated : pkg.version;
    const key = JSON.stringify([pkg.ecosystem, pkg.name, version]);
    if (seen.has(key)) continue;
    seen.add(key);
    packages.push({ ecosystem: pkg.ecosystem, name: pkg.name, version, purl });
  }
  return packages;
}

/** The base name of a path, lower-cased: SBOM file names are matched without regard to case. */
export function baseName(path: string): string {
  return (path.split(/[\\/]/).pop() ?? '').toLowerCase();
}
