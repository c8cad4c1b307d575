import { DomainError } from '../../errors.js';
import { addPeriod, type ClockSeverity, defaultReminderPolicy, type Shutdown } from './deadline-clock.js';
import type { EffectiveSeverity } from './effective-severity.js';

/*
 * A project's severity policy: what its effective severity commits the team to.
 *
 * - Fix due: the case's opening plus `fixDays` of the effective severity, counted in the project's
 *   day mode (calendar or business days), skipping its shutdowns, never ending on a Friday when the
 *   project asks, in its time zone. The clock runs from the opening, so raising the severity later
 *   brings the deadline nearer (it may already be overdue), and lowering it moves it away.
 * - Release kind: out of band (a release of its own, as soon as the fix is ready) or in the next
 *   patch release.
 * - Reminders: when nothing moved on the case for `remindDays` (counted the same way), its owner is
 *   reminded, then again every `remindDays` until something moves; null means never.
 * - Gates (after the Kubernetes security response policy), read from the highest CVSS score and only
 *   while the effective severity was not raised above CVSS (exploitation voids them): below
 *   `slowDownBelow` (about 4) the team may slow down and fix in the normal release flow; below
 *   `semiPublicBelow` (about 7) it may develop the fix semi-publicly (a public change that does not
 *   say it fixes a vulnerability). From `semiPublicBelow` up, the fix stays private until the go.
 */

export const releaseKinds = ['out-of-band', 'next-patch'] as const;
export type ReleaseKind = (typeof releaseKinds)[number];
export const dayModes = ['calendar', 'business'] as const;
export type DayMode = (typeof dayModes)[number];
export const clockSeverities = ['critical', 'high', 'medium', 'low'] as const satisfies readonly ClockSeverity[];

export interface SeverityTarget {
  /** Days from the case's opening until the fix is due. */
  fixDays: number;
  release: ReleaseKind;
  /** Days without movement before the owner is reminded; null: never. */
  remindDays: number | null;
}

export interface SeverityPolicy {
  dayMode: DayMode;
  /** IANA time zone in which days, weekends and shutdowns are read. */
  timeZone: string;
  noFridayDeadline: boolean;
  /** Yearly closed periods as MM-DD, both ends inclusive (12-24..01-02 wraps the year). */
  shutdowns: Shutdown[];
  targets: Record<ClockSeverity, SeverityTarget>;
  gates: { slowDownBelow: number; semiPublicBelow: number };
}

export const defaultSeverityPolicy: SeverityPolicy = {
  dayMode: 'calendar',
  timeZone: 'UTC',
  noFridayDeadline: false,
  shutdowns: [],
  targets: {
    critical: { fixDays: 7, release: 'out-of-band', remindDays: defaultReminderPolicy.critical },
    high: { fixDays: 30, release: 'out-of-band', remindDays: defaultReminderPolicy.high },
    medium: { fixDays: 90, release: 'next-patch', remindDays: defaultReminderPolicy.medium },
    low: { fixDays: 180, release: 'next-patch', remindDays: defaultReminderPolicy.low },
  },
  gates: { slowDownBelow: 4, semiPublicBelow: 7 },
};

const MAX_DAYS = 3650;

function fail(field: string, message: string): never {
  throw new DomainError('VALIDATION_FAILED', message, { field });
}

function record(raw: unknown, field: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(field, `${field} must be an object.`);
  return raw as Record<string, unknown>;
}

/** Refuses keys other than `keys`: a misspelt `remindDays` must not silently mean "never remind". */
function only(o: Record<string, unknown>, field: string, keys: readonly string[]): void {
  for (const key of Object.keys(o))
    if (!keys.includes(key)) fail(`${field}.${key}`, `Unknown policy field ${field}.${key}.`);
}

/**
 * Checks one shutdown's bounds with the clock's own MM-DD reader, naming the shutdown and bound at
 * fault (the reader names only `from` or `to`, which is ambiguous among several shutdowns).
 */
