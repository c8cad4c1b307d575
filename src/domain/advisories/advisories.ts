/*
 * A case's advisory: drafted in private by the Fix Team, sent to distributors under embargo, and
 * made public by the go. Its prose fields are Markdown and are embargoed content until then.
 */

import type { RecordReference } from './advisory-record.js';

/** Who did what, as OSV names credit types. */
export const CREDIT_TYPES = [
  'FINDER',
  'REPORTER',
  'ANALYST',
  'COORDINATOR',
  'REMEDIATION_DEVELOPER',
  'REMEDIATION_REVIEWER',
  'REMEDIATION_VERIFIER',
  'TOOL',
  'SPONSOR',
  'OTHER',
] as const;
export type CreditType = (typeof CREDIT_TYPES)[number];

export interface Credit {
  name: string;
  type: CreditType;
  /** URLs or mailto: addresses the person asked to be shown with (OSV `credits[].contact`); optional. */
  contact?: string[];
}

/** The parts of the advisory the team writes. */
export interface AdvisoryText {
  /** One line: the advisory's title once public. */
  summary: string;
  /** What the vulnerability is and what an attacker can do (Markdown). */
  details: string;
  /** Who is affected: configurations, deployments (Markdown). */
  affected: string;
  /** How users check whether they are affected (Markdown). */
  howToCheck: string;
  /** How to upgrade (Markdown); the fixed versions per branch come from the case. */
  upgrade: string;
  /** What to do until one can upgrade (Markdown). */
  mitigations: string;
  /** How to tell whether the vulnerability was exploited (Markdown). */
  detection: string;
  credits: Credit[];
}

/** What the advisory says besides its prose: other ids of the vulnerability and where to read more. */
export interface AdvisoryMeta {
  /** GHSA-..., an upstream OSV id ... (the CVE id is kept apart, in cveId). */
  aliases: string[];
  /** Related but different vulnerabilities. */
  related: string[];
  references: RecordReference[];
}

export interface Advisory extends AdvisoryText, AdvisoryMeta {
  caseId: string;
  projectId: string;
  /** The public id (e.g. DEMO-2026-0001), assigned when the advisory is published. */
  publicId: string | null;
  publishedAt: string | null;
  /** Null while nothing was saved: the draft is empty. */
  updatedAt: string | null;
  cveId: string | null;
  /** A project that is no CNA: who the CVE id was requested from (and when), while it is awaited. */
  cveRequestedFrom: string | null;
  cveRequestedAt: string | null;
  /** 0 until published; 1 at publication, then one more per revision. */
  revision: number;
  modifiedAt: string | null;
  withdrawnAt: string | null;
  withdrawnReason: string | null;
}

export const emptyAdvisoryMeta: AdvisoryMeta = { aliases: [], related: [], references: [] };

export const emptyAdvisoryText: AdvisoryText = {
  summary: '',
  details: '',
  affected: '',
  howToCheck: '',
  upgrade: '',
  mitigations: '',
  detection: '',
  credits: [],
};

/** The Markdown fields, in the order the draft form and the announcement show them. */
export const ADVISORY_PROSE_FIELDS = [
  'details',
  'affected',
  'howToCheck',
  'upgrade',
  'mitigations',
  'detection',
] as const;
export type AdvisoryProseField = (typeof ADVISORY_PROSE_FIELDS)[number];

/** How every page and mail heads each prose field. */
export const ADVISORY_SECTION_TITLES: Record<AdvisoryProseField, string> = {
  details: 'Details',
  affected: 'Who is affected',
  howToCheck: 'How to check',
  upgrade: 'How to upgrade',
  mitigations: 'Mitigations',
  detection: 'How to detect exploitation',
};
