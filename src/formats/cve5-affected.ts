/*
 * The `affected` products of a CVE JSON 5 CNA container, read as OSV-style packages: a product is
 * a package when its package collection (or package URL) obviously names an OSV ecosystem, and
 * each version entry becomes introduced..fixed / ..last_affected ranges or listed versions, read
 * as the CVE schema's version-status algorithm defines them. What OSV events cannot say becomes a
 * warning for the team.
 */

import { formatPurl, parsePurl } from '../domain/cases/purl.js';
import {
  at,
  commitUrl,
  type ImportCollector,
  isHttpUrl,
  objectAt,
  optionalArray,
  optionalString,
  requiredString,
} from './imported-advisory.js';

// Package collections whose URL obviously names an OSV ecosystem, and where a collection URL that
// points at one package's page carries the package name (GitHub's and Google's CNAs write those).
const COLLECTIONS: { host: RegExp; ecosystem: string; page?: RegExp }[] = [
  { host: /^(pkg\.go\.dev|go\.dev|golang\.org)$/, ecosystem: 'Go' },
  { host: /^(www\.)?(npmjs\.com|npmjs\.org|registry\.npmjs\.org)$/, ecosystem: 'npm', page: /^\/package\/(.+?)\/?$/ },
  { host: /^(pypi\.org|pypi\.python\.org)$/, ecosystem: 'PyPI', page: /^\/project\/([^/]+)\/?$/ },
  { host: /^crates\.io$/, ecosystem: 'crates.io', page: /^\/crates\/([^/]+)\/?$/ },
  { host: /^rubygems\.org$/, ecosystem: 'RubyGems', page: /^\/gems\/([^/]+)\/?$/ },
  { host: /^(repo\.)?packagist\.org$/, ecosystem: 'Packagist', page: /^\/packages\/([^/]+\/[^/]+?)\/?$/ },
  { host: /^(repo1?\.maven\.apache\.org|repo1\.maven\.org|central\.sonatype\.com)$/, ecosystem: 'Maven' },
  { host: /^(www\.|api\.)?nuget\.org$/, ecosystem: 'NuGet', page: /^\/packages\/([^/]+)\/?$/ },
  { host: /^(repo\.)?hex\.pm$/, ecosystem: 'Hex', page: /^\/packages\/([^/]+)\/?$/ },
  { host: /^pub\.dev$/, ecosystem: 'Pub', page: /^\/packages\/([^/]+)\/?$/ },
  { host: /^hackage\.haskell\.org$/, ecosystem: 'Hackage', page: /^\/package\/([^/]+)\/?$/ },
  { host: /^cran\.r-project\.org$/, ecosystem: 'CRAN' },
];

const PURL_ECOSYSTEMS: Record<string, string> = {
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  cargo: 'crates.io',
  gem: 'RubyGems',
  composer: 'Packagist',
  maven: 'Maven',
  nuget: 'NuGet',
  hex: 'Hex',
  pub: 'Pub',
  hackage: 'Hackage',
  cran: 'CRAN',
};

interface Product {
  label: string;
  vendor: string | undefined;
  collectionURL: string | undefined;
  packageName: string | undefined;
  packageURL: string | undefined;
}

type Target = { ecosystem: string; name: string; purl: string | null };

function fromPurl(text: string): Target | undefined {
  try {
    const p = parsePurl(text);
    const ecosystem = PURL_ECOSYSTEMS[p.type];
    if (ecosystem === undefined) return undefined;
    const sep = p.type === 'maven' ? ':' : '/';
    const name = p.namespace === null ? p.name : `${p.namespace}${sep}${p.name}`;
    return { ecosystem, name, purl: formatPurl({ ...p, version: null }) };
  } catch {
    return undefined;
  }
}

/**
 * The Go CNA (golang/vulndb) writes the module as vendor and the package path as packageName, while
 * OSV names the module ("stdlib" and "toolchain" for Go itself): the module is what scanners match.
 */
function goModule(p: Product, name: string, c: ImportCollector): string {
  if (p.vendor === 'Go standard library') return 'stdlib';
  if (p.vendor === 'Go toolchain') return 'toolchain';
  if (p.vendor !== undefined && (name === p.vendor || name.startsWith(`${p.vendor}/`))) return p.vendor;
  c.warn(`${p.label}: a Go package path; check that ${name} is its module.`);
  return name;
}

