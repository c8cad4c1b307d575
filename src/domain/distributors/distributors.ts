import type { AdvisoryText } from '../advisories/advisories.js';

/*
 * Distributors: organisations (Linux distributions, vendors, hosting providers) that a project tells
 * of a fix ahead of its release, under embargo, so their users are protected the day it is public.
 * A project's programme says who may join (criteria) and the terms each accepts (the embargo terms);
 * only a distributor that accepted the current terms is notified.
 */

export interface DistributorProgram {
  criteria: string;
  terms: string;
  /** Goes up by one whenever the terms change: acceptances are of one version. */
  termsVersion: number;
  updatedAt: string | null;
}

export interface DistributorContact {
  id: string;
  userId: string;
  name: string;
  email: string;
  /** The fingerprint of the key their mail is encrypted to, or null (mail goes unencrypted). */
  pgpFingerprint: string | null;
  createdAt: string;
}

export interface TermsAcceptance {
  termsVersion: number;
  acceptedAt: string;
  label: string;
  note: string | null;
}

export interface Distributor {
  id: string;
  projectId: string;
  name: string;
  website: string | null;
  createdAt: string;
  contacts: DistributorContact[];
  /** The latest acceptance, of any version. */
  acceptance: TermsAcceptance | null;
  /** Whether it accepted the programme's current terms: only then is it notified. */
  acceptedCurrentTerms: boolean;
}

/** What a distributor is sent: the advisory draft and the patches, as they were at the notice. */
export interface NoticeSnapshot {
  caseNumber: number;
  releaseAt: string;
  severity: string;
  advisory: AdvisoryText;
  affectedVersions: string[];
  fixedVersions: string[];
  patches: { id: string; branchName: string; filename: string; sha256: string }[];
}

export const DISTRIBUTOR_MESSAGE_KINDS = [
  'notice',
  'prerelease',
  'revision',
  'broken',
  'released',
  'cancelled',
] as const;
export type DistributorMessageKind = (typeof DISTRIBUTOR_MESSAGE_KINDS)[number];

export interface NoticeRecipient {
  id: string;
  contactId: string;
  email: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  messages: { kind: DistributorMessageKind; at: string; emailId: string; emailStatus: string; encrypted: boolean }[];
}

/** A notice as the case page shows it: who received what, and when they acknowledged. */
export interface DistributorNotice {
  id: string;
  caseId: string;
  distributorId: string;
  distributorName: string;
  notifiedAt: string;
  snapshot: NoticeSnapshot;
  recipients: NoticeRecipient[];
  /** The first acknowledgement of any of its recipients. */
  acknowledgedAt: string | null;
}