function checkShutdown(shutdown: Shutdown, i: number): void {
  try {
    addPeriod(new Date(0), { days: 0, mode: 'calendar', shutdowns: [shutdown] });
  } catch (err) {
    const bound = err instanceof DomainError ? err.details?.field : undefined;
    if (bound === 'from' || bound === 'to') {
      fail(
        `shutdowns.${i}.${bound}`,
        `A shutdown's ${bound === 'from' ? 'first' : 'last'} day must be a date as MM-DD, such as 12-24.`,
      );
    }
    throw err;
  }
}

/** The IANA name Intl resolves a zone to ('europe/berlin' -> 'Europe/Berlin', 'Etc/UTC' -> 'UTC'). */
function canonicalZone(timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return fail('timeZone', 'timeZone must be an IANA time zone such as Europe/Berlin.');
  }
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(field, `${field} must be one of: ${allowed.join(', ')}.`);
  }
  return value as T;
}

function days(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_DAYS) {
    fail(field, `${field} must be a whole number of days from ${min} to ${MAX_DAYS}.`);
  }
  return value;
}

function score(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 10) {
    fail(field, `${field} must be a CVSS score from 0 to 10.`);
  }
  return Math.round(value * 10) / 10;
}

/**
 * Checks a whole policy from untrusted input (JSON, a form already turned into this shape, or the
 * stored text); throws VALIDATION_FAILED naming the first bad field, e.g. `targets.high.fixDays`.
 * Time zones and shutdown dates are checked by computing a deadline with them.
 */
export function parseSeverityPolicy(raw: unknown): SeverityPolicy {
  const r = record(raw, 'policy');
  const known = new Set(['dayMode', 'timeZone', 'noFridayDeadline', 'shutdowns', 'targets', 'gates']);
  for (const key of Object.keys(r)) if (!known.has(key)) fail(key, `Unknown policy field ${key}.`);
  const targetsRaw = record(r.targets, 'targets');
  only(targetsRaw, 'targets', clockSeverities);
  const targets = {} as Record<ClockSeverity, SeverityTarget>;
  for (const severity of clockSeverities) {
    const t = record(targetsRaw[severity], `targets.${severity}`);
    only(t, `targets.${severity}`, ['fixDays', 'release', 'remindDays']);
    const remind = t.remindDays ?? null;
    targets[severity] = {
      fixDays: days(t.fixDays, `targets.${severity}.fixDays`, 1),
      release: oneOf(t.release, `targets.${severity}.release`, releaseKinds),
      remindDays: remind === null ? null : days(remind, `targets.${severity}.remindDays`, 1),
    };
  }
  for (let i = 1; i < clockSeverities.length; i++) {
    const more = clockSeverities[i - 1] as ClockSeverity;
    const less = clockSeverities[i] as ClockSeverity;
    if (targets[more].fixDays > targets[less].fixDays) {
      fail(`targets.${more}.fixDays`, `A ${more} case cannot be given longer to fix than a ${less} one.`);
    }
  }
  if (!Array.isArray(r.shutdowns)) fail('shutdowns', 'shutdowns must be a list.');
  if (r.shutdowns.length > 20) fail('shutdowns', 'At most 20 shutdown periods.');
  const shutdowns = r.shutdowns.map((s, i) => {
    const o = record(s, `shutdowns.${i}`);
    if (typeof o.from !== 'string' || typeof o.to !== 'string') {
      fail(`shutdowns.${i}`, 'A shutdown needs from and to as MM-DD.');
    }
    only(o, `shutdowns.${i}`, ['from', 'to']);
    const shutdown = { from: o.from, to: o.to };
    checkShutdown(shutdown, i);
    return shutdown;
  });
  const gatesRaw = record(r.gates, 'gates');
  only(gatesRaw, 'gates', ['slowDownBelow', 'semiPublicBelow']);
  const gates = {
    slowDownBelow: score(gatesRaw.slowDownBelow, 'gates.slowDownBelow'),
    semiPublicBelow: score(gatesRaw.semiPublicBelow, 'gates.semiPublicBelow'),
  };
  if (gates.slowDownBelow > gates.semiPublicBelow) {
    fail('gates.slowDownBelow', 'The slow-down gate must not be above the semi-public gate.');
  }
  if (typeof r.noFridayDeadline !== 'boolean') fail('noFridayDeadline', 'noFridayDeadline must be true or false.');
  if (typeof r.timeZone !== 'string' || r.timeZone.length === 0 || r.timeZone.length > 64) {
    fail('timeZone', 'timeZone must be an IANA time zone such as Europe/Berlin.');
  }
  const policy: SeverityPolicy = {
    dayMode: oneOf(r.dayMode, 'dayMode', dayModes),
    timeZone: canonicalZone(r.timeZone),
    noFridayDeadline: r.noFridayDeadline,
    shutdowns,
    targets,
    gates,
  };
  // Throws when the shutdowns together leave no working day.
  addPeriod(new Date(0), periodOf(policy, 1));
  return policy;
}

