// CVE JSON 5.1 as CVE Services takes it: the CNA container of `POST`/`PUT /api/cve/{id}/cna`
// (`5.1_published_cna_container.json`) and of `POST`/`PUT /api/cve/{id}/reject`
// (`5.1_rejected_cna_container.json`), both wrapped as `{ cnaContainer }`. The service adds
// cveMetadata and overwrites providerMetadata itself; we still send providerMetadata when the
// project is a CNA, so the document served from the advisory page names its provider.

import MarkdownIt, { type Token } from 'markdown-it';
import type { CreditType } from '../domain/advisories/advisories.js';
import type {
  AdvisoryRecord,
  RecordBranch,
  RecordCvss,
  RecordPackage,
  RecordRange,
  ReferenceType,
} from '../domain/advisories/advisory-record.js';
import { DomainError } from '../errors.js';

export type Cve5Status = 'affected' | 'unaffected' | 'unknown';

export interface Cve5Description {
  lang: 'en';
  /** Plain text, at most 4096 characters. */
  value: string;
  supportingMedia?: { type: 'text/markdown'; base64: false; value: string }[];
}

/** One version (version + status) or a range (with versionType and lessThan or lessThanOrEqual). */
export interface Cve5Version {
  version: string;
  lessThan?: string;
  lessThanOrEqual?: string;
  status: Cve5Status;
  versionType?: string;
}

export interface Cve5Product {
  vendor: string;
  product: string;
  collectionURL?: string;
  packageName?: string;
  versions?: Cve5Version[];
  defaultStatus: Cve5Status;
}

export interface Cve5Cvss {
  version: '3.1' | '4.0';
  vectorString: string;
  baseScore: number;
  baseSeverity: RecordCvss['baseSeverity'];
  /** The base metrics spelled out (attackVector: "NETWORK", ...), as CVE records carry them. */
  [metric: string]: string | number;
}

export interface Cve5Metric {
  format: 'CVSS';
  scenarios: { lang: 'en'; value: 'GENERAL' }[];
  cvssV3_1?: Cve5Cvss;
  cvssV4_0?: Cve5Cvss;
}

export type Cve5CreditType =
  | 'finder'
  | 'reporter'
  | 'analyst'
  | 'coordinator'
  | 'remediation developer'
  | 'remediation reviewer'
  | 'remediation verifier'
  | 'tool'
  | 'sponsor'
  | 'other';

export interface Cve5ProviderMetadata {
  orgId: string;
  shortName: string;
  dateUpdated: string;
}

export interface Cve5CnaContainer {
  providerMetadata?: Cve5ProviderMetadata;
  datePublic: string;
  title: string;
  descriptions: Cve5Description[];
  affected: Cve5Product[];
  problemTypes?: { descriptions: { lang: 'en'; cweId: string; description: string; type: 'CWE' }[] }[];
  references: { url: string; tags?: string[] }[];
  metrics?: Cve5Metric[];
  configurations?: Cve5Description[];
  workarounds?: Cve5Description[];
  solutions?: Cve5Description[];
  exploits?: Cve5Description[];
  credits?: { lang: 'en'; value: string; type: Cve5CreditType }[];
  x_generator: { engine: string };
}

export interface Cve5PublishedBody {
  cnaContainer: Cve5CnaContainer;
}

export interface Cve5RejectedBody {
  cnaContainer: {
    providerMetadata?: Cve5ProviderMetadata;
    rejectedReasons: Cve5Description[];
    x_generator: { engine: string };
  };
}

const GENERATOR = { engine: 'Embargo' };

// Schema limits (5.1): title 256, a description's value 4096, a supporting media value 16384.
const TITLE_MAX = 256;
const VALUE_MAX = 4096;
const MEDIA_MAX = 16384;

const REFERENCE_TAGS: Partial<Record<ReferenceType, string>> = {
  FIX: 'patch',
  ADVISORY: 'vendor-advisory',
  REPORT: 'issue-tracking',
  DISCUSSION: 'mailing-list',
  EVIDENCE: 'exploit',
};

