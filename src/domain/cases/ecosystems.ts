import { DomainError } from '../../errors.js';
import { formatPurl, type Purl } from './purl.js';

// The package ecosystems of OSV (ossf/osv-schema ecosystems.json, 2026-07), spelled exactly as OSV
// spells them: the OSV, CVE and CSAF exporters copy the stored string as it is. Some ecosystems
// scope a package to a release with a ":<suffix>" ("Debian:12", "Alpine:v3.20", "Maven:<repo URL>");
// `suffix` says whether OSV defines one. A suffix OSV does not define for an ecosystem would mean
// nothing to a scanner, so it is refused rather than stored.

type Suffix = 'none' | 'optional' | 'required';

interface EcosystemInfo {
  suffix: Suffix;
  /** purl types a package of this ecosystem is written with, where the mapping is obvious. */
  purlTypes?: readonly string[];
}

const RPM = ['rpm'] as const;
const APK = ['apk'] as const;

const ECOSYSTEMS = {
  AlmaLinux: { suffix: 'optional', purlTypes: RPM },
  Alpaquita: { suffix: 'required', purlTypes: APK },
  Alpine: { suffix: 'required', purlTypes: APK },
  Android: { suffix: 'none' },
  'Azure Linux': { suffix: 'required', purlTypes: RPM },
  'BellSoft Hardened Containers': { suffix: 'required' },
  Bioconductor: { suffix: 'none' },
  Bitnami: { suffix: 'none', purlTypes: ['bitnami'] },
  Chainguard: { suffix: 'none', purlTypes: APK },
  CleanStart: { suffix: 'none' },
  ConanCenter: { suffix: 'none', purlTypes: ['conan'] },
  CRAN: { suffix: 'none', purlTypes: ['cran'] },
  'crates.io': { suffix: 'none', purlTypes: ['cargo'] },
  Debian: { suffix: 'optional', purlTypes: ['deb'] },
  'Docker Hardened Images': { suffix: 'none' },
  Echo: { suffix: 'none' },
  FreeBSD: { suffix: 'optional' },
  GHC: { suffix: 'none' },
  'GitHub Actions': { suffix: 'none' },
  Go: { suffix: 'none', purlTypes: ['golang'] },
  Hackage: { suffix: 'none', purlTypes: ['hackage'] },
  Hex: { suffix: 'none', purlTypes: ['hex'] },
  Julia: { suffix: 'none', purlTypes: ['julia'] },
  Kubernetes: { suffix: 'none', purlTypes: ['golang'] },
  Linux: { suffix: 'none' },
  Mageia: { suffix: 'required', purlTypes: RPM },
  Maven: { suffix: 'optional', purlTypes: ['maven'] },
  MinimOS: { suffix: 'none' },
  npm: { suffix: 'none', purlTypes: ['npm'] },
  NuGet: { suffix: 'none', purlTypes: ['nuget'] },
  opam: { suffix: 'none', purlTypes: ['opam'] },
  openEuler: { suffix: 'required', purlTypes: RPM },
  openSUSE: { suffix: 'required', purlTypes: RPM },
  'OSS-Fuzz': { suffix: 'none' },
  Packagist: { suffix: 'optional', purlTypes: ['composer'] },
  'Photon OS': { suffix: 'required', purlTypes: RPM },
  Pub: { suffix: 'none', purlTypes: ['pub'] },
  PyPI: { suffix: 'none', purlTypes: ['pypi'] },
  // Red Hat's own advisories name modules with rpmmod purls beside plain rpm ones.
  'Red Hat': { suffix: 'required', purlTypes: ['rpm', 'rpmmod'] },
  'Rocky Linux': { suffix: 'optional', purlTypes: RPM },
  Root: { suffix: 'optional' },
  RubyGems: { suffix: 'none', purlTypes: ['gem'] },
  SUSE: { suffix: 'required', purlTypes: RPM },
  SwiftURL: { suffix: 'none', purlTypes: ['swift'] },
  TuxCare: { suffix: 'optional' },
  Ubuntu: { suffix: 'required', purlTypes: ['deb'] },
  VSCode: { suffix: 'optional' },
  Wolfi: { suffix: 'none', purlTypes: APK },
} as const satisfies Record<string, EcosystemInfo>;

