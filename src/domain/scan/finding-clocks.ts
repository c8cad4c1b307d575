import { addMs, DAY_MS } from '../../clock.js';
import type { SeverityLabel } from './vuln-info.js';

/*
 * How long a branch may ship a known vulnerable version before its finding is overdue, by severity.
 * CISA's BOD 19-02 gives 15 days for critical and 30 for high findings on exposed systems; a
 * dependency fix is usually an upgrade rather than a patch to write, so critical is a week here.
 * Medium and low get a quarter and half a year: long enough to ride along with a regular release,
 * short enough that they are not forgotten. A severity the database does not state gets the medium
 * window, neither crying wolf nor letting it sit.
 */
export const FINDING_CLOCK_DAYS: Readonly<Record<SeverityLabel, number>> = {
  critical: 7,
  high: 30,
  medium: 90,
  low: 180,
  unknown: 90,
};

/** States in which a finding still needs work; the others are resolved. */
export const OPEN_STATES = ['in_triage', 'affected'] as const;

/** When a finding first seen at `firstSeenAt` is due, by its severity. */
export function dueAt(firstSeenAt: Date, severity: SeverityLabel): Date {
  return addMs(firstSeenAt, FINDING_CLOCK_DAYS[severity] * DAY_MS);
}

/** Whether a finding is overdue at `now`: still open, still shipped, not resolved, and past due. */
export function isOverdue(
  f: { state: string; present: boolean; resolvedAt: string | null; dueAt: string | null },
  now: Date,
): boolean {
  return (
    (OPEN_STATES as readonly string[]).includes(f.state) &&
    f.present &&
    f.resolvedAt === null &&
    f.dueAt !== null &&
    Date.parse(f.dueAt) < now.getTime()
  );
}
