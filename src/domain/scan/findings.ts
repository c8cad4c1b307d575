import type { SeverityLabel } from './vuln-info.js';

// A vulnerability in a package version that one of a project's release branches ships, tracked
// with the states of VEX (CycloneDX's analysis, OpenVEX's status) from first sight to resolution.

export const FINDING_STATES = ['in_triage', 'affected', 'not_affected', 'fixed'] as const;
export type FindingState = (typeof FINDING_STATES)[number];

/**
 * Why a branch is not affected, in the words CycloneDX 1.6 and OpenVEX share. A not_affected state
 * without one of these is an unexplained dismissal, which VEX consumers (and auditors) refuse.
 */
export const NOT_AFFECTED_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;
export type NotAffectedJustification = (typeof NOT_AFFECTED_JUSTIFICATIONS)[number];

export const SEVERITY_LABELS: readonly SeverityLabel[] = ['critical', 'high', 'medium', 'low', 'unknown'];

export interface Finding {
  id: string;
  projectId: string;
  branchId: string;
  branchName: string;
  vulnId: string;
  /** Other ids of the vulnerability (CVE, GHSA ...), from its record. */
  aliases: string[];
  /** The advisory's page, from its record; null when the record names none. */
  advisoryUrl: string | null;
  ecosystem: string;
  name: string;
  version: string;
  summary: string;
  severity: SeverityLabel;
  fixedVersion: string | null;
  state: FindingState;
  justification: NotAffectedJustification | null;
  note: string;
  owner: { userId: string; name: string } | null;
  /** Whether the branch still ships the version and the database still lists it as affected. */
  present: boolean;
  firstSeenAt: string;
  lastSeenAt: string;
  goneAt: string | null;
  dueAt: string | null;
  resolvedAt: string | null;
  updatedAt: string;
  notifiedAt: string | null;
  overdue: boolean;
}

/** What one re-evaluation of a branch changed. */
export interface Evaluation {
  /** Findings seen for the first time. */
  new: number;
  /** Findings present before and no longer. */
  gone: number;
  /** Findings present now (new ones included). */
  present: number;
}

export const isFindingState = (v: unknown): v is FindingState =>
  typeof v === 'string' && (FINDING_STATES as readonly string[]).includes(v);

export const isJustification = (v: unknown): v is NotAffectedJustification =>
  typeof v === 'string' && (NOT_AFFECTED_JUSTIFICATIONS as readonly string[]).includes(v);

export const toSeverity = (v: string): SeverityLabel =>
  (SEVERITY_LABELS as readonly string[]).includes(v) ? (v as SeverityLabel) : 'unknown';
