/*
 * The public record of a published advisory: everything every format (OSV, CVE JSON 5, CSAF, CSAF
 * VEX, CycloneDX VEX, the page, the feed) says about it, frozen when the go publishes the case and
 * replaced by a new revision on each edit or on withdrawal. Exporters are pure functions of this
 * record, so a format can never reach embargoed data the record does not hold, and the same record
 * always gives the same document (golden files).
 */

import type { CreditType } from './advisories.js';

/** OSV's reference types (osv-schema `references[].type`); CVE, CSAF and CycloneDX map from these. */
export const REFERENCE_TYPES = [
  'ADVISORY',
  'ARTICLE',
  'DETECTION',
  'DISCUSSION',
  'REPORT',
  'FIX',
  'INTRODUCED',
  'PACKAGE',
  'EVIDENCE',
  'WEB',
] as const;
export type ReferenceType = (typeof REFERENCE_TYPES)[number];

export interface RecordReference {
  type: ReferenceType;
  url: string;
}

export interface RecordCredit {
  name: string;
  type: CreditType;
  /** URLs or mailto: addresses the credited person asked to be shown with (OSV `credits[].contact`). */
  contact: string[];
}

/** One CVSS vector of the case with the score Embargo computed for it. */
export interface RecordCvss {
  version: '3.1' | '4.0';
  vector: string;
  /** The vector's overall score (base, or the most specific one it defines). */
  score: number;
  baseScore: number;
  /** FIRST's rating of `baseScore`: NONE, LOW, MEDIUM, HIGH, CRITICAL. */
  baseSeverity: 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
}

/** One OSV-style range of a package: versions from `introduced` until `fixed` (or through `lastAffected`). */
export interface RecordRange {
  /** The project's release branch the range belongs to, or null (a range of the package as a whole). */
  branch: string | null;
  /** "0" means before every version. */
  introduced: string;
  fixed: string | null;
  lastAffected: string | null;
}

export interface RecordPackage {
  /** OSV ecosystem as OSV spells it ("npm", "Go", "PyPI", "Debian:12"). */
  ecosystem: string;
  name: string;
  /** Canonical package URL without a version, or null when the ecosystem has no obvious purl type. */
  purl: string | null;
  ranges: RecordRange[];
  /** Explicitly listed affected versions (OSV `versions`), in the order given; often empty. */
  versions: string[];
}

/** What the case said of one of the project's release branches at publication. */
export interface RecordBranch {
  name: string;
  status: 'affected' | 'not_affected' | 'fixed' | 'unknown';
  /** Set exactly when status is 'fixed'. */
  fixedVersion: string | null;
}

export interface RecordRevision {
  /** 1 for the publication, then 2, 3, ... (CSAF `revision_history[].number` as an integer). */
  number: number;
  /** ISO-8601 UTC. */
  date: string;
  /** One line: "Initial publication", "Fixed versions corrected", "Withdrawn: ...". */
  summary: string;
}

export interface AdvisoryRecord {
  /** The project's public id: `<SLUG>-<year>-<4 digits>`, e.g. "DEMO-2026-0001". */
  id: string;
  /** Other ids of the same vulnerability (CVE-..., GHSA-..., an upstream OSV id), the CVE id first. */
  aliases: string[];
  /** The CVE id when there is one (also in `aliases`). */
  cveId: string | null;
  /** Related but different vulnerabilities (OSV `related`). */
  related: string[];
  project: {
    name: string;
    slug: string;
    /** The project's public page, absolute. */
    url: string;
    /** Who publishes (CSAF `document.publisher.name`, CVE `providerMetadata`): the project's name unless set. */
    publisher: string;
    /** The publisher's namespace URL (CSAF `document.publisher.namespace`): the instance's public URL. */
    namespace: string;
    /** The project's CNA, when it is one and its CVE Services account is configured (CVE `providerMetadata`). */
    cna: { orgId: string; shortName: string } | null;
  };
  /** One line; the title on every page and format. */
  summary: string;
  /** Markdown: what the vulnerability is and what an attacker can do. */
  details: string;
  /** The actionable sections, Markdown, each possibly empty. */
  sections: {
    affected: string;
    howToCheck: string;
    upgrade: string;
    mitigations: string;
    detection: string;
  };
  /** ISO-8601 UTC, to the second or millisecond as stored. */
  published: string;
  /** The last revision's date (equal to `published` until the first edit). */
  modified: string;
  /** Set when the advisory was withdrawn; the page stays and every format says so. */
  withdrawn: string | null;
  withdrawnReason: string | null;
  /** The project's effective severity word at publication. */
  severity: 'none' | 'low' | 'medium' | 'high' | 'critical';
  /** The case's CVSS vectors: 3.1 and/or 4.0. */
  cvss: RecordCvss[];
  /** Exploited in the wild at publication (CISA KEV-style flag). */
  exploited: boolean;
  cwes: { id: number; name: string }[];
  packages: RecordPackage[];
  branches: RecordBranch[];
  references: RecordReference[];
  credits: RecordCredit[];
  /** Oldest first; the last one is the current revision. */
  revisions: RecordRevision[];
  /** Absolute URLs of the public page and of each format, as served. */
  links: {
    page: string;
    osv: string;
    cve: string;
    csaf: string;
    csafVex: string;
    cyclonedx: string;
  };
}