function target(p: Product, c: ImportCollector): Target | undefined {
  if (p.packageURL !== undefined) {
    const found = fromPurl(p.packageURL);
    if (found) return found;
  }
  if (p.collectionURL === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(p.collectionURL);
  } catch {
    return undefined;
  }
  const collection = COLLECTIONS.find((k) => k.host.test(url.hostname.toLowerCase()));
  if (!collection) return undefined;
  const fromPage = collection.page?.exec(url.pathname)?.[1];
  const name = p.packageName ?? (fromPage === undefined ? undefined : decodeURIComponent(fromPage));
  if (name === undefined) return undefined;
  const ecosystem = collection.ecosystem;
  return { ecosystem, name: ecosystem === 'Go' ? goModule(p, name, c) : name, purl: null };
}

type Statement =
  | { kind: 'range'; introduced: string; fixed: string | null; lastAffected: string | null }
  | { kind: 'version'; value: string }
  | { kind: 'git'; introduced: string; end: string | undefined }
  | { kind: 'unreadable'; text: string };

interface VersionEntry {
  version: string;
  status: string;
  versionType: string | undefined;
  lessThan: string | undefined;
  lessThanOrEqual: string | undefined;
  changes: { at: string; status: string }[];
}

const PLACEHOLDER = /^(n\/a|unspecified|unknown|\*|-)?$/i;

function versionEntry(item: unknown, path: string): VersionEntry {
  const obj = objectAt(item, path);
  return {
    version: requiredString(obj, 'version', path),
    status: requiredString(obj, 'status', path),
    versionType: optionalString(obj, 'versionType', path),
    lessThan: optionalString(obj, 'lessThan', path),
    lessThanOrEqual: optionalString(obj, 'lessThanOrEqual', path),
    changes: optionalArray(obj, 'changes', path).map((change, k) => {
      const cPath = at(at(path, 'changes'), k);
      const o = objectAt(change, cPath);
      return { at: requiredString(o, 'at', cPath), status: requiredString(o, 'status', cPath) };
    }),
  };
}

/** GitHub's CNA writes ranges inside `version`: ">= 2.0.0, < 2.0.7", "< 1.26.18", "= 1.2.3". */
function constraint(text: string): Statement {
  let lower = '0';
  let fixed: string | null = null;
  let last: string | null = null;
  for (const part of text.split(',')) {
    const m = /^\s*(>=|<=|<|>|=)\s*(\S+)\s*$/.exec(part);
    if (!m || m[1] === '>') return { kind: 'unreadable', text };
    const [, op, v] = m as unknown as [string, string, string];
    if (op === '=') return text.includes(',') ? { kind: 'unreadable', text } : { kind: 'version', value: v };
    if (op === '>=') lower = v;
    else if (op === '<') fixed = v;
    else last = v;
  }
  return fixed !== null && last !== null
    ? { kind: 'unreadable', text }
    : { kind: 'range', introduced: lower, fixed, lastAffected: last };
}

/**
 * A CVE version entry as OSV-style statements. A range with `changes` is walked in the order the
 * changes are listed (the schema asks for them sorted; Embargo cannot sort another ecosystem's
 * versions): each stretch whose status is "affected" becomes one range.
 */
function statements(e: VersionEntry, c: ImportCollector, label: string): Statement[] {
  const end = e.lessThan ?? e.lessThanOrEqual;
  if (e.versionType?.toLowerCase() === 'git') {
    return e.status === 'affected' ? [{ kind: 'git', introduced: e.version, end }] : [];
  }
  if (end === undefined && e.changes.length === 0) {
    if (e.status !== 'affected') return [];
    if (/^\s*[<>=]/.test(e.version)) return [constraint(e.version)];
    return PLACEHOLDER.test(e.version.trim())
      ? [{ kind: 'unreadable', text: e.version }]
      : [{ kind: 'version', value: e.version }];
  }
  if (e.lessThanOrEqual !== undefined && e.lessThanOrEqual === e.version && e.changes.length === 0) {
    return e.status === 'affected' ? [{ kind: 'version', value: e.version }] : [];
  }
  if (PLACEHOLDER.test(e.version.trim()) || (end !== undefined && end !== '*' && PLACEHOLDER.test(end.trim()))) {
    return e.status === 'affected' ? [{ kind: 'unreadable', text: `${e.version} to ${end}` }] : [];
  }
  // "1.*" is the rest of the 1.x branch: no OSV event says that, so such a range stays open.
  const wildcard = end !== undefined && end !== '*' && end.endsWith('*');
  const endValue = end === '*' || wildcard ? undefined : end;
  const out: Statement[] = [];
  let open: string | null = e.status === 'affected' ? e.version : null;
  const close = (endAt: string | undefined, inclusive: boolean) => {
    if (open === null) return;
    out.push({
      kind: 'range',
      introduced: open,
      fixed: endAt !== undefined && !inclusive ? endAt : null,
      lastAffected: endAt !== undefined && inclusive ? endAt : null,
    });
    open = null;
  };
  for (const change of e.changes) {
    if (change.status === 'affected' && open === null) open = change.at;
    else if (change.status !== 'affected') close(change.at, false);
  }
  if (open !== null && wildcard) {
    c.warn(`${label}: "${end}" (the rest of a branch) is no OSV event; the range from ${open} was left open.`);
  }
  close(endValue, e.lessThan === undefined);
  return out;
}

