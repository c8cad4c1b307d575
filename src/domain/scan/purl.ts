import { distroRelease, releaseDistro } from './purl-distro.js';

// Package URLs (purl-spec, ECMA-427): pkg:type/namespace/name@version?qualifiers#subpath, parsed
// right to left as the spec's "How to parse" says, and their mapping to OSV's (ecosystem, name,
// version). Unlike src/domain/cases/purl.ts, which checks what a person typed and says what is
// wrong, this reads what tools wrote: a purl that cannot be read is undefined, never an error.

export interface Purl {
  /** Lower case. */
  type: string;
  /** Decoded segments joined with "/"; null when there is none. */
  namespace: string | null;
  name: string;
  version: string | null;
  /** Lower-case keys; a key whose value is empty is absent, as the spec says. */
  qualifiers: Record<string, string>;
  /** Decoded segments joined with "/", without "", "." and ".." segments; null when there is none. */
  subpath: string | null;
}

/** A package as OSV names it; `version` is "" when the purl has none. */
export interface OsvPackage {
  ecosystem: string;
  name: string;
  version: string;
}

const TYPE = /^[a-z][a-z0-9.-]*$/;
const QUALIFIER_KEY = /^[a-z][a-z0-9._-]*$/;

// Type rules from the spec's type definitions. Go module paths and legacy npm names are case
// sensitive where OSV looks them up ("github.com/BurntSushi/toml", "JSONStream"), so they keep
// their case although the definitions say to lower it.
const LOWER_NAMESPACE = new Set(['alpm', 'apk', 'bitbucket', 'composer', 'deb', 'github', 'gitlab', 'hex', 'rpm']);
const LOWER_NAME = new Set(['alpm', 'apk', 'bitbucket', 'composer', 'deb', 'github', 'gitlab', 'hex']);
const NAMESPACE_REQUIRED = new Set(['apk', 'bitbucket', 'deb', 'github', 'maven', 'swift']);
const NAMESPACE_PROHIBITED = new Set(['cargo', 'cran', 'gem', 'hackage', 'nuget', 'pub', 'pypi']);

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Decoded non-empty segments, or undefined when one is badly encoded or hides a "/". */
function segments(text: string): string[] | undefined {
  const out: string[] = [];
  for (const raw of text.split('/')) {
    const segment = decode(raw);
    if (segment === undefined || segment.includes('/')) return undefined;
    if (segment !== '') out.push(segment);
  }
  return out;
}

function parseQualifiers(text: string): Record<string, string> | undefined {
  // No prototype, so that a key named "__proto__" is a key like any other.
  const qualifiers = Object.create(null) as Record<string, string>;
  const seen = new Set<string>();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
    if (!QUALIFIER_KEY.test(key) || seen.has(key) || value === undefined) return undefined;
    seen.add(key);
    if (value !== '') qualifiers[key] = value;
  }
  return qualifiers;
}

