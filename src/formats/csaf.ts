/*
 * CSAF 2.0 (OASIS Standard with Errata 01) from an advisory's public record: the "Security
 * Advisory" profile here, the "VEX" profile in csaf-vex.ts. Both share this assembly; the product
 * tree is built in csaf-products.ts and the one vulnerability in csaf-vulnerability.ts.
 *
 * Output keys are sorted alphabetically at every level (recommended test 6.2.13), so the same
 * record always gives byte-identical JSON.
 */

import type { AdvisoryRecord } from '../domain/advisories/advisory-record.js';
import { ADVISORY_SECTION_TITLES } from '../domain/advisories/advisories.js';
import { buildProducts } from './csaf-products.js';
import { buildVulnerability } from './csaf-vulnerability.js';

export type CsafNoteCategory = 'description' | 'details' | 'faq' | 'general' | 'legal_disclaimer' | 'other' | 'summary';

export interface CsafNote {
  category: CsafNoteCategory;
  text: string;
  title?: string;
}

export interface CsafReference {
  category: 'external' | 'self';
  summary: string;
  url: string;
}

export interface CsafFullProductName {
  name: string;
  product_id: string;
  product_identification_helper?: { purl: string };
}

export type CsafBranchCategory = 'vendor' | 'product_name' | 'product_version' | 'product_version_range';

/** A node of the product tree: exactly one of `branches` and `product` (the schema's maxProperties 3). */
export type CsafBranch =
  | { category: CsafBranchCategory; name: string; branches: CsafBranch[] }
  | { category: CsafBranchCategory; name: string; product: CsafFullProductName };

export interface CsafProductStatus {
  fixed?: string[];
  known_affected?: string[];
  known_not_affected?: string[];
  under_investigation?: string[];
}

export interface CsafRemediation {
  category: 'mitigation' | 'no_fix_planned' | 'none_available' | 'vendor_fix' | 'workaround';
  details: string;
  product_ids: string[];
  url?: string;
}

/** FIRST's CVSS v3.1 JSON (https://www.first.org/cvss/cvss-v3.1.json), base metrics only. */
export interface CsafCvssV3 {
  version: '3.1';
  vectorString: string;
  baseScore: number;
  baseSeverity: 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
  [metric: string]: string | number;
}

export interface CsafThreat {
  category: 'exploit_status' | 'impact' | 'target_set';
  details: string;
  date?: string;
  product_ids?: string[];
}

export interface CsafAcknowledgment {
  names: string[];
  summary?: string;
  urls?: string[];
}

export interface CsafVulnerability {
  acknowledgments?: CsafAcknowledgment[];
  cve?: string;
  cwe?: { id: string; name: string };
  ids?: { system_name: string; text: string }[];
  notes: CsafNote[];
  product_status: CsafProductStatus;
  references?: CsafReference[];
  release_date: string;
  remediations?: CsafRemediation[];
  scores?: { cvss_v3: CsafCvssV3; products: string[] }[];
  threats?: CsafThreat[];
  title: string;
}

export interface CsafRevision {
  date: string;
  number: string;
  summary: string;
}

export interface CsafDocument {
  document: {
    aggregate_severity?: { text: string };
    category: 'csaf_base' | 'csaf_security_advisory' | 'csaf_vex';
    csaf_version: '2.0';
    distribution: { tlp: { label: 'WHITE'; url: string } };
    lang: 'en';
    notes: CsafNote[];
    publisher: { category: 'vendor'; name: string; namespace: string };
    references: CsafReference[];
    title: string;
    tracking: {
      current_release_date: string;
      generator: { engine: { name: string } };
      id: string;
      initial_release_date: string;
      revision_history: CsafRevision[];
      status: 'final';
      version: string;
    };
  };
  /** Absent only from a withdrawn advisory's document (see `withdrawnDocument`). */
  product_tree?: { branches: CsafBranch[] };
  vulnerabilities?: CsafVulnerability[];
}

/** What differs between the two profiles' documents of one record. */
export interface CsafProfile {
  category: 'csaf_security_advisory' | 'csaf_vex';
  trackingId: string;
  selfUrl: string;
  selfSummary: string;
  /** The record's other CSAF document, linked so a reader of one can find the other. */
  sibling: { url: string; summary: string };
}

/** The record as a CSAF 2.0 security advisory (a withdrawn record gives a CSAF Base document). */
export function toCsafAdvisory(record: AdvisoryRecord): CsafDocument {
  return csafDocument(record, {
    category: 'csaf_security_advisory',
    trackingId: record.id,
    selfUrl: record.links.csaf,
    selfSummary: 'This CSAF security advisory',
    sibling: { url: record.links.csafVex, summary: 'The CSAF VEX document of this advisory' },
  });
}

