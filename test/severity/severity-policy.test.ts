import { describe, expect, it } from 'vitest';
import type { EffectiveSeverity, Severity } from '../../src/domain/severity/effective-severity.js';
import {
  caseTargets,
  defaultSeverityPolicy,
  gateFor,
  nextReminderAt,
  parseSeverityPolicy,
  type SeverityPolicy,
} from '../../src/domain/severity/severity-policy.js';
import { DomainError } from '../../src/errors.js';

// Every date below was counted by hand on a calendar; the comments show the counting.

const at = (iso: string): Date => new Date(iso);

function failure(run: () => unknown): DomainError {
  try {
    run();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

/** The field a refused policy names, after `change` is applied to a copy of the defaults. */
function fieldOf(change: (p: Record<string, unknown>) => void): unknown {
  const raw = structuredClone(defaultSeverityPolicy) as unknown as Record<string, unknown>;
  change(raw);
  const err = failure(() => parseSeverityPolicy(raw));
  expect(err.code).toBe('VALIDATION_FAILED');
  return err.details?.field;
}

function policy(overrides: Partial<SeverityPolicy> = {}): SeverityPolicy {
  return parseSeverityPolicy({ ...structuredClone(defaultSeverityPolicy), ...overrides });
}

function effective(severity: Severity, raisedFromCvss = false): EffectiveSeverity {
  return { severity, priority: 'scheduled', reasons: [], raisedFromCvss };
}

const due = (p: SeverityPolicy, openedAt: string, severity: Severity) =>
  caseTargets(p, { openedAt: at(openedAt), effective: effective(severity), highestCvss: null }).fixDue;

describe('parseSeverityPolicy', () => {
  it('accepts the defaults as they are', () => {
    expect(parseSeverityPolicy(structuredClone(defaultSeverityPolicy))).toEqual(defaultSeverityPolicy);
  });

  it('has the issue’s defaults: reminders after 2, 7 and 30 days, none for low; gates at 4 and 7', () => {
    const { targets, gates } = defaultSeverityPolicy;
    expect([targets.critical.remindDays, targets.high.remindDays, targets.medium.remindDays]).toEqual([2, 7, 30]);
    expect(targets.low.remindDays).toBeNull();
    expect([targets.critical.release, targets.high.release]).toEqual(['out-of-band', 'out-of-band']);
    expect([targets.medium.release, targets.low.release]).toEqual(['next-patch', 'next-patch']);
    expect(gates).toEqual({ slowDownBelow: 4, semiPublicBelow: 7 });
    expect(defaultSeverityPolicy.dayMode).toBe('calendar');
    expect(defaultSeverityPolicy.noFridayDeadline).toBe(false);
  });

  it('refuses what is not an object, and unknown fields at any depth', () => {
    expect(failure(() => parseSeverityPolicy(null)).details?.field).toBe('policy');
    expect(failure(() => parseSeverityPolicy([])).details?.field).toBe('policy');
    expect(fieldOf((p) => (p.extra = 1))).toBe('extra');
    // A misspelt remindDays must not silently turn reminders off.
    expect(
      fieldOf((p) => {
        const high = (p.targets as Record<string, Record<string, unknown>>).high as Record<string, unknown>;
        delete high.remindDays;
        high.remindDay = 3;
      }),
    ).toBe('targets.high.remindDay');
    expect(fieldOf((p) => ((p.gates as Record<string, unknown>).semiPublic = 6))).toBe('gates.semiPublic');
    expect(fieldOf((p) => (p.shutdowns = [{ from: '12-24', to: '01-02', note: 'x' }]))).toBe('shutdowns.0.note');
  });

  it('names the target field at fault', () => {
    const target = (p: Record<string, unknown>, s: string) =>
      (p.targets as Record<string, Record<string, unknown>>)[s] as Record<string, unknown>;
    expect(fieldOf((p) => delete p.targets)).toBe('targets');
    expect(fieldOf((p) => delete (p.targets as Record<string, unknown>).medium)).toBe('targets.medium');
    expect(fieldOf((p) => (target(p, 'high').fixDays = 0))).toBe('targets.high.fixDays');
    expect(fieldOf((p) => (target(p, 'high').fixDays = 2.5))).toBe('targets.high.fixDays');
    expect(fieldOf((p) => (target(p, 'low').fixDays = 3651))).toBe('targets.low.fixDays');
    expect(fieldOf((p) => (target(p, 'low').fixDays = '30'))).toBe('targets.low.fixDays');
    expect(fieldOf((p) => (target(p, 'medium').release = 'whenever'))).toBe('targets.medium.release');
    expect(fieldOf((p) => (target(p, 'critical').remindDays = 0))).toBe('targets.critical.remindDays');
  });

  it('refuses a more severe case being given longer to fix than a less severe one', () => {
    const err = failure(() =>
      policy({
        targets: { ...defaultSeverityPolicy.targets, high: { ...defaultSeverityPolicy.targets.high, fixDays: 91 } },
      }),
    );
    expect(err.details?.field).toBe('targets.high.fixDays');
    expect(err.message).toBe('A high case cannot be given longer to fix than a medium one.');
    // Equal is allowed.
    const same = { ...defaultSeverityPolicy.targets.high, fixDays: 90 };
    expect(policy({ targets: { ...defaultSeverityPolicy.targets, high: same } }).targets.high.fixDays).toBe(90);
  });

  it('names the shutdown and the bound at fault', () => {
    expect(fieldOf((p) => (p.shutdowns = 'xmas'))).toBe('shutdowns');
    expect(fieldOf((p) => (p.shutdowns = [{ from: '12-24' }]))).toBe('shutdowns.0');
    expect(
      fieldOf(
        (p) =>
          (p.shutdowns = [
            { from: '08-01', to: '08-15' },
            { from: '13-01', to: '01-02' },
          ]),
      ),
    ).toBe('shutdowns.1.from');
    expect(fieldOf((p) => (p.shutdowns = [{ from: '12-24', to: '02-30' }]))).toBe('shutdowns.0.to');
    expect(fieldOf((p) => (p.shutdowns = [{ from: '1-5', to: '01-06' }]))).toBe('shutdowns.0.from');
    expect(fieldOf((p) => (p.shutdowns = Array.from({ length: 21 }, () => ({ from: '01-01', to: '01-01' }))))).toBe(
      'shutdowns',
    );
    // Every day of the year closed: no deadline could ever be reached.
    expect(fieldOf((p) => (p.shutdowns = [{ from: '01-01', to: '12-31' }]))).toBe('shutdowns');
    expect(policy({ shutdowns: [{ from: '02-29', to: '02-29' }] }).shutdowns).toEqual([{ from: '02-29', to: '02-29' }]);
  });

  it('checks gates, day mode, the Friday flag and the time zone', () => {
    const gates = (g: Record<string, unknown>) => (p: Record<string, unknown>) => (p.gates = g);
    expect(fieldOf(gates({ slowDownBelow: -1, semiPublicBelow: 7 }))).toBe('gates.slowDownBelow');
    expect(fieldOf(gates({ slowDownBelow: 4, semiPublicBelow: 10.1 }))).toBe('gates.semiPublicBelow');
    expect(fieldOf(gates({ slowDownBelow: 4, semiPublicBelow: '7' }))).toBe('gates.semiPublicBelow');
    expect(fieldOf(gates({ slowDownBelow: 7.5, semiPublicBelow: 7 }))).toBe('gates.slowDownBelow');
    expect(fieldOf((p) => (p.dayMode = 'weekdays'))).toBe('dayMode');
    expect(fieldOf((p) => (p.noFridayDeadline = 'yes'))).toBe('noFridayDeadline');
    expect(fieldOf((p) => (p.timeZone = 'Mars/Olympus_Mons'))).toBe('timeZone');
    expect(fieldOf((p) => (p.timeZone = ''))).toBe('timeZone');
    expect(fieldOf((p) => delete p.timeZone)).toBe('timeZone');
  });

  it('keeps gates to one decimal and stores the canonical name of a time zone', () => {
    expect(policy({ gates: { slowDownBelow: 3.95, semiPublicBelow: 6.94 } }).gates).toEqual({
      slowDownBelow: 4,
      semiPublicBelow: 6.9,
    });
    expect(policy({ timeZone: 'europe/berlin' }).timeZone).toBe('Europe/Berlin');
    expect(policy({ timeZone: 'Etc/UTC' }).timeZone).toBe('UTC');
  });

  it('takes a missing remind interval as never', () => {
    const raw = structuredClone(defaultSeverityPolicy) as unknown as { targets: Record<string, object> };
    raw.targets.medium = { fixDays: 90, release: 'next-patch' };
    expect(parseSeverityPolicy(raw).targets.medium.remindDays).toBeNull();
  });
});

describe('caseTargets', () => {
  // Monday 2026-03-02, 09:00 UTC.
  const monday = '2026-03-02T09:00:00.000Z';

  it('sets each severity’s due date, release kind and reminder interval (calendar days)', () => {
    const p = policy();
    const all = (['critical', 'high', 'medium', 'low'] as const).map((s) =>
      caseTargets(p, { openedAt: at(monday), effective: effective(s), highestCvss: null }),
    );
    expect(all.map((t) => t.fixDue)).toEqual([
      at('2026-03-09T09:00:00.000Z'), // +7
      at('2026-04-01T09:00:00.000Z'), // +30: 29 days left in March, then April 1
      at('2026-05-31T09:00:00.000Z'), // +90: 29 (Mar) + 30 (Apr) + 31 (May)
      at('2026-08-29T09:00:00.000Z'), // +180: 90 to May 31, + 30 (Jun) + 31 (Jul) + 29
    ]);
    expect(all.map((t) => t.release)).toEqual(['out-of-band', 'out-of-band', 'next-patch', 'next-patch']);
    expect(all.map((t) => t.remindDays)).toEqual([2, 7, 30, null]);
    expect(all.map((t) => t.severity)).toEqual(['critical', 'high', 'medium', 'low']);
  });

  it('sets nothing for a case without severity, but still says what the gates allow', () => {
    const t = caseTargets(policy(), { openedAt: at(monday), effective: effective('none'), highestCvss: 3.1 });
    expect(t).toMatchObject({ severity: null, fixDue: null, release: null, remindDays: null });
    expect(t.gate?.kind).toBe('slow-down');
  });

  it('skips weekends in business days', () => {
    const p = policy({ dayMode: 'business' });
    // Tue 3 (1), Wed 4, Thu 5, Fri 6 (4), Mon 9 (5), Tue 10, Wed 11 (7).
    expect(due(p, monday, 'critical')).toEqual(at('2026-03-11T09:00:00.000Z'));
    // From Friday 6: Mon 9 (1) ... Fri 13 (5), Mon 16 (6), Tue 17 (7).
    expect(due(p, '2026-03-06T09:00:00.000Z', 'critical')).toEqual(at('2026-03-17T09:00:00.000Z'));
    // Opened on a Saturday: Mon 9 is the first counted day, Tue 17 the seventh.
    expect(due(p, '2026-03-07T09:00:00.000Z', 'critical')).toEqual(at('2026-03-17T09:00:00.000Z'));
  });

  it('does not count a Dec 24 to Jan 2 shutdown', () => {
    const shutdowns = [{ from: '12-24', to: '01-02' }];
    // Friday 2026-12-18: Dec 19, 20, 21, 22, 23 (5), shutdown, Jan 3 (6), Mon Jan 4 2027 (7).
    expect(due(policy({ shutdowns }), '2026-12-18T09:00:00.000Z', 'critical')).toEqual(at('2027-01-04T09:00:00.000Z'));
    // Business days: Mon 21, Tue 22, Wed 23 (3), shutdown to Sat Jan 2, Mon 4, Tue 5, Wed 6, Thu Jan 7 (7).
    expect(due(policy({ shutdowns, dayMode: 'business' }), '2026-12-18T09:00:00.000Z', 'critical')).toEqual(
      at('2027-01-07T09:00:00.000Z'),
    );
    // Opened during the shutdown: the clock starts after it. Jan 3 (1) ... Jan 9 2027 (7).
    expect(due(policy({ shutdowns }), '2026-12-27T09:00:00.000Z', 'critical')).toEqual(at('2027-01-09T09:00:00.000Z'));
  });

  it('moves a Friday deadline forward, never back, when the project asks', () => {
    // Friday 2026-03-06 + 7 calendar days is Friday 13.
    expect(due(policy(), '2026-03-06T09:00:00.000Z', 'critical')).toEqual(at('2026-03-13T09:00:00.000Z'));
    expect(due(policy({ noFridayDeadline: true }), '2026-03-06T09:00:00.000Z', 'critical')).toEqual(
      at('2026-03-16T09:00:00.000Z'),
    );
    // Not a Friday: unchanged.
    expect(due(policy({ noFridayDeadline: true }), monday, 'critical')).toEqual(at('2026-03-09T09:00:00.000Z'));
  });

  it('moves a Friday deadline past a shutdown that starts on the Monday after', () => {
    const targets = { ...defaultSeverityPolicy.targets, critical: { ...defaultSeverityPolicy.targets.critical } };
    targets.critical.fixDays = 4;
    const p = policy({
      targets,
      dayMode: 'business',
      noFridayDeadline: true,
      shutdowns: [{ from: '12-24', to: '01-02' }],
    });
    // Monday 2029-12-17: Tue 18, Wed 19, Thu 20, Fri 21 (4); Monday 24 to Wednesday Jan 2 are closed,
    // so the first working day that is not a Friday is Thursday 2030-01-03.
    expect(due(p, '2029-12-17T10:00:00.000Z', 'critical')).toEqual(at('2030-01-03T10:00:00.000Z'));
  });

  it('reads days, weekends and shutdowns in the project’s time zone', () => {
    // Friday 23:30 UTC is Saturday 12:30 in Auckland (UTC+13 in March).
    const late = '2026-03-06T23:30:00.000Z';
    const targets = { ...defaultSeverityPolicy.targets, critical: { ...defaultSeverityPolicy.targets.critical } };
    targets.critical.fixDays = 1;
    expect(due(policy({ targets, dayMode: 'business' }), late, 'critical')).toEqual(at('2026-03-09T23:30:00.000Z'));
    expect(due(policy({ targets, dayMode: 'business', timeZone: 'Pacific/Auckland' }), late, 'critical')).toEqual(
      at('2026-03-08T23:30:00.000Z'), // Monday 12:30 in Auckland
    );
    // Dec 23 12:00 UTC is already Dec 24 01:00 in Auckland. Both count Jan 3 (1) ... Jan 9 (7), but
    // at the local time of day: Jan 9 12:00 UTC, or Jan 9 01:00 in Auckland, which is Jan 8 in UTC.
    const shutdowns = [{ from: '12-24', to: '01-02' }];
    expect(due(policy({ shutdowns }), '2026-12-23T12:00:00.000Z', 'critical')).toEqual(at('2027-01-09T12:00:00.000Z'));
    expect(due(policy({ shutdowns, timeZone: 'Pacific/Auckland' }), '2026-12-23T12:00:00.000Z', 'critical')).toEqual(
      at('2027-01-08T12:00:00.000Z'),
    );
    // The Friday rule reads Friday in the project's zone: Wed 2026-03-11 23:30 UTC is Thursday 00:30 in
    // Berlin, so one day later is Friday there (moved to Monday 00:30) while it is Thursday in UTC.
    const fridays = { targets, noFridayDeadline: true };
    expect(due(policy(fridays), '2026-03-11T23:30:00.000Z', 'critical')).toEqual(at('2026-03-12T23:30:00.000Z'));
    expect(due(policy({ ...fridays, timeZone: 'Europe/Berlin' }), '2026-03-11T23:30:00.000Z', 'critical')).toEqual(
      at('2026-03-15T23:30:00.000Z'),
    );
  });

  it('brings the deadline nearer when the severity is raised, counted from the same opening', () => {
    const p = policy();
    expect(due(p, monday, 'high')?.getTime()).toBeGreaterThan(due(p, monday, 'critical')?.getTime() ?? Infinity);
  });
});

describe('gateFor', () => {
  const p = policy();
  const kind = (cvss: number | null, raised = false) => gateFor(p, cvss, effective('medium', raised))?.kind ?? null;

  it('opens the slow-down gate below 4 and the semi-public gate below 7', () => {
    expect(kind(0)).toBe('slow-down');
    expect(kind(3.9)).toBe('slow-down');
    expect(kind(4.0)).toBe('semi-public');
    expect(kind(6.9)).toBe('semi-public');
    expect(kind(7.0)).toBeNull();
    expect(kind(10)).toBeNull();
  });

  it('says so in plain words, with scores to one decimal as CVSS writes them', () => {
    expect(gateFor(p, 3.9, effective('low'))?.words).toBe(
      'CVSS 3.9 is below 4.0: the team may slow down and fix it in the normal release flow.',
    );
    expect(gateFor(p, 4, effective('medium'))?.words).toBe(
      'CVSS 4.0 is below 7.0: the fix may be developed semi-publicly, in a public change that does not say it fixes a vulnerability.',
    );
  });

  it('is voided when exploitation raised the severity above CVSS, and absent without a score', () => {
    expect(kind(3.9, true)).toBeNull();
    expect(kind(6.9, true)).toBeNull();
    expect(kind(null)).toBeNull();
  });

  it('follows the project’s own gates', () => {
    const strict = policy({ gates: { slowDownBelow: 2, semiPublicBelow: 4 } });
    expect(gateFor(strict, 3.9, effective('low'))?.kind).toBe('semi-public');
    expect(gateFor(strict, 1.9, effective('low'))?.kind).toBe('slow-down');
    expect(gateFor(strict, 4, effective('medium'))).toBeNull();
    // Both gates at 0: nothing is ever slowed down or developed in public.
    expect(gateFor(policy({ gates: { slowDownBelow: 0, semiPublicBelow: 0 } }), 0, effective('low'))).toBeNull();
  });
});

describe('nextReminderAt', () => {
  it('reminds after the severity’s interval, and never for low or no severity', () => {
    const p = policy();
    const moved = at('2026-03-02T09:00:00.000Z'); // Monday
    expect(nextReminderAt(p, 'critical', moved)).toEqual(at('2026-03-04T09:00:00.000Z'));
    expect(nextReminderAt(p, 'high', moved)).toEqual(at('2026-03-09T09:00:00.000Z'));
    expect(nextReminderAt(p, 'medium', moved)).toEqual(at('2026-04-01T09:00:00.000Z'));
    expect(nextReminderAt(p, 'low', moved)).toBeNull();
    expect(nextReminderAt(p, null, moved)).toBeNull();
  });

  it('counts business days and shutdowns like deadlines', () => {
    const p = policy({ dayMode: 'business', shutdowns: [{ from: '12-24', to: '01-02' }] });
    // Thursday 2026-03-05: Fri 6 (1), Mon 9 (2).
    expect(nextReminderAt(p, 'critical', at('2026-03-05T16:00:00.000Z'))).toEqual(at('2026-03-09T16:00:00.000Z'));
    // Wednesday 2026-12-23: shutdown to Saturday Jan 2; Mon 4 (1), Tue Jan 5 2027 (2).
    expect(nextReminderAt(p, 'critical', at('2026-12-23T16:00:00.000Z'))).toEqual(at('2027-01-05T16:00:00.000Z'));
  });

  it('lets a reminder fall on a Friday even when deadlines may not: it is a nudge, not a promise', () => {
    const p = policy({ noFridayDeadline: true });
    // Wednesday 2026-03-04 + 2 days = Friday 6.
    expect(nextReminderAt(p, 'critical', at('2026-03-04T09:00:00.000Z'))).toEqual(at('2026-03-06T09:00:00.000Z'));
  });

  it('follows a project’s own interval', () => {
    const targets = structuredClone(defaultSeverityPolicy.targets);
    targets.low.remindDays = 60;
    targets.critical.remindDays = null;
    const p = policy({ targets });
    expect(nextReminderAt(p, 'low', at('2026-03-02T09:00:00.000Z'))).toEqual(at('2026-05-01T09:00:00.000Z'));
    expect(nextReminderAt(p, 'critical', at('2026-03-02T09:00:00.000Z'))).toBeNull();
  });
});
