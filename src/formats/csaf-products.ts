/*
 * The CSAF product tree of a record and what the vulnerability says of each product in it.
 *
 * vendor (the publisher)
 *   product_name (a package; its ecosystem added when two packages share a name)
 *     product_version_range   one per range, in vers (CSAF 2.0 3.1.2.3.2)      known_affected
 *     product_version         each fixed version                              fixed
 *     product_version         each explicitly listed affected version         known_affected
 *   product_name "<project> <branch>" (a release branch no package range covers, and every
 *                                       branch of a record without packages)
 *     product_version_range vers:all/*                     its status: affected, not affected, unknown
 *     or, for a fixed branch, vers:generic/<fixed (known_affected) and product_version fixed (fixed)
 *
 * A leaf is read under its ancestors ("provided that the given ancestors in the product tree
 * matched", 3.1.2.3.1), so `vers:all/*` under "Demo Server 3.1" means every 3.1 release.
 * Only exact versions carry a purl: CSAF 2.1 (Full Product Name Type - Product Identification
 * Helper) makes explicit what a matcher assumes, that the helper identifies the product entirely,
 * and a version-less purl on a range would match the fixed versions too.
 */

import type { AdvisoryRecord, RecordBranch, RecordPackage, RecordRange } from '../domain/advisories/advisory-record.js';
import type { CsafBranch, CsafRemediation } from './csaf.js';

export type ProductStatus = 'known_affected' | 'fixed' | 'known_not_affected' | 'under_investigation';

/** What to do about an affected product: becomes (part of) a remediation. */
export type Remedy = Pick<CsafRemediation, 'category' | 'details'>;

export interface ProductFact {
  productId: string;
  status: ProductStatus;
  /** For affected products and those under investigation: at least one (VEX needs an action statement, 6.1.27.10). */
  remedies: Remedy[];
  /** For not affected products: why (VEX needs an impact statement, 6.1.27.9). */
  impact?: string;
}

interface LeafSpec {
  category: 'product_version' | 'product_version_range';
  /** The branch's name: a version or a vers range. */
  name: string;
  /** The product's full name, as a person would write it. */
  full: string;
  fact: Omit<ProductFact, 'productId'>;
  purl?: string;
}

/** Adds a product: gives it the next product id and records what the vulnerability says of it. */
type Leaf = (spec: LeafSpec) => CsafBranch;

export function buildProducts(record: AdvisoryRecord): { branches: CsafBranch[]; facts: ProductFact[] } {
  const facts: ProductFact[] = [];
  const leaf: Leaf = ({ category, name, full, fact, purl }) => {
    const productId = `CSAFPID-${String(facts.length + 1).padStart(4, '0')}`;
    facts.push({ productId, ...fact });
    const helper = purl ? { product_identification_helper: { purl } } : {};
    return { category, name, product: { name: full, product_id: productId, ...helper } };
  };

  const names = record.packages.map((p) => p.name);
  const nodes: CsafBranch[] = record.packages.map((pkg) => {
    const display = names.filter((n) => n === pkg.name).length > 1 ? `${pkg.name} (${pkg.ecosystem})` : pkg.name;
    return { category: 'product_name', name: display, branches: packageLeaves(pkg, display, leaf) };
  });

  const covered = new Set(record.packages.flatMap((p) => p.ranges.map((r) => r.branch)));
  for (const branch of record.branches.filter((b) => !covered.has(b.name))) {
    const line = `${record.project.name} ${branch.name}`;
    nodes.push({ category: 'product_name', name: line, branches: branchLeaves(record, branch, line, leaf) });
  }
  if (nodes.length === 0) {
    // A record that names neither a package nor a branch still has to say something of a product
    // (mandatory test 6.1.27.6); "under investigation" is the only status it does not invent.
    const name = record.project.name;
    const fact: LeafSpec['fact'] = { status: 'under_investigation', remedies: [unknown(name)] };
    const all = leaf({ category: 'product_version_range', name: 'vers:all/*', full: `${name} (all versions)`, fact });
    nodes.push({ category: 'product_name', name, branches: [all] });
  }
  return { branches: [{ category: 'vendor', name: record.project.publisher, branches: nodes }], facts };
}

function packageLeaves(pkg: RecordPackage, display: string, leaf: Leaf): CsafBranch[] {
  const leaves: CsafBranch[] = [];
  const seen = new Set<string>();
  const add = (spec: LeafSpec) => {
    const key = `${spec.category} ${spec.name}`;
    if (seen.has(key)) return;
    seen.add(key);
    leaves.push(leaf(spec));
  };
  const version = (name: string, fact: LeafSpec['fact']) =>
    add({ category: 'product_version', name, full: `${display} ${name}`, fact, purl: purlAt(pkg.purl, name) });

  const scheme = versScheme(pkg.purl);
  for (const range of pkg.ranges) {
    const vers = rangeVers(scheme, range);
    const fact: LeafSpec['fact'] = { status: 'known_affected', remedies: [rangeRemedy(display, range)] };
    add({ category: 'product_version_range', name: vers, full: `${display} ${readable(vers)}`, fact });
    if (range.fixed) version(range.fixed, { status: 'fixed', remedies: [] });
  }
  // An explicit version lies in one of the ranges, but which one needs the ecosystem's ordering: it
  // gets every range's remedy (each is a valid way out of the vulnerable versions).
  const remedies = pkg.ranges.map((r) => rangeRemedy(display, r));
  const unique = [...new Map(remedies.map((r) => [`${r.category} ${r.details}`, r])).values()];
  for (const v of pkg.versions) {
    version(v, { status: 'known_affected', remedies: unique.length ? unique : [noFix(display)] });
  }
  return leaves;
}