const CREDIT_TYPES: Record<CreditType, Cve5CreditType> = {
  FINDER: 'finder',
  REPORTER: 'reporter',
  ANALYST: 'analyst',
  COORDINATOR: 'coordinator',
  REMEDIATION_DEVELOPER: 'remediation developer',
  REMEDIATION_REVIEWER: 'remediation reviewer',
  REMEDIATION_VERIFIER: 'remediation verifier',
  TOOL: 'tool',
  SPONSOR: 'sponsor',
  OTHER: 'other',
};

// collectionURL values from the 5.1 schema's own list of package collections, except Go: the Go
// CNA's records (golang/vulndb) all say https://pkg.go.dev, so consumers match on that one.
const COLLECTIONS: Record<string, string> = {
  npm: 'https://registry.npmjs.org',
  PyPI: 'https://pypi.python.org',
  'crates.io': 'https://crates.io',
  Go: 'https://pkg.go.dev',
  Maven: 'https://repo.maven.apache.org/maven2',
  RubyGems: 'https://rubygems.org',
  NuGet: 'https://nuget.org/packages',
  Packagist: 'https://packagist.org',
  Hex: 'https://repo.hex.pm',
  Pub: 'https://pub.dev',
  Hackage: 'https://hackage.haskell.org',
  CRAN: 'https://cran.r-project.org',
  Debian: 'https://packages.debian.org',
};

// versionType names the comparison rules. The schema's examples are custom, git, maven, python,
// rpm and semver; the Go CNA uses semver for module versions. Anything else is "custom".
const VERSION_TYPES: Record<string, string> = {
  npm: 'semver',
  'crates.io': 'semver',
  Go: 'semver',
  Hex: 'semver',
  Pub: 'semver',
  NuGet: 'semver',
  PyPI: 'python',
  Maven: 'maven',
  'Red Hat': 'rpm',
  'Rocky Linux': 'rpm',
  AlmaLinux: 'rpm',
  SUSE: 'rpm',
  openSUSE: 'rpm',
};

/** OSV spells a distribution release as "Debian:12"; registries and comparison rules go by the part before the colon. */
const ecosystemBase = (ecosystem: string) => ecosystem.split(':')[0] ?? ecosystem;

function cveIdOf(record: AdvisoryRecord): string {
  if (record.cveId === null) {
    throw new DomainError('NOT_FOUND', `Advisory ${record.id} has no CVE id, so it has no CVE record.`);
  }
  return record.cveId;
}