/** Splits once at the last `sep`: [left, right], or [text, undefined] without one. */
function splitLast(text: string, sep: string): [string, string | undefined] {
  const at = text.lastIndexOf(sep);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** Applies the type's case and name rules; undefined when its namespace rule is broken. */
function normalize(p: Purl): Purl | undefined {
  if (NAMESPACE_REQUIRED.has(p.type) && p.namespace === null) return undefined;
  if (NAMESPACE_PROHIBITED.has(p.type) && p.namespace !== null) return undefined;
  const namespace = p.namespace !== null && LOWER_NAMESPACE.has(p.type) ? p.namespace.toLowerCase() : p.namespace;
  let name = LOWER_NAME.has(p.type) ? p.name.toLowerCase() : p.name;
  // The pypi definition: lower case, runs of "-", "_" and "." as one "-" (PEP 503).
  if (p.type === 'pypi') name = name.toLowerCase().replace(/[-_.]+/g, '-');
  return name === '' ? undefined : { ...p, namespace, name };
}

/** Reads a purl, or undefined when it is not one. */
export function parsePurl(input: string): Purl | undefined {
  if (/[\s\u0000-\u001f\u007f]/.test(input)) return undefined;
  const [beforeHash, rawSubpath] = splitLast(input, '#');
  const subpath = rawSubpath === undefined ? [] : segments(rawSubpath);
  const [beforeQuery, rawQualifiers] = splitLast(beforeHash, '?');
  const qualifiers = rawQualifiers === undefined ? {} : parseQualifiers(rawQualifiers);
  const colon = beforeQuery.indexOf(':');
  if (subpath === undefined || qualifiers === undefined || colon < 0) return undefined;
  if (beforeQuery.slice(0, colon).toLowerCase() !== 'pkg') return undefined;

  const rest = beforeQuery.slice(colon + 1).replace(/^\/+/, '');
  const slash = rest.indexOf('/');
  const type = rest.slice(0, slash).toLowerCase();
  if (slash < 0 || !TYPE.test(type)) return undefined;

  // The version starts at the last "@" after the last "/", so that an unencoded npm scope
  // (pkg:npm/@babel/core) is read as the namespace it is.
  let path = rest.slice(slash + 1);
  let version: string | null = null;
  const at = path.lastIndexOf('@');
  if (at >= 0 && at > path.lastIndexOf('/')) {
    const decoded = decode(path.slice(at + 1));
    if (decoded === undefined) return undefined;
    version = decoded === '' ? null : decoded;
    path = path.slice(0, at);
  }
  const [rawNamespace, rawName] = splitLast(path.replace(/\/+$/, ''), '/');
  const name = decode(rawName ?? rawNamespace);
  const namespace = rawName === undefined ? [] : segments(rawNamespace);
  if (name === undefined || namespace === undefined) return undefined;

  return normalize({
    type,
    namespace: namespace.length > 0 ? namespace.join('/') : null,
    name,
    version,
    qualifiers,
    subpath: subpath.filter((s) => s !== '.' && s !== '..').join('/') || null,
  });
}

/** Percent-encodes all but the characters the spec leaves as they are (letters, digits, ".-_~:"). */
function encode(text: string): string {
  return Array.from(new TextEncoder().encode(text), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9.\-_~:]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

const encodePath = (path: string): string =>
  path
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .map(encode)
    .join('/');

/** The canonical text of a purl: type rules applied, qualifiers sorted, one encoding. */
export function formatPurl(purl: Purl): string {
  const p = normalize({ ...purl, type: purl.type.toLowerCase() }) ?? purl;
  const namespace = p.namespace === null ? '' : encodePath(p.namespace);
  const version = p.version === null || p.version === '' ? '' : `@${encode(p.version)}`;
  const pairs = Object.entries(p.qualifiers)
    .filter(([, value]) => value !== '')
    .map(([key, value]) => `${key.toLowerCase()}=${encode(value)}`)
    .sort();
  const subpath = p.subpath === null ? '' : encodePath(p.subpath);
  return (
    `pkg:${p.type}/${namespace === '' ? '' : `${namespace}/`}${encode(p.name)}${version}` +
    `${pairs.length > 0 ? `?${pairs.join('&')}` : ''}${subpath === '' ? '' : `#${subpath}`}`
  );
}

// purl type -> OSV ecosystem where the name maps as it is, or joined to the namespace.
const PLAIN: Record<string, string> = {
  pypi: 'PyPI',
  cargo: 'crates.io',
  gem: 'RubyGems',
  nuget: 'NuGet',
  pub: 'Pub',
  cran: 'CRAN',
  hackage: 'Hackage',
  conan: 'ConanCenter',
  bitnami: 'Bitnami',
};
const JOINED: Record<string, string> = { npm: 'npm', golang: 'Go', composer: 'Packagist', swift: 'SwiftURL' };

/** The OSV package a purl names (npm, pypi, golang, cargo, gem, composer, maven, nuget, pub, hex, deb, apk, rpm...). */
export function purlToPackage(text: string): OsvPackage | undefined {
  const p = parsePurl(text);
  if (!p) return undefined;
  const version = p.version ?? '';
  const plain = Object.hasOwn(PLAIN, p.type) ? PLAIN[p.type] : undefined;
  if (plain) return { ecosystem: plain, name: p.name, version };
  const joined = Object.hasOwn(JOINED, p.type) ? JOINED[p.type] : undefined;
  if (joined) return { ecosystem: joined, name: p.namespace === null ? p.name : `${p.namespace}/${p.name}`, version };
  switch (p.type) {
    case 'maven':
      return p.namespace === null ? undefined : { ecosystem: 'Maven', name: `${p.namespace}:${p.name}`, version };
    case 'hex':
      // A namespace is a private hex.pm organisation: not the public package OSV describes.
      return p.namespace === null ? { ecosystem: 'Hex', name: p.name, version } : undefined;
    case 'deb':
    case 'apk':
    case 'rpm': {
      // The vendor decides the distribution; the name is the binary package's, as osv-scanner
      // reads SBOMs (OSV itself names Debian and Alpine source packages).
      const ecosystem = distroRelease(p.type, p.namespace ?? '', p.qualifiers['distro'] ?? '');
      return ecosystem === undefined ? undefined : { ecosystem, name: p.name, version };
    }
    default:
      return undefined;
  }
}

/** The purl of an OSV package, or undefined when its ecosystem has no purl type here. */
export function packageToPurl(pkg: OsvPackage): string | undefined {
  const colon = pkg.ecosystem.indexOf(':');
  const base = colon < 0 ? pkg.ecosystem : pkg.ecosystem.slice(0, colon);
  const release = colon < 0 ? '' : pkg.ecosystem.slice(colon + 1);
  const version = pkg.version === '' ? null : pkg.version;
  const make = (type: string, namespace: string | null, name: string, qualifiers: Record<string, string> = {}) =>
    formatPurl({ type, namespace: namespace === '' ? null : namespace, name, version, qualifiers, subpath: null });
  const [head, last] = splitLast(pkg.name, '/');

  const plain = Object.entries(PLAIN).find(([, ecosystem]) => ecosystem === base)?.[0];
  if (plain) return make(plain, null, pkg.name);
  const joined = Object.entries(JOINED).find(([, ecosystem]) => ecosystem === base)?.[0];
  if (joined) return last === undefined ? make(joined, null, pkg.name) : make(joined, head, last);
  if (base === 'Maven') {
    const [group, artifact] = splitLast(pkg.name, ':');
    return artifact === undefined ? undefined : make('maven', group, artifact);
  }
  if (base === 'Hex') return make('hex', null, pkg.name);
  const distro = releaseDistro(base, release);
  if (!distro) return undefined;
  return make(distro.type, distro.namespace, pkg.name, distro.qualifier ? { distro: distro.qualifier } : {});
}