function branchLeaves(record: AdvisoryRecord, branch: RecordBranch, line: string, leaf: Leaf): CsafBranch[] {
  const all = (fact: LeafSpec['fact']) => [
    leaf({ category: 'product_version_range', name: 'vers:all/*', full: `${line} (all versions)`, fact }),
  ];
  switch (branch.status) {
    case 'not_affected':
      return all({
        status: 'known_not_affected',
        remedies: [],
        impact: `${line} is not affected: the ${record.project.publisher} security team assessed the ${branch.name} branch and found it not vulnerable.`,
      });
    case 'unknown':
      return all({ status: 'under_investigation', remedies: [unknown(line)] });
    case 'affected':
      return all({ status: 'known_affected', remedies: [noFix(line)] });
    case 'fixed': {
      // The branch was affected before its fix: the versions below it, read within the branch.
      const fixed = branch.fixedVersion;
      if (!fixed) return all({ status: 'known_affected', remedies: [noFix(line)] });
      const product = `${record.project.name} ${fixed}`;
      const upgrade = { category: 'vendor_fix', details: `Upgrade to ${product}.` } as const;
      return [
        leaf({
          category: 'product_version_range',
          name: `vers:generic/<${versVersion(fixed)}`,
          full: `${line} <${fixed}`,
          fact: { status: 'known_affected', remedies: [upgrade] },
        }),
        leaf({ category: 'product_version', name: fixed, full: product, fact: { status: 'fixed', remedies: [] } }),
      ];
    }
  }
}

function rangeRemedy(display: string, range: RecordRange): Remedy {
  if (range.fixed) return { category: 'vendor_fix', details: `Upgrade to ${display} ${range.fixed}.` };
  // A last affected version with no fixed one usually means no release has the fix yet (a GHSA
  // "<= x" with no patched version): not a vendor fix to point to.
  if (range.lastAffected) {
    return {
      category: 'none_available',
      details: `No fixed version of ${display} is known; ${range.lastAffected} is the last affected version.`,
    };
  }
  return noFix(display);
}

/** Products under investigation get a remediation too (recommended test 6.2.2 counts them as possibly affected). */
function unknown(product: string): Remedy {
  return {
    category: 'none_available',
    details: `Whether ${product} is affected is not known yet; no fix is available for it.`,
  };
}

function noFix(product: string): Remedy {
  return { category: 'none_available', details: `No fixed version of ${product} is available yet.` };
}

/** vers uses the purl type as its versioning scheme; without a purl only the generic scheme fits. */
function versScheme(purl: string | null): string {
  return /^pkg:([a-z][a-z0-9.+-]*)\//i.exec(purl ?? '')?.[1]?.toLowerCase() ?? 'generic';
}

/** A range in canonical vers: constraints in version order, `vers:all/*` for every version. */
export function rangeVers(scheme: string, range: RecordRange): string {
  const constraints: string[] = [];
  if (range.introduced !== '0') constraints.push(`>=${versVersion(range.introduced)}`);
  if (range.fixed) constraints.push(`<${versVersion(range.fixed)}`);
  else if (range.lastAffected) constraints.push(`<=${versVersion(range.lastAffected)}`);
  return constraints.length ? `vers:${scheme}/${constraints.join('|')}` : 'vers:all/*';
}

/** vers quotes the characters it uses as separators and comparators (and the quote itself). */
function versVersion(version: string): string {
  return version.replace(/[%><=!*|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function readable(vers: string): string {
  const constraints = vers.slice(vers.indexOf('/') + 1);
  return constraints === '*' ? '(all versions)' : constraints;
}

/** The package's purl with a version, before any qualifiers or subpath. */
export function purlAt(purl: string | null, version: string): string | undefined {
  if (!purl) return undefined;
  const cut = purl.search(/[?#]/);
  const [base, rest] = cut === -1 ? [purl, ''] : [purl.slice(0, cut), purl.slice(cut)];
  // Go module versions carry their "v" in a purl (pkg:golang/...@v1.2.3); OSV drops it.
  const v = base.startsWith('pkg:golang/') && !version.startsWith('v') ? `v${version}` : version;
  return `${base}@${encodeURIComponent(v).replace(/%3A/g, ':')}${rest}`;
}