/** The assembly both profiles share; `toCsafVex` (csaf-vex.ts) calls it with its own profile. */
export function csafDocument(record: AdvisoryRecord, profile: CsafProfile): CsafDocument {
  const head = documentHead(record, profile);
  if (record.withdrawn !== null) return sortKeys(withdrawnDocument(record, head));
  const { branches, facts } = buildProducts(record);
  return sortKeys({
    document: {
      ...head,
      // The project's own severity word: the one rating every record has, with or without CVSS.
      aggregate_severity: { text: record.severity.charAt(0).toUpperCase() + record.severity.slice(1) },
      category: profile.category,
      notes: documentNotes(record),
    },
    product_tree: { branches },
    vulnerabilities: [buildVulnerability(record, facts)],
  });
}

type DocumentHead = Omit<CsafDocument['document'], 'category' | 'notes' | 'aggregate_severity'>;

function documentHead(record: AdvisoryRecord, profile: CsafProfile): DocumentHead {
  const revisions = record.revisions.length
    ? record.revisions
    : [{ number: 1, date: record.published, summary: 'Initial publication' }];
  const current = revisions[revisions.length - 1];
  return {
    csaf_version: '2.0',
    distribution: { tlp: { label: 'WHITE', url: 'https://www.first.org/tlp/' } },
    lang: 'en',
    publisher: { category: 'vendor', name: record.project.publisher, namespace: record.project.namespace },
    references: [
      // The self reference is the document's canonical URL (recommended test 6.2.11).
      { category: 'self', summary: profile.selfSummary, url: profile.selfUrl },
      { category: 'external', summary: 'The advisory page', url: record.links.page },
      { category: 'external', summary: profile.sibling.summary, url: profile.sibling.url },
    ],
    title: record.summary,
    tracking: {
      current_release_date: record.modified,
      generator: { engine: { name: 'Embargo' } },
      id: profile.trackingId,
      initial_release_date: record.published,
      // Integer versioning: the revision number is the document version (mandatory tests 6.1.16, 6.1.30).
      revision_history: revisions.map((r) => ({ date: r.date, number: String(r.number), summary: r.summary })),
      status: 'final',
      version: String(current?.number ?? 1),
    },
  };
}

function documentNotes(record: AdvisoryRecord): CsafNote[] {
  const notes: CsafNote[] = [{ category: 'summary', title: 'Summary', text: record.summary }];
  if (record.details.trim()) {
    notes.push({ category: 'details', title: ADVISORY_SECTION_TITLES.details, text: record.details });
  }
  for (const key of ['affected', 'howToCheck', 'upgrade', 'mitigations', 'detection'] as const) {
    const text = record.sections[key];
    if (text.trim()) notes.push({ category: 'general', title: ADVISORY_SECTION_TITLES[key], text });
  }
  return notes;
}

/*
 * CSAF 2.0 has no "withdrawn" status or profile. What issuers do (oasis-tcs/csaf#771) and what
 * CSAF 2.1 standardises as its Withdrawn profile (2.1 section 4.7, conformance target "CSAF
 * Withdrawer") is the same document: the original tracking id, a new revision saying so, exactly
 * one `description` note titled "Reasoning for Withdrawal" that says what the advisory said and
 * why it was withdrawn, and no product tree or vulnerabilities, so no tool keeps matching assets
 * against product statuses that no longer hold. CSAF 2.0 reserves `csaf_` category values
 * (mandatory test 6.1.26) and the security advisory and VEX profiles require a product tree and
 * vulnerabilities (6.1.27.4, 6.1.27.11), so in 2.0 that document is a CSAF Base one; a 2.1
 * converter only has to change its category to `csaf_withdrawn`.
 */
function withdrawnDocument(record: AdvisoryRecord, head: DocumentHead): CsafDocument {
  const concerned = record.cveId ? ` and concerned ${record.cveId}` : '';
  const reason = record.withdrawnReason?.trim() || 'No reason was given.';
  const text =
    `This advisory was withdrawn on ${record.withdrawn?.slice(0, 10)}. ${reason}\n\n` +
    `It was titled "${record.summary}"${concerned}. Its product and vulnerability information was ` +
    'removed: nothing it said should be relied on.';
  return {
    document: {
      ...head,
      category: 'csaf_base',
      notes: [{ category: 'description', title: 'Reasoning for Withdrawal', text }],
    },
  };
}

const collator = new Intl.Collator('en');

/** A deep copy with every object's keys in the order recommended test 6.2.13 checks (arrays keep theirs). */
function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => sortKeys(item)) as T;
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => collator.compare(a, b));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)])) as T;
}
