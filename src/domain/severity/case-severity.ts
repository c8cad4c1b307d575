import type { CaseTargets } from './severity-policy.js';
import type { CvssScore } from './cvss.js';
import type { EffectiveSeverity, Exposure } from './effective-severity.js';
import type { SupplierExplanation } from './ssvc-explain.js';
import type { SupplierDecision, SupplierInput } from './ssvc.js';

/** The exploitation context as the team records it on a case. */
export interface ExploitationInput {
  exploitedInTheWild: boolean;
  /** Who reported the exploitation (e.g. "CISA KEV", a vendor blog); only when exploited in the wild. */
  source: string | null;
  /** When it was reported, YYYY-MM-DD; only when exploited in the wild. */
  reportedOn: string | null;
  publicExploit: boolean;
  /** How much of the user base runs affected versions; null while unknown. */
  exposure: Exposure | null;
}

/**
 * A change to a case's severity inputs: each field left out stays as it is; null removes it.
 * CVSS vectors are checked and stored in canonical form; the server computes every score.
 */
export interface SeverityChanges {
  cvssV31?: string | null;
  cvssV40?: string | null;
  /** A CVSS 3.0 or 2.0 vector that came with an imported advisory. */
  cvssImported?: string | null;
  ssvc?: SupplierInput | null;
  exploitation?: ExploitationInput;
}

export const severityFields = ['cvssV31', 'cvssV40', 'cvssImported', 'ssvc', 'exploitation'] as const;
export type SeverityField = (typeof severityFields)[number];

export interface CaseCwe {
  id: number;
  name: string;
}

/** Everything the case page and the API show about a case's severity, computed by the server. */
export interface CaseSeverity {
  cvss: { v31: CvssScore | null; v40: CvssScore | null; imported: CvssScore | null };
  ssvc: (SupplierDecision & { explanation: SupplierExplanation }) | null;
  exploitation: ExploitationInput;
  effective: EffectiveSeverity;
  /** The highest CVSS score among the case's vectors (what the gates read), or null. */
  highestCvss: number | null;
  targets: CaseTargets;
  cwes: CaseCwe[];
  /** When the owner is next reminded if nothing moves; null when never. */
  nextReminderAt: string | null;
  updatedAt: string | null;
}

/** One entry of a case's history: a change with the value before and after, who and why. */
export interface CaseHistoryEntry {
  id: string;
  at: string;
  actorLabel: string;
  change: string;
  previous: unknown;
  value: unknown;
  reason: string | null;
}