function describe(s: Statement): string {
  switch (s.kind) {
    case 'range':
      return (
        [
          s.introduced !== '0' && `>= ${s.introduced}`,
          s.fixed && `< ${s.fixed}`,
          s.lastAffected && `<= ${s.lastAffected}`,
        ]
          .filter(Boolean)
          .join(', ') || 'every version'
      );
    case 'version':
      return s.value;
    case 'git':
      return `commits ${s.introduced}..${s.end ?? ''}`;
    case 'unreadable':
      return s.text;
  }
}

/** "vendor product (from <collection>)": how the warnings name a product, "n/a" parts left out. */
function productLabel(vendor: string | undefined, product: string | undefined, collection: string | undefined): string {
  const name = [vendor, product].filter((x) => x && !/^n\/a$/i.test(x)).join(' ');
  return collection === undefined ? name : `${name} (from ${collection})`;
}

function readProduct(item: unknown, path: string, c: ImportCollector): void {
  const obj = objectAt(item, path);
  const vendor = optionalString(obj, 'vendor', path);
  const productName = optionalString(obj, 'product', path);
  const packageName = optionalString(obj, 'packageName', path);
  const collectionURL = optionalString(obj, 'collectionURL', path);
  const product: Product = {
    label: productLabel(vendor, productName ?? packageName, collectionURL) || path,
    vendor,
    collectionURL,
    packageName,
    packageURL: optionalString(obj, 'packageURL', path),
  };
  const repo = optionalString(obj, 'repo', path);
  const defaultStatus = optionalString(obj, 'defaultStatus', path) ?? 'unknown';
  const entries = optionalArray(obj, 'versions', path).map((v, i) => versionEntry(v, at(at(path, 'versions'), i)));
  const found = target(product, c);
  const all = entries.flatMap((e) => statements(e, c, product.label));
  if (defaultStatus === 'affected') {
    if (entries.length === 0) all.push({ kind: 'range', introduced: '0', fixed: null, lastAffected: null });
    else
      c.warn(`${product.label}: every version not listed is affected, which OSV ranges cannot say; check the ranges.`);
  }
  const git = all.filter((s) => s.kind === 'git');
  if (git.length > 0) {
    let fixes = 0;
    for (const s of git) {
      const url = repo && s.end ? commitUrl(repo, s.end) : undefined;
      if (url) {
        c.derivedReference({ type: 'FIX', url });
        fixes += 1;
      }
    }
    const web = fixes === 0 && repo !== undefined && isHttpUrl(repo);
    if (web) c.derivedReference({ type: 'WEB', url: repo });
    const kept =
      fixes > 0 ? '; the fix commits are kept as FIX references' : web ? '; the repository is kept as a reference' : '';
    c.warn(`${product.label}: git commit ranges cannot be attached to a package (cases hold version ranges)${kept}.`);
  }
  for (const s of all.filter((s) => s.kind === 'unreadable')) {
    c.warn(`${product.label}: the version statement "${s.text}" could not be read; add it by hand.`);
  }
  const usable = all.filter((s) => s.kind === 'range' || s.kind === 'version');
  if (!found) {
    if (usable.length === 0 && git.length > 0) return;
    const more = usable.length > 8 ? ` and ${usable.length - 8} more` : '';
    const shown = usable.slice(0, 8).map(describe).join('; ') + more;
    const affected = usable.length > 0 ? ` Affected: ${shown}.` : '';
    return c.warn(`${product.label}: names no package of an OSV ecosystem; add it by hand if it is one.${affected}`);
  }
  const pkg = c.package(found.ecosystem, found.name, found.purl);
  for (const s of usable) {
    if (s.kind === 'version') c.version(pkg, s.value);
    else if (s.kind === 'range')
      c.range(pkg, { introduced: s.introduced, fixed: s.fixed, lastAffected: s.lastAffected });
  }
}

/** The CNA's `affected` products as packages of the import, and warnings for what does not fit. */
export function readCve5Affected(list: unknown[], path: string, c: ImportCollector): void {
  list.forEach((item, i) => readProduct(item, at(path, i), c));
}