export type EcosystemName = keyof typeof ECOSYSTEMS;

/** Every OSV ecosystem name, alphabetically as OSV lists them. */
export const ecosystemNames = Object.keys(ECOSYSTEMS) as EcosystemName[];

/** The ones most projects publish to, offered first in forms. */
export const commonEcosystems: readonly EcosystemName[] = [
  'npm',
  'PyPI',
  'Go',
  'crates.io',
  'Maven',
  'NuGet',
  'RubyGems',
  'Packagist',
  'Hex',
  'Pub',
  'Debian',
  'Alpine',
];

const info = (name: string): EcosystemInfo | undefined =>
  Object.hasOwn(ECOSYSTEMS, name) ? (ECOSYSTEMS as Record<string, EcosystemInfo>)[name] : undefined;

/** A stored ecosystem split into its OSV name and the release suffix, if any. */
export interface Ecosystem {
  /** As stored and exported: "Debian:12". */
  value: string;
  base: EcosystemName;
  suffix: string | null;
}

const fail = (message: string): never => {
  throw new DomainError('VALIDATION_FAILED', message, { field: 'ecosystem' });
};

/**
 * Checks an ecosystem string against OSV's list: the exact OSV spelling, then a suffix where OSV
 * defines one ("Alpine:v3.20" needs its "v"). Refuses near misses with the right spelling.
 */
export function parseEcosystem(input: string): Ecosystem {
  const value = input.trim();
  if (value === '' || value.length > 200 || /[\u0000-\u001f\u007f]/.test(value)) {
    fail('Choose an ecosystem from the OSV list (npm, PyPI, Go, crates.io, Maven ...).');
  }
  const colon = value.indexOf(':');
  const base = colon < 0 ? value : value.slice(0, colon);
  const suffix = colon < 0 ? null : value.slice(colon + 1);
  const known = info(base);
  if (!known) {
    const near = ecosystemNames.find((n) => n.toLowerCase() === base.toLowerCase());
    return fail(
      near
        ? `OSV spells this ecosystem "${near}", not "${base}".`
        : `"${base}" is not an OSV ecosystem; choose one from the list.`,
    );
  }
  if (suffix !== null && (suffix.trim() === '' || suffix !== suffix.trim())) {
    fail(`The release after "${base}:" is empty or has spaces around it.`);
  }
  if (suffix !== null && known.suffix === 'none') {
    fail(`OSV defines no release suffix for ${base}: write just "${base}".`);
  }
  if (suffix === null && known.suffix === 'required') {
    fail(`OSV scopes ${base} packages to a release: write "${base}:<release>".`);
  }
  if (base === 'Alpine' && suffix !== null && !/^v\d+(\.\d+)*$/.test(suffix)) {
    fail('Alpine releases are written with a "v": "Alpine:v3.20".');
  }
  return { value, base: base as EcosystemName, suffix };
}

/** The purl types that fit an ecosystem, or undefined when no mapping is obvious (any type is accepted). */
export function purlTypesOf(ecosystem: EcosystemName): readonly string[] | undefined {
  return info(ecosystem)?.purlTypes;
}

/** PyPI names compare (and are stored by OSV) normalized: lower case, runs of "-", "_", "." as one "-". */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * A package name as OSV writes it for the ecosystem: trimmed, on one line, PyPI names normalized,
 * Maven names as groupId:artifactId. VALIDATION_FAILED (field "name") otherwise.
 */