/** Cut to `max` code points (JSON Schema counts code points), marking the cut with an ellipsis. */
function clip(text: string, max: number): string {
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

// ---- Markdown to plain text -------------------------------------------------------------------

const md = new MarkdownIt({ html: false, linkify: false });

function inlineText(children: Token[]): string {
  let out = '';
  const links: { href: string; start: number }[] = [];
  for (const token of children) {
    if (token.type === 'text' || token.type === 'code_inline' || token.type === 'html_inline') out += token.content;
    else if (token.type === 'softbreak' || token.type === 'hardbreak') out += '\n';
    else if (token.type === 'image') out += token.content;
    else if (token.type === 'link_open') links.push({ href: token.attrGet('href') ?? '', start: out.length });
    else if (token.type === 'link_close') {
      const link = links.pop();
      // A link's target is part of what it says; keep it unless the text already is the URL.
      if (
        link &&
        link.href !== '' &&
        link.href !== out.slice(link.start) &&
        link.href !== `mailto:${out.slice(link.start)}`
      )
        out += ` (${link.href})`;
    }
  }
  return out;
}

/** Markdown as the plain text a CVE description's `value` must be: marks dropped, link targets kept, blocks on their own lines. */
export function markdownToPlainText(source: string): string {
  const blocks: { text: string; listItem: boolean }[] = [];
  const lists: { ordered: boolean; n: number }[] = [];
  let bullet: string | null = null;
  for (const token of md.parse(source, {})) {
    if (token.type === 'bullet_list_open') lists.push({ ordered: false, n: 0 });
    else if (token.type === 'ordered_list_open')
      lists.push({ ordered: true, n: Number(token.attrGet('start') ?? 1) - 1 });
    else if (token.type === 'bullet_list_close' || token.type === 'ordered_list_close') lists.pop();
    else if (token.type === 'list_item_open') {
      const list = lists.at(-1);
      if (list) {
        list.n += 1;
        bullet = '  '.repeat(lists.length - 1) + (list.ordered ? `${list.n}. ` : '- ');
      }
    } else if (token.type === 'inline') {
      blocks.push({ text: (bullet ?? '') + inlineText(token.children ?? []), listItem: lists.length > 0 });
      bullet = null;
    } else if (token.type === 'fence' || token.type === 'code_block') {
      blocks.push({ text: token.content.replace(/\n+$/, ''), listItem: false });
    }
  }
  let out = '';
  blocks.forEach((block, i) => {
    const previous = blocks[i - 1];
    if (previous) out += previous.listItem && block.listItem ? '\n' : '\n\n';
    out += block.text;
  });
  return out.trim();
}

/** One English description: the plain text, plus the Markdown itself when it says more than the text. */
function describe(markdown: string): Cve5Description {
  const source = markdown.trim();
  const value = clip(markdownToPlainText(source) || source, VALUE_MAX);
  const media = source !== value && Array.from(source).length <= MEDIA_MAX;
  return media
    ? { lang: 'en', value, supportingMedia: [{ type: 'text/markdown', base64: false, value: source }] }
    : { lang: 'en', value };
}

const describeIfAny = (markdown: string): Cve5Description[] => (markdown.trim() === '' ? [] : [describe(markdown)]);

// ---- affected ---------------------------------------------------------------------------------

function rangeVersion(range: RecordRange, versionType: string): Cve5Version {
  if (range.fixed !== null)
    return { version: range.introduced, lessThan: range.fixed, status: 'affected', versionType };
  if (range.lastAffected !== null) {
    return { version: range.introduced, lessThanOrEqual: range.lastAffected, status: 'affected', versionType };
  }
  // OSV: no fixed and no last_affected means every later version is affected too.
  return { version: range.introduced, lessThan: '*', status: 'affected', versionType };
}

/** Distinct entries in first-seen order (the schema wants `versions` unique). */
function unique<T>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function packageProduct(record: AdvisoryRecord, pkg: RecordPackage): Cve5Product {
  const base = ecosystemBase(pkg.ecosystem);
  const versionType = VERSION_TYPES[base] ?? 'custom';
  const collectionURL = COLLECTIONS[base];
  const versions = unique([
    ...pkg.ranges.map((range) => rangeVersion(range, versionType)),
    // OSV's explicit list: single versions, which the schema writes without a versionType.
    ...pkg.versions.map((version): Cve5Version => ({ version, status: 'affected' })),
  ]);
  return {
    vendor: record.project.publisher,
    product: pkg.name,
    ...(collectionURL === undefined ? {} : { collectionURL, packageName: pkg.name }),
    ...(versions.length === 0 ? {} : { versions }),
    // Versions outside the listed ranges are not affected (OSV's reading of its ranges).
    defaultStatus: versions.length === 0 ? 'unknown' : 'unaffected',
  };
}

const BRANCH_STATUS: Record<RecordBranch['status'], Cve5Status> = {
  affected: 'affected',
  fixed: 'affected',
  not_affected: 'unaffected',
  unknown: 'unknown',
};

/**
 * A release branch as a CVE range. A numeric branch ("3.2", or "2.x") spans `{version: 3.2,
 * lessThan: 3.2.*}` (the schema's wildcard for "the whole 3.2 line"); a fixed one ends at its fix.
 */
function branchVersion(branch: RecordBranch): Cve5Version {
  const status = BRANCH_STATUS[branch.status];
  const line = /^(\d+(?:\.\d+)*)(?:\.[x*])?$/.exec(branch.name)?.[1];
  if (branch.status === 'fixed' && branch.fixedVersion !== null) {
    return { version: line ?? '0', lessThan: branch.fixedVersion, status, versionType: 'custom' };
  }
  if (line === undefined) return { version: branch.name, status };
  return { version: line, lessThan: `${line}.*`, status, versionType: 'custom' };
}

function affected(record: AdvisoryRecord): Cve5Product[] {
  if (record.packages.length > 0) return record.packages.map((pkg) => packageProduct(record, pkg));
  const product = { vendor: record.project.publisher, product: record.project.name };
  if (record.branches.length === 0) return [{ ...product, defaultStatus: 'unknown' }];
  // Branches the case did not mention are not known to be affected or not.
  return [{ ...product, versions: unique(record.branches.map(branchVersion)), defaultStatus: 'unknown' }];
}

// ---- metrics ----------------------------------------------------------------------------------

type MetricTable = Record<string, readonly [name: string, values: Record<string, string>]>;
const NLH = { N: 'NONE', L: 'LOW', H: 'HIGH' };

// The base metrics' JSON names and values, as in FIRST's CVSS JSON schemas the CVE schema embeds.
const V31_BASE: MetricTable = {
  AV: ['attackVector', { N: 'NETWORK', A: 'ADJACENT_NETWORK', L: 'LOCAL', P: 'PHYSICAL' }],
  AC: ['attackComplexity', { L: 'LOW', H: 'HIGH' }],
  PR: ['privilegesRequired', NLH],
  UI: ['userInteraction', { N: 'NONE', R: 'REQUIRED' }],
  S: ['scope', { U: 'UNCHANGED', C: 'CHANGED' }],
  C: ['confidentialityImpact', NLH],
  I: ['integrityImpact', NLH],
  A: ['availabilityImpact', NLH],
};
const V40_BASE: MetricTable = {
  AV: ['attackVector', { N: 'NETWORK', A: 'ADJACENT', L: 'LOCAL', P: 'PHYSICAL' }],
  AC: ['attackComplexity', { L: 'LOW', H: 'HIGH' }],
  AT: ['attackRequirements', { N: 'NONE', P: 'PRESENT' }],
  PR: ['privilegesRequired', NLH],
  UI: ['userInteraction', { N: 'NONE', P: 'PASSIVE', A: 'ACTIVE' }],
  VC: ['vulnConfidentialityImpact', NLH],
  VI: ['vulnIntegrityImpact', NLH],
  VA: ['vulnAvailabilityImpact', NLH],
  SC: ['subConfidentialityImpact', NLH],
  SI: ['subIntegrityImpact', NLH],
  SA: ['subAvailabilityImpact', NLH],
};

function cvssObject(cvss: RecordCvss): Cve5Cvss {
  const table = cvss.version === '3.1' ? V31_BASE : V40_BASE;
  const spelled: Record<string, string> = {};
  for (const part of cvss.vector.split('/').slice(1)) {
    const [key = '', value = ''] = part.split(':');
    const entry = table[key];
    const word = entry?.[1][value];
    if (entry && word !== undefined) spelled[entry[0]] = word;
  }
  // Only version, vectorString, baseScore and baseSeverity are required (both 3.1 and 4.0).
  return {
    version: cvss.version,
    vectorString: cvss.vector,
    ...spelled,
    baseScore: cvss.baseScore,
    baseSeverity: cvss.baseSeverity,
  };
}

const metric = (cvss: RecordCvss): Cve5Metric => ({
  format: 'CVSS',
  scenarios: [{ lang: 'en', value: 'GENERAL' }],
  ...(cvss.version === '3.1' ? { cvssV3_1: cvssObject(cvss) } : { cvssV4_0: cvssObject(cvss) }),
});

// ---- the rest ---------------------------------------------------------------------------------

function references(record: AdvisoryRecord): Cve5CnaContainer['references'] {
  const tags = new Map<string, Set<string>>();
  const add = (url: string, tag: string | undefined) => {
    const set = tags.get(url) ?? new Set<string>();
    if (tag !== undefined) set.add(tag);
    tags.set(url, set);
  };
  for (const reference of record.references) add(reference.url, REFERENCE_TAGS[reference.type]);
  // The schema wants at least one reference; the advisory's own page is always one.
  if (!tags.has(record.links.page)) add(record.links.page, 'vendor-advisory');
  return [...tags].map(([url, set]) => (set.size === 0 ? { url } : { url, tags: [...set] }));
}

function providerMetadata(record: AdvisoryRecord): { providerMetadata?: Cve5ProviderMetadata } {
  const cna = record.project.cna;
  return cna === null
    ? {}
    : { providerMetadata: { orgId: cna.orgId, shortName: cna.shortName, dateUpdated: record.modified } };
}

const optional = <K extends string, T>(key: K, items: T[]): Partial<Record<K, T[]>> =>
  items.length === 0 ? {} : ({ [key]: items } as Record<K, T[]>);

/**
 * The published CNA container of an advisory. Throws NOT_FOUND when the advisory has no CVE id
 * (it has no CVE record at all) and INVALID_TRANSITION when it was withdrawn (use toCve5RejectedBody).
 */
export function toCve5CnaContainer(record: AdvisoryRecord): Cve5CnaContainer {
  const cveId = cveIdOf(record);
  if (record.withdrawn !== null) {
    throw new DomainError(
      'INVALID_TRANSITION',
      `Advisory ${record.id} was withdrawn: ${cveId} is to be rejected, not published.`,
    );
  }
  const summary = record.summary.trim();
  return {
    ...providerMetadata(record),
    datePublic: record.published,
    title: clip(summary, TITLE_MAX),
    descriptions: [describe(record.details.trim() === '' ? summary : record.details)],
    affected: affected(record),
    ...optional(
      'problemTypes',
      record.cwes.map((cwe) => ({
        descriptions: [
          {
            lang: 'en' as const,
            cweId: `CWE-${cwe.id}`,
            description: `CWE-${cwe.id} ${cwe.name}`,
            type: 'CWE' as const,
          },
        ],
      })),
    ),
    references: references(record),
    ...optional('metrics', record.cvss.map(metric)),
    ...optional('configurations', describeIfAny(record.sections.affected)),
    ...optional('workarounds', describeIfAny(record.sections.mitigations)),
    ...optional('solutions', describeIfAny(record.sections.upgrade)),
    ...optional(
      'exploits',
      record.exploited ? [describe('Exploitation in the wild was known when this advisory was published.')] : [],
    ),
    ...optional(
      'credits',
      record.credits.map((credit) => ({ lang: 'en' as const, value: credit.name, type: CREDIT_TYPES[credit.type] })),
    ),
    x_generator: GENERATOR,
  };
}

/** The body of `POST`/`PUT /api/cve/{id}/cna`. */
export function toCve5Body(record: AdvisoryRecord): Cve5PublishedBody {
  return { cnaContainer: toCve5CnaContainer(record) };
}

/** The body of `POST`/`PUT /api/cve/{id}/reject` for a withdrawn advisory (INVALID_TRANSITION otherwise). */
export function toCve5RejectedBody(record: AdvisoryRecord): Cve5RejectedBody {
  const cveId = cveIdOf(record);
  if (record.withdrawn === null) {
    throw new DomainError(
      'INVALID_TRANSITION',
      `Advisory ${record.id} is not withdrawn: ${cveId} is not to be rejected.`,
    );
  }
  const reason = record.withdrawnReason?.trim() ?? '';
  const said = `${record.project.publisher} withdrew advisory ${record.id} on ${record.withdrawn.slice(0, 10)}`;
  return {
    cnaContainer: {
      ...providerMetadata(record),
      rejectedReasons: [{ lang: 'en', value: clip(reason === '' ? `${said}.` : `${said}: ${reason}`, VALUE_MAX) }],
      x_generator: GENERATOR,
    },
  };
}

/** What the advisory's CVE record is now: the published container, or the rejection once withdrawn. */
export function toCve5Document(record: AdvisoryRecord): Cve5PublishedBody | Cve5RejectedBody {
  return record.withdrawn === null ? toCve5Body(record) : toCve5RejectedBody(record);
}
