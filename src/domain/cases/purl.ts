import { DomainError } from '../../errors.js';

// Package URLs (purl-spec, ECMA-427): pkg:type/namespace/name@version?qualifiers#subpath.
// Parsed as the spec's "how to parse" says, right to left, and rebuilt in canonical form (lower-case
// type and qualifier keys, sorted qualifiers, one encoding), so what is stored compares equal to what
// another tool writes for the same package.

export interface Purl {
  type: string;
  /** Segments joined with "/", decoded; null when there is none. */
  namespace: string | null;
  name: string;
  version: string | null;
  /** Lower-case keys; pairs with an empty value are dropped, as the spec says. */
  qualifiers: Record<string, string>;
  subpath: string | null;
}

const TYPE = /^[a-z.+-][a-z0-9.+-]*$/;
const QUALIFIER_KEY = /^[a-z.\-_][a-z0-9.\-_]*$/;
const MAX_LENGTH = 1000;

const fail = (message: string): never => {
  throw new DomainError('VALIDATION_FAILED', message, { field: 'purl' });
};

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail(`The purl's ${what} has a broken percent-encoding ("%" must be followed by two hex digits).`);
  }
}

/** Splits once at the last `sep`: [left, right], or [text, null] without one. */
function splitRight(text: string, sep: string): [string, string | null] {
  const at = text.lastIndexOf(sep);
  return at < 0 ? [text, null] : [text.slice(0, at), text.slice(at + 1)];
}

function segments(text: string, what: string): string[] {
  return text
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      const segment = decode(s, what);
      if (segment.includes('/')) fail(`A segment of the purl's ${what} contains an encoded "/".`);
      return segment;
    });
}

function parseQualifiers(text: string): Record<string, string> {
  // No prototype: a qualifier named "__proto__" is a key like any other, not a prototype change.
  const qualifiers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1), `qualifier "${key}"`);
    if (!QUALIFIER_KEY.test(key)) {
      fail(`"${key}" is not a purl qualifier key: letters, digits, ".", "-" and "_", not starting with a digit.`);
    }
    if (Object.hasOwn(qualifiers, key)) fail(`The purl names the qualifier "${key}" twice.`);
    if (value !== '') qualifiers[key] = value;
  }
  return qualifiers;
}

// The spec's type-specific rules, for the types where they are settled.
const NAMESPACE_REQUIRED = new Set(['maven', 'swift']);
const NAMESPACE_PROHIBITED = new Set(['cargo', 'cran', 'gem', 'hackage', 'nuget', 'pub', 'pypi']);
const LOWER_CASE_NAMESPACE = new Set(['apk', 'bitbucket', 'deb', 'github', 'npm']);
const LOWER_CASE_NAME = new Set(['bitbucket', 'github', 'npm']);

function normalize(p: Purl): Purl {
  if (NAMESPACE_REQUIRED.has(p.type) && p.namespace === null) {
    fail(`A ${p.type} purl has a namespace: pkg:${p.type}/<namespace>/<name>.`);
  }
  if (NAMESPACE_PROHIBITED.has(p.type) && p.namespace !== null) {
    fail(`A ${p.type} purl has no namespace: pkg:${p.type}/<name>.`);
  }
  const namespace = p.namespace !== null && LOWER_CASE_NAMESPACE.has(p.type) ? p.namespace.toLowerCase() : p.namespace;
  let name = LOWER_CASE_NAME.has(p.type) ? p.name.toLowerCase() : p.name;
  if (p.type === 'pypi') name = name.toLowerCase().replace(/[-_.]+/g, '-');
  return { ...p, namespace, name };
}

/** Parses and checks a purl, or VALIDATION_FAILED (field "purl") saying what is wrong. */
export function parsePurl(input: string): Purl {
  const text = input.trim();
  if (text.length > MAX_LENGTH) fail(`A purl is at most ${MAX_LENGTH} characters.`);
  if (/[\s\u0000-\u001f\u007f]/.test(text)) fail('A purl has no spaces or control characters (encode them: %20).');

  const [beforeHash, rawSubpath] = splitRight(text, '#');
  const subpath = rawSubpath === null ? [] : segments(rawSubpath, 'subpath').filter((s) => s !== '.' && s !== '..');
  const [beforeQuery, rawQualifiers] = splitRight(beforeHash, '?');
  const qualifiers = rawQualifiers === null ? {} : parseQualifiers(rawQualifiers);

  const colon = beforeQuery.indexOf(':');
  if (colon < 0 || beforeQuery.slice(0, colon).toLowerCase() !== 'pkg') {
    fail('A purl starts with "pkg:", e.g. pkg:npm/lodash.');
  }
  const rest = beforeQuery.slice(colon + 1).replace(/^\/+/, '');
  const slash = rest.indexOf('/');
  if (slash < 0) fail('A purl names a type and a package: pkg:<type>/<name>.');
  const type = rest.slice(0, slash).toLowerCase();
  if (!TYPE.test(type)) {
    fail(`"${type}" is not a purl type: letters, digits, ".", "+" and "-", not starting with a digit.`);
  }

  // The version starts at the last "@" after the last "/": an unencoded npm scope
  // (pkg:npm/@angular/core) is then read as the namespace it is, not as a version.
  let path = rest.slice(slash + 1);
  let version: string | null = null;
  const at = path.lastIndexOf('@');
  if (at >= 0 && at > path.lastIndexOf('/')) {
    version = decode(path.slice(at + 1), 'version');
    if (version === '') fail('The purl has an "@" with no version after it.');
    path = path.slice(0, at);
  }
  const [rawNamespace, rawName] = splitRight(path.replace(/\/+$/, ''), '/');
  const name = decode(rawName ?? rawNamespace, 'name');
  if (name === '') fail('A purl names a package: pkg:<type>/<name>.');
  const namespace = rawName === null ? [] : segments(rawNamespace, 'namespace');

  return normalize({
    type,
    namespace: namespace.length > 0 ? namespace.join('/') : null,
    name,
    version,
    qualifiers,
    subpath: subpath.length > 0 ? subpath.join('/') : null,
  });
}

/** Percent-encodes all but the characters the spec leaves as they are. */
function encode(text: string): string {
  return Array.from(new TextEncoder().encode(text), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9.\-_~:]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** The canonical text of a purl. */
export function formatPurl(p: Purl): string {
  const namespace = p.namespace === null ? '' : `${p.namespace.split('/').map(encode).join('/')}/`;
  const version = p.version === null ? '' : `@${encode(p.version)}`;
  const pairs = Object.entries(p.qualifiers)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k.toLowerCase()}=${encode(v)}`)
    .sort();
  const qualifiers = pairs.length > 0 ? `?${pairs.join('&')}` : '';
  const subpath = p.subpath === null ? '' : `#${p.subpath.split('/').map(encode).join('/')}`;
  return `pkg:${p.type}/${namespace}${encode(p.name)}${version}${qualifiers}${subpath}`;
}