export function checkPackageName(ecosystem: EcosystemName, input: string): string {
  const name = input.trim();
  if (name.length < 1 || name.length > 300 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new DomainError('VALIDATION_FAILED', 'A package name is 1 to 300 characters on one line.', { field: 'name' });
  }
  if (ecosystem === 'Maven' && !/^[^:\s]+:[^:\s]+$/.test(name)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'A Maven package is named groupId:artifactId, e.g. org.example:parser.',
      {
        field: 'name',
      },
    );
  }
  return ecosystem === 'PyPI' ? normalizePypiName(name) : name;
}

/** The package a purl names, written the way the ecosystem names packages; undefined where that is not obvious. */
function nameInPurl(ecosystem: EcosystemName, p: Purl): string | undefined {
  const joined = p.namespace === null ? p.name : `${p.namespace}/${p.name}`;
  switch (ecosystem) {
    case 'npm':
    case 'Go':
    case 'Kubernetes':
    case 'Packagist':
      return joined;
    case 'Maven':
      return p.namespace === null ? undefined : `${p.namespace}:${p.name}`;
    case 'SwiftURL': // a Git URL in OSV, host/owner/name in the purl
      return undefined;
    default:
      return purlTypesOf(ecosystem) ? p.name : undefined;
  }
}

/**
 * Refuses a purl that cannot be the package: a type that does not fit the ecosystem (npm -> npm,
 * PyPI -> pypi, Go -> golang, crates.io -> cargo, Maven -> maven ...), another package's name, or
 * a version (OSV's package purl names the package; versions belong in the ranges).
 */
export function checkPurlFitsPackage(ecosystem: EcosystemName, name: string, p: Purl): void {
  const fail = (message: string): never => {
    throw new DomainError('VALIDATION_FAILED', message, { field: 'purl' });
  };
  const types = purlTypesOf(ecosystem);
  if (types && !types.includes(p.type)) {
    fail(
      `A ${ecosystem} package has a purl of type ${types.map((t) => `"pkg:${t}/"`).join(' or ')}, not "pkg:${p.type}/".`,
    );
  }
  if (p.version !== null) {
    fail(
      `The package's purl names the package without a version: leave out "@${p.version}" (versions go in the ranges).`,
    );
  }
  const inPurl = nameInPurl(ecosystem, p);
  if (inPurl === undefined) return;
  const same =
    ecosystem === 'PyPI'
      ? normalizePypiName(inPurl) === normalizePypiName(name)
      : ecosystem === 'Go' || ecosystem === 'Kubernetes' || ecosystem === 'Maven'
        ? inPurl === name
        : inPurl.toLowerCase() === name.toLowerCase();
  if (!same) fail(`The purl names the package "${inPurl}", not "${name}".`);
}

// The purl of a package of a language ecosystem whose mapping is one to one (purl-spec's types):
// the namespace is the part of the name before its last "/" (":" for Maven). Distributions
// (Debian, Alpine ...) need a distro qualifier the name does not give, so they get none.
const DEFAULT_PURL_TYPES: Partial<Record<EcosystemName, string>> = {
  npm: 'npm',
  PyPI: 'pypi',
  Go: 'golang',
  'crates.io': 'cargo',
  RubyGems: 'gem',
  Packagist: 'composer',
  Maven: 'maven',
  NuGet: 'nuget',
  Hex: 'hex',
  Pub: 'pub',
};

/** The purl (without a version) of a package that has none, when its ecosystem makes it obvious; else null. */
export function defaultPurl(ecosystem: string, name: string): string | null {
  const type = DEFAULT_PURL_TYPES[ecosystem as EcosystemName];
  if (!type || !name) return null;
  const cut = ecosystem === 'Maven' ? name.lastIndexOf(':') : name.lastIndexOf('/');
  const purl: Purl = {
    type,
    namespace: cut > 0 ? name.slice(0, cut) : null,
    name: ecosystem === 'PyPI' ? normalizePypiName(name) : cut > 0 ? name.slice(cut + 1) : name,
    version: null,
    qualifiers: {},
    subpath: null,
  };
  try {
    checkPurlFitsPackage(ecosystem as EcosystemName, name, purl);
  } catch {
    return null;
  }
  return formatPurl(purl);
}