function periodOf(policy: SeverityPolicy, n: number) {
  return {
    days: n,
    mode: policy.dayMode,
    shutdowns: policy.shutdowns,
    noFridayDeadline: policy.noFridayDeadline,
    timeZone: policy.timeZone,
  };
}

/** What the gates allow for a case, in plain words; null when no gate applies. */
export type Gate = { kind: 'slow-down' | 'semi-public'; words: string } | null;

export interface CaseTargets {
  severity: ClockSeverity | null;
  /** When the fix is due; null while the case has no severity. */
  fixDue: Date | null;
  release: ReleaseKind | null;
  remindDays: number | null;
  gate: Gate;
}

export function gateFor(policy: SeverityPolicy, highestCvss: number | null, effective: EffectiveSeverity): Gate {
  if (highestCvss === null || effective.raisedFromCvss) return null;
  const { slowDownBelow, semiPublicBelow } = policy.gates;
  // CVSS writes scores with one decimal: "4.0", not "4".
  const [cvss, slow, semi] = [highestCvss, slowDownBelow, semiPublicBelow].map((n) => n.toFixed(1));
  if (highestCvss < slowDownBelow) {
    return {
      kind: 'slow-down',
      words: `CVSS ${cvss} is below ${slow}: the team may slow down and fix it in the normal release flow.`,
    };
  }
  if (highestCvss < semiPublicBelow) {
    return {
      kind: 'semi-public',
      words: `CVSS ${cvss} is below ${semi}: the fix may be developed semi-publicly, in a public change that does not say it fixes a vulnerability.`,
    };
  }
  return null;
}

/** The targets a case's effective severity sets under the policy, counted from the case's opening. */
export function caseTargets(
  policy: SeverityPolicy,
  input: { openedAt: Date; effective: EffectiveSeverity; highestCvss: number | null },
): CaseTargets {
  const gate = gateFor(policy, input.highestCvss, input.effective);
  if (input.effective.severity === 'none') {
    return { severity: null, fixDue: null, release: null, remindDays: null, gate };
  }
  const severity = input.effective.severity;
  const target = policy.targets[severity];
  return {
    severity,
    fixDue: fixDueAt(policy, severity, input.openedAt),
    release: target.release,
    remindDays: target.remindDays,
    gate,
  };
}

/** When the fix of a case of this severity opened at `openedAt` is due under the policy. */
export function fixDueAt(policy: SeverityPolicy, severity: ClockSeverity, openedAt: Date): Date {
  return addPeriod(openedAt, periodOf(policy, policy.targets[severity].fixDays));
}

/**
 * When the owner is next reminded if nothing moves after `lastMoved`; null when this severity is
 * never reminded. Counted like deadlines (day mode, shutdowns, time zone), without the Friday rule:
 * a reminder is a nudge, not a promise.
 */
export function nextReminderAt(policy: SeverityPolicy, severity: ClockSeverity | null, lastMoved: Date): Date | null {
  if (!severity) return null;
  const remind = policy.targets[severity].remindDays;
  if (remind === null) return null;
  return addPeriod(lastMoved, { ...periodOf(policy, remind), noFridayDeadline: false });
}
