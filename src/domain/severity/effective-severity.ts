import type { CvssScore } from './cvss.js';
import { ssvcPriorities } from './ssvc.js';
import type { SsvcPriority } from './ssvc.js';

/*
 * Effective severity: what a case's severity and fix priority are once exploitation is weighed in,
 * because CVSS alone understates bugs that are exploited now and run almost everywhere (Heartbleed).
 *
 * 1. Start from CVSS: the highest rating among the case's scores (3.1 and/or 4.0; each score's
 *    `overall`, i.e. the most specific score the team entered). No score: start at "none".
 * 2. Raise severity to the highest floor that applies. Floors only raise; nothing here ever lowers
 *    the result below the CVSS rating.
 *
 *      | Condition                                                   | Severity at least |
 *      |-------------------------------------------------------------|-------------------|
 *      | exploited in the wild                                       | high              |
 *      | exploited in the wild, and most deployments affected        | critical          |
 *      | public exploit available (not seen in the wild)             | medium            |
 *      | public exploit available, and most deployments affected     | high              |
 *      | SSVC supplier priority out-of-cycle                         | medium            |
 *      | SSVC supplier priority immediate                            | high              |
 *
 *    Exposure alone raises nothing: it says how far a bug reaches, not how bad it is; it only
 *    amplifies exploitation. Unknown exposure counts as not "most".
 * 3. Priority is the highest of:
 *      - what the effective severity implies: critical -> immediate, high -> out-of-cycle,
 *        medium -> scheduled, low/none -> defer;
 *      - the SSVC supplier priority, when the team decided one;
 *      - immediate, when the bug is exploited in the wild.
 *
 * `reasons` lists, in plain words, the CVSS starting point and every row that changed the result.
 */

export const severities = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof severities)[number];

/** How much of the user base runs an affected version. */
export const exposureValues = ['few', 'some', 'most'] as const;
export type Exposure = (typeof exposureValues)[number];

export interface ExploitationContext {
  readonly exploitedInTheWild: boolean;
  /** Who reported the exploitation (e.g. "CISA KEV") and when (ISO date); shown in the reason. */
  readonly exploitationEvidence?: { readonly source: string; readonly reportedOn: string };
  readonly publicExploit: boolean;
  /** Undefined while nobody knows. */
  readonly exposure?: Exposure;
}

export interface EffectiveSeverityInput {
  readonly cvss: readonly CvssScore[];
  readonly ssvcPriority?: SsvcPriority;
  readonly exploitation: ExploitationContext;
}

export interface EffectiveSeverity {
  readonly severity: Severity;
  readonly priority: SsvcPriority;
  readonly reasons: readonly string[];
  /** True when the severity is above the CVSS rating. */
  readonly raisedFromCvss: boolean;
}

const rank = (s: Severity): number => severities.indexOf(s);
const priorityRank = (p: SsvcPriority): number => ssvcPriorities.indexOf(p);

const priorityOfSeverity: Record<Severity, SsvcPriority> = {
  critical: 'immediate',
  high: 'out-of-cycle',
  medium: 'scheduled',
  low: 'defer',
  none: 'defer',
};

function inTheWildWords(context: ExploitationContext): string {
  const evidence = context.exploitationEvidence;
  return evidence
    ? `Exploited in the wild (reported by ${evidence.source} on ${evidence.reportedOn})`
    : 'Exploited in the wild';
}

/** The rows of the floor table that apply, in table order. */
function floors(input: EffectiveSeverityInput): { floor: Severity; why: string }[] {
  const { exploitation: context, ssvcPriority } = input;
  const most = context.exposure === 'most';
  const rows: { floor: Severity; why: string }[] = [];
  if (context.exploitedInTheWild) {
    rows.push({ floor: 'high', why: inTheWildWords(context) });
    if (most) rows.push({ floor: 'critical', why: `${inTheWildWords(context)} and most deployments affected` });
  } else if (context.publicExploit) {
    rows.push({ floor: 'medium', why: 'A public exploit is available' });
    if (most) rows.push({ floor: 'high', why: 'A public exploit is available and most deployments are affected' });
  }
  if (ssvcPriority === 'out-of-cycle') rows.push({ floor: 'medium', why: 'SSVC supplier priority is out-of-cycle' });
  if (ssvcPriority === 'immediate') rows.push({ floor: 'high', why: 'SSVC supplier priority is immediate' });
  return rows;
}

function cvssStart(scores: readonly CvssScore[]): { severity: Severity; reason: string } {
  let best: CvssScore | undefined;
  for (const s of scores) {
    if (!best || s.overall.score > best.overall.score) best = s;
  }
  if (!best) return { severity: 'none', reason: 'No CVSS score yet: starting from none.' };
  const severity = best.overall.rating.toLowerCase() as Severity;
  return { severity, reason: `CVSS ${best.version} scores ${best.overall.score}: ${severity}.` };
}

/** Applies the documented rule above; pure, so a team can predict it and tests can pin it. */
export function effectiveSeverity(input: EffectiveSeverityInput): EffectiveSeverity {
  const start = cvssStart(input.cvss);
  const reasons = [start.reason];
  let severity = start.severity;
  for (const { floor, why } of floors(input)) {
    if (rank(floor) <= rank(severity)) continue;
    reasons.push(`${why}: severity raised from ${severity} to ${floor}.`);
    severity = floor;
  }

  let priority = priorityOfSeverity[severity];
  reasons.push(`Severity ${severity} calls for priority ${priority}.`);
  const raisePriority = (to: SsvcPriority, why: string): void => {
    if (priorityRank(to) <= priorityRank(priority)) return;
    reasons.push(`${why}: priority raised from ${priority} to ${to}.`);
    priority = to;
  };
  if (input.ssvcPriority) raisePriority(input.ssvcPriority, `SSVC supplier priority is ${input.ssvcPriority}`);
  if (input.exploitation.exploitedInTheWild) raisePriority('immediate', inTheWildWords(input.exploitation));

  return { severity, priority, reasons, raisedFromCvss: rank(severity) > rank(start.severity) };
}
