import { normalizePypiName } from '../cases/ecosystems.js';

// How a package is looked up in the vulnerability database and the reverse index: the ecosystem
// without its release ("Debian:12" -> "Debian"; the release is checked after the lookup) and the
// name as that ecosystem compares names. PyPI names are case- and separator-insensitive (PEP 503);
// NuGet ids and Composer names are case-insensitive; every other registry's names are exact.

/** "Debian:12" -> "Debian". */
export function ecosystemBase(ecosystem: string): string {
  const at = ecosystem.indexOf(':');
  return at < 0 ? ecosystem : ecosystem.slice(0, at);
}

/** The release part of "Debian:12" ("12"), or "" when the ecosystem names none. */
export function ecosystemRelease(ecosystem: string): string {
  const at = ecosystem.indexOf(':');
  return at < 0 ? '' : ecosystem.slice(at + 1);
}

/** A name as its ecosystem compares it. */
export function comparableName(base: string, name: string): string {
  switch (base) {
    case 'PyPI':
      return normalizePypiName(name);
    case 'NuGet':
    case 'Packagist':
      return name.toLowerCase();
    default:
      return name;
  }
}

/** The lookup key of a package: "npm:lodash", "PyPI:django-rest-framework", "Debian:openssl". */
export function packageKey(ecosystem: string, name: string): string {
  const base = ecosystemBase(ecosystem);
  return `${base}:${comparableName(base, name)}`;
}

/**
 * Whether an advisory's ecosystem covers a package's: the same base, and the same release when
 * both name one. A package with no release ("Debian") is matched by every release's advisory, and an
 * advisory with none by every release's package, as osv-scanner does for SBOMs that omit the distro.
 */
export function ecosystemCovers(advisory: string, pkg: string): boolean {
  if (ecosystemBase(advisory) !== ecosystemBase(pkg)) return false;
  const a = ecosystemRelease(advisory);
  const p = ecosystemRelease(pkg);
  return a === '' || p === '' || a === p;
}
